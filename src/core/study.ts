/**
 * The study's plain-data model and its pure bookkeeping (budget, best trial). Workflow-safe:
 * imports nothing with side effects, so the study workflow can use it directly.
 */
import type {
  Configuration,
  Direction,
  Observation,
  OptimizerSettings,
  OptimizerState,
  ParamSpec,
  PrunedTrialPolicy,
  SearchSpace,
} from './types.js';
import {
  bestReported,
  withCompletedCurve,
  type IntermediateValues,
  type PrunerSettings,
  type PruningState,
} from './pruning.js';

/** One stage, resolved: defaults applied, task queue kind turned into a real queue name. */
export interface StagePlan {
  readonly name: string;
  readonly implementation: string;
  readonly version: string;
  readonly taskQueue: string;
  readonly params: readonly ParamSpec[];
  readonly retry: {
    readonly maximumAttempts: number;
    readonly initialIntervalSeconds: number;
    readonly backoffCoefficient: number;
    /** Error class names a stage attempt is not retried after (absent: none). */
    readonly nonRetryableErrors?: readonly string[];
  };
  readonly timeoutSeconds: number;
  readonly heartbeatSeconds: number;
}

/**
 * Settings an orchestration worker of an earlier release would ignore or misread instead of
 * refusing (its code predates them). A plan names those it uses in `requires`; a worker whose
 * release does not know one of them fails the workflow task, which Temporal retries — on a worker
 * of the new release once one polls — instead of running the study without it. (Releases before
 * this list ignore `requires`: see the README, "Upgrading workers while studies run".)
 */
export const knownPlanFeatures = ['stopWhen', 'successiveHalving', 'nonRetryableErrors'] as const;
export type PlanFeature = (typeof knownPlanFeatures)[number];

/** The features of {@link knownPlanFeatures} a plan uses. */
export function planFeatures(plan: Pick<StudyPlan, 'stopWhen' | 'pruner' | 'stages'>): PlanFeature[] {
  const features: PlanFeature[] = [];
  if (plan.stopWhen !== undefined) features.push('stopWhen');
  if (plan.pruner?.type === 'successiveHalving') features.push('successiveHalving');
  if (plan.stages.some((stage) => stage.retry.nonRetryableErrors !== undefined)) features.push('nonRetryableErrors');
  return features;
}

/** Everything the study workflow needs, fixed when the study starts. */
export interface StudyPlan {
  readonly studyId: string;
  readonly name: string;
  readonly pipelineId: string;
  readonly stages: readonly StagePlan[];
  readonly objective: { readonly metric: string; readonly direction: Direction };
  readonly budget: number;
  readonly maxTrials: number | null;
  /**
   * Every optimizer setting, defaults filled in when the study was planned (plans recorded before
   * that hold only the config's own): a study keeps the defaults it started with when its workers
   * are upgraded, and the Temporal UI shows what it runs with.
   */
  readonly optimizer: OptimizerSettings;
  /** Retrieval cost charged per reused stage, in cost units. */
  readonly epsilon: number;
  readonly seed: number;
  readonly enqueue: readonly Configuration[];
  /** Queue of the study/trial workflows and the suggest + cache activities. */
  readonly orchestrationQueue: string;
  /** Trials running at once; absent (1) in plans recorded before it existed. */
  readonly parallelism?: number;
  /**
   * The namespace has memotune's search attributes (workflows/search-attributes.ts): the study
   * keeps them up to date and tags its trials. Absent (false) when it did not when the study started.
   */
  readonly searchAttributes?: boolean;
  /** Continue-as-new after this many trials in one run, to keep each history short. */
  readonly trialsPerRun: number;
  /** When a stage's `shouldPrune()` says stop (src/core/pruning.ts); absent in plans recorded before it (then the default). */
  readonly pruner?: PrunerSettings;
  /**
   * The study fails after this many failed trials in a row instead of spending its budget on a
   * pipeline that does not run; absent (no limit) in plans recorded before it existed.
   */
  readonly maxConsecutiveFailures?: number | null;
  /** When the study ends before its budget; absent in plans of studies without it (and before it existed). */
  readonly stopWhen?: StopWhen;
  /** What an orchestration worker must know to run this plan ({@link planFeatures}); absent: nothing new. */
  readonly requires?: readonly string[];
  /**
   * Seconds without a heartbeat after which a suggest, cache-lookup or log activity is retried on
   * another worker: how long a killed orchestration worker stalls the study. Absent in plans
   * recorded before it existed (then 20).
   */
  readonly orchestrationHeartbeatSeconds?: number;
}

/**
 * Memo key holding when the study first started (ISO 8601). A run's own start time is not that:
 * the study continues as new every so many trials and `continueStudy` starts a new run, and
 * each run starts anew. Its own key, because the workflow rewrites the `memotune` one. Temporal
 * carries a memo across continue-as-new; `continueStudy` copies it.
 */
export const studyStartedMemo = 'memotuneStudyStarted';

/** The memo a study starts with: what it is (`memotune`, which the workflow keeps up to date) and when it started. */
export function studyMemo(
  plan: Pick<StudyPlan, 'name' | 'pipelineId' | 'budget'>,
  startedAt: string,
): Record<string, unknown> {
  return {
    memotune: { study: plan.name, pipeline: plan.pipelineId, budget: plan.budget },
    [studyStartedMemo]: startedAt,
  };
}

/** The search space a plan's stages span (what the optimizer and the enqueue validator see). */
export function planSearchSpace(plan: Pick<StudyPlan, 'stages'>): SearchSpace {
  return plan.stages.map((stage) => ({ name: stage.name, params: stage.params }));
}

/**
 * `pruned`: a stage stopped the trial early (`TrialPruned`, src/core/pruning.ts); like a failed
 * trial it has no objective, but it is no failure of the pipeline.
 */
export type TrialStatus = 'completed' | 'failed' | 'pruned';

/**
 * Which worker ran a stage attempt: its Temporal identity (`pid@host` by default, or the worker's
 * `identity` option), the SDK its stages run on and the memotune release that served it.
 */
export interface StageWorker {
  readonly identity: string;
  /** Absent for a stage that failed: the server names the worker of its last attempt, not its SDK. */
  readonly sdk?: 'typescript' | 'python';
  readonly memotune?: string;
}

/** Longest stack trace a trial record keeps (its two ends: where the error was raised comes first or last, by language). */
export const maxErrorTraceChars = 4000;

/** A finished trial: what the optimizer needs (`Observation`) plus what a person wants to see. */
export interface TrialRecord extends Observation {
  /** Order the trial started in (its workflow id is `<study>/trial-<trialIndex>`). */
  readonly trialIndex: number;
  /**
   * Position in the trial log, which is in the order trials finished; present only when it
   * differs from `trialIndex` (trials running in parallel and finishing out of order).
   */
  readonly logPosition?: number;
  readonly status: TrialStatus;
  /** Why the trial failed (or which stage pruned it, at what step), `null` when it completed. */
  readonly error: string | null;
  /** The failure's type (`StageFailed`, `UnknownStage`, `CacheMiss`, `Timeout`, ...) when known. */
  readonly failureType?: string;
  /**
   * Where a failed stage's own code raised: the stack trace (a Python traceback, a JavaScript
   * stack) of the error the stage threw, at most {@link maxErrorTraceChars} characters. Absent for
   * failures without one (a timeout, a pruned trial) and in records made before it existed.
   */
  readonly errorTrace?: string;
  /** Chained cache key of every stage's output. */
  readonly keys: readonly string[];
  /** Metrics reported by the last stage (the objective is one of them). */
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * Every stage's metrics, in stage order: a reused stage's as it reported them when it ran,
   * `null` for a stage not reached. Absent in records made before it existed.
   */
  readonly stageMetrics?: readonly (Readonly<Record<string, number>> | null)[];
  /**
   * By stage, the values it reported with `report(step, value)` (a pruned stage's up to where it
   * stopped), `null` for a stage that reported none or did not run. Absent when none reported.
   */
  readonly stageIntermediate?: readonly (IntermediateValues | null)[];
  /** Indices of the stages that actually ran (the rest were reused or never reached). */
  readonly stagesRun: readonly number[];
  /**
   * What the trial paid for each stage, summing to `chargedCost`: ε for a reused stage; for a run
   * one its cost plus what its failed attempts spent (retries show as this minus `stageCosts`);
   * for the stage a trial failed or was pruned in, what it spent; null for a stage not reached.
   * Absent in records made before it existed.
   */
  readonly stageCharges?: readonly (number | null)[];
  /**
   * Set when this trial did not run: it waited for a prefix that trial `repeatOf` was computing,
   * whose stage failed or pruned it there, and takes that end (src/core/shared-prefix-end.ts).
   */
  readonly repeatOf?: number;
  /**
   * By stage, the worker whose attempt gave this trial the stage's output, `null` for a stage
   * reused from the cache or not completed. Absent in records made before it existed.
   */
  readonly stageWorkers?: readonly (StageWorker | null)[];
  readonly source: 'enqueued' | 'optimizer';
  /**
   * Set for an enqueued configuration that left parameters out: the optimizer's suggestion gave
   * them (during the warm-up, a design point, which later trials then do not repeat).
   */
  readonly optimizerFilled?: true;
  readonly acquisition: number | null;
  readonly predictedCost: number | null;
  /** δ the optimizer planned for (the prefix it pinned); `cachedPrefix` is what the cache had. */
  readonly suggestedPrefix: number;
  /** Wall time the optimizer took to suggest this configuration (not charged to the budget). */
  readonly optimizerSeconds: number;
  /** When the trial workflow started and finished (ISO 8601, workflow time); absent in older records. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

/**
 * The one serializable value that carries a study across continue-as-new: a summary of constant
 * size whatever the number of trials. The trial records themselves live in the trial log (an
 * object-store prefix, `trialLog`), which the suggest activity and the client read.
 */
export interface StudyState {
  readonly version: 2;
  /** Object-store prefix of this study's trial records (`studies/<first run id>/`). */
  readonly trialLog: string;
  readonly trialCount: number;
  readonly spent: number;
  readonly failedTrials: number;
  readonly reusedTrials: number;
  /** Trials a stage pruned; absent (0) in states recorded before pruning. */
  readonly prunedTrials?: number;
  /** Completed trials' reported values, sampled per stage and step (what the pruner compares with). */
  readonly pruning?: PruningState;
  /** Failed trials at the end of the log (the current streak). */
  readonly trailingFailures: number;
  /** Trials finished in a row without improving the best: kept only for `stopWhen.trialsWithoutImprovement`. */
  readonly trialsWithoutImprovement?: number;
  /**
   * When `stopWhen.afterSeconds` started counting (epoch ms, workflow time): the study's first run,
   * or its latest `study continue`. Kept only for that setting.
   */
  readonly clockStartedAt?: number;
  readonly best: BestTrial | null;
  readonly optimizerState?: OptimizerState;
  readonly stopRequested: boolean;
  /** How many workflow runs (continue-as-new generations) the study has used so far. */
  readonly runs: number;
  /** Paused: running trials finish, none start (absent: not paused). */
  readonly paused?: boolean;
  /** The budget after extensions (absent: the plan's). */
  readonly budget?: number;
  /** Trials at once after a change (absent: the plan's). */
  readonly parallelism?: number;
  /** Configurations enqueued while the study runs, evaluated next in order. */
  readonly queued?: readonly Configuration[];
}

/**
 * The state studies carried before the trial log existed: every record inline. Only read, to
 * migrate a study started by an older release (see workflows/legacy).
 */
export interface LegacyStudyState {
  readonly trials: readonly TrialRecord[];
  readonly spent: number;
  readonly optimizerState?: OptimizerState;
  readonly stopRequested: boolean;
  readonly runs: number;
}

export function isLegacyState(state: StudyState | LegacyStudyState): state is LegacyStudyState {
  return Array.isArray((state as { trials?: unknown }).trials);
}

/**
 * `completed`: budget spent or maxTrials reached; `stopped`: asked to stop; `exhausted`: every
 * configuration of a finite space was evaluated; `failed`: the study could not go on (see `error`).
 */
export type StudyStatus = 'running' | 'paused' | 'completed' | 'stopped' | 'exhausted' | 'failed';

/**
 * Why a `completed` study ended before its budget was spent and before maxTrials:
 * `'costAwareStopping'` — the opt-in cost-aware stopping rule (optimizer setting
 * `costAwareStopping`) found no candidate whose expected improvement was worth its expected cost;
 * `'bestReached'` — a trial's objective reached `stopWhen.bestReaches`;
 * `'noImprovement'` — `stopWhen.trialsWithoutImprovement` trials in a row did not improve the best;
 * `'timeLimit'` — `stopWhen.afterSeconds` of wall-clock time had passed.
 */
export type EarlyStop = 'costAwareStopping' | 'bestReached' | 'noImprovement' | 'timeLimit';

/**
 * What the cost-aware stopping rule compared when it ended a study: the best candidate's
 * log(EI / expected cost) and the threshold, log(stoppingCostWeight) (src/acquisition/stopping.ts).
 */
export interface EarlyStopEvidence {
  readonly bestLogEipc: number;
  readonly logThreshold: number;
}

/** Whether a study's early end was its `stopWhen`'s (which `study continue` may go past with nothing added). */
export function isStopWhenEnd(earlyStop: EarlyStop | undefined | null): boolean {
  return earlyStop === 'bestReached' || earlyStop === 'noImprovement' || earlyStop === 'timeLimit';
}

/**
 * Why a study ended early, as a phrase after "ended early" (status, the UI card, the report), with
 * the setting's value when `stopWhen` is known (progress recorded before it carried none).
 */
export function earlyStopReason(earlyStop: EarlyStop, stopWhen?: StopWhen): string {
  const value = (setting: number | undefined, unit = '') => (setting === undefined ? '' : ` = ${setting}${unit}`);
  switch (earlyStop) {
    case 'costAwareStopping':
      return 'by cost-aware stopping: no candidate was worth its expected cost';
    case 'bestReached':
      return `as the best objective reached stopWhen.bestReaches${value(stopWhen?.bestReaches)}`;
    case 'noImprovement':
      return stopWhen?.trialsWithoutImprovement === undefined
        ? 'as stopWhen.trialsWithoutImprovement trials in a row did not improve the best'
        : `as ${stopWhen.trialsWithoutImprovement} trials in a row did not improve the best (stopWhen.trialsWithoutImprovement)`;
    case 'timeLimit':
      return `as its time, stopWhen.afterSeconds${value(stopWhen?.afterSeconds, ' s')}, was up`;
  }
}

/** When a study ends before its budget (a study config's `stopWhen`; Optuna callbacks, Ray stoppers). */
export interface StopWhen {
  /** Once a trial's objective reaches this (≥ when maximizing, ≤ when minimizing). */
  readonly bestReaches?: number;
  /** Once this many trials in a row (finished, whatever their status) did not improve the best. */
  readonly trialsWithoutImprovement?: number;
  /**
   * Once this many seconds of wall-clock time have passed since the study started (or was last
   * continued), checked as each trial finishes: Optuna's `optimize(timeout=)`.
   */
  readonly afterSeconds?: number;
}

/** A trial that has started and not finished, as progress shows it. */
export interface RunningTrialSummary {
  readonly trialIndex: number;
  readonly config: Configuration;
  /** Set while it waits for a running trial to commit the prefix they share (it holds no worker). */
  readonly waiting?: boolean;
}

export interface BestTrial {
  readonly trialIndex: number;
  readonly objective: number;
  readonly config: Configuration;
}

export interface StudyProgress {
  readonly studyId: string;
  readonly name: string;
  readonly status: StudyStatus;
  /** Set while a running study asked to stop finishes its running trials. */
  readonly stopping?: boolean;
  /** When `stopWhen.afterSeconds` ends this running study (ISO 8601): no trial starts after it. */
  readonly timeLimitEndsAt?: string;
  readonly budget: number;
  readonly spent: number;
  readonly trials: number;
  readonly failedTrials: number;
  readonly reusedTrials: number;
  /** Trials a stage pruned; absent when none were. */
  readonly prunedTrials?: number;
  readonly best: BestTrial | null;
  /** Index of the trial now running, `null` between trials (the earliest started, with parallelism). */
  readonly runningTrial: number | null;
  /** Every trial running now, in start order; absent from progress recorded before parallel trials. */
  readonly runningTrials?: readonly RunningTrialSummary[];
  readonly runs: number;
  /** Why a `failed` study stopped; `null` otherwise. */
  readonly error: string | null;
  /** Why a `completed` study ended early ({@link EarlyStop}); absent when it did not. */
  readonly earlyStop?: EarlyStop;
  /** With `earlyStop: 'costAwareStopping'`: what the rule compared (absent for studies ended before it was kept). */
  readonly earlyStopEvidence?: EarlyStopEvidence;
  /** The study's `stopWhen`, when it has one (absent in progress recorded before it was kept). */
  readonly stopWhen?: StopWhen;
  /** Where the trial records are; absent for studies that ended under an older release (inline history). */
  readonly trialLog?: string;
  /** Stage names in pipeline order; absent for studies that ended under an older release. */
  readonly stages?: readonly string[];
  /** The study's trial limit, when it has one (the study also ends there, budget left or not). */
  readonly maxTrials?: number;
  /** The metric the study optimizes (the last stage's), named beside the best value; absent in older progress. */
  readonly objectiveMetric?: string;
  /** Whether a higher or a lower objective is better (what `best` means); absent in older progress. */
  readonly direction?: Direction;
  /** Trials at once, as the plan or the last `parallelism` request set it; absent in older progress. */
  readonly parallelism?: number;
  /** Enqueued configurations (the config's `enqueue`, then `study enqueue`'s) not started yet; absent when none. */
  readonly queued?: number;
}

/** What the study workflow returns: its final progress, with the trial records left in the trial log. */
export interface StudyOutcome extends StudyProgress {
  readonly direction: Direction;
  /** Inline records, only in outcomes of studies that ended under an older release. */
  readonly history?: readonly TrialRecord[];
  /** The summary the study ended with: what a continued study starts from (absent in older outcomes). */
  readonly state?: StudyState;
}

/** A study's outcome with every trial record, as the client assembles it from the trial log. */
export interface StudyResult extends StudyProgress {
  readonly direction: Direction;
  readonly history: readonly TrialRecord[];
}

/**
 * The optimizer settings a study's suggestions run with. A plan recorded before the defaults were
 * pinned holds only its config's own keys, and its other settings take today's defaults — except
 * those whose default changed since: every such study started while the unpinned check was off
 * and the local runs were shared ('shared' was the only allocation before `unpinnedSearch`
 * existed), and changing either under a running study would change how it trades reuse for
 * exploration midway. Likewise a plan pinned before `localSearchFromBest` existed ran without
 * that search, and keeps running without it.
 */
export function studySettings(plan: Pick<StudyPlan, 'optimizer' | 'epsilon'>): OptimizerSettings {
  const { unpinnedCheck, unpinnedSearch, localSearchFromBest } = plan.optimizer;
  return {
    ...plan.optimizer,
    ...(unpinnedCheck === undefined ? { unpinnedCheck: false } : {}),
    ...(unpinnedSearch === undefined ? { unpinnedSearch: 'shared' } : {}),
    ...(localSearchFromBest === undefined ? { localSearchFromBest: false } : {}),
    epsilon: plan.epsilon,
  };
}

export function initialStudyState(trialLog: string): StudyState {
  return {
    version: 2,
    trialLog,
    trialCount: 0,
    spent: 0,
    failedTrials: 0,
    reusedTrials: 0,
    trailingFailures: 0,
    best: null,
    stopRequested: false,
    runs: 1,
  };
}

/**
 * What a trial is charged: the measured cost of the stages it ran plus ε per reused stage.
 * `ranCosts[i]` is the cost of stage `cachedPrefix + i` (shorter when the trial failed).
 */
export function trialCharge(cachedPrefix: number, epsilon: number, ranCosts: readonly number[]): number {
  // Summed in stage order starting from the retrieval cost, exactly as the in-process benchmark
  // runner does, so both give bit-identical charges (and so identical trial sequences).
  let charge = cachedPrefix * epsilon;
  for (const cost of ranCosts) charge += cost;
  return charge;
}

/** What the study's summary reads of a finished trial. */
export type TrialSummaryFields = Pick<
  TrialRecord,
  'trialIndex' | 'config' | 'objective' | 'status' | 'chargedCost' | 'cachedPrefix'
>;

/** Whether `trial` beats `best` for the direction; earlier trials win ties. */
function improves<T extends TrialSummaryFields>(
  trial: T,
  best: BestTrial | null,
  direction: Direction,
): trial is T & { objective: number } {
  if (trial.status !== 'completed' || trial.objective === null) return false;
  if (best === null) return true;
  return direction === 'maximize' ? trial.objective > best.objective : trial.objective < best.objective;
}

/** Where a record sits in its study's trial log. */
export function logPositionOf(record: Pick<TrialRecord, 'trialIndex' | 'logPosition'>): number {
  return record.logPosition ?? record.trialIndex;
}

/** The best completed trial for the direction, earliest first on ties; `null` if none. */
export function bestTrial(trials: readonly TrialRecord[], direction: Direction): BestTrial | null {
  let best: BestTrial | null = null;
  for (const trial of trials) {
    if (improves(trial, best, direction))
      best = { trialIndex: trial.trialIndex, objective: trial.objective, config: trial.config };
  }
  return best;
}

/**
 * The summary after one more trial: what `bestTrial`, the counts and the failure streak would give
 * over the whole log, updated in O(1). Charges are summed in trial order, as the in-process
 * benchmark runner does, so both give bit-identical budgets.
 */
export function withTrial(state: StudyState, record: TrialSummaryFields, direction: Direction): StudyState {
  const failed = record.status === 'failed';
  const pruned = record.status === 'pruned';
  return {
    ...state,
    trialCount: state.trialCount + 1,
    spent: state.spent + record.chargedCost,
    failedTrials: state.failedTrials + (failed ? 1 : 0),
    ...(pruned ? { prunedTrials: (state.prunedTrials ?? 0) + 1 } : {}),
    reusedTrials: state.reusedTrials + (record.cachedPrefix > 0 ? 1 : 0),
    trailingFailures: failed ? state.trailingFailures + 1 : 0,
    best: improves(record, state.best, direction)
      ? { trialIndex: record.trialIndex, objective: record.objective, config: record.config }
      : state.best,
  };
}

/**
 * The pruning sample after a finished trial: a completed trial's reported values join it (as in
 * Optuna's median and percentile pruners, only completed trials set the bar; a pruned or failed
 * one's do not). Under successive halving a pruned trial's values join it too.
 */
export function withPruningSample(
  state: StudyState,
  record: Pick<TrialRecord, 'status' | 'stageIntermediate' | 'repeatOf'>,
  plan: {
    readonly stages: readonly { readonly name: string }[];
    readonly seed: number;
    readonly pruner?: PrunerSettings;
  },
): StudyState {
  // A rung of successive halving compares every trial that reached it, the ones pruned there too
  // (as ASHA does): with completed trials only, its bar would rise with every trial it prunes.
  // A trial that took its prefix owner's end (`repeatOf`) holds the owner's curve: counted once.
  const sampled =
    record.repeatOf === undefined &&
    (record.status === 'completed' || (record.status === 'pruned' && plan.pruner?.type === 'successiveHalving'));
  if (!sampled || record.stageIntermediate === undefined) return state;
  let pruning = state.pruning;
  record.stageIntermediate.forEach((curve, index) => {
    const stage = plan.stages[index];
    if (curve !== null && stage !== undefined && curve.steps.length > 0)
      pruning = withCompletedCurve(pruning, stage.name, curve, plan.seed);
  });
  return pruning === state.pruning ? state : { ...state, pruning };
}

/**
 * A pruned trial's best reported value: what its stopped stage (the last it ran) reported best;
 * `null` for other trials and for a pruned one that reported nothing.
 */
export function prunedReport(
  record: Pick<TrialRecord, 'status' | 'stageIntermediate' | 'stagesRun'>,
  direction: Direction,
): number | null {
  if (record.status !== 'pruned') return null;
  const stopped = record.stagesRun[record.stagesRun.length - 1];
  return stopped === undefined ? null : bestReported(record.stageIntermediate?.[stopped], direction);
}

/**
 * The objective the optimizer learns from a finished trial: its own; for a pruned trial with
 * `prunedTrials: 'reported'` its best report; `null` leaves it to the `failedTrials` policy (a
 * failed trial, a pruned one under 'asFailed' or that reported nothing).
 */
export function modelObjective(
  record: Pick<TrialRecord, 'status' | 'objective' | 'stageIntermediate' | 'stagesRun'>,
  direction: Direction,
  prunedTrials: PrunedTrialPolicy,
): number | null {
  return prunedTrials === 'reported' ? (prunedReport(record, direction) ?? record.objective) : record.objective;
}

/** The summary of a study started by an older release, from its inline records. */
export function summarizeLegacyState(legacy: LegacyStudyState, trialLog: string, direction: Direction): StudyState {
  let state: StudyState = { ...initialStudyState(trialLog), stopRequested: legacy.stopRequested, runs: legacy.runs };
  for (const record of legacy.trials) state = withTrial(state, record, direction);
  // Keep the recorded sum rather than re-adding (identical in practice, exact by construction).
  return {
    ...state,
    spent: legacy.spent,
    ...(legacy.optimizerState === undefined ? {} : { optimizerState: legacy.optimizerState }),
  };
}

/** Why the study should stop now, or `null` to go on. */
export function stopReason(
  plan: Pick<StudyPlan, 'budget' | 'maxTrials'>,
  state: StudyState,
): 'budget' | 'maxTrials' | 'stopRequested' | null {
  if (state.stopRequested) return 'stopRequested';
  if (state.spent >= (state.budget ?? plan.budget)) return 'budget';
  if (plan.maxTrials !== null && state.trialCount >= plan.maxTrials) return 'maxTrials';
  return null;
}

/** `queued` of a progress: the plan's enqueued configurations not started yet plus the runtime queue. */
function queuedField(count: number): { queued?: number } {
  return count > 0 ? { queued: count } : {};
}

export function progressOf(
  plan: StudyPlan,
  state: StudyState,
  status: StudyStatus,
  running: readonly RunningTrialSummary[],
  error: string | null = null,
  earlyStop: EarlyStop | null = null,
  earlyStopEvidence: EarlyStopEvidence | null = null,
): StudyProgress {
  return {
    studyId: plan.studyId,
    name: plan.name,
    status: status === 'running' && state.paused === true ? 'paused' : status,
    // Asked to stop and finishing its running trials (a review reissued `study stop` as status
    // still read "running").
    ...(status === 'running' && state.stopRequested ? { stopping: true } : {}),
    // When stopWhen.afterSeconds ends a running study (its clock starts with its run).
    ...(status === 'running' && plan.stopWhen?.afterSeconds !== undefined && state.clockStartedAt !== undefined
      ? { timeLimitEndsAt: new Date(state.clockStartedAt + plan.stopWhen.afterSeconds * 1000).toISOString() }
      : {}),
    budget: state.budget ?? plan.budget,
    spent: state.spent,
    trials: state.trialCount,
    failedTrials: state.failedTrials,
    reusedTrials: state.reusedTrials,
    ...((state.prunedTrials ?? 0) > 0 ? { prunedTrials: state.prunedTrials } : {}),
    best: state.best,
    runningTrial: running[0]?.trialIndex ?? null,
    runningTrials: running.map(({ trialIndex, config, waiting }) => ({
      trialIndex,
      config,
      ...(waiting === true ? { waiting } : {}),
    })),
    runs: state.runs,
    error,
    trialLog: state.trialLog,
    stages: plan.stages.map((stage) => stage.name),
    // Only studies the rule ended carry the field: every other progress is as before.
    ...(earlyStop === null ? {} : { earlyStop }),
    ...(earlyStopEvidence === null ? {} : { earlyStopEvidence }),
    ...(plan.stopWhen === undefined ? {} : { stopWhen: plan.stopWhen }),
    ...(plan.maxTrials === null ? {} : { maxTrials: plan.maxTrials }),
    objectiveMetric: plan.objective.metric,
    direction: plan.objective.direction,
    parallelism: state.parallelism ?? plan.parallelism,
    ...queuedField(Math.max(0, plan.enqueue.length - state.trialCount - running.length) + (state.queued?.length ?? 0)),
  };
}
