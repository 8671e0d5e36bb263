export { GaussianProcess } from './gaussian-process.js';
export { covarianceMatrix } from './kernel.js';
export {
  FACTOR_CACHE_DEFAULT_BYTES,
  FACTOR_CACHE_MIN_POINTS,
  factorCache,
  setFactorCacheLimit,
  type FactorTooLarge,
} from './factor-cache.js';
export { logMarginalLikelihoodWithGradient } from './likelihood.js';
export { logPosteriorObjective } from './map-objective.js';
export type { MatrixLike, Points, PointsInput } from './data.js';
export { curvatureProblem } from './fit.js';
export type { GPFitCurvature, GPFitInfo, GPFitOptions } from './fit.js';
export type { GPHyperparameters } from './hyperparameters.js';
export {
  LENGTHSCALE_PRIOR,
  NOISE_PRIOR,
  OUTPUT_SCALE_PRIOR,
  gammaLogDensity,
  gammaLogDensityDerivative,
} from './priors.js';
export type { GammaPrior } from './priors.js';
