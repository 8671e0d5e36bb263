/**
 * The GP's hyperparameters: their validation, and their packing into the vector the MAP search
 * moves, θ = (log ℓ_1..log ℓ_d, log s, log σ²) (the constant mean m is profiled out, not searched).
 */

/** Kernel and likelihood hyperparameters, all in standardized-target units. */
export interface GPHyperparameters {
  /** One per input dimension; inputs live in the unit cube. */
  readonly lengthscales: readonly number[];
  /** Signal variance s. */
  readonly outputScale: number;
  /** Noise variance σ². */
  readonly noise: number;
  /** Constant mean m. */
  readonly mean: number;
}

/** @throws {RangeError} when `h` does not fit d dimensions or holds a non-finite or out-of-range value. */
export function checkHyperparameters(h: GPHyperparameters, d: number): void {
  if (h.lengthscales.length !== d) {
    throw new RangeError('lengthscales must have one entry per dimension');
  }
  for (const v of h.lengthscales) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError('lengthscales must be positive');
  }
  if (!(h.outputScale > 0) || !Number.isFinite(h.outputScale)) {
    throw new RangeError('outputScale must be positive');
  }
  if (!(h.noise >= 0) || !Number.isFinite(h.noise)) throw new RangeError('noise must be non-negative');
  if (!Number.isFinite(h.mean)) throw new RangeError('mean must be finite');
}

/** A frozen copy, so a model's hyperparameters cannot change under it. */
export function copyHyperparameters(h: GPHyperparameters): GPHyperparameters {
  return Object.freeze({
    lengthscales: Object.freeze([...h.lengthscales]),
    outputScale: h.outputScale,
    noise: h.noise,
    mean: h.mean,
  });
}

/** θ = (log ℓ_1..log ℓ_d, log s, log σ²). */
export function toTheta(h: Omit<GPHyperparameters, 'mean'>): Float64Array {
  const d = h.lengthscales.length;
  const theta = new Float64Array(d + 2);
  for (let i = 0; i < d; i++) theta[i] = Math.log(h.lengthscales[i]!);
  theta[d] = Math.log(h.outputScale);
  // A zero noise from a hand-made warm start becomes -Infinity and is clipped to minNoise.
  theta[d + 1] = Math.log(h.noise);
  return theta;
}

/** The inverse of {@link toTheta}, with the mean m added. */
export function fromTheta(theta: Float64Array, d: number, mean: number): GPHyperparameters {
  const lengthscales: number[] = [];
  for (let i = 0; i < d; i++) lengthscales.push(Math.exp(theta[i]!));
  return copyHyperparameters({
    lengthscales,
    outputScale: Math.exp(theta[d]!),
    noise: Math.exp(theta[d + 1]!),
    mean,
  });
}
