/**
 * memotune's numeric core (`memotune/optimizer`): the EEIPU optimizer and its baselines as one pure
 * function of a plain-JSON request, the Gaussian process and the bounded optimizer beneath it.
 * Imports nothing from Temporal: usable in any script, notebook or service.
 */
export { suggest, resolveSettings, methodNames } from './index.js';
export {
  GaussianProcess,
  FACTOR_CACHE_DEFAULT_BYTES,
  setFactorCacheLimit,
  type GPFitCurvature,
  type GPFitInfo,
  type GPFitOptions,
  type GPHyperparameters,
  type Points,
} from '../gp/index.js';
export {
  minimizeBounded,
  type CurvaturePairs,
  type MinimizeOptions,
  type MinimizeResult,
} from '../bounded-lbfgs/index.js';
export type {
  BudgetState,
  Configuration,
  Direction,
  MethodName,
  Observation,
  OptimizerSettings,
  OptimizerState,
  ParamSpec,
  SearchSpace,
  StageSpace,
  SuggestRequest,
  Suggestion,
} from '../core/types.js';
