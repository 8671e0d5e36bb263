/**
 * Variance-based sensitivity (Sobol indices) of a function of independent inputs, by Monte Carlo.
 *
 * With Y = f(X), X uniform on its factors, and a group G of factors:
 *   first-order  S_G  = Var(E[Y | X_G]) / Var(Y)       the share of the variance G explains alone;
 *   total        ST_G = E[Var(Y | X_~G)] / Var(Y)      the share that moves with G, interactions included.
 * Σ S over single factors is ≤ 1; the rest is interactions. Estimators over two independent
 * samples A and B (N rows each) and the hybrid AB_G (A with G's columns taken from B):
 *   V_G  ≈ mean((f(B) − f̄)·(f(AB_G) − f(A)))  (Saltelli et al. 2010, "Variance based sensitivity
 *                                              analysis of model output", table 2, (b), with f
 *                                              centred on its sample mean f̄: E[f(AB_G) − f(A)] = 0,
 *                                              so the centring only removes the variance a large
 *                                              mean of f would add);
 *   VT_G ≈ mean((f(A) − f(AB_G))²) / 2         (Jansen 1999, same table, (f)),
 * divided by the variance of f over A ∪ B. Both are means of per-row terms, so each index comes
 * with the standard error of its Monte-Carlo estimate (sd of the terms / √N / Var): the error of
 * the sampling, not of the model f.
 */
import type { Random } from '../random/index.js';

/** One group's indices and their Monte-Carlo standard errors. */
export interface SobolIndex {
  readonly firstOrder: number;
  readonly total: number;
  readonly firstOrderSe: number;
  readonly totalSe: number;
}

export interface SobolProblem {
  /** Number of independent factors, each uniform on [0, 1). */
  readonly factors: number;
  /** Groups of factor indices to measure (a single factor, or several together). */
  readonly groups: readonly (readonly number[])[];
  /** f at many factor vectors at once (each of length `factors`). */
  readonly evaluate: (points: readonly Float64Array[]) => ArrayLike<number>;
  /** N: rows of each base sample. */
  readonly samples: number;
  readonly random: Random;
}

export interface SobolResult {
  /** Var(Y) over the 2N base rows; indices are `null` when it is 0 (f is flat). */
  readonly variance: number;
  readonly groups: readonly (SobolIndex | null)[];
}

function meanAndSe(terms: Float64Array): { mean: number; se: number } {
  const n = terms.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += terms[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (terms[i]! - mean) ** 2;
  return { mean, se: n > 1 ? Math.sqrt(squares / (n - 1) / n) : 0 };
}

/**
 * Estimates each group's first-order and total index with N·(2 + groups) evaluations of f.
 * @throws {RangeError} when `samples` < 2, a group is empty, or a factor index is out of range.
 */
export function sobolIndices(problem: SobolProblem): SobolResult {
  const { factors, groups, evaluate, samples, random } = problem;
  if (!Number.isInteger(samples) || samples < 2) throw new RangeError('samples must be an integer ≥ 2');
  for (const group of groups) {
    if (group.length === 0) throw new RangeError('a group needs at least one factor');
    if (group.some((f) => !Number.isInteger(f) || f < 0 || f >= factors))
      throw new RangeError(`factor indices must be integers in [0, ${factors})`);
  }
  const draw = (): Float64Array[] =>
    Array.from({ length: samples }, () => {
      const row = new Float64Array(factors);
      for (let f = 0; f < factors; f++) row[f] = random.next();
      return row;
    });
  const a = draw();
  const b = draw();
  const fA = Float64Array.from(evaluate(a));
  const fB = Float64Array.from(evaluate(b));
  const both = new Float64Array(2 * samples);
  both.set(fA);
  both.set(fB, samples);
  const { mean } = meanAndSe(both);
  let squares = 0;
  for (const value of both) squares += (value - mean) ** 2;
  const variance = squares / (both.length - 1);
  // A flat f (within rounding of its own scale) has no variance to share out.
  const flat = !(variance > 1e-24 * Math.max(1, mean * mean)) || !Number.isFinite(variance);

  const firstTerms = new Float64Array(samples);
  const totalTerms = new Float64Array(samples);
  const indices = groups.map((group): SobolIndex | null => {
    if (flat) return null;
    const hybrid = a.map((row, i) => {
      const mixed = Float64Array.from(row);
      for (const f of group) mixed[f] = b[i]![f]!;
      return mixed;
    });
    const fAB = evaluate(hybrid);
    for (let i = 0; i < samples; i++) {
      const change = fAB[i]! - fA[i]!;
      firstTerms[i] = (fB[i]! - mean) * change;
      totalTerms[i] = (change * change) / 2;
    }
    const first = meanAndSe(firstTerms);
    const total = meanAndSe(totalTerms);
    return {
      firstOrder: first.mean / variance,
      total: total.mean / variance,
      firstOrderSe: first.se / variance,
      totalSe: total.se / variance,
    };
  });
  return { variance: flat ? 0 : variance, groups: indices };
}
