/**
 * A conditioned model's state, read by both prediction paths (./js-model.ts, ./wasm-model.ts).
 *
 * Notation: K = k(X, X) + (σ² + jitter)·I, L = chol(K), α = K⁻¹(z − m); z = (y − yMean)/yStd.
 */
import type { GPFitInfo } from './fit.js';
import type { GPHyperparameters } from './hyperparameters.js';

/** Arrays are never mutated after construction. */
export interface ModelState {
  readonly n: number;
  readonly d: number;
  /** Raw inputs, n×d row-major. */
  readonly x: Float64Array;
  /** Inputs divided by the lengthscales, n×d row-major. */
  readonly xs: Float64Array;
  readonly y: Float64Array;
  readonly yMean: number;
  readonly yStd: number;
  readonly z: Float64Array;
  readonly hyperparameters: GPHyperparameters;
  readonly invLengthscales: Float64Array;
  readonly l: Float64Array;
  readonly jitter: number;
  readonly alpha: Float64Array;
  readonly fitInfo?: GPFitInfo | undefined;
}

/** Latent posterior at many points, in original y units. */
export interface Prediction {
  mean: Float64Array;
  variance: Float64Array;
}

/** Latent posterior and its gradient in the input point, in original y units. */
export interface PredictionWithGradient {
  mean: number;
  variance: number;
  meanGradient: Float64Array;
  varianceGradient: Float64Array;
}
