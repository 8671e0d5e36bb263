export { minimizeBounded } from './minimize-bounded.js';
export type { CurvaturePairs, MinimizeOptions, MinimizeResult } from './minimize-bounded.js';
