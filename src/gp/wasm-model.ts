/**
 * The WebAssembly-backed model: a conditioned GP whose Cholesky factor L, scaled inputs and
 * residual weights α live in its own WebAssembly heap, where the SIMD kernels of
 * src/linalg/kernels.wat build K, factorize it and predict (about 3× the plain-JS loops of
 * ./js-model.ts). Used from {@link WASM_MIN_POINTS} observations on, when WebAssembly SIMD is
 * available. Same arithmetic in the same order as the JS path except the exponential (a
 * polynomial, a few ulp from Math.exp), so the two agree to rounding, not bit for bit.
 */
import { createWasmKernels, tryRobustCholeskyWasm } from '../linalg/index.js';
import type { WasmKernels } from '../linalg/index.js';
import type { Points } from './data.js';
import { FACTOR_CACHE_MIN_POINTS, factorCache } from './factor-cache.js';
import type { ModelState, Prediction, PredictionWithGradient } from './model-state.js';

/** Below this many observations the JS loops are as fast as the WebAssembly kernels. */
export const WASM_MIN_POINTS = 32;
/** Query points per block in `predict` (block × n doubles of work space; a multiple of 8). */
export const PREDICT_BLOCK = 32;

/**
 * Heap doubles a model needs: L, a block of k* rows, scaled inputs, a query block, α,
 * the two scratch vectors and output of a gradient query, the 8 means / 8 squared norms of a
 * prediction group, the exponentials of a prediction group, and the scaled inputs dimension-major
 * for gradient queries (and one more double) (everything after L also holds
 * X/ℓ dimension-major while K is built: ≥ n·d doubles, and the exponentials of a row of K there).
 */
function wasmHeapSize(n: number, d: number): number {
  return n * n + n * PREDICT_BLOCK + n * d + d * PREDICT_BLOCK + n + 2 * (n + 2) + (2 + 2 * d) + 16 + 8 * n + n * d + 1;
}

/** A heap for a model of n points in d dimensions, or null: too small to gain, or no WebAssembly SIMD. */
export function createModelKernels(n: number, d: number): WasmKernels | null {
  return n >= WASM_MIN_POINTS ? createWasmKernels(wasmHeapSize(n, d)) : null;
}

/**
 * Builds K = k(X, X) + σ²·I from the scaled inputs `xs` (raw inputs `x`, which name the history
 * for the factor cache) and factorizes it straight in the heap,
 * where predictions read L (at offset 0); X/ℓ dimension-major sits in the (not yet used) space
 * after L meanwhile. Returns a view of L and the jitter that was needed, or null when K is not
 * positive definite even with jitter. From {@link FACTOR_CACHE_MIN_POINTS} points on, the rows of
 * a factor kept from an earlier conditioning on the same leading inputs are reused and the factor
 * is kept for the next one (./factor-cache.ts): the same bits, computed in O(k·n²) for k new points.
 */
export function factorizeInHeap(
  kernels: WasmKernels,
  x: Float64Array,
  xs: Float64Array,
  n: number,
  d: number,
  s: number,
  noise: number,
): { l: Float64Array; jitter: number } | null {
  const heap = kernels.heap;
  const xt = n * n;
  // Scratch of the pairs kernel (2n + 2 doubles) right after X/ℓ.
  const scratch = xt + n * d;
  for (let a = 0; a < n; a++) for (let i = 0; i < d; i++) heap[xt + i * n + a] = xs[a * d + i]!;
  // K's rows from `from` on (the rows before it come from a kept factor).
  const buildK = (from = 0) => {
    kernels.pairs(xt, 0, -1, n, d, s, scratch, 0, from);
    for (let a = from; a < n; a++) heap[a * n + a] = s + noise;
  };
  if (n < FACTOR_CACHE_MIN_POINTS) return tryRobustCholeskyWasm(kernels, () => buildK(), n, 0);
  const kernel = { d, outputScale: s, noise };
  const kept = factorCache.find(xs, n, kernel);
  if (kept !== null) {
    buildK(kept.rows);
    kept.copyInto(heap, n);
    // Pivots that fail here fail in the full factorization too (same bits): it then adds jitter.
    if (kernels.cholesky(0, n, 0, kept.rows)) {
      const l = heap.subarray(0, n * n);
      factorCache.keep(xs, x, n, kernel, l, kept);
      return { l, jitter: 0 };
    }
  }
  const factor = tryRobustCholeskyWasm(kernels, () => buildK(), n, 0);
  if (factor !== null && factor.jitter === 0) factorCache.keep(xs, x, n, kernel, factor.l, null);
  return factor;
}

/** A conditioned model on the WebAssembly kernels: its heap layout and the two prediction queries. */
export class WasmModel {
  readonly #state: ModelState;
  readonly #kernels: WasmKernels;
  /** Offsets (in doubles) of the heap regions. Cholesky factor, n×n. */
  readonly #l = 0;
  /** k* rows of a prediction block, groups of eight interleaved (PREDICT_BLOCK × n). */
  readonly #v: number;
  /** Training inputs divided by the lengthscales, n×d. */
  readonly #x: number;
  /** Query block, groups of eight stored dimension-major (PREDICT_BLOCK × d). */
  readonly #q: number;
  /** α = K⁻¹(z − m), n. */
  readonly #alpha: number;
  /** Scratch of a gradient query: k* then K⁻¹k* (n + 2), and c (n + 2). */
  readonly #k: number;
  readonly #c: number;
  /** Output of a gradient query: k*ᵀα, |L⁻¹k*|², d mean-gradient sums, d variance-gradient sums. */
  readonly #out: number;
  /** Means (8) then squared norms (8) of one prediction group. */
  readonly #moments: number;
  /** Exponentials of one prediction group's covariances (8n). */
  readonly #exponentials: number;
  /** Training inputs divided by the lengthscales, dimension-major (d×n, then one spare double). */
  readonly #xt: number;

  /** Lays out the heap of `kernels` (L is already at offset 0); copies X/ℓ and α in. */
  constructor(kernels: WasmKernels, state: ModelState) {
    const { n, d } = state;
    this.#state = state;
    this.#kernels = kernels;
    this.#v = n * n;
    this.#x = this.#v + n * PREDICT_BLOCK;
    this.#q = this.#x + n * d;
    this.#alpha = this.#q + d * PREDICT_BLOCK;
    this.#k = this.#alpha + n;
    this.#c = this.#k + n + 2;
    this.#out = this.#c + n + 2;
    this.#moments = this.#out + 2 + 2 * d;
    this.#exponentials = this.#moments + 16;
    this.#xt = this.#exponentials + 8 * n;
    kernels.heap.set(state.xs, this.#x);
    for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) kernels.heap[this.#xt + i * n + j] = state.xs[j * d + i]!;
    kernels.heap.set(state.alpha, this.#alpha);
  }

  /** A new heap holding a copy of the model's L, or null where the JS loops serve (see {@link createModelKernels}). */
  static fromState(state: ModelState): WasmModel | null {
    const kernels = createModelKernels(state.n, state.d);
    if (kernels === null) return null;
    kernels.heap.set(state.l, 0);
    return new WasmModel(kernels, state);
  }

  /**
   * GaussianProcess.predict, eight queries at a time: covariances, means (k*ᵀα), the triangular
   * solve and |L⁻¹k*|² all run in the heap (same arithmetic, same order as the JS loops; only the
   * exponential differs, by a few ulp). With `rows` < n the solve stops after the first `rows`
   * entries of L⁻¹k*: the variance is then the one given only the first `rows` observations
   * (GaussianProcess.predictWithVarianceBound), the mean is still exact.
   */
  predict(xs: Points, rows?: number): Prediction {
    const { d, n, invLengthscales, yMean, yStd, hyperparameters } = this.#state;
    const solved = rows ?? n;
    const s = hyperparameters.outputScale;
    const m = hyperparameters.mean;
    const count = xs.length;
    const mean = new Float64Array(count);
    const variance = new Float64Array(count);
    const kernels = this.#kernels;
    const q = this.#q;
    const v = this.#v;
    const heap = kernels.heap;
    const means = this.#moments;
    const norms = this.#moments + 8;
    const variance2 = yStd * yStd;
    if (count === 1 && solved === n) {
      // One query (a refined candidate, a predicted cost): its lane of the block below, alone.
      const point = xs[0]!;
      if (point.length !== d) throw new RangeError('points must have the model dimension');
      for (let i = 0; i < d; i++) heap[q + i] = point[i]! * invLengthscales[i]!;
      kernels.predict1(q, this.#xt, this.#alpha, this.#l, n, d, s, this.#k, this.#c, means);
      mean[0] = yMean + yStd * (m + heap[means]!);
      const latent = s - heap[means + 1]!;
      variance[0] = latent > 0 ? variance2 * latent : Number.isNaN(latent) ? Number.NaN : 0;
      return { mean, variance };
    }
    for (let g = 0; g < count; g += 8) {
      const width = Math.min(8, count - g);
      // Queries dimension-major (q + 8i + p); unused lanes 0.
      for (let p = 0; p < 8; p++) {
        if (p < width) {
          const point = xs[g + p]!;
          if (point.length !== d) throw new RangeError('points must have the model dimension');
          for (let i = 0; i < d; i++) heap[q + 8 * i + p] = point[i]! * invLengthscales[i]!;
        } else {
          for (let i = 0; i < d; i++) heap[q + 8 * i + p] = 0;
        }
      }
      kernels.cross8(q, this.#x, v, n, d, s, this.#exponentials);
      kernels.dot8(this.#alpha, v, n, means);
      kernels.solve8(this.#l, v, n, solved);
      kernels.sumsq8(v, solved, norms);
      for (let p = 0; p < width; p++) {
        mean[g + p] = yMean + yStd * (m + heap[means + p]!);
        const latent = s - heap[norms + p]!;
        variance[g + p] = latent > 0 ? variance2 * latent : Number.isNaN(latent) ? Number.NaN : 0;
      }
    }
    return { mean, variance };
  }

  /** GaussianProcess.predictWithGradient in one `gradPoint` call (the point's dimension is checked by the caller). */
  predictWithGradient(x: ArrayLike<number>): PredictionWithGradient {
    const { n, d, invLengthscales, yMean, yStd, hyperparameters } = this.#state;
    const s = hyperparameters.outputScale;
    const kernels = this.#kernels;
    const q = this.#q;
    const out = this.#out;
    const heap = kernels.heap;
    for (let i = 0; i < d; i++) heap[q + i] = x[i]! * invLengthscales[i]!;
    kernels.gradPoint(q, this.#x, this.#xt, this.#alpha, this.#l, n, d, s, this.#k, this.#c, out);
    const latent = s - heap[out + 1]!;
    const clamped = !(latent > 0);
    const variance2 = yStd * yStd;
    const meanGradient = new Float64Array(d);
    const varianceGradient = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      meanGradient[i] = yStd * heap[out + 2 + i]! * invLengthscales[i]!;
      varianceGradient[i] = clamped ? 0 : variance2 * heap[out + 2 + d + i]! * invLengthscales[i]!;
    }
    return {
      mean: yMean + yStd * (hyperparameters.mean + heap[out]!),
      variance: clamped ? (Number.isNaN(latent) ? Number.NaN : 0) : variance2 * latent,
      meanGradient,
      varianceGradient,
    };
  }
}
