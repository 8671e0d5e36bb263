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
export { createWasmKernels, setWasmEnabled, sharedWasmKernels, tryRobustCholeskyWasm } from './wasm.js';
export type { WasmKernels } from './wasm.js';
