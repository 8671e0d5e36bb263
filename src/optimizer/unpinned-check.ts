import type { Acquisition } from '../acquisition/index.js';
import type { SpaceEncoding } from '../space/index.js';
import type { Candidate } from './candidate-order.js';
import { unpinnedPrefix } from './prefix-pool.js';
import { refineLocally } from './refinement.js';

/**
 * The unpinned check (setting `unpinnedCheck`; docs/benchmarks.md, issue #13). A pinned candidate
 * (δ > 0) is also a feasible point of the unpinned search: the same configuration run from
 * scratch. So a reuse should win only if moving its prefix does not buy more EI than the reuse's
 * cost discount — a reuse is counted by what it saves against the best nearby fresh alternative,
 * not against whichever unpinned point the shared refinement happened to reach. One local run of
 * α(·; δ = 0), every continuous dim free, from the pinned winner's full point.
 *
 * Returns the unpinned candidate found (exactly scored, like every refined candidate) and the
 * run's evaluations; null when the winner reuses nothing or has no free continuous dim.
 */
export function unpinnedAlternative(
  acquisition: Acquisition,
  encoding: SpaceEncoding,
  winner: Candidate,
): { candidate: Candidate; evaluations: number } | null {
  if (winner.prefix.delta === 0) return null;
  return refineLocally(acquisition, encoding, unpinnedPrefix(), winner.x);
}

/**
 * Whether the unpinned alternative replaces the pinned winner: only a strictly higher α, and only
 * against an exactly scored winner (a screening score is not comparable with an exact one).
 *
 * With `objectiveMean` (the `'guarded'` check) the alternative must also be expected to be at
 * least as good: the objective GP's posterior mean there ≥ at the winner. The unpinned run moves
 * the pinned dims, where the model knows least, so part of the α it gains is variance; a point
 * that is only more uncertain does not replace a reuse that costs a fraction of a trial.
 */
export function unpinnedWins(
  alternative: Candidate,
  winner: Candidate,
  objectiveMean?: (x: Float64Array) => number,
): boolean {
  if (!winner.exact || !(alternative.value > winner.value)) return false;
  return objectiveMean === undefined || objectiveMean(alternative.x) >= objectiveMean(winner.x);
}
