import { expectedCostTable, GittinsAcquisition, type Acquisition } from '../acquisition/index.js';
import type { OptimizerSettings } from '../core/types.js';
import type { GaussianProcess } from '../gp/index.js';
import type { Prefix } from './prefix-pool.js';
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
 * Pass 1: α of every (prefix, raw point) pair: log EI of every raw point under every prefix,
 * then the cost term (PBGI's index instead for a {@link GittinsAcquisition}). The MC cost term (S'·M exps per raw point) is computed exactly only for raw
 * points that can still matter: those whose upper bound of α reaches the K-th best lower bound
 * overall (K = |P|·startsPerPrefix + restarts) or the startsPerPrefix-th best lower bound of a
 * prefix. Every other pair provably ranks below all refinement starts and below the winner, so the
 * outcome equals the full computation; such pairs are kept as inexact fallbacks scored by their
 * upper bound.
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
  const costs = acquisition.costs;
  const scored: ScoredPrefix[] = pairs.map(({ prefix, points, rows }) => ({
    prefix,
    points,
    rows,
    scores: acquisition.logEI(points, screening),
    exact: new Uint8Array(rows.length).fill(1),
  }));
  // Cost-aware stopping reads log EI per expected cost before the cost term joins the scores.
  const stoppingLogEipc =
    settings.costAwareStopping && acquisition.kind !== 'none'
      ? maxLogEipc(
          acquisition,
          scored,
          scored.map((entry) => entry.scores),
          expectedCostTable(acquisition, raw),
        )
      : null;
  const perPrefix = Math.max(1, settings.startsPerPrefix);
  let costRows = 0;
  if (acquisition.usesCost) {
    const width = costs.length;
    const eta = acquisition.eta;
    const predictions = acquisition.stagePredictions(raw);
    const logInverse = new Float64Array(raw.length * width);
    const meanCost = new Float64Array(raw.length * width);
    const needed = new Uint8Array(raw.length);
    if (enumerated) {
      needed.fill(1);
    } else {
      const bounds = acquisition.costBounds(predictions, raw.length);
      let total = 0;
      for (const entry of scored) total += entry.rows.length;
      // Typed-array sorts (ascending, native): NaN bounds count as −∞.
      const lowerAll = new Float64Array(total);
      const prefixThreshold = new Float64Array(scored.length);
      let filled = 0;
      scored.forEach((entry, e) => {
        const column = acquisition.column(entry.prefix.delta);
        const lows = new Float64Array(entry.rows.length);
        for (let r = 0; r < lows.length; r++) {
          const lb = entry.scores[r]! + eta * bounds.lower[entry.rows[r]! * width + column]!;
          lows[r] = Number.isNaN(lb) ? Number.NEGATIVE_INFINITY : lb;
        }
        lowerAll.set(lows, filled);
        filled += lows.length;
        // The perPrefix-th best lower bound: every start this prefix is owed is at least that good.
        lows.sort();
        prefixThreshold[e] = lows[lows.length - Math.min(perPrefix, lows.length)]!;
      });
      const k = Math.min(total, pool.length * perPrefix + settings.restarts);
      lowerAll.sort();
      const kth = k > 0 ? lowerAll[total - k]! : Number.NEGATIVE_INFINITY;
      scored.forEach((entry, e) => {
        const threshold = Math.min(kth, prefixThreshold[e]!);
        const column = acquisition.column(entry.prefix.delta);
        for (let r = 0; r < entry.rows.length; r++) {
          const j = entry.rows[r]!;
          if (entry.scores[r]! + eta * bounds.upper[j * width + column]! >= threshold) needed[j] = 1;
        }
      });
      for (const entry of scored) {
        const column = acquisition.column(entry.prefix.delta);
        for (let r = 0; r < entry.rows.length; r++) {
          const j = entry.rows[r]!;
          if (needed[j] === 0) {
            entry.scores[r] = entry.scores[r]! + eta * bounds.upper[j * width + column]!;
            entry.exact[r] = 0;
          }
        }
      }
    }
    const neededRows: number[] = [];
    for (let j = 0; j < raw.length; j++) if (needed[j] === 1) neededRows.push(j);
    acquisition.fillCostRows(predictions, neededRows, logInverse, meanCost);
    costRows = neededRows.length;
    for (const entry of scored) {
      const column = acquisition.column(entry.prefix.delta);
      for (let r = 0; r < entry.rows.length; r++) {
        if (entry.exact[r] === 1)
          entry.scores[r] = entry.scores[r]! + eta * logInverse[entry.rows[r]! * width + column]!;
      }
    }
  }
  for (const entry of scored) {
    for (let r = 0; r < entry.scores.length; r++) if (Number.isNaN(entry.scores[r]!)) entry.scores[r] = -Infinity;
  }
  return { scored, costRows, stoppingLogEipc };
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
