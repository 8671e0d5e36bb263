/**
 * The study's plain-data model and its pure bookkeeping (budget, best trial). Workflow-safe:
 * imports nothing with side effects, so the study workflow can use it directly.
 */
import type { Configuration, Direction, Observation, OptimizerSettings, OptimizerState, ParamSpec } from './types.js';

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
  };
  readonly timeoutSeconds: number;
  readonly heartbeatSeconds: number;
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
  readonly optimizer: OptimizerSettings;
  /** Retrieval cost charged per reused stage, in cost units. */
  readonly epsilon: number;
  readonly seed: number;
  readonly enqueue: readonly Configuration[];
  /** Queue of the study/trial workflows and the suggest + cache activities. */
  readonly orchestrationQueue: string;
  /** Continue-as-new after this many trials in one run, to keep each history short. */
  readonly trialsPerRun: number;
  /**
   * The study fails after this many failed trials in a row instead of spending its budget on a
   * pipeline that does not run; absent (no limit) in plans recorded before it existed.
   */
  readonly maxConsecutiveFailures?: number | null;
}

export type TrialStatus = 'completed' | 'failed';

/** A finished trial: what the optimizer needs (`Observation`) plus what a person wants to see. */
export interface TrialRecord extends Observation {
  readonly trialIndex: number;
  readonly status: TrialStatus;
  /** Why the trial failed, `null` when it completed. */
  readonly error: string | null;
  /** The failure's type (`StageFailed`, `UnknownStage`, `CacheMiss`, `Timeout`, ...) when known. */
  readonly failureType?: string;
  /** Chained cache key of every stage's output. */
  readonly keys: readonly string[];
  /** Metrics reported by the last stage. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Indices of the stages that actually ran (the rest were reused or never reached). */
  readonly stagesRun: readonly number[];
  readonly source: 'enqueued' | 'optimizer';
  readonly acquisition: number | null;
  readonly predictedCost: number | null;
  /** δ the optimizer planned for (the prefix it pinned); `cachedPrefix` is what the cache had. */
  readonly suggestedPrefix: number;
  /** Wall time the optimizer took to suggest this configuration (not charged to the budget). */
  readonly optimizerSeconds: number;
}

/** The one serializable value that carries a study across continue-as-new. */
export interface StudyState {
  readonly trials: readonly TrialRecord[];
  readonly spent: number;
  readonly optimizerState?: OptimizerState;
  readonly stopRequested: boolean;
  /** How many workflow runs (continue-as-new generations) the study has used so far. */
  readonly runs: number;
}

/**
 * `completed`: budget spent or maxTrials reached; `stopped`: asked to stop; `exhausted`: every
 * configuration of a finite space was evaluated; `failed`: the study could not go on (see `error`).
 */
export type StudyStatus = 'running' | 'completed' | 'stopped' | 'exhausted' | 'failed';

export interface BestTrial {
  readonly trialIndex: number;
  readonly objective: number;
  readonly config: Configuration;
}

export interface StudyProgress {
  readonly studyId: string;
  readonly name: string;
  readonly status: StudyStatus;
  readonly budget: number;
  readonly spent: number;
  readonly trials: number;
  readonly failedTrials: number;
  readonly reusedTrials: number;
  readonly best: BestTrial | null;
  /** Index of the trial now running, `null` between trials. */
  readonly runningTrial: number | null;
  readonly runs: number;
  /** Why a `failed` study stopped; `null` otherwise. */
  readonly error: string | null;
}

export interface StudyResult extends StudyProgress {
  readonly direction: Direction;
  readonly history: readonly TrialRecord[];
}

export const initialStudyState: StudyState = { trials: [], spent: 0, stopRequested: false, runs: 1 };

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

/** The best completed trial for the direction, earliest first on ties; `null` if none. */
export function bestTrial(trials: readonly TrialRecord[], direction: Direction): BestTrial | null {
  let best: BestTrial | null = null;
  for (const trial of trials) {
    if (trial.status !== 'completed' || trial.objective === null) continue;
    const better =
      best === null || (direction === 'maximize' ? trial.objective > best.objective : trial.objective < best.objective);
    if (better) best = { trialIndex: trial.trialIndex, objective: trial.objective, config: trial.config };
  }
  return best;
}

/** Why the study should stop now, or `null` to go on. */
export function stopReason(plan: StudyPlan, state: StudyState): 'budget' | 'maxTrials' | 'stopRequested' | null {
  if (state.stopRequested) return 'stopRequested';
  if (state.spent >= plan.budget) return 'budget';
  if (plan.maxTrials !== null && state.trials.length >= plan.maxTrials) return 'maxTrials';
  return null;
}

/** Failed trials at the end of the log (the current streak). */
export function trailingFailures(trials: readonly TrialRecord[]): number {
  let count = 0;
  for (let index = trials.length - 1; index >= 0 && trials[index]!.status === 'failed'; index--) count++;
  return count;
}

export function progressOf(
  plan: StudyPlan,
  state: StudyState,
  status: StudyStatus,
  runningTrial: number | null,
  error: string | null = null,
): StudyProgress {
  return {
    studyId: plan.studyId,
    name: plan.name,
    status,
    budget: plan.budget,
    spent: state.spent,
    trials: state.trials.length,
    failedTrials: state.trials.filter((trial) => trial.status === 'failed').length,
    reusedTrials: state.trials.filter((trial) => trial.cachedPrefix > 0).length,
    best: bestTrial(state.trials, plan.objective.direction),
    runningTrial,
    runs: state.runs,
    error,
  };
}
