/**
 * Transitional: the bounded L-BFGS minimizer lives in `src/bounded-lbfgs/`. This re-export only
 * serves `src/gp/gaussian-process.ts`, which is being split on another branch; once that branch
 * imports `../bounded-lbfgs/index.js`, delete this folder.
 */
export { minimizeBounded } from '../bounded-lbfgs/index.js';
export type { MinimizeOptions, MinimizeResult } from '../bounded-lbfgs/index.js';
