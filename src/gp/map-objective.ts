/**
 * The MAP objective of the hyperparameter fit, written once: the log marginal likelihood
 * log p(z | θ) (./likelihood.ts, mean profiled out in closed form) plus the log Gamma priors
 * (./priors.ts) on θ = (log ℓ_1..log ℓ_d, log s, log σ²):
 *   log p(θ | z) = log p(z | θ) + Σ_i log Γ_ℓ(log ℓ_i) + log Γ_s(log s) + log Γ_σ²(log σ²) + const.
 * The fit minimizes its negative; {@link logPosteriorObjective} reports it for tests and diagnostics.
 */
import type { PointsInput } from './data.js';
import { readData } from './data.js';
import type { GPHyperparameters } from './hyperparameters.js';
import { checkHyperparameters, toTheta } from './hyperparameters.js';
import { LikelihoodEvaluator } from './likelihood.js';
import {
  gammaLogDensity,
  gammaLogDensityDerivative,
  LENGTHSCALE_PRIOR,
  NOISE_PRIOR,
  OUTPUT_SCALE_PRIOR,
} from './priors.js';

/** −log p(θ | z) (up to a constant) and its gradient for one data set, as the minimizer wants them. */
export class MapObjective {
  readonly #evaluator: LikelihoodEvaluator;
  readonly #likelihoodGradient: Float64Array;
  /** The constant mean (profiled) at the last θ evaluated. */
  lastMean = 0;

  constructor(evaluator: LikelihoodEvaluator) {
    this.#evaluator = evaluator;
    this.#likelihoodGradient = new Float64Array(evaluator.d + 3);
  }

  /**
   * −(log p(z | θ) + log priors) at θ; when `gradient` is given (length d + 2) it receives the
   * gradient in θ. NaN when K cannot be factorized even with jitter.
   */
  negativeLogPosterior(theta: Float64Array, gradient: Float64Array | null): number {
    const d = this.#evaluator.d;
    const likelihoodGradient = this.#likelihoodGradient;
    const terms = this.#evaluator.evaluate(theta, null, gradient === null ? null : likelihoodGradient);
    this.lastMean = terms.mean;
    if (Number.isNaN(terms.value)) return Number.NaN;
    let logPrior = gammaLogDensity(OUTPUT_SCALE_PRIOR, theta[d]!);
    logPrior += gammaLogDensity(NOISE_PRIOR, theta[d + 1]!);
    for (let i = 0; i < d; i++) logPrior += gammaLogDensity(LENGTHSCALE_PRIOR, theta[i]!);
    if (gradient !== null) {
      for (let i = 0; i < d; i++) {
        gradient[i] = -likelihoodGradient[i]! - gammaLogDensityDerivative(LENGTHSCALE_PRIOR, theta[i]!);
      }
      gradient[d] = -likelihoodGradient[d]! - gammaLogDensityDerivative(OUTPUT_SCALE_PRIOR, theta[d]!);
      gradient[d + 1] = -likelihoodGradient[d + 1]! - gammaLogDensityDerivative(NOISE_PRIOR, theta[d + 1]!);
    }
    return -(terms.value + logPrior);
  }
}

/**
 * The MAP objective the fit maximizes: log p(z | θ) with the mean profiled out, plus the log
 * Gamma priors, for standardized targets `z`.
 */
export function logPosteriorObjective(
  x: PointsInput,
  z: readonly number[],
  hyperparameters: Omit<GPHyperparameters, 'mean'>,
): number {
  const data = readData(x, z);
  checkHyperparameters({ ...hyperparameters, mean: 0 }, data.d);
  const objective = new MapObjective(new LikelihoodEvaluator(data.x, data.y, data.n, data.d));
  return -objective.negativeLogPosterior(toTheta(hyperparameters), null);
}
