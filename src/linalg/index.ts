export {
  cholesky,
  choleskyAppend,
  choleskySolveInPlace,
  inverseFromCholesky,
  logDeterminantFromCholesky,
  robustCholesky,
  solveLowerInPlace,
  solveLowerRowsInPlace,
  solveLowerTransposeInPlace,
  tryRobustCholesky,
} from './cholesky.js';
export type { CholeskyResult } from './cholesky.js';
