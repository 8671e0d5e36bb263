/**
 * Log marginal likelihood of the Matérn-5/2 ARD GP and its analytic gradient.
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
  createWasmKernels,
  inverseFromCholesky,
  tryRobustCholesky,
  tryRobustCholeskyWasm,
} from '../linalg/index.js';
import type { WasmKernels } from '../linalg/index.js';

/** From this many points on, K, G, the Cholesky, the inverse and the lengthscale sums run in WebAssembly. */
const WASM_MIN_POINTS = 16;

const SQRT5 = Math.sqrt(5);
const LOG_2PI = Math.log(2 * Math.PI);

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
  /** WebAssembly kernels (null: JS loops); `xt`, `k`, `g` and `kinv` are then views of its heap. */
  private readonly wasm: WasmKernels | null;
  private readonly offsets: {
    readonly xt: number;
    readonly k: number;
    readonly g: number;
    readonly l: number;
    readonly t: number;
    readonly kinv: number;
    readonly grad: number;
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
    this.wasm = n >= WASM_MIN_POINTS ? createWasmKernels(d * n + 5 * nn + d) : null;
    if (this.wasm === null) {
      this.xt = new Float64Array(n * d);
      this.k = new Float64Array(nn);
      this.g = new Float64Array(nn);
      this.kinv = new Float64Array(nn);
      this.work = new Float64Array(nn);
      this.scratch = new Float64Array(nn);
      this.offsets = null;
    } else {
      // Heap layout (doubles): X/ℓ dimension-major, K, G, L, scratch, K⁻¹, lengthscale gradient.
      const heap = this.wasm.heap;
      const o = {
        xt: 0,
        k: d * n,
        g: d * n + nn,
        l: d * n + 2 * nn,
        t: d * n + 3 * nn,
        kinv: d * n + 4 * nn,
        grad: d * n + 5 * nn,
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

  /** K (lower triangle, noise on the diagonal) and G in plain JS from the scaled inputs `xs`. */
  private kernelPairs(s: number, noise: number): void {
    const { n, d, xs, k } = this;
    const gScale = (5 / 3) * s;
    for (let a = 0; a < n; a++) {
      const ra = a * n;
      const xa = a * d;
      let b = 0;
      // Four pairs (a, b..b+3) at a time: four independent r² accumulations share each x_a load.
      for (; b + 4 <= a; b += 4) {
        const x0 = b * d;
        const x1 = x0 + d;
        const x2 = x1 + d;
        const x3 = x2 + d;
        let q0 = 0;
        let q1 = 0;
        let q2 = 0;
        let q3 = 0;
        for (let i = 0; i < d; i++) {
          const v = xs[xa + i]!;
          const t0 = v - xs[x0 + i]!;
          const t1 = v - xs[x1 + i]!;
          const t2 = v - xs[x2 + i]!;
          const t3 = v - xs[x3 + i]!;
          q0 += t0 * t0;
          q1 += t1 * t1;
          q2 += t2 * t2;
          q3 += t3 * t3;
        }
        this.pair(ra + b, q0, s, gScale);
        this.pair(ra + b + 1, q1, s, gScale);
        this.pair(ra + b + 2, q2, s, gScale);
        this.pair(ra + b + 3, q3, s, gScale);
      }
      for (; b < a; b++) {
        const xb = b * d;
        let r2 = 0;
        for (let i = 0; i < d; i++) {
          const t = xs[xa + i]! - xs[xb + i]!;
          r2 += t * t;
        }
        this.pair(ra + b, r2, s, gScale);
      }
      k[ra + a] = s + noise;
    }
  }

  /** ∂ log p/∂ log ℓ_i = Σ_{a>b} c_ab·(x_ai − x_bi)²/ℓ_i² in plain JS (c_ab stored in g). */
  private lengthscaleGradient(gradient: Float64Array): void {
    const { n, d, g, xt } = this;
    // Four dimensions at a time over the transposed inputs: contiguous inner loops, four
    // independent accumulators sharing each load of c_ab.
    let i = 0;
    for (; i + 4 <= d; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let a = 1; a < n; a++) {
        const ra = a * n;
        const x0 = xt[r0 + a]!;
        const x1 = xt[r1 + a]!;
        const x2 = xt[r2 + a]!;
        const x3 = xt[r3 + a]!;
        for (let b = 0; b < a; b++) {
          const c = g[ra + b]!;
          const t0 = x0 - xt[r0 + b]!;
          const t1 = x1 - xt[r1 + b]!;
          const t2 = x2 - xt[r2 + b]!;
          const t3 = x3 - xt[r3 + b]!;
          s0 += c * t0 * t0;
          s1 += c * t1 * t1;
          s2 += c * t2 * t2;
          s3 += c * t3 * t3;
        }
      }
      gradient[i] = s0;
      gradient[i + 1] = s1;
      gradient[i + 2] = s2;
      gradient[i + 3] = s3;
    }
    for (; i < d; i++) {
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
   * Stores k(r) and (5/3)·s·(1 + √5·r)·e^(−√5·r) for one pair (a, b), a > b, from r². Only the
   * lower triangle is ever read (Cholesky, gradient).
   */
  private pair(index: number, r2: number, s: number, gScale: number): void {
    const r = Math.sqrt(r2);
    const e = Math.exp(-SQRT5 * r);
    this.k[index] = s * (1 + SQRT5 * r + (5 / 3) * r2) * e;
    this.g[index] = gScale * (1 + SQRT5 * r) * e;
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
    if (wasm !== null && o !== null) {
      wasm.pairs(o.xt, o.k, o.g, n, d, s);
      for (let a = 0; a < n; a++) k[a * n + a] = s + noise;
    } else {
      this.kernelPairs(s, noise);
    }
    const chol =
      wasm === null || o === null ? tryRobustCholesky(k, n, this.work) : tryRobustCholeskyWasm(wasm, k, n, o.l);
    if (chol === null) return { value: Number.NaN, mean: mean ?? 0, jitter: Number.NaN };
    const l = chol.l;

    // u = K⁻¹z, v = K⁻¹1 by two triangular solves each.
    const { u, v, alpha } = this;
    u.set(z);
    v.fill(1);
    choleskySolveInPlace(l, n, u);
    choleskySolveInPlace(l, n, v);
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
    let quad = 0;
    let logDet = 0;
    for (let a = 0; a < n; a++) {
      alpha[a] = u[a]! - m * v[a]!;
      quad += (z[a]! - m) * alpha[a]!;
      logDet += Math.log(l[a * n + a]!);
    }
    const value = -0.5 * quad - logDet - 0.5 * n * LOG_2PI;

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
