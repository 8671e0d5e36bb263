/**
 * One Bayesian-optimization step of the EEIPU family (shared/docs/eeipu.md):
 *
 *   maximize over prefixes p ∈ P and free dims x:  α(x; δ) = log EI(x) + η·log E[1/C_δ(x)]
 *
 * 1. Models: objective GP on successful trials (y' = ±objective); cost models per method;
 *    hyperparameters from `state` are reused until the history grows by REFIT_GROWTH; above
 *    SCREEN_MAX_POINTS trials the search runs on a screening GP and finalists are re-scored.
 * 2. η = (B − B_used)/(B − B_0) clamped to [0, 1] (B_0 = charged cost of warm-up trials), or the
 *    fixed `settings.eta` when given; 1 for `eips`; the cost term is dropped when η = 0 (then
 *    α = log EI exactly) and for `ei`.
 * 3. Pool P = {∅} ∪ proper prefixes of the top-Q post-warm-up trials (eeipu only), deduplicated by
 *    canonical JSON of the raw prefix values.
 * 4. R scrambled-Sobol raw points (shared by all prefixes), snapped to representable values;
 *    for prefix p the first δ stages are overwritten by p's encoding. Each stage's cost draws are
 *    computed once per raw point and reused by every prefix (suffix sums), and only for raw points
 *    whose α upper bound can still reach the refinement starts.
 * 5. The best `startsPerPrefix` raw points of each prefix and the restarts − 1 best other
 *    (prefix, point) pairs overall start a bounded L-BFGS on the free continuous
 *    dims (floats and relaxed ints of the unpinned stages; categorical one-hot dims stay at the
 *    start's choice, so categories are searched by the raw samples), with analytic gradients
 *    through log EI and the Monte-Carlo cost mean. Results are snapped (ints rounded) and
 *    re-scored.
 * 6. Winner: highest α; ties → shorter prefix; candidates whose configuration was already
 *    observed or is running are skipped unless nothing else is left (exhausted space, or only
 *    running configurations left: wait for them).
 * Finite spaces with at most ENUMERATION_LIMIT configurations are enumerated instead of sampled.
 *
 * Running trials (`request.pending`, see PendingHandling): the objective GP is conditioned on
 * them at its posterior mean (kriging believer), the proper prefixes of those started after
 * warm-up join the pool at ε per stage (single flight: they are in the cache by the time a new
 * trial needs them), and η counts their predicted cost as used. With nothing running every step
 * is exactly the sequential one.
 */
import type {
  Configuration,
  MethodName,
  Observation,
  OptimizerSettings,
  PendingTrial,
  StageParams,
  SuggestRequest,
  Suggestion,
} from '../core/types.js';
import { canonicalJson } from '../core/canonical-json.js';
import { InverseCostEstimator, logExpectedImprovementWithGradient, logH, stageCost } from '../acquisition/index.js';
import { GaussianProcess } from '../gp/index.js';
import { minimizeBounded } from '../optim/index.js';
import { createRandom, hashIntegers, quasiNormals, SobolSequence } from '../random/index.js';
import type { SpaceEncoding } from '../space/index.js';
import { configKey, ENUMERATION_LIMIT, type Exclusions } from './design.js';
import { fitStageCostModels, fitTotalCostModel } from './models.js';
import type { CostModel } from './models.js';
import { readState, writeState } from './state.js';
import { STREAM_GP, STREAM_MC, STREAM_RAW } from './streams.js';

/**
 * Hyperparameters stored in the state are reused (no search) until the history has grown by this
 * fraction since they were fitted (at least one observation): every step while n < 20, every
 * 10th step around n = 100, every 100th around n = 1000.
 */
export const REFIT_GROWTH = 0.1;

/** Iteration cap of each local acquisition optimization. */
const LOCAL_MAX_ITERATIONS = 50;

/**
 * Above this many successful trials the acquisition search (|P| × R raw evaluations and the
 * local refinements, O(n²) each) runs on a screening GP: the same hyperparameters conditioned on
 * the best half of this many trials plus an evenly spaced selection of the others. Every refined
 * candidate is then re-scored with the full GP, and the winner is chosen on those exact scores.
 */
export const SCREEN_MAX_POINTS = 256;

/**
 * How much of the history a step's objective model uses. `suggest` uses
 * {@link SHIPPED_DATA_LIMITS}; benchmarks/suggest-speed.ts also times {@link FULL_DATA} (every
 * successful trial in the hyperparameter fit and in the acquisition search, as Optuna's GPSampler
 * does) and benchmarks/suggest-subset-quality.ts compares the two paths' final best.
 */
export interface DataLimits {
  /** Above this many successful trials the acquisition search runs on a screening GP. */
  readonly screenPoints: number;
  /** Hyperparameters are fitted on at most this many trials (undefined: the GP's default). */
  readonly fitPoints?: number;
}
export const SHIPPED_DATA_LIMITS: DataLimits = { screenPoints: SCREEN_MAX_POINTS };
export const FULL_DATA: DataLimits = { screenPoints: Number.MAX_SAFE_INTEGER, fitPoints: Number.MAX_SAFE_INTEGER };

/** Rows kept by the screening GP: the top ⌈limit/2⌉ by y, then evenly spaced others. */
export function screeningSubset(ys: readonly number[], limit: number): number[] {
  if (ys.length <= limit) return ys.map((_, i) => i);
  const byValue = ys.map((_, i) => i).sort((p, q) => ys[q]! - ys[p]! || p - q);
  const top = byValue.slice(0, Math.ceil(limit / 2));
  const rest = byValue.slice(top.length).sort((p, q) => p - q);
  const others = limit - top.length;
  const spaced = Array.from({ length: others }, (_, k) => rest[Math.floor((k * rest.length) / others)]!);
  return [...top, ...spaced].sort((p, q) => p - q);
}

interface Prefix {
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
}

/**
 * How a BO step accounts for running trials. `suggest` uses {@link DEFAULT_PENDING_HANDLING};
 * the other combinations exist for the ablation in benchmarks/pending-ablation.ts. Running
 * configurations are never suggested again, whatever the handling.
 */
export interface PendingHandling {
  /** Condition the objective GP on running configurations at its posterior mean (kriging believer). */
  readonly believe: boolean;
  /**
   * Which running trials' proper prefixes join the prefix pool (priced at ε per stage like cached
   * ones): all of them, only those started after warm-up (`'bo'`, mirroring the pool's rule for
   * finished trials), or none.
   */
  readonly sharePrefixes: 'all' | 'bo' | 'none';
  /**
   * The incumbent f* of EI: the best observed value, or the best of the observed and the believed
   * values (the kriging believer's own rule: a fantasy is treated as an observation).
   */
  readonly incumbent: 'observed' | 'believed';
  /**
   * Budget used in the cost-cooling η: what finished trials were charged, or that plus the
   * predicted cost of the running trials (already committed).
   */
  readonly eta: 'spent' | 'committed';
}

/**
 * Kriging believer (f* = best observed) + prefixes of running post-warm-up trials + η from the
 * committed budget: the best final objective on both paper specs of the variants measured by
 * benchmarks/pending-ablation.ts (docs/optimizer.md, "Pending trials").
 */
export const DEFAULT_PENDING_HANDLING: PendingHandling = Object.freeze({
  believe: true,
  sharePrefixes: 'bo',
  incumbent: 'observed',
  eta: 'committed',
});

/**
 * How many of the running trials (in start order) are warm-up trials: the first
 * min(k, warmup) − (finished warm-up trials) of them, k = trials started so far (warm-up trials
 * start before any other).
 */
export function runningWarmupCount(
  history: readonly Observation[],
  pending: readonly PendingTrial[],
  warmup: number,
): number {
  let finished = 0;
  for (const obs of history) if (obs.phase === 'warmup') finished++;
  const started = Math.min(history.length + pending.length, warmup);
  return Math.max(0, Math.min(pending.length, started - finished));
}

interface Candidate {
  readonly prefix: Prefix;
  readonly x: Float64Array;
  readonly value: number;
  /** Scored with the full objective GP (false: with the screening subset GP). */
  readonly exact: boolean;
}

/** Whether x starts with the first `end` values of `prefix`. */
function startsWith(x: Float64Array, prefix: Float64Array, end: number): boolean {
  for (let i = 0; i < end; i++) if (x[i] !== prefix[i]) return false;
  return true;
}

/**
 * Indices of the `count` best rows (exact scores before inexact ones, then higher score, then lower
 * index), best first, by insertion into a short sorted list: O(rows × count) without a full sort.
 */
export function bestRows(scores: Float64Array, exact: Uint8Array, count: number): number[] {
  const top: number[] = [];
  const precedes = (a: number, b: number): boolean =>
    exact[a] !== exact[b] ? exact[a]! > exact[b]! : scores[a] !== scores[b] ? scores[a]! > scores[b]! : a < b;
  for (let r = 0; r < scores.length; r++) {
    if (top.length === count && !precedes(r, top[count - 1]!)) continue;
    let at = Math.min(top.length, count - 1);
    if (top.length < count) top.push(r);
    while (at > 0 && precedes(r, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = r;
  }
  return top;
}

/**
 * Hands out candidates best-first: exactly scored before screening-scored, then higher α, then
 * shorter prefix, then raw pairs (by prefix, then raw index) before refined ones (in order of
 * refinement). Each `next()` is a linear scan over what is left.
 */
class CandidateOrder {
  readonly #entries: readonly { prefix: Prefix; points: Float64Array[]; scores: Float64Array; exact: Uint8Array }[];
  readonly #refined: readonly Candidate[];
  readonly #exactScreen: boolean;
  /** Flat index: raw pairs entry by entry, then refined candidates. */
  readonly #entryOf: Int32Array;
  readonly #rowOf: Int32Array;
  readonly #taken: Uint8Array;
  /** Linear scans before the remaining candidates are sorted once instead. */
  static readonly SCANS_BEFORE_SORT = 16;
  #scans = 0;
  /** Remaining flat indices, worst first (so that pop() hands out the best). */
  #sorted: number[] | undefined;

  constructor(
    entries: readonly { prefix: Prefix; points: Float64Array[]; scores: Float64Array; exact: Uint8Array }[],
    refined: readonly Candidate[],
    exactScreen: boolean,
  ) {
    this.#entries = entries;
    this.#refined = refined;
    this.#exactScreen = exactScreen;
    let total = refined.length;
    for (const entry of entries) total += entry.scores.length;
    this.#entryOf = new Int32Array(total);
    this.#rowOf = new Int32Array(total);
    this.#taken = new Uint8Array(total);
    let i = 0;
    entries.forEach((entry, e) => {
      for (let r = 0; r < entry.scores.length; r++, i++) {
        this.#entryOf[i] = e;
        this.#rowOf[i] = r;
      }
    });
    for (let k = 0; k < refined.length; k++, i++) {
      this.#entryOf[i] = -1;
      this.#rowOf[i] = k;
    }
  }

  #candidate(i: number): Candidate {
    const e = this.#entryOf[i]!;
    const r = this.#rowOf[i]!;
    if (e < 0) return this.#refined[r]!;
    const entry = this.#entries[e]!;
    return {
      prefix: entry.prefix,
      x: entry.points[r]!,
      value: entry.scores[r]!,
      exact: this.#exactScreen && entry.exact[r] === 1,
    };
  }

  #best(skipTaken: boolean): number {
    let best = -1;
    let bestExact = false;
    let bestValue = 0;
    let bestDelta = 0;
    for (let i = 0; i < this.#taken.length; i++) {
      if (skipTaken && this.#taken[i] === 1) continue;
      const e = this.#entryOf[i]!;
      const r = this.#rowOf[i]!;
      let exact: boolean;
      let value: number;
      let delta: number;
      if (e < 0) {
        const c = this.#refined[r]!;
        exact = c.exact;
        value = c.value;
        delta = c.prefix.delta;
      } else {
        const entry = this.#entries[e]!;
        exact = this.#exactScreen && entry.exact[r] === 1;
        value = entry.scores[r]!;
        delta = entry.prefix.delta;
      }
      // Earlier flat indices win full ties, so only strictly better candidates replace the best.
      const better =
        best < 0 || (exact !== bestExact ? exact : value !== bestValue ? value > bestValue : delta < bestDelta);
      if (better) {
        best = i;
        bestExact = exact;
        bestValue = value;
        bestDelta = delta;
      }
    }
    return best;
  }

  /** The next best candidate not handed out yet (undefined when all were). */
  next(): Candidate | undefined {
    // Past a few scans (many observed candidates: a nearly exhausted space) one sort is cheaper.
    if (this.#scans >= CandidateOrder.SCANS_BEFORE_SORT) {
      if (this.#sorted === undefined) this.#sorted = this.#sortRemaining();
      const i = this.#sorted.pop();
      return i === undefined ? undefined : this.#candidate(i);
    }
    this.#scans++;
    const i = this.#best(true);
    if (i < 0) return undefined;
    this.#taken[i] = 1;
    return this.#candidate(i);
  }

  #sortRemaining(): number[] {
    const remaining: number[] = [];
    for (let i = 0; i < this.#taken.length; i++) if (this.#taken[i] === 0) remaining.push(i);
    const key = remaining.map((i) => this.#candidate(i));
    const order = remaining.map((_, k) => k);
    order.sort((p, q) => {
      const a = key[p]!;
      const b = key[q]!;
      return (
        Number(b.exact) - Number(a.exact) ||
        (a.value === b.value ? 0 : a.value > b.value ? -1 : 1) ||
        a.prefix.delta - b.prefix.delta ||
        remaining[p]! - remaining[q]!
      );
    });
    return order.reverse().map((k) => remaining[k]!);
  }

  /** The best candidate of all (there is at least one). */
  first(): Candidate {
    return this.#candidate(this.#best(false));
  }
}

export type CostKind = 'stage' | 'total' | 'none';

function costKindOf(method: MethodName): CostKind {
  if (method === 'eeipu' || method === 'ms-carbo') return 'stage';
  if (method === 'carbo' || method === 'eips') return 'total';
  return 'none';
}

/**
 * Cost-cooling exponent η = (B − B_used)/(B − B_0), clamped to [0, 1]; 0 when B ≤ B_0 (the
 * warm-up alone used the whole budget).
 */
export function costExponent(history: readonly Observation[], total: number, spent: number): number {
  let warmupCost = 0;
  for (const obs of history) if (obs.phase === 'warmup') warmupCost += obs.chargedCost;
  const span = total - warmupCost;
  if (!(span > 0)) return 0;
  const eta = (total - spent) / span;
  return eta < 0 ? 0 : eta > 1 ? 1 : eta;
}

/**
 * The prefix pool: ∅ plus every proper prefix (1..S−1 stages) of the top-`topQ` successful
 * post-warm-up trials by objective (ties: earlier trial first), then every proper prefix of the
 * given running trials (in their order), deduplicated by exact raw values.
 */
export function prefixPool(
  encoding: SpaceEncoding,
  history: readonly Observation[],
  sign: number,
  topQ: number,
  running: readonly PendingTrial[] = [],
): Prefix[] {
  const pool: Prefix[] = [{ delta: 0, stages: [], encoded: new Float64Array(0), pinnedEnd: 0, running: false }];
  const ranked = history
    .map((obs, index) => ({ obs, index }))
    .filter(({ obs }) => obs.phase === 'bo' && obs.objective !== null)
    .sort((p, q) => sign * q.obs.objective! - sign * p.obs.objective! || p.index - q.index)
    .slice(0, topQ);
  const seen = new Set<string>();
  const stageCount = encoding.space.length;
  const sources = [
    ...ranked.map(({ obs }) => ({ config: obs.config, running: false })),
    ...running.map(({ config }) => ({ config, running: true })),
  ];
  for (const { config, running: isRunning } of sources) {
    const full = encoding.encode(config);
    for (let delta = 1; delta < stageCount; delta++) {
      const stages = config.slice(0, delta);
      const key = canonicalJson(stages);
      if (seen.has(key)) continue;
      seen.add(key);
      const pinnedEnd = encoding.stageRanges[delta - 1]!.end;
      pool.push({ delta, stages, encoded: full.slice(0, pinnedEnd), pinnedEnd, running: isRunning });
    }
  }
  return pool;
}

/** The configuration a candidate stands for: decoded free stages, exact raw pinned stages. */
function candidateConfig(encoding: SpaceEncoding, prefix: Prefix, x: Float64Array): Configuration {
  const decoded = encoding.decode(x) as StageParams[];
  for (let s = 0; s < prefix.delta; s++) decoded[s] = prefix.stages[s]!;
  return decoded;
}

/** Everything the acquisition needs, fixed for one BO step (exported for tests). */
export class Acquisition {
  private readonly stageCount: number;
  private readonly aBuf: Float64Array;
  private readonly bBuf: Float64Array;
  private readonly dA: Float64Array;
  private readonly dB: Float64Array;
  private readonly estimator: InverseCostEstimator;
  /** Cost-model predictions of the current point (reused across calls). */
  private readonly costPreds: ReturnType<CostModel['predictWithGradient']>[] = [];

  constructor(
    readonly objective: GaussianProcess,
    readonly screen: GaussianProcess,
    readonly best: number,
    readonly costs: readonly CostModel[],
    readonly kind: CostKind,
    readonly eta: number,
    readonly epsilon: number,
    readonly z: Float64Array,
  ) {
    this.stageCount = costs.length;
    this.aBuf = new Float64Array(this.stageCount);
    this.bBuf = new Float64Array(this.stageCount);
    this.dA = new Float64Array(this.stageCount);
    this.dB = new Float64Array(this.stageCount);
    this.estimator = new InverseCostEstimator(z, this.stageCount);
  }

  /** Whether the cost term enters α (η > 0 and a cost model exists). */
  get usesCost(): boolean {
    return this.kind !== 'none' && this.eta > 0;
  }

  /** First model index that runs for prefix length δ (total-cost models ignore δ). */
  private firstRun(delta: number): number {
    return this.kind === 'stage' ? delta : 0;
  }

  private fixedCost(delta: number): number {
    return this.kind === 'stage' ? delta * this.epsilon : 0;
  }

  /**
   * −α and its gradient with respect to the free dims (`free` lists their indices in x);
   * for the local optimizer.
   */
  negativeWithGradient(x: Float64Array, delta: number, free: Int32Array, gradient: Float64Array): number {
    const p = this.screen.predictWithGradient(x);
    const ei = logExpectedImprovementWithGradient(p.mean, p.variance, this.best);
    if (!Number.isFinite(ei.value)) return Number.NaN;
    let value = ei.value;
    for (let k = 0; k < free.length; k++) {
      const i = free[k]!;
      gradient[k] = ei.dMean * p.meanGradient[i]! + ei.dVariance * p.varianceGradient[i]!;
    }
    if (this.usesCost) {
      const first = this.firstRun(delta);
      const count = this.stageCount - first;
      const preds = this.costPreds;
      for (let s = 0; s < count; s++) {
        const m = this.costs[first + s]!;
        const q = m.predictWithGradient(x.subarray(m.start, m.end));
        preds[s] = q;
        this.aBuf[s] = q.mean;
        this.bBuf[s] = q.sd;
      }
      const cost = this.estimator.withGradient(
        this.aBuf.subarray(0, count),
        this.bBuf.subarray(0, count),
        this.fixedCost(delta),
        this.dA,
        this.dB,
      );
      value += this.eta * Math.log(cost.value);
      const scale = this.eta / cost.value;
      // Each free dim belongs to one stage's cost model (total-cost models read every dim).
      for (let k = 0; k < free.length; k++) {
        const i = free[k]!;
        let g = 0;
        for (let s = 0; s < count; s++) {
          const m = this.costs[first + s]!;
          if (i < m.start || i >= m.end) continue;
          const q = preds[s]!;
          const j = i - m.start;
          g += this.dA[s]! * q.meanGradient[j]! + this.dB[s]! * q.sdGradient[j]!;
        }
        gradient[k] = gradient[k]! + scale * g;
      }
    }
    for (let k = 0; k < free.length; k++) gradient[k] = -gradient[k]!;
    return -value;
  }

  /** Cost-model means a and standard deviations b at many points, row-major count × S'. */
  stagePredictions(points: readonly Float64Array[]): { a: Float64Array; b: Float64Array } {
    const count = points.length;
    const s = this.stageCount;
    const a = new Float64Array(count * s);
    const b = new Float64Array(count * s);
    this.costs.forEach((model, k) => {
      const pred = model.predict(points.map((x) => x.subarray(model.start, model.end)));
      for (let j = 0; j < count; j++) {
        a[j * s + k] = pred.mean[j]!;
        b[j * s + k] = pred.sd[j]!;
      }
    });
    return { a, b };
  }

  /**
   * Exact MC terms of the given rows: logInverse[j·S' + δ] = log E[1/C_δ(x_j)] for every δ
   * (S' = number of cost models), and the MC mean cost likewise. Costs of stages ≥ δ only read the
   * stage's own dims, so one row serves every prefix whose pinned stages precede them.
   */
  fillCostRows(
    predictions: { a: Float64Array; b: Float64Array },
    rows: Iterable<number>,
    logInverse: Float64Array,
    meanCost: Float64Array,
  ): void {
    const s = this.stageCount;
    const eps = this.kind === 'stage' ? this.epsilon : 0;
    for (const j of rows) {
      const out = logInverse.subarray(j * s, (j + 1) * s);
      const { a, b } = predictions;
      this.estimator.byPrefix(
        a.subarray(j * s, (j + 1) * s),
        b.subarray(j * s, (j + 1) * s),
        eps,
        out,
        meanCost.subarray(j * s, (j + 1) * s),
      );
      for (let k = 0; k < s; k++) out[k] = Math.log(out[k]!);
    }
  }

  /**
   * Bounds on every row's log E[1/C_δ] from the extreme draws: with b ≥ 0 every draw's cost lies
   * between the costs at z_min and z_max, and so does the MC mean of 1/C. Cheap (S' exps per
   * bound) and rigorous for the MC estimate itself, not just its expectation.
   */
  costBounds(
    predictions: { a: Float64Array; b: Float64Array },
    count: number,
  ): { lower: Float64Array; upper: Float64Array } {
    const s = this.stageCount;
    let zMin = Number.POSITIVE_INFINITY;
    let zMax = Number.NEGATIVE_INFINITY;
    for (const v of this.z) {
      zMin = Math.min(zMin, v);
      zMax = Math.max(zMax, v);
    }
    const eps = this.kind === 'stage' ? this.epsilon : 0;
    const lower = new Float64Array(count * s);
    const upper = new Float64Array(count * s);
    const { a, b } = predictions;
    for (let j = 0; j < count; j++) {
      let cheap = 0;
      let dear = 0;
      for (let k = s - 1; k >= 0; k--) {
        cheap += stageCost(a[j * s + k]! + b[j * s + k]! * zMin);
        dear += stageCost(a[j * s + k]! + b[j * s + k]! * zMax);
        upper[j * s + k] = -Math.log(k * eps + cheap);
        lower[j * s + k] = -Math.log(k * eps + dear);
      }
    }
    return { lower, upper };
  }

  /** Exact cost table of every point (small batches: refined candidates, predictions). */
  costTable(points: readonly Float64Array[]): { logInverse: Float64Array; meanCost: Float64Array } {
    const s = this.stageCount;
    const logInverse = new Float64Array(points.length * s);
    const meanCost = new Float64Array(points.length * s);
    this.fillCostRows(this.stagePredictions(points), points.keys(), logInverse, meanCost);
    return { logInverse, meanCost };
  }

  /** log EI at many points under `model`. */
  logEI(points: readonly Float64Array[], model: GaussianProcess): Float64Array {
    const { mean, variance } = model.predict(points);
    const out = new Float64Array(points.length);
    for (let j = 0; j < points.length; j++) {
      const sd = Math.sqrt(Math.max(variance[j]!, 0));
      const value =
        sd > 0 ? Math.log(sd) + logH((mean[j]! - this.best) / sd).value : Math.log(Math.max(0, mean[j]! - this.best));
      out[j] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
    }
    return out;
  }

  /** Column of the cost table that prefix length δ reads. */
  column(delta: number): number {
    return this.firstRun(delta);
  }

  /** α at many points (all with the same prefix length δ) given their cost table rows. */
  score(
    points: readonly Float64Array[],
    delta: number,
    table: { logInverse: Float64Array } | null,
    model: GaussianProcess = this.objective,
  ): Float64Array {
    const { mean, variance } = model.predict(points);
    const out = new Float64Array(points.length);
    const s = this.stageCount;
    const column = this.firstRun(delta);
    for (let j = 0; j < points.length; j++) {
      const sd = Math.sqrt(Math.max(variance[j]!, 0));
      let value =
        sd > 0 ? Math.log(sd) + logH((mean[j]! - this.best) / sd).value : Math.log(Math.max(0, mean[j]! - this.best));
      if (this.usesCost && table !== null) value += this.eta * table.logInverse[j * s + column]!;
      out[j] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
    }
    return out;
  }

  /** MC mean cost of running a candidate with prefix length δ (null without a cost model). */
  predictedCost(x: Float64Array, delta: number): number | null {
    if (this.kind === 'none') return null;
    const table = this.costTable([x]);
    return table.meanCost[this.firstRun(delta)]!;
  }
}

/** The (prefix, raw point) pairs of one prefix with their α (exact or an upper bound). */
interface ScoredPrefix {
  readonly prefix: Prefix;
  readonly points: Float64Array[];
  /** Raw-point index of each point. */
  readonly rows: Int32Array;
  readonly scores: Float64Array;
  /** 1 where the score includes the exact MC cost term (0: its upper bound). */
  readonly exact: Uint8Array;
}

/**
 * Pass 1: α of every (prefix, raw point) pair: log EI of every raw point under every prefix,
 * then the cost term. The MC cost term (S'·M exps per raw point) is computed exactly only for raw
 * points that can still matter: those whose upper bound of α reaches the K-th best lower bound
 * overall (K = |P|·startsPerPrefix + restarts) or the startsPerPrefix-th best lower bound of a
 * prefix. Every other pair provably ranks below all refinement starts and below the winner, so the
 * outcome equals the full computation; such pairs are kept as inexact fallbacks scored by their
 * upper bound.
 */
function scoreRawPairs(
  acquisition: Acquisition,
  screening: GaussianProcess,
  pool: readonly Prefix[],
  raw: readonly Float64Array[],
  enumerated: boolean,
  settings: Required<OptimizerSettings>,
): { scored: ScoredPrefix[]; costRows: number } {
  const costs = acquisition.costs;
  const scored: ScoredPrefix[] = [];
  for (const prefix of pool) {
    const pe = prefix.pinnedEnd;
    const rowList: number[] = [];
    for (let j = 0; j < raw.length; j++) {
      // Enumerated spaces: only the configurations that already carry this prefix.
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
    const scores = acquisition.logEI(points, screening);
    scored.push({ prefix, points, rows, scores, exact: new Uint8Array(rows.length).fill(1) });
  }
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
  return { scored, costRows };
}

/**
 * Pass 2: local refinement from the best startsPerPrefix raw points of every prefix (each prefix
 * is refined at least once) plus the restarts − 1 best other (prefix, raw point) pairs overall.
 * The spec's "best ~10 starts per prefix" would cost 10 × |P| runs for little gain: runners-up
 * of a prefix whose best start is far behind the leader rarely win after refinement.
 */
function refineStarts(
  acquisition: Acquisition,
  encoding: SpaceEncoding,
  scored: readonly ScoredPrefix[],
  enumerated: boolean,
  settings: Required<OptimizerSettings>,
): { refined: Candidate[]; localRuns: number; localEvaluations: number } {
  const perPrefix = Math.max(1, settings.startsPerPrefix);
  const starts: { entry: ScoredPrefix; r: number; value: number }[] = [];
  const runnersUp: { entry: ScoredPrefix; r: number; value: number }[] = [];
  for (const entry of scored) {
    const top = bestRows(entry.scores, entry.exact, perPrefix + Math.max(0, settings.restarts - 1));
    top.forEach((r, rank) => {
      const value = entry.scores[r]!;
      if (!Number.isFinite(value)) return;
      (rank < perPrefix ? starts : runnersUp).push({ entry, r, value });
    });
  }
  runnersUp.sort((p, q) => q.value - p.value || p.entry.prefix.delta - q.entry.prefix.delta);
  // The globally best runners-up bring the total to (pool size × startsPerPrefix + restarts − 1)
  // local runs.
  starts.push(...runnersUp.slice(0, Math.max(0, settings.restarts - 1)));
  let localRuns = 0;
  let localEvaluations = 0;
  const refined: Candidate[] = [];
  const categorical = new Set(encoding.categoricalDims);
  for (const { entry, r } of enumerated || settings.restarts === 0 ? [] : starts) {
    const prefix = entry.prefix;
    const free: number[] = [];
    for (let i = prefix.pinnedEnd; i < encoding.dimension; i++) if (!categorical.has(i)) free.push(i);
    if (free.length === 0) continue;
    const freeIdx = Int32Array.from(free);
    const lower = new Float64Array(free.length);
    const upper = new Float64Array(free.length).fill(1);
    const base = entry.points[r]!.slice();
    const x0 = Float64Array.from(free, (i) => base[i]!);
    const work = base.slice();
    const result = minimizeBounded(
      (v, gradient) => {
        for (let k = 0; k < free.length; k++) work[freeIdx[k]!] = v[k]!;
        return acquisition.negativeWithGradient(work, prefix.delta, freeIdx, gradient);
      },
      x0,
      lower,
      upper,
      { maxIterations: LOCAL_MAX_ITERATIONS, tolerance: 1e-6 },
    );
    localRuns++;
    localEvaluations += result.evaluations;
    for (let k = 0; k < free.length; k++) base[freeIdx[k]!] = result.x[k]!;
    const snapped = encoding.snap(base);
    snapped.set(prefix.encoded, 0);
    const t = acquisition.usesCost ? acquisition.costTable([snapped]) : null;
    const value = acquisition.score([snapped], prefix.delta, t)[0]!;
    refined.push({ prefix, x: snapped, value: Number.isNaN(value) ? -Infinity : value, exact: true });
  }
  return { refined, localRuns, localEvaluations };
}

/**
 * Runs one BO step; returns null when no trial has succeeded yet (nothing to model).
 */
export function boSuggest(
  request: SuggestRequest,
  encoding: SpaceEncoding,
  settings: Required<OptimizerSettings>,
  excluded: Exclusions,
  handling: PendingHandling = DEFAULT_PENDING_HANDLING,
  limits: DataLimits = SHIPPED_DATA_LIMITS,
): Suggestion | null {
  const started = performance.now();
  const { history, seed } = request;
  const pending = request.pending ?? [];
  const n = history.length;
  // Index of the trial being suggested: keys every random stream (= n when nothing is running).
  const k = n + pending.length;
  const sign = request.direction === 'minimize' ? -1 : 1;
  const method = settings.method;
  const kind = costKindOf(method);
  const successful = history.filter((obs) => obs.objective !== null);
  if (successful.length === 0) return null;

  const encoded = history.map((obs) => encoding.encode(obs.config));
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  history.forEach((obs, i) => {
    if (obs.objective === null) return;
    xs.push(encoded[i]!);
    ys.push(sign * obs.objective);
  });
  const previous = readState(request.state, encoding.dimension, kind);
  const gpSeed = hashIntegers([seed, k, STREAM_GP], 1)[0]!;

  // Hyperparameters are refitted (warm-started) once the history has grown by REFIT_GROWTH since
  // the state's fit, otherwise reused as they are: one more point hardly moves a MAP estimate.
  const reuse =
    previous.objective !== undefined &&
    previous.fittedAt > 0 &&
    previous.fittedAt <= n &&
    n - previous.fittedAt < Math.max(1, Math.floor(REFIT_GROWTH * previous.fittedAt));
  const fittedAt = reuse ? previous.fittedAt : n;
  const fitted = reuse
    ? GaussianProcess.fromHyperparameters(xs, ys, previous.objective!)
    : GaussianProcess.fit(xs, ys, {
        seed: gpSeed,
        ...(previous.objective ? { warmStart: previous.objective } : {}),
        ...(limits.fitPoints === undefined ? {} : { maxFitPoints: limits.fitPoints }),
      });
  // f* stays the best OBSERVED value: a believed (fantasy) value is no improvement.
  const best = Math.max(...ys);
  const screenRows = screeningSubset(ys, limits.screenPoints);
  const exactScreen = screenRows.length === ys.length;
  // Kriging believer: the running configurations as if observed at the posterior mean (same
  // hyperparameters, no refit). The mean is unchanged; the variance around them shrinks, so EI
  // stops pointing at what is already being evaluated.
  const believed = handling.believe ? pending.map((trial) => encoding.encode(trial.config)) : [];
  const objective = fitted.believe(believed);
  let incumbent = best;
  if (handling.incumbent === 'believed' && believed.length > 0) {
    for (const value of fitted.predict(believed).mean) if (value > incumbent) incumbent = value;
  }
  const screening = exactScreen
    ? objective
    : GaussianProcess.fromHyperparameters(
        screenRows.map((i) => xs[i]!),
        screenRows.map((i) => ys[i]!),
        fitted.hyperparameters,
      ).believe(believed);
  const tObjective = performance.now();

  let costs: CostModel[] = [];
  if (kind === 'stage') costs = fitStageCostModels(encoding, history, encoded, gpSeed, previous.costs, reuse);
  else if (kind === 'total')
    costs = [fitTotalCostModel(encoding, history, encoded, gpSeed, previous.costs?.[0], reuse)];
  const tCosts = performance.now();

  const z = kind === 'none' ? new Float64Array(0) : quasiNormals(settings.mcSamples, createRandom(seed, k, STREAM_MC));
  // Cost cooling under running trials: their predicted cost is as good as spent (they will be
  // charged whatever happens), so η sees the budget left for this decision, like the study loop's
  // reservation rule. Measured in docs/optimizer.md ("Pending trials").
  let committedCost = 0;
  if (handling.eta === 'committed' && kind !== 'none' && pending.length > 0) {
    const pricing = new Acquisition(objective, screening, incumbent, costs, kind, 1, settings.epsilon, z);
    for (const trial of pending) {
      committedCost += pricing.predictedCost(encoding.encode(trial.config), trial.cachedPrefix) ?? 0;
    }
  }
  const used = request.budget.spent + committedCost;
  const eta =
    method === 'eips' ? 1 : kind === 'none' ? 0 : (settings.eta ?? costExponent(history, request.budget.total, used));
  const acquisition = new Acquisition(objective, screening, incumbent, costs, kind, eta, settings.epsilon, z);
  // Running trials' prefixes are priced at ε like cached ones: by the time the new trial needs
  // them a running trial has committed them (single flight), so only retrieval is charged.
  const shared =
    handling.sharePrefixes === 'none'
      ? []
      : handling.sharePrefixes === 'bo'
        ? pending.slice(runningWarmupCount(history, pending, settings.warmup))
        : pending;
  const pool =
    method === 'eeipu' ? prefixPool(encoding, history, sign, settings.topQ, shared) : prefixPool(encoding, [], sign, 0);

  // Raw candidates: enumeration for small finite spaces, otherwise snapped scrambled Sobol.
  const enumerated = encoding.cardinality <= ENUMERATION_LIMIT;
  let raw: Float64Array[];
  if (enumerated) {
    raw = encoding.enumerate(ENUMERATION_LIMIT).map((config) => encoding.encode(config));
  } else {
    const d = encoding.dimension;
    const u = new SobolSequence(d, { scramble: createRandom(seed, k, STREAM_RAW) }).points(settings.rawSamples);
    raw = [];
    for (let j = 0; j < settings.rawSamples; j++) raw.push(encoding.snap(u.subarray(j * d, (j + 1) * d)));
  }
  const tTable = performance.now();

  const t0 = performance.now();
  const { scored, costRows } = scoreRawPairs(acquisition, screening, pool, raw, enumerated, settings);
  const tRaw = performance.now() - t0;

  const t1 = performance.now();
  const { refined, localRuns, localEvaluations } = refineStarts(acquisition, encoding, scored, enumerated, settings);
  const tLocal = performance.now() - t1;

  // The winner: the first candidate neither observed nor running in the order (exactly scored
  // first — screening scores are not comparable with them —, then α, then shorter prefix, then raw
  // points by prefix and index, then refined ones). Candidates are taken best-first by linear
  // scans: the first one almost always wins, so sorting thousands of raw pairs would be wasted.
  const ordering = new CandidateOrder(scored, refined, exactScreen);
  let winner: Candidate | undefined;
  let config: Configuration | undefined;
  let firstRunning: { candidate: Candidate; config: Configuration } | undefined;
  for (let c = ordering.next(); c !== undefined; c = ordering.next()) {
    const configuration = candidateConfig(encoding, c.prefix, c.x);
    const key = configKey(configuration);
    if (excluded.observed.has(key)) continue;
    if (!excluded.pending.has(key)) {
      winner = c;
      config = configuration;
      break;
    }
    firstRunning ??= { candidate: c, config: configuration };
  }
  // Nothing new left: if some candidates are only running, the study should wait for them
  // (the returned running configuration is not to be run); otherwise the space is exhausted.
  const waitForPending = winner === undefined && firstRunning !== undefined;
  const exhausted = winner === undefined && firstRunning === undefined;
  if (firstRunning !== undefined && winner === undefined) {
    winner = firstRunning.candidate;
    config = firstRunning.config;
  }
  if (winner === undefined) {
    winner = ordering.first();
    config = candidateConfig(encoding, winner.prefix, winner.x);
  }
  const predictedCost = acquisition.predictedCost(winner.x, winner.prefix.delta);
  const finished = performance.now();

  return {
    config: config!,
    cachedPrefix: winner.prefix.delta,
    phase: 'bo',
    acquisition: Number.isFinite(winner.value) ? winner.value : null,
    predictedCost,
    diagnostics: {
      method,
      exhausted,
      waitForPending,
      pending: pending.length,
      eta,
      committedCost,
      poolSize: pool.length,
      runningPrefixes: pool.reduce((count, p) => count + (p.running ? 1 : 0), 0),
      delta: winner.prefix.delta,
      sharesRunningPrefix: winner.prefix.running,
      rawSamples: raw.length,
      enumerated,
      localRuns,
      localEvaluations,
      observations: n,
      successful: successful.length,
      bestObserved: sign * best,
      refit: !reuse,
      warmStarted: !reuse && previous.objective !== undefined,
      objectiveJitter: objective.jitter,
      screeningPoints: screenRows.length,
      costJitterMax: costs.reduce((m, c) => Math.max(m, c.jitter), 0),
      fitObjectiveMs: tObjective - started,
      fitCostMs: tCosts - tObjective,
      costRows,
      setupMs: tTable - tCosts,
      rawScoreMs: tRaw,
      localOptMs: tLocal,
      totalMs: finished - started,
    },
    state: writeState(
      encoding.dimension,
      kind,
      fittedAt,
      objective.hyperparameters,
      costs.map((c) => c.hyperparameters),
    ),
  };
}
