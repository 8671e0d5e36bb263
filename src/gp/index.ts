export {
  GaussianProcess,
  covarianceMatrix,
  logMarginalLikelihoodWithGradient,
  logPosteriorObjective,
} from './gaussian-process.js';
export type { GPFitInfo, GPFitOptions, GPHyperparameters, Points } from './gaussian-process.js';
export {
  LENGTHSCALE_PRIOR,
  NOISE_PRIOR,
  OUTPUT_SCALE_PRIOR,
  gammaLogDensity,
  gammaLogDensityDerivative,
} from './priors.js';
export type { GammaPrior } from './priors.js';
