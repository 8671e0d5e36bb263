import { canonicalJson } from '../core/canonical-json.js';
import type { Configuration, Observation, PendingTrial, StageParams } from '../core/types.js';
import type { SpaceEncoding } from '../space/index.js';

/** A cached prefix a candidate can reuse: its first δ stages, pinned to observed raw values. */
export interface Prefix {
  readonly delta: number;
  /** Raw values of stages 0..δ−1, exactly as observed. */
  readonly stages: readonly StageParams[];
  /** Their encoding: dims [0, pinnedEnd). */
  readonly encoded: Float64Array;
  readonly pinnedEnd: number;
  /**
   * Taken from a running trial, not from the finished top-Q: its output may still be being
   * computed, and a trial pinned to it then waits for that commit (single flight).
   */
  readonly running: boolean;
  /**
   * What the pinned stages cost when they were computed (the source trial's measured stage costs;
   * 0 for ∅ and for a running trial's prefix, whose costs are not known yet): the saving a reuse
   * buys with setting `keepReuseSaving` (Acquisition, `reuseSaving`).
   */
  readonly measuredCost: number;
}

/** ∅: no stage reused, every stage searched (δ = 0). */
export function unpinnedPrefix(): Prefix {
  return { delta: 0, stages: [], encoded: new Float64Array(0), pinnedEnd: 0, running: false, measuredCost: 0 };
}

/**
 * The prefix pool: ∅ plus every proper prefix (1..S−1 stages) of the top-`topQ` successful
 * post-warm-up trials by objective (ties: earlier trial first) that the trial left in the cache,
 * then every proper prefix of the given running trials (in their order), deduplicated by exact
 * raw values. A trial pruned with an objective (`prunedTrials: 'reported'`) left only the stages
 * before the one that stopped it: priced at ε, that stage was run again by the next trial and
 * pruned alike (a review saw it).
 */
export function prefixPool(
  encoding: SpaceEncoding,
  history: readonly Observation[],
  sign: number,
  topQ: number,
  running: readonly PendingTrial[] = [],
): Prefix[] {
  const pool: Prefix[] = [unpinnedPrefix()];
  const ranked = history
    .map((obs, index) => ({ obs, index }))
    .filter(({ obs }) => obs.phase === 'bo' && obs.objective !== null)
    .sort((p, q) => sign * q.obs.objective! - sign * p.obs.objective! || p.index - q.index)
    .slice(0, topQ);
  const seen = new Set<string>();
  const stageCount = encoding.space.length;
  const sources = [
    ...ranked.map(({ obs }) => ({ config: obs.config, running: false, stageCosts: obs.stageCosts })),
    ...running.map(({ config }) => ({ config, running: true, stageCosts: [] as readonly (number | null)[] })),
  ];
  for (const { config, running: isRunning, stageCosts } of sources) {
    const full = encoding.encode(config);
    const reusable = isRunning ? stageCount - 1 : committedStages(stageCosts);
    for (let delta = 1; delta < stageCount && delta <= reusable; delta++) {
      const stages = config.slice(0, delta);
      const key = canonicalJson(stages);
      if (seen.has(key)) continue;
      seen.add(key);
      const pinnedEnd = encoding.stageRanges[delta - 1]!.end;
      let measuredCost = 0;
      for (let s = 0; s < delta; s++) measuredCost += stageCosts[s] ?? 0;
      pool.push({ delta, stages, encoded: full.slice(0, pinnedEnd), pinnedEnd, running: isRunning, measuredCost });
    }
  }
  return pool;
}

/** Leading stages a finished trial committed: those with a measured cost (a stage that did not complete has none). */
function committedStages(stageCosts: readonly (number | null)[]): number {
  const firstMissing = stageCosts.findIndex((cost) => cost === null);
  return firstMissing === -1 ? stageCosts.length : firstMissing;
}

/** The configuration a candidate stands for: decoded free stages, exact raw pinned stages. */
export function candidateConfig(encoding: SpaceEncoding, prefix: Prefix, x: Float64Array): Configuration {
  const decoded = encoding.decode(x) as StageParams[];
  for (let s = 0; s < prefix.delta; s++) decoded[s] = prefix.stages[s]!;
  return decoded;
}
