/**
 * Log marginal likelihood of the Matérn-5/2 ARD GP and its analytic gradient (the kernel itself
 * is defined once, in ./kernel.ts; the MAP objective adds the priors in ./map-objective.ts).
 *
 * Notation (Rasmussen & Williams, "Gaussian Processes for Machine Learning", 2006):
 *   X    n×d inputs in the unit cube, row-major; z the standardized targets (length n);
 *   ℓ_i  lengthscales, s output scale, σ² noise variance, m constant mean;
 *   r    = ‖(x − x′)/ℓ‖,  k(r) = s·(1 + √5·r + 5r²/3)·e^(−√5·r)        (R&W eq. 4.17);
 *   K    = [k(x_a, x_b)] + (σ² + jitter)·I,  L = chol(K),  α = K⁻¹(z − m·1);
 *   log p(z) = −½(z − m)ᵀα − Σ log L_ii − (n/2)·log 2π                  (R&W eq. 2.30);
 *   ∂ log p / ∂θ_j = ½·tr((ααᵀ − K⁻¹)·∂K/∂θ_j)                        (R&W eq. 5.9).
 * With θ = log ℓ_i, ∂k/∂θ = (5/3)·s·(1 + √5·r)·e^(−√5·r)·((x_i − x′_i)/ℓ_i)²; with θ = log s,
 * ∂K/∂θ = K − (σ² + jitter)·I; with θ = log σ², ∂K/∂θ = σ²·I; ∂ log p / ∂m = 1ᵀα.
 * When the mean is profiled, m = 1ᵀK⁻¹z / 1ᵀK⁻¹1 maximizes log p for the other parameters; by
 * the envelope theorem the gradient in the other parameters is unchanged.
 */
import {
  choleskySolveInPlace,
  inverseFromCholesky,
  sharedWasmKernels,
  tryRobustCholesky,
  tryRobustCholeskyWasm,
} from '../linalg/index.js';
import type { WasmKernels } from '../linalg/index.js';
import type { PointsInput } from './data.js';
import { readData } from './data.js';
import type { GPHyperparameters } from './hyperparameters.js';
import { checkHyperparameters, toTheta } from './hyperparameters.js';
import { kernelPairs } from './kernel.js';

/** From this many points on, K, G, the Cholesky, the inverse and the lengthscale sums run in WebAssembly. */
const WASM_MIN_POINTS = 16;

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log p(z | θ) = −½(z − m)ᵀα − Σ log L_ii − (n/2)·log 2π from the factor L and α = K⁻¹(z − m)
 * (R&W eq. 2.30).
 */
export function logLikelihoodFromFactor(
  l: Float64Array,
  n: number,
  z: Float64Array,
  m: number,
  alpha: Float64Array,
): number {
  let quad = 0;
  let logDet = 0;
  for (let a = 0; a < n; a++) {
    quad += (z[a]! - m) * alpha[a]!;
    logDet += Math.log(l[a * n + a]!);
  }
  return -0.5 * quad - logDet - 0.5 * n * LOG_2PI;
}

/** What {@link LikelihoodEvaluator.evaluate} reports. */
export interface LikelihoodTerms {
  /** log p(z | θ); `NaN` when K could not be factorized. */
  readonly value: number;
  /** Mean used (the given one, or the profiled optimum). */
  readonly mean: number;
  /** Jitter that the Cholesky needed. */
  readonly jitter: number;
}

/**
 * Evaluates log p(z | θ) and its gradient for one fixed data set, reusing its n×n work arrays
 * across calls (the fit calls it hundreds of times).
 */
export class LikelihoodEvaluator {
  readonly n: number;
  readonly d: number;
  private readonly x: Float64Array;
  private readonly z: Float64Array;
  private readonly xs: Float64Array;
  /** Scaled inputs transposed (d×n), for the lengthscale gradient. */
  private readonly xt: Float64Array;
  private readonly k: Float64Array;
  private readonly g: Float64Array;
  private readonly kinv: Float64Array;
  /** Holds L. */
  private readonly work: Float64Array;
  /** Scratch for the inverse. */
  private readonly scratch: Float64Array;
  /**
   * WebAssembly kernels (null: JS loops); `xt`, `k`, `g` and `kinv` are then views of its heap,
   * which other evaluators also use between this one's calls.
   */
  private readonly wasm: WasmKernels | null;
  private readonly offsets: {
    readonly xt: number;
    readonly k: number;
    readonly g: number;
    readonly l: number;
    readonly t: number;
    readonly kinv: number;
    readonly grad: number;
    readonly rhs: number;
    readonly alpha: number;
    readonly terms: number;
  } | null;
  private readonly u: Float64Array;
  private readonly v: Float64Array;
  private readonly alpha: Float64Array;

  /**
   * @param x - n×d inputs, row-major.
   * @param z - standardized targets, length n.
   */
  constructor(x: Float64Array, z: Float64Array, n: number, d: number) {
    this.n = n;
    this.d = d;
    this.x = x;
    this.z = z;
    this.xs = new Float64Array(n * d);
    const nn = n * n;
    // Every evaluation rewrites all it reads from the heap (from θ and the data kept here), so the
    // evaluators share one heap.
    this.wasm = n >= WASM_MIN_POINTS ? sharedWasmKernels(d * n + 5 * nn + d + 3 * n + 2) : null;
    if (this.wasm === null) {
      this.xt = new Float64Array(n * d);
      this.k = new Float64Array(nn);
      this.g = new Float64Array(nn);
      this.kinv = new Float64Array(nn);
      this.work = new Float64Array(nn);
      this.scratch = new Float64Array(nn);
      this.offsets = null;
    } else {
      // Heap layout (doubles): X/ℓ dimension-major, K, G, L, scratch, K⁻¹, lengthscale gradient,
      // the two right-hand sides z and 1 (interleaved), α, the two trace sums.
      const heap = this.wasm.heap;
      const o = {
        xt: 0,
        k: d * n,
        g: d * n + nn,
        l: d * n + 2 * nn,
        t: d * n + 3 * nn,
        kinv: d * n + 4 * nn,
        grad: d * n + 5 * nn,
        rhs: d * n + 5 * nn + d,
        alpha: d * n + 5 * nn + d + 2 * n,
        terms: d * n + 5 * nn + d + 3 * n,
      };
      this.offsets = o;
      this.xt = heap.subarray(o.xt, o.xt + d * n);
      this.k = heap.subarray(o.k, o.k + nn);
      this.g = heap.subarray(o.g, o.g + nn);
      this.kinv = heap.subarray(o.kinv, o.kinv + nn);
      this.work = new Float64Array(0);
      this.scratch = new Float64Array(0);
    }
    this.u = new Float64Array(n);
    this.v = new Float64Array(n);
    this.alpha = new Float64Array(n);
  }

  /** ∂ log p/∂ log ℓ_i = Σ_{a>b} c_ab·(x_ai − x_bi)²/ℓ_i² in plain JS (c_ab stored in g). */
  private lengthscaleGradient(gradient: Float64Array): void {
    const { n, d, g, xt } = this;
    for (let i = 0; i < d; i++) {
      const ri = i * n;
      let sum = 0;
      for (let a = 1; a < n; a++) {
        const ra = a * n;
        const xa = xt[ri + a]!;
        for (let b = 0; b < a; b++) {
          const t = xa - xt[ri + b]!;
          sum += g[ra + b]! * t * t;
        }
      }
      gradient[i] = sum;
    }
  }

  /**
   * log p(z | θ) at θ = (log ℓ_1..log ℓ_d, log s, log σ²) and mean m (or the profiled mean when
   * `mean` is `null`).
   *
   * @param gradient - when given (length d + 3), receives ∂ log p/∂(log ℓ_1..d, log s, log σ², m);
   *   the last entry is 0 when the mean is profiled.
   */
  evaluate(theta: ArrayLike<number>, mean: number | null, gradient: Float64Array | null): LikelihoodTerms {
    const { n, d, x, xs, k, g, z } = this;
    const s = Math.exp(theta[d]!);
    const noise = Math.exp(theta[d + 1]!);
    const xt = this.xt;
    for (let i = 0; i < d; i++) {
      const inv = Math.exp(-theta[i]!);
      for (let a = 0; a < n; a++) {
        const v = x[a * d + i]! * inv;
        xs[a * d + i] = v;
        xt[i * n + a] = v;
      }
    }
    const wasm = this.wasm;
    const o = this.offsets;
    let chol: { l: Float64Array; jitter: number } | null;
    if (wasm !== null && o !== null) {
      // K straight into L's region too (the Cholesky works in place, the gradient needs K); the
      // inverse's scratch is free until the gradient: the pairs kernel's scratch meanwhile.
      wasm.pairs(o.xt, o.k, o.g, n, d, s, o.t, o.l);
      const heap = wasm.heap;
      for (let a = 0; a < n; a++) heap[o.k + a * n + a] = heap[o.l + a * n + a] = s + noise;
      // Only a retry with jitter needs K copied again.
      let loaded = true;
      const load = (): void => {
        if (!loaded) heap.copyWithin(o.l, o.k, o.k + n * n);
        loaded = false;
      };
      chol = tryRobustCholeskyWasm(wasm, load, n, o.l);
    } else {
      kernelPairs(xs, n, d, s, noise, k, g);
      chol = tryRobustCholesky(k, n, this.work);
    }
    if (chol === null) return { value: Number.NaN, mean: mean ?? 0, jitter: Number.NaN };
    const l = chol.l;

    // u = K⁻¹z, v = K⁻¹1 by two triangular solves each (both at once in the heap).
    const { u, v, alpha } = this;
    if (wasm !== null && o !== null) {
      const heap = wasm.heap;
      for (let a = 0; a < n; a++) {
        heap[o.rhs + 2 * a] = z[a]!;
        heap[o.rhs + 2 * a + 1] = 1;
      }
      wasm.solve2(o.l, o.rhs, n);
      for (let a = 0; a < n; a++) {
        u[a] = heap[o.rhs + 2 * a]!;
        v[a] = heap[o.rhs + 2 * a + 1]!;
      }
    } else {
      u.set(z);
      v.fill(1);
      choleskySolveInPlace(l, n, u);
      choleskySolveInPlace(l, n, v);
    }
    let m = mean;
    if (m === null) {
      let num = 0;
      let den = 0;
      for (let a = 0; a < n; a++) {
        num += u[a]!;
        den += v[a]!;
      }
      m = den > 0 && Number.isFinite(num / den) ? num / den : 0;
    }
    for (let a = 0; a < n; a++) alpha[a] = u[a]! - m * v[a]!;
    const value = logLikelihoodFromFactor(l, n, z, m, alpha);

    if (gradient !== null) {
      let kinv = this.kinv;
      if (wasm === null || o === null) {
        kinv = inverseFromCholesky(l, n, this.kinv, true, this.scratch);
      } else {
        wasm.inverse(o.l, o.t, o.kinv, n);
      }
      // c_ab = W_ab·G_ab for a > b (reusing g), W = ααᵀ − K⁻¹; off-diagonal pairs appear twice
      // in the trace, so ½·2 = 1.
      let traceW = 0;
      let sumWK = 0;
      if (wasm !== null && o !== null) {
        wasm.heap.set(alpha, o.alpha);
        wasm.gradientTerms(o.alpha, o.kinv, o.k, o.g, n, o.terms);
        traceW = wasm.heap[o.terms]!;
        sumWK = wasm.heap[o.terms + 1]!;
      } else {
        for (let a = 0; a < n; a++) {
          const ra = a * n;
          const alphaA = alpha[a]!;
          for (let b = 0; b < a; b++) {
            const w = alphaA * alpha[b]! - kinv[ra + b]!;
            sumWK += w * k[ra + b]!;
            g[ra + b] = w * g[ra + b]!;
          }
          traceW += alphaA * alphaA - kinv[ra + a]!;
        }
      }
      if (wasm !== null && o !== null) {
        wasm.lengthGrad(o.xt, o.g, n, d, o.grad);
        for (let i = 0; i < d; i++) gradient[i] = wasm.heap[o.grad + i]!;
      } else {
        this.lengthscaleGradient(gradient);
      }
      gradient[d] = sumWK + 0.5 * s * traceW;
      gradient[d + 1] = 0.5 * noise * traceW;
      let sumAlpha = 0;
      for (let a = 0; a < n; a++) sumAlpha += alpha[a]!;
      gradient[d + 2] = mean === null ? 0 : sumAlpha;
    }
    return { value, mean: m, jitter: chol.jitter };
  }
}

/**
 * log p(z | θ) of standardized targets `z` (no standardization, no priors) and its gradient with
 * respect to (log ℓ_1..log ℓ_d, log s, log σ², m): the quantity the MAP fit climbs, exposed for
 * diagnostics and tests.
 *
 * @throws {RangeError} on invalid data or hyperparameters, or when K is not positive definite
 *   even with jitter.
 */
export function logMarginalLikelihoodWithGradient(
  x: PointsInput,
  z: readonly number[],
  hyperparameters: GPHyperparameters,
): { value: number; gradient: Float64Array; jitter: number } {
  const data = readData(x, z);
  checkHyperparameters(hyperparameters, data.d);
  const evaluator = new LikelihoodEvaluator(data.x, data.y, data.n, data.d);
  const theta = toTheta(hyperparameters);
  const gradient = new Float64Array(data.d + 3);
  const terms = evaluator.evaluate(theta, hyperparameters.mean, gradient);
  if (Number.isNaN(terms.value)) {
    throw new RangeError('matrix is not positive definite (even with jitter 1e-4)');
  }
  return { value: terms.value, gradient, jitter: terms.jitter };
}
