/**
 * Monte-Carlo expected inverse cost of a candidate that reuses its first δ stages from the cache
 * (shared/docs/eeipu.md, "Acquisition"):
 *   C_δ = δ·ε + Σ_{s ≥ δ} c_s,   log c_s = a_s + b_s·z_m,   E[1/C_δ] ≈ (1/M) Σ_m 1/C_δ(z_m),
 * where (a_s, b_s) are the mean and standard deviation of stage s's cost GP on log cost (raw log
 * units) and z_1..z_M is ONE vector of quasi-random normal draws shared by every stage and every
 * candidate of an iteration (common random numbers: a smooth acquisition surface on which
 * candidates are compared with the same noise). Stages are 0-based here: stages 0..δ−1 are
 * cached, δ..S−1 run.
 */
import { costScratchSize, createWasmKernels, type WasmKernels } from '../linalg/wasm.js';

/** Log-cost range whose exponential is taken as is; outside it the exponent is clamped. */
const LOG_COST_MIN = -700;
const LOG_COST_MAX = 709;

/**
 * e^y for a sampled log cost y, with y clamped to [−700, 709] exactly as the WebAssembly kernels
 * do (e^709 ≈ 8.2e307 rather than Infinity), so that both paths — and the pruning bounds built on
 * this function — agree. Costs that far out never occur (log costs are floored near −14).
 */
export function stageCost(logCost: number): number {
  return Math.exp(logCost < LOG_COST_MIN ? LOG_COST_MIN : logCost > LOG_COST_MAX ? LOG_COST_MAX : logCost);
}

/**
 * E[1/C_δ] for one candidate and all δ = 0..S−1 at once, by suffix sums over the stages (each
 * stage's M draws are exponentiated once whatever the prefix length).
 *
 * @param a - per-stage log-cost means (length S).
 * @param b - per-stage log-cost standard deviations (≥ 0).
 * @param epsilon - retrieval cost per cached stage.
 * @param z - the shared normal draws.
 * @param out - receives E[1/C_δ] at out[δ] (length ≥ S).
 * @param meanCost - optional; receives the MC mean of C_δ at meanCost[δ].
 * @param tail - optional scratch of length z.length (avoids an allocation per call).
 */
export function inverseCostsByPrefix(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  epsilon: number,
  z: Float64Array,
  out: Float64Array,
  meanCost?: Float64Array,
  tail: Float64Array = new Float64Array(z.length),
): void {
  const stages = a.length;
  const m = z.length;
  tail.fill(0, 0, m);
  // Stage-outer loop: the draws are independent, so the inner loop has no dependency chain.
  for (let s = stages - 1; s >= 0; s--) {
    const as = a[s]!;
    const bs = b[s]!;
    const fixed = s * epsilon;
    let inverse = 0;
    let cost = 0;
    for (let k = 0; k < m; k++) {
      const t = tail[k]! + stageCost(as + bs * z[k]!);
      tail[k] = t;
      inverse += 1 / (fixed + t);
      cost += t;
    }
    out[s] = inverse / m;
    if (meanCost !== undefined) meanCost[s] = fixed + cost / m;
  }
}

/**
 * E[1/C] = (1/M) Σ_m 1/(fixed + Σ_s exp(a_s + b_s z_m)) over the stages that run, with its
 * gradient: ∂E/∂a_s = −(1/M) Σ_m c_{s,m}/C_m², ∂E/∂b_s = −(1/M) Σ_m z_m·c_{s,m}/C_m².
 *
 * @param fixed - cost that does not depend on the candidate (δ·ε).
 * @param dA - receives ∂E/∂a_s (length = a.length); `dB` likewise for b.
 * @returns the MC mean E and the MC mean cost.
 */
export function inverseCostWithGradient(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  fixed: number,
  z: Float64Array,
  dA: Float64Array,
  dB: Float64Array,
  scratch: Float64Array = new Float64Array(a.length),
): { value: number; meanCost: number } {
  const stages = a.length;
  const m = z.length;
  dA.fill(0, 0, stages);
  dB.fill(0, 0, stages);
  let value = 0;
  let meanCost = 0;
  for (let k = 0; k < m; k++) {
    const zk = z[k]!;
    let total = fixed;
    for (let s = 0; s < stages; s++) {
      const c = stageCost(a[s]! + b[s]! * zk);
      scratch[s] = c;
      total += c;
    }
    const inv = 1 / total;
    value += inv;
    meanCost += total;
    const inv2 = inv * inv;
    for (let s = 0; s < stages; s++) {
      const g = scratch[s]! * inv2;
      dA[s] = dA[s]! - g;
      dB[s] = dB[s]! - zk * g;
    }
  }
  for (let s = 0; s < stages; s++) {
    dA[s] = dA[s]! / m;
    dB[s] = dB[s]! / m;
  }
  return { value: value / m, meanCost: meanCost / m };
}

/** E[1/C] without the gradient (see {@link inverseCostWithGradient}). */
export function expectedInverseCost(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  fixed: number,
  z: Float64Array,
): number {
  let value = 0;
  for (let k = 0; k < z.length; k++) {
    let total = fixed;
    for (let s = 0; s < a.length; s++) total += stageCost(a[s]! + b[s]! * z[k]!);
    value += 1 / total;
  }
  return value / z.length;
}

/**
 * The two Monte-Carlo estimates above for one fixed draw vector `z` (one BO iteration), on the
 * WebAssembly SIMD kernels when they are available (two draws per instruction, polynomial
 * exponential within a few ulp of Math.exp; sums in a different order, so results agree with the
 * JS functions to rounding, not bit for bit) and on the JS functions otherwise.
 */
export class InverseCostEstimator {
  readonly #z: Float64Array;
  readonly #maxStages: number;
  readonly #kernels: WasmKernels | null;
  // Heap offsets (doubles): z (m + 1, the last 0), a, b, acc (the kernels' scratch), out (2 + 2·S),
  // mean (S).
  readonly #a: number;
  readonly #b: number;
  readonly #acc: number;
  readonly #out: number;
  readonly #mean: number;
  readonly #scratch: Float64Array;

  /** @param maxStages - the most stages any call passes. */
  constructor(z: Float64Array, maxStages: number) {
    this.#z = z;
    this.#maxStages = maxStages;
    const m = z.length;
    const stages = Math.max(1, maxStages);
    this.#a = m + 2;
    this.#b = this.#a + stages;
    this.#acc = this.#b + stages;
    this.#out = this.#acc + costScratchSize(stages, m);
    this.#mean = this.#out + 2 + 2 * stages;
    this.#kernels = m > 0 ? createWasmKernels(this.#mean + stages) : null;
    if (this.#kernels !== null) this.#kernels.heap.set(z, 0);
    this.#scratch = new Float64Array(stages);
  }

  #load(a: ArrayLike<number>, b: ArrayLike<number>): WasmKernels {
    if (a.length > this.#maxStages) throw new RangeError(`at most ${this.#maxStages} stages`);
    const kernels = this.#kernels!;
    const heap = kernels.heap;
    for (let s = 0; s < a.length; s++) {
      heap[this.#a + s] = a[s]!;
      heap[this.#b + s] = b[s]!;
    }
    return kernels;
  }

  /** {@link inverseCostWithGradient} with this estimator's draws. */
  withGradient(
    a: ArrayLike<number>,
    b: ArrayLike<number>,
    fixed: number,
    dA: Float64Array,
    dB: Float64Array,
  ): { value: number; meanCost: number } {
    if (this.#kernels === null) return inverseCostWithGradient(a, b, fixed, this.#z, dA, dB, this.#scratch);
    const kernels = this.#load(a, b);
    const stages = a.length;
    kernels.invCostGrad(this.#a, this.#b, stages, fixed, 0, this.#z.length, this.#acc, this.#out);
    const heap = kernels.heap;
    const out = this.#out;
    for (let s = 0; s < stages; s++) {
      dA[s] = heap[out + 2 + s]!;
      dB[s] = heap[out + 2 + stages + s]!;
    }
    return { value: heap[out]!, meanCost: heap[out + 1]! };
  }

  /** {@link inverseCostsByPrefix} with this estimator's draws. */
  byPrefix(
    a: ArrayLike<number>,
    b: ArrayLike<number>,
    epsilon: number,
    out: Float64Array,
    meanCost: Float64Array,
  ): void {
    if (this.#kernels === null) {
      inverseCostsByPrefix(a, b, epsilon, this.#z, out, meanCost);
      return;
    }
    const kernels = this.#load(a, b);
    const stages = a.length;
    kernels.invCostPrefix(this.#a, this.#b, stages, epsilon, 0, this.#z.length, this.#acc, this.#out, this.#mean);
    const heap = kernels.heap;
    for (let s = 0; s < stages; s++) {
      out[s] = heap[this.#out + s]!;
      meanCost[s] = heap[this.#mean + s]!;
    }
  }
}
