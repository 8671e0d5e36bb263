import { expectedCostTable, GittinsAcquisition, type Acquisition } from '../acquisition/index.js';
import type { OptimizerSettings } from '../core/types.js';
import type { GaussianProcess } from '../gp/index.js';
import type { Prefix } from './prefix-pool.js';
import { startQuota } from './refinement.js';
import { maxLogEipc } from './stopping-evidence.js';

/** The (prefix, raw point) pairs of one prefix with their α (exact or an upper bound). */
export interface ScoredPrefix {
  readonly prefix: Prefix;
  readonly points: Float64Array[];
  /** Raw-point index of each point. */
  readonly rows: Int32Array;
  readonly scores: Float64Array;
  /** 1 where the score includes the exact MC cost term (0: its upper bound). */
  readonly exact: Uint8Array;
}

/** What pass 1 hands on: the scored pairs, and what it computed along the way. */
export interface RawScores {
  readonly scored: ScoredPrefix[];
  /** Raw points whose cost term was computed exactly. */
  readonly costRows: number;
  /** Evidence of cost-aware stopping (stopping-evidence.ts); null when the setting is off. */
  readonly stoppingLogEipc: number | null;
}

/** The raw points of one prefix with its first stages pinned: the pairs pass 1 scores. */
interface PinnedPairs {
  readonly prefix: Prefix;
  readonly points: Float64Array[];
  /** Raw-point index of each point. */
  readonly rows: Int32Array;
}

/**
 * Every (prefix, raw point) pair: each raw point with the prefix's encoding over its first dims.
 * Enumerated spaces pair a prefix only with the configurations that already carry it.
 */
function pinnedPairs(pool: readonly Prefix[], raw: readonly Float64Array[], enumerated: boolean): PinnedPairs[] {
  const pairs: PinnedPairs[] = [];
  for (const prefix of pool) {
    const pe = prefix.pinnedEnd;
    const rowList: number[] = [];
    for (let j = 0; j < raw.length; j++) {
      if (enumerated && !startsWith(raw[j]!, prefix.encoded, pe)) continue;
      rowList.push(j);
    }
    if (rowList.length === 0) continue;
    const rows = Int32Array.from(rowList);
    const points = new Array<Float64Array>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const c = raw[rows[r]!]!.slice();
      c.set(prefix.encoded, 0);
      points[r] = c;
    }
    pairs.push({ prefix, points, rows });
  }
  return pairs;
}

/** Whether x starts with the first `end` values of `prefix`. */
function startsWith(x: Float64Array, prefix: Float64Array, end: number): boolean {
  for (let i = 0; i < end; i++) if (x[i] !== prefix[i]) return false;
  return true;
}

/**
 * Rows of the variance bound that pass 1 screens with (GaussianProcess.predictWithVarianceBound):
 * the first quarter of the screening GP's observations, from {@link BOUND_MIN_POINTS} on; below
 * that every log EI is computed exactly (the solves are cheap there). Measured in
 * docs/optimizer.md ("Speed").
 */
export const BOUND_MIN_POINTS = 384;
const BOUND_ROWS_FRACTION = 0.25;

/** Rows of the variance bound for a screening GP of `size` observations (size: no bound, exact). */
export function boundRows(size: number): number {
  return size < BOUND_MIN_POINTS ? size : Math.ceil(size * BOUND_ROWS_FRACTION);
}

/**
 * Pass 1: α of every (prefix, raw point) pair, α = log EI + η·log E[1/C_δ] (PBGI's index instead
 * for a {@link GittinsAcquisition}), computed exactly only for the pairs that can still matter.
 * Every pair first gets a cheap upper bound of α: log EI at the exact posterior mean and an upper
 * bound of the variance ({@link boundRows}; EI grows with the variance), plus η times the cost
 * term's bound from the extreme Monte-Carlo draws (Acquisition.costBounds). The pairs with the
 * best bounds — as many as pass 2 can start from (refinement.ts, {@link startQuota}) — are scored exactly; the
 * k-th best of those exact values is then a lower bound of the true k-th best. Every pair whose
 * bound reaches such a threshold is scored exactly too; every other pair provably ranks below all
 * refinement starts and below the winner, so the outcome equals the full computation
 * (test/unit/optimizer/raw-scoring.test.ts checks it). Such pairs are kept as inexact fallbacks
 * scored by their upper bound (ranked after every exact pair). Enumerated spaces are scored exactly
 * throughout; with cost-aware stopping, log EI is (its evidence reads every pair).
 */
export function scoreRawPairs(
  acquisition: Acquisition,
  screening: GaussianProcess,
  pool: readonly Prefix[],
  raw: readonly Float64Array[],
  enumerated: boolean,
  settings: Required<OptimizerSettings>,
): RawScores {
  const pairs = pinnedPairs(pool, raw, enumerated);
  if (acquisition instanceof GittinsAcquisition) {
    return scoreRawIndexPairs(acquisition, screening, pairs, raw, settings.costAwareStopping);
  }
  const rows = settings.costAwareStopping || enumerated ? screening.size : boundRows(screening.size);
  const scores = new PairScores(acquisition, screening, pairs, raw, rows);
  // Cost-aware stopping reads log EI per expected cost before the cost term joins the scores.
  const stoppingLogEipc =
    settings.costAwareStopping && acquisition.kind !== 'none'
      ? maxLogEipc(acquisition, pairs, scores.logEI, expectedCostTable(acquisition, raw))
      : null;
  if (enumerated) {
    scores.makeExact(() => true);
  } else {
    const quota = startQuota(pairs, settings);
    // The pairs with the best bounds, exactly: the quota's k-th best of those exact values bound
    // the true k-th best values from below.
    const seedShared = kthLargest(
      scores.upper.filter((_, e) => quota.shared[e] === 1),
      quota.sharedCount,
    );
    const seedOwn = scores.upper.map((upper, e) => kthLargest([upper], quota.own[e]!));
    scores.makeExact((e, upper) => upper >= seedOwn[e]! || (quota.shared[e] === 1 && upper >= seedShared));
    const exactValues = scores.upper.map((_, e) => scores.exactValues(e));
    const thresholdShared = kthLargest(
      exactValues.filter((_, e) => quota.shared[e] === 1),
      quota.sharedCount,
    );
    const threshold = exactValues.map((values, e) => {
      const own = kthLargest([values], quota.own[e]!);
      return quota.shared[e] === 1 ? Math.min(own, thresholdShared) : own;
    });
    scores.makeExact((e, upper) => upper + boundSlack(upper) >= threshold[e]!);
  }
  return { scored: scores.entries(), costRows: scores.costRows, stoppingLogEipc };
}

/**
 * Rounding slack of an upper bound: log h is evaluated by branches and series, so a bound at a
 * larger variance may undercut the exact value by a few ulp; a pair that close to its threshold
 * is scored exactly rather than risk dropping it.
 */
function boundSlack(upper: number): number {
  return 1e-9 * Math.max(1, Math.abs(upper));
}

/**
 * The k-th largest finite-or-infinite value over the arrays (NaN counts as −∞); −∞ when there are
 * fewer than k values. Typed-array sort: ascending, native.
 */
function kthLargest(arrays: readonly Float64Array[], k: number): number {
  let total = 0;
  for (const a of arrays) total += a.length;
  if (k <= 0) return Number.POSITIVE_INFINITY;
  if (total < k) return Number.NEGATIVE_INFINITY;
  const all = new Float64Array(total);
  let at = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) all[at + i] = Number.isNaN(a[i]!) ? Number.NEGATIVE_INFINITY : a[i]!;
    at += a.length;
  }
  all.sort();
  return all[total - k]!;
}

/**
 * The scores of pass 1's pairs while they are being made exact: per pair an upper bound of α
 * (`upper`) and, once scored exactly, α itself. A pair is exact once its log EI is (where the
 * screening GP was solved on all its rows it is from the start) and its raw point's cost terms are:
 * those are computed for every prefix at once (Acquisition.fillCostRows), the first time one of
 * the point's pairs needs them.
 */
class PairScores {
  /** log EI of every pair, or its upper bound (see `#exactLogEI`). */
  readonly logEI: Float64Array[];
  /** Upper bound of α of every pair (NaN: −∞). */
  readonly upper: Float64Array[];
  /** Raw points whose cost terms were computed. */
  costRows = 0;
  readonly #acquisition: Acquisition;
  readonly #screening: GaussianProcess;
  readonly #pairs: readonly PinnedPairs[];
  readonly #exactLogEI: Uint8Array[];
  readonly #width: number;
  /** Cost-model predictions of the raw points (null: α has no cost term). */
  readonly #predictions: { a: Float64Array; b: Float64Array } | null;
  readonly #logInverse: Float64Array;
  readonly #meanCost: Float64Array;
  readonly #costDone: Uint8Array;

  constructor(
    acquisition: Acquisition,
    screening: GaussianProcess,
    pairs: readonly PinnedPairs[],
    raw: readonly Float64Array[],
    rows: number,
  ) {
    this.#acquisition = acquisition;
    this.#screening = screening;
    this.#pairs = pairs;
    const width = acquisition.costs.length;
    this.#width = width;
    const exactRows = rows === screening.size;
    this.logEI = pairs.map(({ points }) => acquisition.logEIBound(points, screening, rows));
    this.#exactLogEI = pairs.map(({ rows: r }) => new Uint8Array(r.length).fill(exactRows ? 1 : 0));
    this.#predictions = acquisition.usesCost ? acquisition.stagePredictions(raw) : null;
    this.#logInverse = new Float64Array(raw.length * width);
    this.#meanCost = new Float64Array(raw.length * width);
    this.#costDone = new Uint8Array(raw.length);
    const bounds = this.#predictions === null ? null : acquisition.costBounds(this.#predictions, raw.length);
    this.upper = pairs.map(({ prefix, rows: r }, e) => {
      const column = acquisition.column(prefix.delta);
      const logEI = this.logEI[e]!;
      const upper = new Float64Array(r.length);
      for (let i = 0; i < r.length; i++) {
        const value =
          bounds === null ? logEI[i]! : logEI[i]! + acquisition.costTerm(bounds.upper[r[i]! * width + column]!, prefix);
        upper[i] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
      }
      return upper;
    });
  }

  #isExact(e: number, r: number): boolean {
    return (
      this.#exactLogEI[e]![r] === 1 && (this.#predictions === null || this.#costDone[this.#pairs[e]!.rows[r]!] === 1)
    );
  }

  /** α of an exact pair (NaN: −∞). */
  #value(e: number, r: number): number {
    const logEI = this.logEI[e]![r]!;
    if (this.#predictions === null) return logEI;
    const { rows, prefix } = this.#pairs[e]!;
    const cell = rows[r]! * this.#width + this.#acquisition.column(prefix.delta);
    const value = logEI + this.#acquisition.costTerm(this.#logInverse[cell]!, prefix);
    return Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
  }

  /**
   * Scores exactly every pair not yet exact for which `wanted(entry, upper bound)` holds: its log
   * EI on all of the screening GP's rows (if only bounded so far), its raw point's cost terms.
   * A pair bounded by −∞ is −∞ whatever its exact terms: it is left as it is.
   */
  makeExact(wanted: (entry: number, upper: number) => boolean): void {
    const acquisition = this.#acquisition;
    const costRows: number[] = [];
    const bounded: number[][] = this.#pairs.map(({ rows }, e) => {
      const list: number[] = [];
      const upper = this.upper[e]!;
      const exactLogEI = this.#exactLogEI[e]!;
      for (let r = 0; r < rows.length; r++) {
        if (upper[r] === Number.NEGATIVE_INFINITY || this.#isExact(e, r) || !wanted(e, upper[r]!)) continue;
        if (exactLogEI[r] === 0) list.push(r);
        const j = rows[r]!;
        if (this.#predictions !== null && this.#costDone[j] === 0) {
          this.#costDone[j] = 1;
          costRows.push(j);
        }
      }
      return list;
    });
    if (this.#predictions !== null && costRows.length > 0) {
      acquisition.fillCostRows(this.#predictions, costRows, this.#logInverse, this.#meanCost);
      this.costRows += costRows.length;
    }
    this.#pairs.forEach(({ points }, e) => {
      const list = bounded[e]!;
      if (list.length === 0) return;
      const values = acquisition.logEI(
        list.map((r) => points[r]!),
        this.#screening,
      );
      const logEI = this.logEI[e]!;
      list.forEach((r, i) => {
        logEI[r] = values[i]!;
        this.#exactLogEI[e]![r] = 1;
      });
    });
  }

  /** α of one entry's exact pairs, −∞ for the others. */
  exactValues(e: number): Float64Array {
    const out = new Float64Array(this.#pairs[e]!.rows.length).fill(Number.NEGATIVE_INFINITY);
    for (let r = 0; r < out.length; r++) if (this.#isExact(e, r)) out[r] = this.#value(e, r);
    return out;
  }

  /** The scored pairs: α where exact, the upper bound (inexact) elsewhere. */
  entries(): ScoredPrefix[] {
    return this.#pairs.map(({ prefix, points, rows }, e) => {
      const exact = new Uint8Array(rows.length);
      const scores = new Float64Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        exact[r] = this.#isExact(e, r) ? 1 : 0;
        scores[r] = exact[r] === 1 ? this.#value(e, r) : this.upper[e]![r]!;
      }
      return { prefix, points, rows, scores, exact };
    });
  }
}

/**
 * Pass 1 of PBGI: the index of every (prefix, raw point) pair from its posterior under the
 * screening GP and its E[C_δ] (closed form: S' exponentials per raw point, every prefix reading its
 * column). There is no bound pruning as in the EEIPU pass: the index is not additive in a cost
 * term, and its cost needs no Monte-Carlo draws. With `stopping`, also the stopping evidence.
 */
function scoreRawIndexPairs(
  acquisition: GittinsAcquisition,
  screening: GaussianProcess,
  pairs: readonly PinnedPairs[],
  raw: readonly Float64Array[],
  stopping: boolean,
): RawScores {
  const width = acquisition.costs.length;
  const expected = expectedCostTable(acquisition, raw);
  const logEI: Float64Array[] = [];
  const scored = pairs.map(({ prefix, points, rows }): ScoredPrefix => {
    const { mean, variance } = screening.predict(points);
    const column = acquisition.column(prefix.delta);
    const costs = Float64Array.from(rows, (j) => expected[j * width + column]!);
    const pairLogEI = stopping ? new Float64Array(rows.length) : undefined;
    const scores = acquisition.indexScores(mean, variance, costs, pairLogEI);
    if (pairLogEI !== undefined) logEI.push(pairLogEI);
    return { prefix, points, rows, scores, exact: new Uint8Array(rows.length).fill(1) };
  });
  const stoppingLogEipc = stopping ? maxLogEipc(acquisition, scored, logEI, expected) : null;
  return { scored, costRows: raw.length, stoppingLogEipc };
}
