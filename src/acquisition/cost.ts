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
      const t = tail[k]! + Math.exp(as + bs * z[k]!);
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
      const c = Math.exp(a[s]! + b[s]! * zk);
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
    for (let s = 0; s < a.length; s++) total += Math.exp(a[s]! + b[s]! * z[k]!);
    value += 1 / total;
  }
  return value / z.length;
}
