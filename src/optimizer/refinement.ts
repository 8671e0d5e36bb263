import type { Acquisition } from '../acquisition/index.js';
import { minimizeBounded } from '../bounded-lbfgs/index.js';
import type { OptimizerSettings } from '../core/types.js';
import { sampleNormal, type Random } from '../random/index.js';
import type { SpaceEncoding } from '../space/index.js';
import { bestRows, type Candidate } from './candidate-order.js';
import { unpinnedPrefix, type Prefix } from './prefix-pool.js';
import type { ScoredPrefix } from './raw-scoring.js';

/** Iteration cap of each local acquisition optimization. */
const LOCAL_MAX_ITERATIONS = 50;
/**
 * Standard deviation of the move from the best observed configuration (unit-cube coordinates) at
 * the start of the local search from it: at the observed point itself σ is at its minimum and
 * the search barely leaves it; 1% of a range is well inside the fitted lengthscales.
 */
const BEST_START_SPREAD = 0.01;

/**
 * Pass 2: local refinement from the best startsPerPrefix raw points of every prefix (each prefix
 * is refined at least once) plus the restarts − 1 best other (prefix, raw point) pairs overall.
 * The spec's "best ~10 starts per prefix" would cost 10 × |P| runs for little gain: runners-up
 * of a prefix whose best start is far behind the leader rarely win after refinement.
 * With `unpinnedSearch: 'full'` and pinned prefixes in the pool, the unpinned prefix (δ = 0)
 * keeps all its startsPerPrefix + restarts − 1 best raw points, as a pool of ∅ alone (ms-carbo)
 * does, and the restarts − 1 runners-up are drawn from the pinned prefixes only.
 * `unpinnedSearch: 'auto'` is 'full' in a step whose pool {@link reuseSavesLittle}, else 'shared'.
 */
export function refineStarts(
  acquisition: Acquisition,
  encoding: SpaceEncoding,
  scored: readonly ScoredPrefix[],
  enumerated: boolean,
  settings: Required<OptimizerSettings>,
  best?: { readonly point: Float64Array; readonly random: Random },
): { refined: Candidate[]; localRuns: number; localEvaluations: number } {
  const perPrefix = Math.max(1, settings.startsPerPrefix);
  const starts: { entry: ScoredPrefix; r: number; value: number }[] = [];
  const runnersUp: { entry: ScoredPrefix; r: number; value: number }[] = [];
  const unpinnedKeepsAll =
    scored.length > 1 &&
    (settings.unpinnedSearch === 'full' ||
      (settings.unpinnedSearch === 'auto' && reuseSavesLittle(acquisition, scored, perPrefix)));
  for (const entry of scored) {
    const top = bestRows(entry.scores, entry.exact, perPrefix + Math.max(0, settings.restarts - 1));
    const keepsAll = unpinnedKeepsAll && entry.prefix.delta === 0;
    top.forEach((r, rank) => {
      const value = entry.scores[r]!;
      if (!Number.isFinite(value)) return;
      (rank < perPrefix || keepsAll ? starts : runnersUp).push({ entry, r, value });
    });
  }
  runnersUp.sort((p, q) => q.value - p.value || p.entry.prefix.delta - q.entry.prefix.delta);
  // The globally best runners-up bring the total to (pool size × startsPerPrefix + restarts − 1)
  // local runs.
  starts.push(...runnersUp.slice(0, Math.max(0, settings.restarts - 1)));
  let localRuns = 0;
  let localEvaluations = 0;
  const refined: Candidate[] = [];
  const searches = enumerated || settings.restarts === 0 ? [] : starts;
  const runs = searches.map(
    ({ entry, r }) =>
      () =>
        refineLocally(acquisition, encoding, entry.prefix, entry.points[r]!),
  );
  // `localSearchFromBest`: one more run, after the others, next to the best observed configuration.
  if (searches.length > 0 && settings.localSearchFromBest && best !== undefined) {
    runs.push(() => refineFromBest(acquisition, encoding, best.point, best.random));
  }
  for (const search of runs) {
    const run = search();
    if (run === null) continue;
    localRuns++;
    localEvaluations += run.evaluations;
    refined.push(run.candidate);
  }
  return { refined, localRuns, localEvaluations };
}

/**
 * Which pairs {@link refineStarts} can start from, as counts of best pairs:
 * `own[e]` best of entry e (its startsPerPrefix starts; with `unpinnedSearch` 'full' or 'auto' the
 * unpinned prefix ∅ keeps startsPerPrefix + restarts − 1), and the `sharedCount` best among the
 * entries marked `shared` (the restarts − 1 runners-up together with those entries' own starts;
 * 'full' and 'auto' draw runners-up from the pinned prefixes only). 'auto' decides per step after
 * pass 1 whether ∅ keeps all; its quota covers either outcome. The winner among raw pairs is the
 * best of some entry, so it is covered too. Pass 1 (raw-scoring.ts) scores at least these pairs
 * exactly; the allocation itself is {@link refineStarts}'s, below: the two change together.
 */
export function startQuota(
  pairs: readonly { readonly prefix: Prefix }[],
  settings: Required<OptimizerSettings>,
): { own: number[]; shared: Uint8Array; sharedCount: number } {
  const perPrefix = Math.max(1, settings.startsPerPrefix);
  const runnersUp = Math.max(0, settings.restarts - 1);
  const unpinnedKeepsAll = pairs.length > 1 && settings.unpinnedSearch !== 'shared';
  const own = pairs.map(({ prefix }) => (unpinnedKeepsAll && prefix.delta === 0 ? perPrefix + runnersUp : perPrefix));
  const shared = Uint8Array.from(pairs, ({ prefix }) => (unpinnedKeepsAll && prefix.delta === 0 ? 0 : 1));
  let sharedEntries = 0;
  for (const flag of shared) sharedEntries += flag;
  return { own, shared, sharedCount: sharedEntries * perPrefix + runnersUp };
}

/**
 * Whether `unpinnedSearch: 'auto'` searches ∅ as 'full' does in this step: when no pinned prefix
 * of the pool saves half of a trial's expected cost (E[1/C_δ] < 2·E[1/C_∅] at the prefix's best
 * raw point, for every pooled δ), so that a reuse at most doubles α (η ≤ 1). On the 56 unseen
 * shapes EEIPU with 'shared' was level with the best baseline where the deepest reuse saves under
 * half a trial, and ahead where it saves more (docs/benchmarks.md, "Unseen shapes").
 */
export function reuseSavesLittle(
  acquisition: Acquisition,
  scored: readonly ScoredPrefix[],
  perPrefix: number,
): boolean {
  if (acquisition.kind === 'none') return true;
  for (const entry of scored) {
    if (entry.prefix.delta === 0) continue;
    const [best] = bestRows(entry.scores, entry.exact, perPrefix);
    if (best === undefined || !Number.isFinite(entry.scores[best]!)) continue;
    const { logInverse } = acquisition.costTable([entry.points[best]!]);
    const gain = logInverse[acquisition.column(entry.prefix.delta)]! - logInverse[acquisition.column(0)]!;
    if (gain >= Math.LN2) return false;
  }
  return true;
}

/**
 * One bounded L-BFGS run of α(·; prefix.delta) from `start` (a full encoded point whose first
 * prefix.pinnedEnd dims are the prefix's) over the free continuous dims: those of the unpinned
 * stages, categorical one-hot dims excepted. The result is snapped (ints rounded), the prefix's
 * encoding restored and α re-scored exactly. Null when there is no free continuous dim.
 */
export function refineLocally(
  acquisition: Acquisition,
  encoding: SpaceEncoding,
  prefix: Prefix,
  start: Float64Array,
): { candidate: Candidate; evaluations: number } | null {
  const categorical = new Set(encoding.categoricalDims);
  const free: number[] = [];
  for (let i = prefix.pinnedEnd; i < encoding.dimension; i++) if (!categorical.has(i)) free.push(i);
  if (free.length === 0) return null;
  const freeIdx = Int32Array.from(free);
  const lower = new Float64Array(free.length);
  const upper = new Float64Array(free.length).fill(1);
  const base = start.slice();
  const x0 = Float64Array.from(free, (i) => base[i]!);
  const work = base.slice();
  const result = minimizeBounded(
    (v, gradient) => {
      for (let k = 0; k < free.length; k++) work[freeIdx[k]!] = v[k]!;
      return acquisition.negativeWithGradient(work, prefix, freeIdx, gradient);
    },
    x0,
    lower,
    upper,
    { maxIterations: LOCAL_MAX_ITERATIONS, tolerance: 1e-6 },
  );
  for (let k = 0; k < free.length; k++) base[freeIdx[k]!] = result.x[k]!;
  const snapped = encoding.snap(base);
  snapped.set(prefix.encoded, 0);
  const t = acquisition.usesCost ? acquisition.costTable([snapped]) : null;
  const value = acquisition.score([snapped], prefix, t)[0]!;
  return {
    candidate: { prefix, x: snapped, value: Number.isNaN(value) ? -Infinity : value, exact: true },
    evaluations: result.evaluations,
  };
}

/**
 * The local search from the best observed configuration (setting `localSearchFromBest`): one
 * unpinned run (δ = 0) from `best`, its continuous coordinates moved by N(0, 0.01²) (clipped to
 * the unit cube). Optuna's GPSampler starts a local search at its best point, BoTorch's
 * `sample_around_best` around its best points: exploitation near the incumbent that the raw
 * samples reach only by chance. For EEIPU it is also the one search that moves the incumbent's
 * first stages, which every reuse of its prefixes keeps fixed. Null as {@link refineLocally}.
 */
export function refineFromBest(
  acquisition: Acquisition,
  encoding: SpaceEncoding,
  best: Float64Array,
  random: Random,
): { candidate: Candidate; evaluations: number } | null {
  const start = best.slice();
  const categorical = new Set(encoding.categoricalDims);
  for (let i = 0; i < start.length; i++) {
    if (categorical.has(i)) continue;
    start[i] = Math.min(1, Math.max(0, start[i]! + BEST_START_SPREAD * sampleNormal(random)));
  }
  return refineLocally(acquisition, encoding, unpinnedPrefix(), start);
}
