/**
 * The Matérn-5/2 ARD kernel: its one JS definition, and the kernel matrices built from it.
 *
 * Notation (Rasmussen & Williams, "Gaussian Processes for Machine Learning", 2006, eq. 4.17):
 *   r = ‖(x − x′)/ℓ‖,   k(r) = s·(1 + √5·r + 5r²/3)·e^(−√5·r),
 *   ρ(r) = −(1/r)·∂k/∂r = (5/3)·s·(1 + √5·r)·e^(−√5·r),
 * so that ∂k/∂x_i = −ρ·(x_i − x′_i)/ℓ_i² (the acquisition gradient) and
 * ∂k/∂log ℓ_i = ρ·((x_i − x′_i)/ℓ_i)² (the likelihood gradient).
 * Every function here takes inputs already divided by the lengthscales (X/ℓ), so r² is a plain
 * squared distance, summed over the dimensions in index order on every path.
 *
 * The WebAssembly kernels (src/linalg/kernels.wat: `cross8`, `pairs`, `gradPoint`) are the fast
 * path for larger models and mirror these expressions operation for operation, except for the
 * exponential (a polynomial there, within a few ulp of Math.exp); test/unit/gp/kernel.test.ts
 * checks that the two agree.
 */
import type { PointsInput } from './data.js';
import { readData, toPoints } from './data.js';
import type { GPHyperparameters } from './hyperparameters.js';
import { checkHyperparameters } from './hyperparameters.js';

export const SQRT5 = Math.sqrt(5);

/** e^(−√5·r): one exponential serves both k and ρ of a pair. */
export function maternDecay(r: number): number {
  return Math.exp(-SQRT5 * r);
}

/** k(r) = s·(1 + √5·r + 5r²/3)·e^(−√5·r), given r, r² and e = {@link maternDecay}(r). */
export function maternValue(s: number, r: number, r2: number, e: number): number {
  return s * (1 + SQRT5 * r + (5 / 3) * r2) * e;
}

/** ρ(r) = −(1/r)·∂k/∂r = (5/3)·s·(1 + √5·r)·e^(−√5·r), given r and e = {@link maternDecay}(r). */
export function maternRadialDerivative(s: number, r: number, e: number): number {
  return (5 / 3) * s * (1 + SQRT5 * r) * e;
}

/** k from r². */
export function matern52(s: number, r2: number): number {
  const r = Math.sqrt(r2);
  return maternValue(s, r, r2, maternDecay(r));
}

/** Squared distance between row `a` of `xa` and row `b` of `xb` (both row-major, d columns). */
export function squaredDistance(xa: Float64Array, a: number, xb: Float64Array, b: number, d: number): number {
  const oa = a * d;
  const ob = b * d;
  let r2 = 0;
  for (let i = 0; i < d; i++) {
    const t = xa[oa + i]! - xb[ob + i]!;
    r2 += t * t;
  }
  return r2;
}

/** Divides each input coordinate by its lengthscale (`inv` holds 1/ℓ_i): X/ℓ, n×d row-major. */
export function scaleInputs(x: Float64Array, n: number, d: number, inv: Float64Array): Float64Array {
  const xs = new Float64Array(n * d);
  for (let a = 0; a < n; a++) {
    for (let i = 0; i < d; i++) xs[a * d + i] = x[a * d + i]! * inv[i]!;
  }
  return xs;
}

/**
 * K = k(X, X) + σ²·I from scaled inputs (n×n row-major); both halves written from the same value,
 * so K is exactly symmetric.
 */
export function kernelMatrix(xs: Float64Array, n: number, d: number, s: number, noise: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < a; b++) {
      const v = matern52(s, squaredDistance(xs, a, xs, b, d));
      k[a * n + b] = v;
      k[b * n + a] = v;
    }
    k[a * n + a] = s + noise;
  }
  return k;
}

/** k(x_m, x_j) for j < m: the new column of K when row m of the scaled inputs joins the model. */
export function kernelColumn(xs: Float64Array, m: number, d: number, s: number): Float64Array {
  const column = new Float64Array(m);
  for (let j = 0; j < m; j++) column[j] = matern52(s, squaredDistance(xs, m, xs, j, d));
  return column;
}

/**
 * out[q·n + j] = k(x*_q, x_j) for `count` scaled query points (row-major count×d) against n
 * scaled training points. Each r² is summed in the same order on every path, so a point's kernel
 * row does not depend on how many points are predicted with it.
 */
export function crossKernel(
  query: Float64Array,
  count: number,
  train: Float64Array,
  n: number,
  d: number,
  s: number,
  out: Float64Array,
): void {
  for (let q = 0; q < count; q++) {
    const o = q * n;
    for (let j = 0; j < n; j++) out[o + j] = matern52(s, squaredDistance(query, q, train, j, d));
  }
}

/**
 * The lower triangle (a > b) of k(X, X) into `k` and of ρ into `rho`, n×n row-major, with s + σ²
 * on the diagonal of `k`: what the likelihood gradient needs. The upper triangles are not written.
 */
export function kernelPairs(
  xs: Float64Array,
  n: number,
  d: number,
  s: number,
  noise: number,
  k: Float64Array,
  rho: Float64Array,
): void {
  for (let a = 0; a < n; a++) {
    const ra = a * n;
    for (let b = 0; b < a; b++) {
      const r2 = squaredDistance(xs, a, xs, b, d);
      const r = Math.sqrt(r2);
      const e = maternDecay(r);
      k[ra + b] = maternValue(s, r, r2, e);
      rho[ra + b] = maternRadialDerivative(s, r, e);
    }
    k[ra + a] = s + noise;
  }
}

/**
 * The covariance matrix K = k(X, X) + σ²·I of the model (n×n, row-major, both halves filled),
 * in standardized-target units, without jitter.
 *
 * @throws {RangeError} on invalid inputs or hyperparameters.
 */
export function covarianceMatrix(x: PointsInput, hyperparameters: GPHyperparameters): Float64Array {
  const points = toPoints(x);
  const n = points.length;
  const data = readData(points, new Array<number>(n).fill(0));
  checkHyperparameters(hyperparameters, data.d);
  const inv = Float64Array.from(hyperparameters.lengthscales, (v) => 1 / v);
  const xs = scaleInputs(data.x, n, data.d, inv);
  return kernelMatrix(xs, n, data.d, hyperparameters.outputScale, hyperparameters.noise);
}
