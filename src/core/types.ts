/**
 * The plain-JSON vocabulary shared by the optimizer, the activities, the workflows and the CLI.
 *
 * Everything here crosses Temporal boundaries, so it is readonly data only: numbers, strings,
 * booleans, arrays and records. No class instances, no `NaN` / `Infinity` (JSON turns them into
 * `null`): a missing number is written `null`.
 */

/** A hyperparameter value exactly as the user's stage receives it. */
export type ParamValue = number | string | boolean;

/** Continuous hyperparameter in [low, high]; `log: true` searches log(low)..log(high). */
export interface FloatParam {
  readonly name: string;
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  /** @default false */
  readonly log?: boolean;
  /**
   * Only the values low, low + step, ..., high (Optuna's `step`): high − low must be a whole
   * number of steps; not with `log`. Values are rounded to the decimals of low and step.
   */
  readonly step?: number;
}

/** Integer hyperparameter in [low, high] (both inclusive). */
export interface IntParam {
  readonly name: string;
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  /** @default false */
  readonly log?: boolean;
  /** Only low, low + step, ..., high (a whole number; high − low a multiple of it; not with `log`). @default 1 */
  readonly step?: number;
}

/** One of a finite list of choices (encoded one-hot). */
export interface CategoricalParam {
  readonly name: string;
  readonly type: 'categorical';
  readonly choices: readonly ParamValue[];
}

export type ParamSpec = FloatParam | IntParam | CategoricalParam;

/** One pipeline stage's own hyperparameters. */
export interface StageSpace {
  readonly name: string;
  readonly params: readonly ParamSpec[];
}

/** The whole search space: stages in pipeline order. */
export type SearchSpace = readonly StageSpace[];

/** One stage's hyperparameter values, keyed by parameter name. */
export type StageParams = Readonly<Record<string, ParamValue>>;

/** A full candidate: one `StageParams` per stage, in pipeline order. */
export type Configuration = readonly StageParams[];

export type Direction = 'maximize' | 'minimize';

/** How local refinement runs are shared with the unpinned search ({@link OptimizerSettings.unpinnedSearch}). */
export type UnpinnedSearch = 'shared' | 'full' | 'auto';

export type Phase = 'warmup' | 'bo';

/** How the objective model counts failed trials ({@link OptimizerSettings.failedTrials}). */
export type FailedTrialPolicy = 'ignore' | 'worst';

/** How the objective model counts pruned trials ({@link OptimizerSettings.prunedTrials}). */
export type PrunedTrialPolicy = 'reported' | 'asFailed';

/** One finished (or failed) trial as the optimizer sees it. */
export interface Observation {
  readonly config: Configuration;
  /** The objective metric as reported by the last stage; `null` when the trial failed. */
  readonly objective: number | null;
  /**
   * Full (uncached) cost of each stage, in cost units. For a stage reused from the cache this is
   * the cost measured when its output was first computed (stored with the output). `null` for a
   * stage that never completed (the trial failed at or before it).
   */
  readonly stageCosts: readonly (number | null)[];
  /** δ: how many leading stages were reused from the cache. */
  readonly cachedPrefix: number;
  /** What the trial was charged: measured cost of stages run + retrieval cost of stages reused. */
  readonly chargedCost: number;
  /** Whether the suggestion came from the warm-up design or from the acquisition. */
  readonly phase: Phase;
  /**
   * True for a configuration the user enqueued in full: it counts toward the warm-up's length, but
   * it is not a design point, so the warm-up design goes on from where its own points stopped.
   * Absent for the optimizer's, for an enqueued configuration the optimizer filled (its suggestion,
   * a design point during the warm-up, gave the values left out: that point is used), and in
   * histories from before it existed.
   */
  readonly enqueued?: boolean;
}

/**
 * Acquisition families of `../shared/docs/eeipu.md`, selectable by name, and the Pandora's Box
 * Gittins index (`pbgi`: total-cost model; `pbgi-memo`: stage-cost models and EEIPU's prefix pool;
 * docs/optimizer.md).
 */
export type MethodName = 'eeipu' | 'ms-carbo' | 'carbo' | 'eips' | 'ei' | 'random' | 'pbgi' | 'pbgi-memo';

/** Optimizer knobs; every field is optional and defaulted in one place by the optimizer. */
export interface OptimizerSettings {
  /** @default 'eeipu' */
  readonly method?: MethodName;
  /** Number of warm-up configurations (seeded space-filling design). @default 10 */
  readonly warmup?: number;
  /** Retrieval cost charged per cached stage, in cost units. @default 0.1 */
  readonly epsilon?: number;
  /** How many top post-warm-up configurations feed the prefix pool. @default 5 */
  readonly topQ?: number;
  /** Monte-Carlo draws for E[1/C]. @default 1000 */
  readonly mcSamples?: number;
  /** Scrambled-Sobol raw samples per prefix. @default 512 */
  readonly rawSamples?: number;
  /**
   * Local-optimizer starts shared by all prefixes: after each prefix's own starts, the
   * `restarts − 1` best remaining (prefix, raw point) pairs overall are refined too. 0 turns the
   * local refinement off altogether (raw samples only; the config schema requires ≥ 1). @default 10
   */
  readonly restarts?: number;
  /**
   * Best raw points of EVERY prefix refined by the local optimizer whatever their rank (the spec's
   * literal "best ~10 per prefix" is `startsPerPrefix: 10, restarts: 1`). @default 1
   */
  readonly startsPerPrefix?: number;
  /**
   * A fixed cost exponent η ∈ [0, 1] instead of the budget-linear cooling schedule of the
   * cost-cooled methods (`eeipu`, `ms-carbo`, `carbo`; `eips` always uses 1, `ei` none): for
   * ablations. `null` = budget-linear. @default null
   */
  readonly eta?: number | null;
  /**
   * GP hyperparameters stored in the optimizer state are reused (no search) until the history
   * has grown by this fraction since they were fitted (at least one trial): 0.1 refits every step
   * while n < 20, every 10th step around n = 100, every 100th around n = 1000; 0 refits every
   * step, as the spec does. @default 0.1
   */
  readonly refitGrowth?: number;
  /**
   * The unpinned check (docs/benchmarks.md, "Where caching cannot help"): when a step's winner
   * reuses a prefix (δ > 0), one more local run of the unpinned acquisition (δ = 0, every
   * continuous dim free) starts at the winner's full point, and its result replaces the winner if
   * its α (full cost) is higher — a reuse must beat the fresh configurations next to it.
   * `'guarded'` (the default): the unpinned point must also have an objective posterior mean at
   * least the winner's, so a point that is only more uncertain does not replace a reuse. Against no
   * check, at 230 seeds: +0.17 ± 0.05 on the cheap prefix (where a reuse saves little), level on
   * the dominant-middle shape (−0.03 ± 0.05), level or better on the paper specs and on four
   * held-out shapes. `true` (no guard): +0.19 ± 0.06 on the cheap prefix but −0.11 ± 0.06 on the
   * dominant-middle shape. `false`: a reuse is never checked — the most reuses (on the digits
   * pipeline about twice the guarded check's) for the same final best there.
   * @default 'guarded'
   */
  readonly unpinnedCheck?: boolean | 'guarded';
  /**
   * How the local refinement runs are shared between the unpinned search (δ = 0) and the pinned
   * prefixes. `'shared'`: every prefix gets `startsPerPrefix` runs and the `restarts − 1` others
   * go to the best raw points of all prefixes, so where the pinned prefixes score best the
   * unpinned search gets few (3.4 of 14.1 a step on a 2-stage shape where EEIPU lost to ms-carbo).
   * `'full'`: the unpinned search gets its best `startsPerPrefix + restarts − 1` raw points,
   * exactly the runs ms-carbo's search has, and the pinned prefixes their `startsPerPrefix` each
   * plus the `restarts − 1` best runners-up among them, at about 40–50% more optimizer time a
   * step; it closes that gap but loses 0.28 ± 0.10 on the paper 3-stage spec at budget 200.
   * `'auto'` (the default): `'full'` in a step where no pooled prefix saves half of a trial's
   * expected cost, `'shared'` otherwise — the full search where a reuse buys little, the shared
   * one where it pays (docs/benchmarks.md, "Unseen shapes"). @default 'auto'
   */
  readonly unpinnedSearch?: UnpinnedSearch;
  /**
   * One more local acquisition search each step, unpinned (δ = 0), started next to the best
   * observed configuration (its continuous coordinates moved by 1% of their range), as Optuna's
   * GPSampler starts one at its best point: exploitation around the incumbent that the raw
   * samples find only by chance, and for EEIPU the one search that moves the incumbent's early
   * stages, which its reuses keep fixed. On the nine benchmark specs (30 seeds, every method)
   * EEIPU's final best moved by +0.50 SE on average (docs/benchmarks.md, "A local search from the
   * incumbent"). @default true
   */
  readonly localSearchFromBest?: boolean;
  /**
   * Whether a reuse keeps its saving as η cools. α = log EI + η·log E[1/C_δ] cools every cost
   * difference alike, so near the budget's end a reused prefix is worth no more than running it
   * again. With `true` only the preference for cheap regions cools: a pinned candidate adds
   * (1 − η)·log(1 + s·E[1/C_δ]), s = the pinned stages' measured cost − δ·ε, i.e. the ratio
   * (fresh cost)/(reuse cost) the cache saves, in full at every η; fresh candidates (δ = 0) score
   * as before. Only EEIPU pools prefixes, so only EEIPU changes. @default false
   */
  readonly keepReuseSaving?: boolean;
  /**
   * What a failed trial (objective `null`: a stage threw, timed out or never reported the metric)
   * tells the objective model. `'ignore'`: nothing, it is left out. `'worst'`: it counts as the
   * worst objective observed so far (SMAC's crash cost), so EI turns away from a region where
   * stages fail — a learning rate that diverges — instead of proposing its neighbours again.
   * The best value EI improves on stays the best successful one. On a pipeline with failing
   * regions (benchmarks/failing-regions.json, 30 seeds) 'worst' cut EEIPU's failed trials from 26
   * to 3 a study and raised its final best by 0.69 ± 0.59 (docs/benchmarks.md, "Failing regions").
   * @default 'worst'
   */
  readonly failedTrials?: FailedTrialPolicy;
  /**
   * What a pruned trial (a stage threw `TrialPruned`, src/core/pruning.ts) tells the objective
   * model. `'reported'`: it counts at the best value its stopped stage reported — on the
   * objective's scale by the pruning contract, and no more than the trial would have reached on a
   * rising curve. `'asFailed'`: as a failed trial, per `failedTrials` (for reports on another
   * scale). A pruned trial without any report counts as failed either way. Measured on synthetic
   * training curves at 30 seeds (docs/benchmarks.md, "Pruning"): 'asFailed' with 'worst' drags
   * the model down next to the incumbent (3-stage: −1.73 ± 0.41 in final best against no pruning,
   * 'reported' −0.09 ± 0.23), with 'ignore' the optimizer proposes pruned configurations again and
   * again; a lower-bound treatment (believed at the larger of the report and the posterior mean)
   * behaved like 'ignore' (−1.11 ± 0.47). @default 'reported'
   */
  readonly prunedTrials?: PrunedTrialPolicy;
  /**
   * Cost-aware stopping (Xie et al., ICML 2026): the study ends before its budget is spent once no
   * candidate's expected improvement over the best observed value is worth its expected cost
   * (max EI/E[C] ≤ `stoppingCostWeight`), checked at every BO suggestion of a method with a cost
   * model. The study then completes with `earlyStop: 'costAwareStopping'`. @default false
   */
  readonly costAwareStopping?: boolean;
  /**
   * The exchange rate of cost-aware stopping, in objective units per cost unit: what one cost unit
   * must be expected to gain. `null` = 0.01 standard deviations of the observed objective per mean
   * trial charge (docs/benchmarks.md, "PBGI and cost-aware stopping"). @default null
   */
  readonly stoppingCostWeight?: number | null;
}

/** Budget state, in cost units. */
export interface BudgetState {
  readonly total: number;
  readonly spent: number;
}

/**
 * Opaque, JSON-serializable state the optimizer may hand back to speed up its next call (e.g.
 * fitted GP hyperparameters for warm starts). Callers store it and pass it back unchanged.
 */
export type OptimizerState = Readonly<Record<string, unknown>>;

/**
 * A trial started but not finished: what the optimizer must account for when suggesting while
 * other trials run (asynchronous BO). Its prefixes will be in the cache by the time a trial that
 * shares them needs them (single-flight), and its configuration must not be suggested again.
 */
export interface PendingTrial {
  readonly config: Configuration;
  /** δ it was started with (the prefix it reuses); its later stages are being computed. */
  readonly cachedPrefix: number;
  /**
   * `warmup` for a warm-up or enqueued trial, `bo` for one the optimizer chose. Absent in requests
   * made before it existed: the optimizer then takes the first running trials as the warm-up ones.
   */
  readonly phase?: Phase;
  /** True for an enqueued configuration (see {@link Observation.enqueued}). */
  readonly enqueued?: boolean;
}

export interface SuggestRequest {
  readonly space: SearchSpace;
  readonly history: readonly Observation[];
  /**
   * Trials running now, in the order they started; empty or absent when trials run one at a time.
   * Every random choice of a call is keyed by `history.length + pending.length` (the index of the
   * trial being suggested), so parallelism 1 draws exactly what it always did.
   */
  readonly pending?: readonly PendingTrial[];
  /**
   * Whether the suggestion may reuse a prefix a running trial is still computing (it then waits
   * for it, holding no worker). A study turns this off once as many trials run as it has workers,
   * so that the next trial can use the idle worker at once. @default true
   */
  readonly shareRunningPrefixes?: boolean;
  readonly budget: BudgetState;
  readonly direction: Direction;
  readonly settings: OptimizerSettings;
  /** Study seed; together with `history.length` it fixes every random choice of this call. */
  readonly seed: number;
  readonly state?: OptimizerState;
}

export interface Suggestion {
  readonly config: Configuration;
  /** δ the acquisition assumed: the first δ stages are pinned to an already-run prefix. */
  readonly cachedPrefix: number;
  readonly phase: Phase;
  /** Acquisition value of the winner (log scale for EI-based methods); `null` for warm-up/random. */
  readonly acquisition: number | null;
  /** Predicted cost of running this configuration given δ; `null` when no cost model is used. */
  readonly predictedCost: number | null;
  readonly diagnostics: Readonly<Record<string, number | string | boolean | null>>;
  readonly state?: OptimizerState;
}
