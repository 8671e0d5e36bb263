import type { Acquisition } from '../acquisition/index.js';
import type { OptimizerSettings } from '../core/types.js';
import type { Prefix } from './prefix-pool.js';

/**
 * Default weight of cost-aware stopping, in standard deviations of the observed objective per
 * mean trial charge (cost-exchange.ts): stop once no candidate is expected to gain 1% of a standard
 * deviation for the cost of an average trial. A guess, not a paper value: the paper takes the
 * exchange rate as the user's (docs/benchmarks.md, "PBGI and cost-aware stopping").
 */
export const STOPPING_SCALE = 0.01;

/** The weight the stopping rule compares EI per cost with, in objective units per cost unit. */
export function stoppingWeight(settings: Required<OptimizerSettings>, exchangeRate: number): number {
  return settings.stoppingCostWeight ?? STOPPING_SCALE * exchangeRate;
}

/**
 * The evidence of cost-aware stopping (acquisition/stopping.ts, LogEIPC form) of one BO step:
 * max over the raw (prefix, point) pairs of log EI(x; f*) − log E[C_δ(x)], with E[C_δ] the
 * closed-form expected cost of the step's cost models (`expectedCostTable` rows of the raw points;
 * a pair reusing δ stages is priced at c_δ). The raw pairs, not the refined candidates: the max is
 * slightly under-estimated, so the rule may stop marginally early.
 *
 * @param logEI - log EI of every pair, aligned with `entries[e].rows`.
 */
export function maxLogEipc(
  acquisition: Acquisition,
  entries: readonly { readonly prefix: Prefix; readonly rows: Int32Array }[],
  logEI: readonly Float64Array[],
  expected: Float64Array,
): number {
  const width = acquisition.costs.length;
  let best = Number.NEGATIVE_INFINITY;
  entries.forEach((entry, e) => {
    const column = acquisition.column(entry.prefix.delta);
    const values = logEI[e]!;
    for (let r = 0; r < entry.rows.length; r++) {
      const value = values[r]! - Math.log(expected[entry.rows[r]! * width + column]!);
      if (value > best) best = value;
    }
  });
  return best;
}
