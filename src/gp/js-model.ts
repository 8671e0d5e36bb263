/**
 * The plain-JS prediction path: small models (fewer than WASM_MIN_POINTS observations, where the
 * WebAssembly kernels gain nothing) and runtimes without WebAssembly SIMD.
 *
 * With k* = k(X, x*) and v = L⁻¹k* (R&W eq. 2.25–2.26): μ(x*) = m + k*ᵀα, var(x*) = s − vᵀv
 * (clamped at 0), reported in original y units as yMean + yStd·μ and yStd²·var.
 */
import { solveLowerInPlace, solveLowerRowsInPlace, solveLowerTransposeInPlace } from '../linalg/index.js';
import type { Points } from './data.js';
import { crossKernel, maternDecay, maternRadialDerivative, maternValue, squaredDistance } from './kernel.js';
import type { ModelState, Prediction, PredictionWithGradient } from './model-state.js';
import { PREDICT_BLOCK } from './wasm-model.js';

/**
 * Points are processed in blocks so that each row of L is loaded once per block. A point with a
 * non-finite coordinate gets NaN.
 *
 * @throws {RangeError} when a point does not have d coordinates.
 */
export function predictJs(state: ModelState, xs: Points): Prediction {
  const { n, d, xs: train, invLengthscales, l, alpha, yMean, yStd, hyperparameters } = state;
  const s = hyperparameters.outputScale;
  const m = hyperparameters.mean;
  const count = xs.length;
  const mean = new Float64Array(count);
  const variance = new Float64Array(count);
  const block = Math.min(PREDICT_BLOCK, count);
  // k* rows (one per query point), then v = L⁻¹k* in place.
  const kv = new Float64Array(n * block);
  const query = new Float64Array(d * block);
  const variance2 = yStd * yStd;
  for (let start = 0; start < count; start += block) {
    const b = Math.min(block, count - start);
    for (let q = 0; q < b; q++) {
      const point = xs[start + q]!;
      if (point.length !== d) throw new RangeError('points must have the model dimension');
      for (let i = 0; i < d; i++) query[q * d + i] = point[i]! * invLengthscales[i]!;
    }
    crossKernel(query, b, train, n, d, s, kv);
    for (let q = 0; q < b; q++) {
      let mu = 0;
      for (let j = 0; j < n; j++) mu += alpha[j]! * kv[q * n + j]!;
      mean[start + q] = yMean + yStd * (m + mu);
    }
    solveLowerRowsInPlace(l, n, kv, b);
    for (let q = 0; q < b; q++) {
      let vv = 0;
      for (let j = 0; j < n; j++) {
        const v = kv[q * n + j]!;
        vv += v * v;
      }
      const latent = s - vv;
      variance[start + q] = latent > 0 ? variance2 * latent : Number.isNaN(latent) ? Number.NaN : 0;
    }
  }
  return { mean, variance };
}

/**
 * Latent posterior and its gradient with respect to the input point (whose dimension the caller
 * has checked). Where the variance is clamped at 0 its gradient is 0.
 */
export function predictWithGradientJs(state: ModelState, x: ArrayLike<number>): PredictionWithGradient {
  const { n, d, xs: train, invLengthscales, l, alpha, yMean, yStd, hyperparameters } = state;
  const s = hyperparameters.outputScale;
  const query = new Float64Array(d);
  for (let i = 0; i < d; i++) query[i] = x[i]! * invLengthscales[i]!;
  const kv = new Float64Array(n);
  // c_j = ∂k/∂r / r = −ρ(r_j); ∂k_j/∂x_i = c_j·(x*_i − x_ji)/ℓ_i².
  const c = new Float64Array(n);
  let mu = 0;
  for (let j = 0; j < n; j++) {
    const r2 = squaredDistance(query, 0, train, j, d);
    const r = Math.sqrt(r2);
    const e = maternDecay(r);
    const kj = maternValue(s, r, r2, e);
    kv[j] = kj;
    c[j] = -maternRadialDerivative(s, r, e);
    mu += alpha[j]! * kj;
  }
  let vv = 0;
  solveLowerInPlace(l, n, kv);
  for (let j = 0; j < n; j++) vv += kv[j]! * kv[j]!;
  // w = K⁻¹k*: ∂var/∂x = −2·wᵀ·∂k*/∂x.
  solveLowerTransposeInPlace(l, n, kv);
  const latent = s - vv;
  const meanGradient = new Float64Array(d);
  const varianceGradient = new Float64Array(d);
  for (let j = 0; j < n; j++) {
    const xj = j * d;
    const cm = alpha[j]! * c[j]!;
    const cv = -2 * kv[j]! * c[j]!;
    for (let i = 0; i < d; i++) {
      const t = query[i]! - train[xj + i]!;
      meanGradient[i] = meanGradient[i]! + cm * t;
      varianceGradient[i] = varianceGradient[i]! + cv * t;
    }
  }
  const variance2 = yStd * yStd;
  const clamped = !(latent > 0);
  for (let i = 0; i < d; i++) {
    // t above is in scaled units: one more 1/ℓ_i turns (x*_i − x_ji)/ℓ_i into (x*_i − x_ji)/ℓ_i².
    meanGradient[i] = yStd * meanGradient[i]! * invLengthscales[i]!;
    varianceGradient[i] = clamped ? 0 : variance2 * varianceGradient[i]! * invLengthscales[i]!;
  }
  return {
    mean: yMean + yStd * (hyperparameters.mean + mu),
    variance: clamped ? (Number.isNaN(latent) ? Number.NaN : 0) : variance2 * latent,
    meanGradient,
    varianceGradient,
  };
}
