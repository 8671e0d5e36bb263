export { createRandom, hashIntegers, mulberry32 } from './prng.js';
export type { Random } from './prng.js';
export { erf, erfc, erfcx, normalCdf, normalPdf, normalQuantile } from './normal.js';
export { MAX_SOBOL_DIMENSION, SobolSequence } from './sobol.js';
export type { SobolOptions } from './sobol.js';
export { quasiNormals, sampleNormal } from './quasi-normal.js';
