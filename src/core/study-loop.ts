/**
 * The study loop's decisions, as pure functions: when to start a trial, when to wait, when to hand
 * off to a new run and when to finish; what a finished trial does to the study; which running
 * trial a new one shares an uncomputed prefix with. The study workflow (`workflows/study.ts`) and
 * the in-process benchmark runner (`src/bench/runner.ts`) both drive their loops with these, so a
 * study behaves the same on Temporal and in a simulation — only the clock and the stages differ.
 *
 * Workflow-safe: plain data in, plain data out, no I/O, no clock, no randomness.
 */
import { costAwareStopFromLogEipc } from '../acquisition/stopping.js';
import { canonicalJson } from './canonical-json.js';
import { FailureType } from './errors.js';
import { budgetOf, parallelismIn } from './study-control.js';
import {
  stopReason,
  withTrial,
  type EarlyStop,
  type EarlyStopEvidence,
  type StopWhen,
  type StudyPlan,
  type StudyState,
  type StudyStatus,
  type TrialRecord,
} from './study.js';
import type { Configuration, Direction, PendingTrial, Phase, Suggestion } from './types.js';

/** A trial the study has started (or is about to start, waiting for a shared prefix) and not yet recorded. */
export interface RunningTrial {
  readonly trialIndex: number;
  readonly config: Configuration;
  /** δ the optimizer planned for (0 for warm-up, random and enqueued trials). */
  readonly cachedPrefix: number;
  /** `warmup` for warm-up and enqueued trials, `bo` for the optimizer's (told to it as pending). */
  readonly phase: Phase;
  /** Set for a configuration enqueued in full (told to the optimizer: it is not a warm-up design point). */
  readonly enqueued?: boolean;
  /** What the budget reserved for it when it started: its predicted cost, else the mean trial charge then. */
  readonly reservedCost: number;
  /**
   * Whether `reservedCost` is the trial's own prediction. A trial without one (warm-up, enqueued)
   * reserves the larger of that and the mean charge as it stands ({@link reservedBudget}): the
   * first trials of a parallel study start before any charge is known.
   */
  readonly predicted?: boolean;
  /**
   * Leading stages known to be in the cache for it: reused at its lookup or committed since. A trial
   * sharing a longer prefix with it waits until this reaches the shared length.
   */
  readonly settledStages: number;
  /** Not started yet: waiting for a running trial to settle the prefix they share. Holds no worker. */
  readonly waiting: boolean;
}

/** The running trials as the optimizer's pending points (docs/optimizer.md, "Pending trials"). */
export function pendingTrials(running: readonly RunningTrial[]): PendingTrial[] {
  return running.map(({ config, cachedPrefix, phase, enqueued }) => ({
    config,
    cachedPrefix,
    phase,
    ...(enqueued === true ? { enqueued } : {}),
  }));
}

/** Why the study will end once its running trials are recorded (it starts no new ones). */
export interface Halt {
  readonly status: Exclude<StudyStatus, 'running'>;
  readonly error: string | null;
  /** Set when a `completed` study ends before its budget (absent otherwise). */
  readonly earlyStop?: EarlyStop;
  /** What the cost-aware stopping rule compared, when it is the reason. */
  readonly evidence?: EarlyStopEvidence;
  /**
   * Dropped when a trial running as it was decided completes after all (the objective that no
   * trial had reported: a trial started before may still report it). Starts no trial meanwhile.
   */
  readonly untilATrialCompletes?: true;
}

/** The parts of a study's plan the loop decides with (the benchmark runner has no stages to run). */
export type LoopPlan = Pick<
  StudyPlan,
  'budget' | 'maxTrials' | 'trialsPerRun' | 'enqueue' | 'parallelism' | 'objective' | 'maxConsecutiveFailures'
> &
  Partial<Pick<StudyPlan, 'stopWhen'>>;

/** What the loop sees when it decides. */
export interface LoopView {
  readonly plan: LoopPlan;
  readonly state: StudyState;
  readonly running: readonly RunningTrial[];
  /** Trials started by this workflow run (continue-as-new hands off after `plan.trialsPerRun`). */
  readonly startedThisRun: number;
  /** The server suggests continuing as new (history getting long). */
  readonly handOffSuggested: boolean;
  /** Set once the study must end: failed, exhausted, stop requested. */
  readonly halt: Halt | null;
  /**
   * Ablation only (the study workflow never sets it): trials before this index are the initial
   * design (`initialDesignSize` in src/optimizer/settings.ts) and the optimizer is not asked for a trial beyond it
   * while one of them runs ({@link awaitsInitialDesign}). Absent or 0: no such barrier.
   */
  readonly initialDesign?: number;
  /**
   * How many waiting trials leave their slot to another trial; those beyond count against
   * `parallelism` when the loop decides whether to start one. The study workflow sets
   * {@link slotFreeWaitingFor} (parallelism − 1; histories recorded before it: absent). 0 (an
   * ablation): the optimizer is asked only when fewer than `parallelism` trials are started and
   * unrecorded — every suggestion after the first `parallelism` follows a finished trial. Absent:
   * every waiting trial holds no worker, and the optimizer is asked again at once, on the same
   * results (docs/optimizer.md, "Pending trials": what either costs).
   */
  readonly slotFreeWaiting?: number;
  /**
   * False only for study histories recorded before a trial without a prediction reserved the
   * current mean charge ({@link reservedBudget}): they replay with the reservation fixed at start.
   */
  readonly currentMeanReservation?: boolean;
}

export type NextStep =
  /** Start trial `trialIndex`: evaluate `enqueued` when set, else ask the optimizer. */
  | {
      readonly kind: 'start';
      readonly trialIndex: number;
      readonly enqueued: Configuration | null;
      /** The enqueued configuration is the head of the study's runtime queue (`state.queued`). */
      readonly fromQueue: boolean;
    }
  /** Wait for a running trial to finish (or a shared prefix to settle). */
  | { readonly kind: 'wait' }
  /** Paused with nothing running: wait to be resumed (or stopped). */
  | { readonly kind: 'paused' }
  /** Nothing running and this run's share of trials started: continue as new with the state. */
  | { readonly kind: 'continueAsNew' }
  /** Nothing running and nothing more to start: the study ends with `status`. */
  | {
      readonly kind: 'finish';
      readonly status: Exclude<StudyStatus, 'running'>;
      readonly error: string | null;
      readonly earlyStop?: EarlyStop;
      readonly evidence?: EarlyStopEvidence;
    };

/** Trials computing now (started, not waiting for a shared prefix): each holds a worker. */
export function computingTrials(running: readonly RunningTrial[]): number {
  let computing = 0;
  for (const trial of running) if (!trial.waiting) computing++;
  return computing;
}

/**
 * Budget reserved by the running trials. With `state` (the study workflow's rule since
 * `memotune-current-mean-reservation`, and the benchmark runner's), a trial without a prediction
 * reserves at least the mean charge as it stands now, not only as it stood when it started —
 * before the first result that was 0, and a parallel study's first batch reserved nothing for its
 * whole run. Without `state`: what each trial reserved when it started (older histories replay so).
 */
export function reservedBudget(running: readonly RunningTrial[], state?: StudyState): number {
  const mean = state === undefined || state.trialCount === 0 ? 0 : state.spent / state.trialCount;
  let reserved = 0;
  for (const trial of running)
    reserved += trial.predicted === false ? Math.max(trial.reservedCost, mean) : trial.reservedCost;
  return reserved;
}

/**
 * The next step of the loop. Order of the checks: an ended study drains its running trials; a
 * spent budget or reached maxTrials ends it once they finish; the run hands off to continue-as-new
 * only with nothing running (children cannot move to the next run); then a new trial starts when a
 * slot is free and the budget not yet committed.
 *
 * Slots: at most `parallelism` trials compute at once. A trial that waits for a prefix a running
 * trial is settling (single flight) holds no worker, so it does not take a slot; fewer than
 * `parallelism` such trials wait at any time (see {@link mayShareRunningPrefixes}).
 *
 * Budget rule: a trial may start while `spent + Σ reserved(running) < budget`, where a running
 * trial reserves its predicted cost (or the mean charge so far). Trials already running always
 * finish and are charged what they cost, so a study overshoots its budget by at most what its last
 * trials cost beyond their reservations — with parallelism 1, by the last trial, as before.
 */
export function nextStep(view: LoopView): NextStep {
  const { plan, state, running } = view;
  const idle = running.length === 0;
  if (view.halt !== null) return idle ? { kind: 'finish', ...view.halt } : { kind: 'wait' };
  const reason = stopReason(plan, state);
  if (reason === 'stopRequested') return idle ? { kind: 'finish', status: 'stopped', error: null } : { kind: 'wait' };
  if (reason !== null) return idle ? { kind: 'finish', status: 'completed', error: null } : { kind: 'wait' };
  if (state.paused === true) return idle ? { kind: 'paused' } : { kind: 'wait' };
  if (view.startedThisRun >= plan.trialsPerRun || view.handOffSuggested) {
    return idle ? { kind: 'continueAsNew' } : { kind: 'wait' };
  }
  const parallelism = parallelismIn(plan, state);
  const computing = computingTrials(running);
  const slotFree = view.slotFreeWaiting ?? Number.POSITIVE_INFINITY;
  const occupied = computing + Math.max(0, running.length - computing - slotFree);
  if (occupied >= parallelism) return { kind: 'wait' };
  const reserved = reservedBudget(running, view.currentMeanReservation === false ? undefined : state);
  if (state.spent + reserved >= budgetOf(plan, state)) return { kind: 'wait' };
  if (plan.maxTrials !== null && state.trialCount + running.length >= plan.maxTrials) return { kind: 'wait' };
  // Every started trial is either running or recorded (a trial that breaks halts the study).
  const trialIndex = state.trialCount + running.length;
  const planned = plan.enqueue[trialIndex];
  if (planned !== undefined) return { kind: 'start', trialIndex, enqueued: planned, fromQueue: false };
  const queued = state.queued?.[0];
  if (queued !== undefined) return { kind: 'start', trialIndex, enqueued: queued, fromQueue: true };
  if (awaitsInitialDesign(view, trialIndex)) return { kind: 'wait' };
  return { kind: 'start', trialIndex, enqueued: null, fromQueue: false };
}

/**
 * Warm-up barrier (an ablation, `LoopView.initialDesign`): the optimizer is asked for the first
 * trial after the initial design (the warm-up trials, and configurations enqueued in the plan
 * beyond them) only once every trial of that design has finished, instead of from the 7–9 of 10
 * warm-up trials finished when a slot frees at parallelism 4. Measured worse, not better
 * (docs/optimizer.md, "Pending trials"): the free slots are then all filled at once from the same
 * results — a batch of 4 and up to 3 trials waiting behind the first one's prefix. With
 * parallelism 1 nothing runs when a trial starts, so it changes nothing there.
 */
export function awaitsInitialDesign(view: LoopView, trialIndex: number): boolean {
  const size = view.initialDesign ?? 0;
  if (size <= 0) return false;
  const end = Math.max(size, view.plan.enqueue.length);
  return trialIndex >= end && view.running.some((trial) => trial.trialIndex < end);
}

/**
 * Cost-aware stopping (Xie et al., ICML 2026), for a study with the optimizer setting
 * `costAwareStopping` on — callers ask only then: the study completes (`earlyStop:
 * 'costAwareStopping'`) instead of starting the suggested trial when no candidate's expected
 * improvement over the best observed value was worth its expected cost at the study's weight
 * (max log(EI/E[C]) ≤ log w: the evidence the optimizer attaches to every BO suggestion, see
 * src/optimizer/stopping-evidence.ts). Running trials still finish and are charged. Warm-up,
 * enqueued and random trials, and methods without a cost model (no evidence), never stop.
 */
export function costAwareHalt(suggestion: Pick<Suggestion, 'phase' | 'diagnostics'>): Halt | null {
  if (suggestion.phase !== 'bo') return null;
  const { stoppingLogEipc, stoppingCostWeight } = suggestion.diagnostics;
  if (typeof stoppingLogEipc !== 'number' || typeof stoppingCostWeight !== 'number') return null;
  return costAwareStopFromLogEipc(stoppingLogEipc, stoppingCostWeight)
    ? {
        status: 'completed',
        error: null,
        earlyStop: 'costAwareStopping',
        evidence: { bestLogEipc: stoppingLogEipc, logThreshold: Math.log(stoppingCostWeight) },
      }
    : null;
}

/**
 * When the next trial may share a prefix a running trial is still computing (and wait for it):
 * - `'fewerThanWorkers'` (the study workflow's rule): only while fewer trials run than there are
 *   workers; beyond that, a waiting trial would leave the free worker idle, so the next one must be
 *   able to start at once. Waiting trials are therefore fewer than `parallelism`, and the workers
 *   stay busy whenever trials can run.
 * - Ablations (docs/optimizer.md, "Pending trials"): `'oneWaiting'` — that, and not while another
 *   trial waits; `'waitingBelowWorkers'` — whenever fewer than `parallelism` − 1 trials wait
 *   (every decision may share, up to 2·`parallelism` − 1 trials in flight).
 */
export type SharingRule = 'fewerThanWorkers' | 'oneWaiting' | 'waitingBelowWorkers';

/** Whether the next trial may share a running trial's uncomputed prefix (see {@link SharingRule}). */
export function mayShareRunningPrefixes(
  running: readonly RunningTrial[],
  parallelism: number,
  rule: SharingRule = 'fewerThanWorkers',
): boolean {
  const waiting = running.length - computingTrials(running);
  if (rule === 'waitingBelowWorkers') return waiting < parallelism - 1;
  if (rule === 'oneWaiting' && waiting > 0) return false;
  return running.length < parallelism;
}

/** Whether a suggestion's predicted cost is one the budget can reserve. */
export function isUsablePrediction(predictedCost: number | null): predictedCost is number {
  return predictedCost !== null && Number.isFinite(predictedCost) && predictedCost > 0;
}

/** What the budget reserves for a trial about to start. */
export function reservationFor(predictedCost: number | null, state: StudyState): number {
  if (isUsablePrediction(predictedCost)) return predictedCost;
  return state.trialCount === 0 ? 0 : state.spent / state.trialCount;
}

/** The fields of a finished trial the loop's bookkeeping reads. */
export type TrialOutcome = Pick<
  TrialRecord,
  'trialIndex' | 'config' | 'objective' | 'status' | 'chargedCost' | 'cachedPrefix' | 'error' | 'failureType'
> &
  Partial<Pick<TrialRecord, 'repeatOf'>>;

/**
 * A finished trial recorded: the new summary, and a halt when it shows the study cannot go on —
 * a stage no worker can run or whose declared parameters do not fit the study's (every trial
 * would fail the same way) or `maxConsecutiveFailures`
 * failures in a row; either would otherwise spend the whole budget on nothing.
 */
export function afterTrial(
  plan: LoopPlan,
  state: StudyState,
  record: TrialOutcome,
  {
    inheritedEndsCount = false,
    unreportedObjectiveEnds = true,
    invalidResultEnds = true,
  }: {
    /**
     * Whether a trial that took its prefix owner's end without running (`repeatOf`) counts toward
     * `maxConsecutiveFailures` and `stopWhen.trialsWithoutImprovement`: it did not (one stage run
     * that failed is one failure), except in histories recorded before (workflows/study.ts).
     */
    readonly inheritedEndsCount?: boolean;
    /** Whether an `ObjectiveNotReported` trial may end the study: not in histories recorded before. */
    readonly unreportedObjectiveEnds?: boolean;
    /** Whether an `InvalidStageResult` trial may end the study: not in histories recorded before. */
    readonly invalidResultEnds?: boolean;
  } = {},
): { state: StudyState; halt: Halt | null } {
  const inherited = record.repeatOf !== undefined && !inheritedEndsCount;
  const summed = withTrial(state, record, plan.objective.direction);
  // An inherited end is the owner's, already counted: the streak stays where the owner left it.
  const next = inherited ? { ...summed, trailingFailures: state.trailingFailures } : summed;
  if (record.failureType === FailureType.StageParamsMismatch) {
    // The stage's declared parameters and the study's disagree: no configuration can run it.
    const error = `trial ${record.trialIndex}: ${record.error ?? 'stage parameters do not fit the study'} — make the stage's parameter type and the study config's params agree`;
    return { state: next, halt: { status: 'failed', error } };
  }
  if (record.failureType === FailureType.StageVersionMismatch) {
    // No worker of the queue took it with the version the config gives (it was scheduled again
    // for the others): no configuration can run it.
    const error = `trial ${record.trialIndex}: ${record.error ?? 'stage version mismatch'} — no worker of its queue has the version the config gives`;
    return { state: next, halt: { status: 'failed', error } };
  }
  if (record.failureType === FailureType.StoreRefused) {
    // A worker whose S3 settings or credentials are wrong: its every trial would fail alike, and
    // feeding them to the optimizer as failures would mislead it. Its message says what to fix.
    const error = `trial ${record.trialIndex}: ${record.error ?? 'the object store refused a worker'}`;
    return { state: next, halt: { status: 'failed', error } };
  }
  // While no trial has completed, a trial ended by something every trial would meet (the stage's
  // code) ends the study; a trial still running may complete yet: the halt holds only if none does.
  // `maxConsecutiveFailures: null`: the user asked never to give up on failures.
  const untilCompleted = state.best === null && (plan.maxConsecutiveFailures ?? null) !== null;
  if (record.failureType === FailureType.ObjectiveNotReported && untilCompleted && unreportedObjectiveEnds) {
    // The metric's name in the stage and in the config disagree (a review saw five full trials run
    // before maxConsecutiveFailures ended such a study).
    const error = `trial ${record.trialIndex}: ${record.error ?? 'the objective metric was not reported'} — no trial has reported it yet: make the stage's metric name and the config's objective.metric agree`;
    return { state: next, halt: { status: 'failed', error, untilATrialCompletes: true } };
  }
  if (record.failureType === FailureType.InvalidStageResult && untilCompleted && invalidResultEnds) {
    // A stage returned what memotune cannot store or read (a numpy array as its output, a tuple as
    // a metric): a review paid for maxConsecutiveFailures full pipelines of it.
    const error = `trial ${record.trialIndex}: ${record.error ?? 'a stage returned a result memotune cannot use'} — no trial has completed yet: fix what the stage returns, then start the study again`;
    return { state: next, halt: { status: 'failed', error, untilATrialCompletes: true } };
  }
  if (record.failureType === FailureType.UnknownStage) {
    // memotune's workers (TypeScript and Python) already say to register the stage on every
    // worker of the queue; another worker's message gets the advice added.
    const message = record.error ?? 'unknown stage';
    const advice = /must register/i.test(message) ? '' : ' — register it on a worker of that queue';
    const error = `trial ${record.trialIndex}: ${message}${advice}`;
    return { state: next, halt: { status: 'failed', error } };
  }
  const limit = plan.maxConsecutiveFailures ?? null;
  if (limit !== null && next.trailingFailures >= limit) {
    const error = `${limit} trial${limit === 1 ? '' : 's'} in a row failed (maxConsecutiveFailures); the last: ${record.error ?? 'unknown error'}`;
    return { state: next, halt: { status: 'failed', error } };
  }
  return plan.stopWhen === undefined
    ? { state: next, halt: null }
    : stopWhenAfter(plan.stopWhen, plan.objective.direction, next, record, inherited);
}

/**
 * When `stopWhen.afterSeconds` ends the study (epoch ms, workflow time), or null: counted from its
 * first run, or from its latest `study continue` (`state.clockStartedAt`). The workflow checks it
 * before it starts a trial and wakes at it (workflows/study.ts).
 */
export function deadlineOf(
  plan: Pick<StudyPlan, 'stopWhen'>,
  state: Pick<StudyState, 'clockStartedAt'>,
): number | null {
  const seconds = plan.stopWhen?.afterSeconds;
  return seconds === undefined || state.clockStartedAt === undefined ? null : state.clockStartedAt + seconds * 1000;
}

/**
 * `stopWhen` after a finished trial (a setting no earlier release accepted: studies without it
 * never take this path). The target is checked when a trial sets a new best, so a study continued
 * after reaching it runs on until a better one does.
 */
function stopWhenAfter(
  stopWhen: StopWhen,
  direction: Direction,
  state: StudyState,
  record: TrialOutcome,
  inherited: boolean,
): { state: StudyState; halt: Halt | null } {
  const { bestReaches, trialsWithoutImprovement } = stopWhen;
  const improved = state.best !== null && state.best.trialIndex === record.trialIndex;
  const next: StudyState =
    trialsWithoutImprovement === undefined || inherited
      ? state
      : { ...state, trialsWithoutImprovement: improved ? 0 : (state.trialsWithoutImprovement ?? 0) + 1 };
  if (improved && bestReaches !== undefined) {
    const reached =
      direction === 'maximize' ? state.best!.objective >= bestReaches : state.best!.objective <= bestReaches;
    if (reached) return { state: next, halt: { status: 'completed', error: null, earlyStop: 'bestReached' } };
  }
  if (trialsWithoutImprovement !== undefined && (next.trialsWithoutImprovement ?? 0) >= trialsWithoutImprovement)
    return { state: next, halt: { status: 'completed', error: null, earlyStop: 'noImprovement' } };
  return { state: next, halt: null };
}

/**
 * Position of a record finished now in the trial log, which is in finish order; set on the record
 * only when it differs from the trial's start order, so sequential studies write the same records.
 */
export function logPositionFor(state: StudyState, trialIndex: number): { logPosition?: number } {
  return state.trialCount === trialIndex ? {} : { logPosition: state.trialCount };
}

/** The running trial whose not-yet-cached prefix a new trial would compute again, and how long it is. */
export interface SharedPrefix {
  readonly owner: number;
  /** Leading stages shared with the owner (1..S−1): wait until the owner has settled this many. */
  readonly stages: number;
}

/**
 * Single flight: when `config` shares its first k stages (k ≤ S−1; the last stage is never reused)
 * with a running trial that has not yet settled them, computing them again would waste a stage run
 * — the new trial waits for them instead and is charged retrieval (ε). Picks the longest such
 * prefix (earliest-started owner on ties); `null` when nothing is shared or all of it is settled.
 */
export function sharedInFlightPrefix(config: Configuration, running: readonly RunningTrial[]): SharedPrefix | null {
  let best: SharedPrefix | null = null;
  for (const trial of running) {
    const shared = sharedStages(config, trial.config);
    if (shared <= trial.settledStages) continue;
    if (best === null || shared > best.stages) best = { owner: trial.trialIndex, stages: shared };
  }
  return best;
}

/**
 * The study workflow's {@link LoopView.slotFreeWaiting}: parallelism − 1 waiting trials hold no
 * worker, a further one holds a slot. Suggestions share a running prefix only while fewer trials
 * run than workers ({@link mayShareRunningPrefixes}), so the bound rarely binds for them; it binds
 * when configurations share a prefix the optimizer was not steering — warm-up and enqueued trials
 * on a first stage with few values — which could otherwise all start at once, each waiting.
 */
export function slotFreeWaitingFor(parallelism: number): number {
  return Math.max(0, parallelism - 1);
}

/**
 * Leading stages already in the cache for a trial about to start: every stage it plans to reuse
 * (`cachedPrefix`) when it waits for no running trial; when it waits for an owner, those of the
 * shared stages the owner has settled. Counting a reused prefix as settled at once — not only when
 * the trial's own lookup reports it — is what keeps a trial that shares only cached stages with a
 * running one from waiting for it (and, holding no worker, from letting the study start another).
 */
export function settledAtStart(
  cachedPrefix: number,
  shared: SharedPrefix | null,
  running: readonly RunningTrial[],
): number {
  if (shared === null) return cachedPrefix;
  const owner = running.find((trial) => trial.trialIndex === shared.owner);
  return owner === undefined ? shared.stages : settledBehindOwner(shared, owner.settledStages);
}

/** A waiting trial's settled stages once its owner has settled `ownerSettled`: those of the shared ones. */
export function settledBehindOwner(prefix: SharedPrefix, ownerSettled: number): number {
  return Math.min(prefix.stages, ownerSettled);
}

/** Whether a waiting trial's shared prefix is in the cache now (or its owner ended without it). */
export function prefixSettled(prefix: SharedPrefix, running: readonly RunningTrial[]): boolean {
  const owner = running.find((trial) => trial.trialIndex === prefix.owner);
  return owner === undefined || owner.settledStages >= prefix.stages;
}

/**
 * Waiting trials to start now, in start order: those whose prefix has settled, as many as there
 * are free slots.
 */
export function trialsToLaunch(
  running: readonly RunningTrial[],
  parallelism: number,
  prefixOf: (trialIndex: number) => SharedPrefix,
): number[] {
  let free = parallelism - computingTrials(running);
  const launch: number[] = [];
  for (const trial of running) {
    if (free <= 0) break;
    if (trial.waiting && prefixSettled(prefixOf(trial.trialIndex), running)) {
      launch.push(trial.trialIndex);
      free--;
    }
  }
  return launch;
}

/** Leading stages two configurations share exactly, capped at S−1. */
export function sharedStages(a: Configuration, b: Configuration): number {
  const limit = Math.min(a.length, b.length) - 1;
  let shared = 0;
  while (shared < limit && canonicalJson(a[shared]) === canonicalJson(b[shared])) shared++;
  return shared;
}
