export {
  cholesky,
  choleskyAppend,
  choleskySolveInPlace,
  inverseFromCholesky,
  logDeterminantFromCholesky,
  robustCholesky,
  solveLowerInPlace,
  solveLowerManyInPlace,
  solveLowerTransposeInPlace,
  tryRobustCholesky,
} from './cholesky.js';
export type { CholeskyResult } from './cholesky.js';
