export {
  ImportanceUnavailableError,
  minImportanceTrials,
  parameterImportance,
  type ImportanceEntry,
  type ImportanceOptions,
  type ImportanceResult,
  type ImportanceTarget,
  type ImportanceTrial,
} from './importance.js';
export { sobolIndices, type SobolIndex, type SobolProblem, type SobolResult } from './sobol-indices.js';
