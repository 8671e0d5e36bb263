import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  metricMeter,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { FailureType } from '../src/core/errors.js';
import { metricNames } from '../src/core/metric-names.js';
import {
  afterTrial,
  deadlineOf,
  costAwareHalt,
  logPositionFor,
  nextStep,
  type NextStep,
  isUsablePrediction,
  reservationFor,
  mayShareRunningPrefixes,
  pendingTrials,
  settledAtStart,
  settledBehindOwner,
  slotFreeWaitingFor,
  sharedInFlightPrefix,
  trialsToLaunch,
  type Halt,
  type RunningTrial,
  type SharedPrefix,
} from '../src/core/study-loop.js';
import {
  initialStudyState,
  knownPlanFeatures,
  isLegacyState,
  progressOf,
  planSearchSpace,
  stopReason,
  studySettings,
  summarizeLegacyState,
  withPruningSample,
  type EarlyStop,
  type EarlyStopEvidence,
  type LegacyStudyState,
  type StudyOutcome,
  type StudyPlan,
  type StudyProgress,
  type StudyState,
  type StudyStatus,
  type TrialRecord,
} from '../src/core/study.js';
import type { Suggestion } from '../src/core/types.js';
import { reusesPrefixes } from '../src/core/methods.js';
import { defaultPruner, pruneReferences } from '../src/core/pruning.js';
import { trialLogPrefix } from '../src/core/trial-log.js';
import {
  committedStages,
  inheritedEndRecord,
  repeatableEndStage,
  type WaitingTrial,
} from '../src/core/shared-prefix-end.js';
import { configLine } from '../src/core/config-line.js';
import { progressCard } from '../src/core/progress-card.js';
import { fillConfiguration, isComplete } from '../src/space/partial.js';
import {
  enqueuedConfigurations,
  enqueueProblem,
  extendBudgetProblem,
  parallelismIn,
  parallelismProblem,
  pauseProblem,
  resumeProblem,
  budgetOf,
} from '../src/core/study-control.js';
import {
  enqueueUpdate,
  extendBudgetUpdate,
  pauseUpdate,
  progressQuery,
  resultQuery,
  resumeUpdate,
  setParallelismUpdate,
  stopSignal,
  stopUpdate,
} from './definitions.js';
import { progressSearchAttributes, trialSearchAttributes } from './search-attributes.js';
import { studyWorkflowV1 } from './legacy/study-v1.js';
import { localOrchestrationPatch, stagesSettledSignal, trialWorkflow, type TrialInput } from './trial.js';

export interface StudyWorkflowInput {
  readonly plan: StudyPlan;
  /**
   * Carried across continue-as-new; absent on the first run. A legacy state (inline records) comes
   * from a run that started under an older release and is migrated to the trial log.
   */
  readonly state?: StudyState | LegacyStudyState;
}

/**
 * Marks runs of the bounded loop: replaying a run recorded before it (no marker) takes the frozen
 * legacy loop, so studies that were running when workers were upgraded go on unharmed.
 */
const boundedStatePatch = 'memotune-bounded-study-state';

/** Marks histories whose study keeps its progress card in its memo. */
const progressMemoPatch = 'memotune-progress-memo';
/**
 * Marks histories in which a running trial without a predicted cost reserves the current mean
 * charge (src/core/study-loop.ts, reservedBudget); earlier ones reserved the mean at its start.
 */
const currentMeanReservationPatch = 'memotune-current-mean-reservation';
/**
 * Marks histories in which a trial starts with the stages it reuses counted as settled, and a
 * waiting trial's settle with its owner's (src/core/study-loop.ts, settledAtStart); earlier ones
 * started every trial at 0, so a trial sharing only cached stages with a running one waited for it.
 */
const settledAtStartPatch = 'memotune-settled-at-start';
/**
 * Marks histories in which at most parallelism − 1 waiting trials leave their slot to another
 * (src/core/study-loop.ts, `LoopView.slotFreeWaiting`); earlier ones let every waiting trial do so,
 * and warm-up trials on a first stage with few values could all start at once, each waiting.
 */
const waitingBoundPatch = 'memotune-waiting-bound';
/**
 * Marks histories in which a failed study fails its workflow (type `StudyFailed`, the outcome as
 * the failure's detail), so the Temporal UI shows it as Failed; earlier ones completed with a
 * `failed` outcome, and replay them so.
 */
const failedStudyFailsPatch = 'memotune-failed-study-fails';
/**
 * Marks histories in which a suggestion that returns after a pause, a stop or a halt starts no
 * trial; earlier ones started it (one more trial after the request was acknowledged).
 */
const recheckAfterSuggestPatch = 'memotune-recheck-after-suggest';
/** Marks histories in which a paused study publishes MemotuneStatus `paused`; earlier ones kept `running`. */
const pausedStatusPatch = 'memotune-paused-status';
/**
 * Marks histories in which trials waiting for a prefix whose owner ended without committing it
 * take the owner's end when its stage failed or pruned it there, or else wait for the first of
 * them (src/core/shared-prefix-end.ts); earlier ones all started at once and computed it each.
 */
const sharedPrefixEndPatch = 'memotune-shared-prefix-end';
/** A trial that took its prefix owner's end without running (`repeatOf`) no longer counts toward the failure streak. */
const inheritedEndsUncountedPatch = 'memotune-inherited-ends-uncounted';
/**
 * A trial whose last stage reported no objective metric (failureType `ObjectiveNotReported`) ends
 * the study while none has reported it. An orchestration worker of an earlier release went on past
 * such a trial (a newer trial workflow may have recorded it in a mixed deployment).
 */
const unreportedObjectiveEndsPatch = 'memotune-unreported-objective-ends';
/**
 * A trial a stage's unusable result failed (failureType `InvalidStageResult`) ends the study while
 * no trial has completed; histories recorded before went on to maxConsecutiveFailures.
 */
const invalidResultEndsPatch = 'memotune-invalid-result-ends';
/**
 * A halt that holds whatever completes (a stage no worker has, a refused store, the failure limit)
 * replaces a pending one that a completing trial would drop (an unreported objective, an unusable
 * result); histories recorded before kept the first halt.
 */
const hardHaltWinsPatch = 'memotune-hard-halt-wins';
/**
 * A study cancelled while its optimizer ran ends as cancelled; it ended as failed ("the optimizer
 * refused the study: Activity cancelled") in histories recorded before.
 */
const cancelDuringSuggestPatch = 'memotune-cancel-during-suggest';
/**
 * A finished trial is recorded before another starts. Before, it stayed among the running trials
 * until every slot was taken: with suggestions slower than trials, a parallel study kept
 * parallelism − 1 finished trials unrecorded, shown as running and told to the optimizer as
 * pending (a review saw 5 of 6 so at 3,000 trials, and one trial computing at a time).
 */
const recordFinishedFirstPatch = 'memotune-record-finished-first';

/** Seconds without a heartbeat after which an orchestration activity is retried on another worker. */
const defaultOrchestrationHeartbeatSeconds = 20;

/**
 * The study: a durable Bayesian-optimization loop that holds the budget. Each iteration asks the
 * suggest activity for a candidate (or takes the next enqueued one), runs it as a child trial
 * workflow, appends its record to the trial log and charges it. Deterministic: no I/O and no
 * numeric work here — GP fitting happens in the suggest activity, whose result the history records.
 *
 * Bounded: the workflow carries a constant-size summary (`StudyState`), never the records, so every
 * payload and every run's history stay the same size from the first trial to the ten-thousandth.
 */
export async function studyWorkflow(input: StudyWorkflowInput): Promise<StudyOutcome> {
  if (!patched(boundedStatePatch)) return studyWorkflowV1(input as { plan: StudyPlan; state?: LegacyStudyState });
  // A plan from a newer client that needs what this release does not know: fail the workflow task
  // (Temporal retries it, and a worker of the newer release takes it) rather than run it wrongly.
  const unknown = (input.plan.requires ?? []).filter(
    (feature) => !(knownPlanFeatures as readonly string[]).includes(feature),
  );
  if (unknown.length > 0)
    throw new Error(
      `this study needs ${unknown.join(', ')}, which this orchestration worker's memotune release does not know: ` +
        'run its orchestration workers on the release that started it (or a later one)',
    );
  // (stopWhen has applied since the release that added it, unpatched: a study with it that a worker
  // of an earlier release ran, ignoring it, does not replay here — README, "Upgrading workers".)
  const { plan } = input;
  const heartbeatSeconds = plan.orchestrationHeartbeatSeconds ?? defaultOrchestrationHeartbeatSeconds;
  const orchestration = {
    taskQueue: plan.orchestrationQueue,
    heartbeatTimeout: heartbeatSeconds * 1000,
    // Retried until it works: an outage of S3 or a crashed worker pauses the study, never ends it.
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  } as const;
  const { importTrialLog } = proxyActivities<Activities>({
    ...orchestration,
    startToCloseTimeout: '2 minutes',
  });
  const currentMeanReservation = patched(currentMeanReservationPatch);
  const countsSettledAtStart = patched(settledAtStartPatch);
  const boundsWaiting = patched(waitingBoundPatch);
  const recordsFinishedFirst = patched(recordFinishedFirstPatch);
  // Appending a record is a few small S3 writes: as a local activity it costs no task-queue round
  // trip and no extra workflow task. Histories recorded before it replay the regular activity.
  const recordLocally = patched(localOrchestrationPatch);
  // Each call gets its own proxy only for its UI summary (user metadata: replay does not compare it).
  const recordTrial = (args: Parameters<Activities['recordTrial']>[0]) => {
    const summary = `record trial ${args.record.trialIndex} (${args.record.status})`;
    const { recordTrial: record } = recordLocally
      ? proxyLocalActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: orchestration.retry, summary })
      : proxyActivities<Activities>({ ...orchestration, startToCloseTimeout: '2 minutes', summary });
    return record(args);
  };
  const suggestFromLog = (args: Parameters<Activities['suggestFromLog']>[0]) =>
    proxyActivities<Activities>({
      ...orchestration,
      startToCloseTimeout: '10 minutes',
      // A request that can never succeed ends the study as 'failed' with the reason.
      retry: { ...orchestration.retry, nonRetryableErrorTypes: [FailureType.InvalidSuggestRequest] },
      summary: `suggest from ${args.trials} finished trial(s)${
        args.pending === undefined ? '' : `, ${args.pending.length} running`
      }`,
    }).suggestFromLog(args);

  let state: StudyState;
  if (input.state === undefined) {
    state = initialStudyState(trialLogPrefix(workflowInfo().firstExecutionRunId));
  } else if (isLegacyState(input.state)) {
    // The first run under this release of a study started before it: move its records out of the
    // workflow state (one payload, no bigger than the input that just carried them).
    const trialLog = trialLogPrefix(workflowInfo().firstExecutionRunId);
    await importTrialLog({ trialLog, records: input.state.trials });
    state = summarizeLegacyState(input.state, trialLog, plan.objective.direction);
  } else {
    state = input.state;
  }
  // stopWhen.afterSeconds counts from the study's first run, or from its `study continue` (the
  // sandbox's Date is this workflow task's time, from history: replay gives the same).
  if (plan.stopWhen?.afterSeconds !== undefined && state.clockStartedAt === undefined)
    // eslint-disable-next-line no-restricted-globals
    state = { ...state, clockStartedAt: Date.now() };
  let status: StudyStatus = 'running';
  let error: string | null = null;
  /** Set when the study ends early by the opt-in cost-aware stopping rule. */
  let earlyStop: EarlyStop | null = null;
  let earlyStopEvidence: EarlyStopEvidence | null = null;
  /** The study's progress as it stands. */
  const progressNow = (): StudyProgress =>
    progressOf(plan, state, status, runningList(), error, earlyStop, earlyStopEvidence);
  let halt: Halt | null = null;
  /** Started (or waiting to start) and not yet recorded, in start order. */
  const running = new Map<number, RunningTrial>();
  /** Trials waiting for a running trial to settle the prefix they share (single flight). */
  const waiting = new Map<number, { readonly input: TrialInput; readonly prefix: SharedPrefix }>();
  /** Trial results in the order they arrived, recorded one at a time. */
  const finished: FinishedTrial[] = [];
  const parallelism = (): number => parallelismIn(plan, state);

  const runningList = (): RunningTrial[] => [...running.values()];
  const outcome = (): StudyOutcome => ({
    ...progressNow(),
    direction: plan.objective.direction,
    state,
  });
  setHandler(progressQuery, () => progressNow(), {
    description: 'Budget spent, trials, best, running trials: what `memotune study status` shows',
  });
  const method = plan.optimizer.method ?? 'eeipu';
  /** Shows the study's progress: the UI's progress card, and its search attributes when it has them. */
  const publish = (): void => {
    const progress = progressNow();
    const card = progressCard(progress, method, parallelism());
    setCurrentDetails(card);
    // A paused study says so in MemotuneStatus (`study list`, the UI's filters), as its card does.
    const shown = status === 'running' && state.paused === true && patched(pausedStatusPatch) ? 'paused' : status;
    if (plan.searchAttributes === true) upsertSearchAttributes(progressSearchAttributes(progress, shown));
    // The card in the memo too: the server keeps it, so it can be read with no worker running
    // (current details are answered by a worker). Histories recorded before it have no such event.
    if (patched(progressMemoPatch))
      upsertMemo({ memotune: { study: plan.name, pipeline: plan.pipelineId, budget: progress.budget, card } });
  };
  setHandler(resultQuery, outcome, {
    description: "The study's progress with its direction and state (what a continued study starts from)",
  });
  setHandler(
    stopSignal,
    () => {
      state = { ...state, stopRequested: true };
    },
    { description: 'Finish the running trials, start no more, then end as stopped' },
  );
  /** Registers a control update: `problem` refuses it before it reaches history, `apply` changes the state. */
  const control = <Args extends unknown[]>(
    update: UpdateDefinition<StudyProgress, Args>,
    description: string,
    problem: (...args: Args) => string | undefined,
    apply: (...args: Args) => StudyState,
  ): void =>
    setHandler(
      update,
      (...args: Args) => {
        state = apply(...args);
        publish();
        return progressNow();
      },
      {
        description,
        validator: (...args: Args) => {
          const reason = problem(...args);
          if (reason !== undefined) throw new Error(reason);
        },
      },
    );
  control(
    pauseUpdate,
    'Finish the running trials and start none until resumed',
    () => pauseProblem(state, halt !== null),
    () => ({ ...state, paused: true }),
  );
  control(
    resumeUpdate,
    'Start trials again after a pause',
    () => resumeProblem(state, halt !== null),
    () => ({ ...state, paused: false }),
  );
  control(
    stopUpdate,
    'Finish the running trials, start no more, then end as stopped (refused when stopping already)',
    () => (state.stopRequested ? 'the study is stopping already' : undefined),
    () => ({
      ...state,
      stopRequested: true,
    }),
  );
  control(
    extendBudgetUpdate,
    'Add cost units to the budget',
    (amount) => extendBudgetProblem(plan, state, amount),
    (amount) => ({ ...state, budget: budgetOf(plan, state) + amount }),
  );
  control(
    enqueueUpdate,
    'Evaluate these configurations next, in order (parameters left out are filled by the trial suggestion)',
    (configs) => enqueueProblem(plan, state, configs),
    (configs) => ({ ...state, queued: [...(state.queued ?? []), ...enqueuedConfigurations(plan, configs)] }),
  );
  control(
    setParallelismUpdate,
    'Run this many trials at once from now on',
    (value) => parallelismProblem(state, value),
    (value) => ({ ...state, parallelism: value }),
  );
  setHandler(
    stagesSettledSignal,
    ({ trialIndex, stages }) => {
      const trial = running.get(trialIndex);
      if (trial === undefined || stages <= trial.settledStages) return;
      running.set(trialIndex, { ...trial, settledStages: stages });
      if (!countsSettledAtStart) return;
      // The trials waiting for it have those of their shared stages in the cache too.
      for (const [index, { prefix }] of waiting) {
        const waiter = running.get(index);
        const settled = settledBehindOwner(prefix, stages);
        if (prefix.owner === trialIndex && waiter !== undefined && settled > waiter.settledStages)
          running.set(index, { ...waiter, settledStages: settled });
      }
    },
    { description: 'From a trial: its first `stages` stages are in the cache (trials waiting for them may start)' },
  );

  const launch = async (trial: TrialInput): Promise<void> => {
    // The pruning reference as it stands at launch: a trial that waited for a shared prefix
    // compares with the trials completed meanwhile too.
    const prune = pruneReferences(state.pruning, plan.stages, plan.pruner ?? defaultPruner, plan.objective.direction);
    const input = prune === undefined ? trial : { ...trial, prune };
    const child = await startChild(trialWorkflow, {
      workflowId: `${plan.studyId}/trial-${input.trialIndex}`,
      taskQueue: plan.orchestrationQueue,
      args: [input],
      staticSummary: trialSummary(input, plan),
      ...(plan.searchAttributes === true ? { typedSearchAttributes: trialSearchAttributes(plan) } : {}),
    });
    child.result().then(
      (record) => finished.push({ trialIndex: input.trialIndex, record }),
      (failure: unknown) => finished.push({ trialIndex: input.trialIndex, failure }),
    );
  };
  /** The trials waiting for more of `owner`'s prefix than the `committed` stages it left in the cache, in start order. */
  const waitersBeyond = (owner: number, committed: number) =>
    [...waiting.entries()]
      .filter(([, { prefix }]) => prefix.owner === owner && prefix.stages > committed)
      .sort(([a], [b]) => a - b);
  /**
   * The owner of a prefix `waiters` wait for has ended without committing what they share: each
   * takes its end (its stage failed or pruned it there) or waits for the first of them, which
   * computes it (src/core/shared-prefix-end.ts).
   */
  const afterOwnerEnded = (owner: TrialRecord, waiters: ReturnType<typeof waitersBeyond>): void => {
    for (const [index, { input, prefix }] of waiters) {
      const stage = repeatableEndStage(owner, prefix.stages);
      if (stage !== null) {
        waiting.delete(index);
        // It holds a slot until its record is logged, at the loop's next wait.
        running.set(index, { ...running.get(index)!, waiting: false });
        // The sandbox's Date is the current workflow task's time, from history: replay gives the same.
        // eslint-disable-next-line no-restricted-globals
        const now = new Date().toISOString();
        finished.push({ trialIndex: index, record: inheritedEndRecord(owner, waitingTrialOf(input), stage, now) });
        continue;
      }
      // Only an earlier trial may be its owner: two waiters never wait for each other.
      const next = sharedInFlightPrefix(
        input.config,
        runningList().filter((other) => other.trialIndex < index),
      );
      if (next !== null) waiting.set(index, { input, prefix: next });
    }
  };
  /** What a trial's record takes from how it was started. */
  const waitingTrialOf = (input: TrialInput): WaitingTrial => ({
    trialIndex: input.trialIndex,
    config: input.config,
    phase: input.phase,
    source: input.source,
    ...(input.optimizerFilled === true ? { optimizerFilled: true } : {}),
    acquisition: input.acquisition,
    predictedCost: input.predictedCost,
    suggestedPrefix: input.suggestedPrefix ?? 0,
    optimizerSeconds: input.optimizerSeconds ?? 0,
  });
  /** Waiting trials to start now: their shared prefix is in the cache and a slot is free. */
  const readyToLaunch = (): number[] =>
    waiting.size === 0 ? [] : trialsToLaunch(runningList(), parallelism(), (index) => waiting.get(index)!.prefix);

  const space = planSearchSpace(plan);
  // stopWhen.afterSeconds: no trial starts after the deadline, and a study waiting on running
  // trials or paused wakes at it (one timer a run) rather than when something else happens. It ends
  // only a study that would start more trials: a stop or a spent budget keeps its own ending.
  const deadline = deadlineOf(plan, state);
  let deadlinePassed = false;
  // The sandbox's Date is this workflow task's time, from history: replay gives the same. A
  // cancelled study cancels the timer too: its rejection is expected, not a failure of the run.
  if (deadline !== null)
    // eslint-disable-next-line no-restricted-globals
    void sleep(Math.max(1, deadline - Date.now())).then(
      () => (deadlinePassed = true),
      () => undefined,
    );
  const timeIsUp = (): boolean => deadlinePassed && !state.stopRequested && stopReason(plan, state) === null;
  const waitFor = (ready: () => boolean): Promise<void> => condition(() => ready() || (halt === null && timeIsUp()));
  publish();
  let startedThisRun = 0;
  /** Set when the optimizer has nothing new while trials run: wait for one to finish first. */
  let awaitFinish = false;
  for (;;) {
    if (halt === null && timeIsUp()) halt = { status: 'completed', error: null, earlyStop: 'timeLimit' };
    for (const trialIndex of readyToLaunch()) {
      const { input } = waiting.get(trialIndex)!;
      waiting.delete(trialIndex);
      running.set(trialIndex, { ...running.get(trialIndex)!, waiting: false });
      await launch(input);
    }
    const step: NextStep =
      awaitFinish || (recordsFinishedFirst && finished.length > 0)
        ? { kind: 'wait' }
        : nextStep({
            plan,
            state,
            running: runningList(),
            startedThisRun,
            handOffSuggested: workflowInfo().continueAsNewSuggested,
            halt,
            currentMeanReservation,
            ...(boundsWaiting ? { slotFreeWaiting: slotFreeWaitingFor(parallelism()) } : {}),
          });
    if (step.kind === 'finish') {
      status = step.status;
      error = step.error;
      earlyStop = step.earlyStop ?? null;
      earlyStopEvidence = step.evidence ?? null;
      publish();
      break;
    }
    if (step.kind === 'paused') {
      await waitFor(() => state.paused !== true || state.stopRequested);
      continue;
    }
    if (step.kind === 'continueAsNew') {
      // Let signal handlers settle before handing the state to the next run.
      await condition(() => true);
      return await continueAsNew<typeof studyWorkflow>({ plan, state: { ...state, runs: state.runs + 1 } });
    }
    if (step.kind === 'wait') {
      await waitFor(() => finished.length > 0 || readyToLaunch().length > 0);
      const result = finished.shift();
      if (result === undefined) continue;
      awaitFinish = false;
      const trial = running.get(result.trialIndex)!;
      if (result.failure !== undefined) {
        // Stage failures never fail a trial workflow (they are recorded); reaching this means the
        // trial itself broke (terminated by hand, a bug). Stop rather than loop on uncharged trials.
        if (!(result.failure instanceof ChildWorkflowFailure)) throw result.failure;
        running.delete(result.trialIndex);
        halt ??= {
          status: 'failed',
          error: `trial ${result.trialIndex} did not complete: ${result.failure.cause?.message ?? result.failure.message}`,
        };
        continue;
      }
      const record: TrialRecord = { ...result.record!, ...logPositionFor(state, trial.trialIndex) };
      // Logged before it counts: the summary never names a trial the log does not hold.
      await recordTrial({ trialLog: state.trialLog, record });
      running.delete(result.trialIndex);
      const stranded = waitersBeyond(trial.trialIndex, Math.max(trial.settledStages, committedStages(record)));
      if (stranded.length > 0 && patched(sharedPrefixEndPatch)) afterOwnerEnded(record, stranded);
      // A trial that inherited its prefix owner's end counts no more toward the failure streak and
      // the patience; histories recorded before counted it.
      const inheritedEndsCount = record.repeatOf !== undefined && !patched(inheritedEndsUncountedPatch);
      const unreportedObjectiveEnds =
        record.failureType === FailureType.ObjectiveNotReported && patched(unreportedObjectiveEndsPatch);
      const invalidResultEnds =
        record.failureType === FailureType.InvalidStageResult && state.best === null && patched(invalidResultEndsPatch);
      const recorded = afterTrial(plan, state, record, {
        inheritedEndsCount,
        unreportedObjectiveEnds,
        invalidResultEnds,
      });
      state = withPruningSample(recorded.state, record, plan);
      if (halt?.untilATrialCompletes === true && state.best !== null) halt = null;
      // A halt that holds whatever completes replaces one a completing trial would drop (it was
      // ignored, and the study went on once that trial completed).
      if (
        recorded.halt !== null &&
        recorded.halt.untilATrialCompletes !== true &&
        halt?.untilATrialCompletes === true &&
        patched(hardHaltWinsPatch)
      )
        halt = recorded.halt;
      halt ??= recorded.halt;
      publish();
      // Not emitted while replaying (the SDK's workflow meter), so a trial is counted once — twice
      // only if this workflow task fails after counting and runs again (a worker dying mid-task).
      metricMeter
        .createCounter(metricNames.trials, undefined, 'trials recorded by studies')
        .add(1, { pipeline: plan.pipelineId, status: record.status, reused: record.cachedPrefix > 0 ? 'yes' : 'no' });
      log.info('trial finished', {
        trial: record.trialIndex,
        status: record.status,
        objective: record.objective,
        reusedStages: record.cachedPrefix,
        charged: record.chargedCost,
        spent: state.spent,
      });
      continue;
    }

    const { trialIndex } = step;
    const common = {
      studyId: plan.studyId,
      pipelineId: plan.pipelineId,
      trialIndex,
      stages: plan.stages,
      objectiveMetric: plan.objective.metric,
      epsilon: plan.epsilon,
      orchestrationQueue: plan.orchestrationQueue,
      seed: plan.seed,
      // Data only: the trial's own patch decides whether it waits for a stage's workers.
      ...(state.best !== null ? { stagesRanBefore: true as const } : {}),
    };
    let trialInput: TrialInput;
    // A queued configuration leaves the queue once its trial starts: one that leaves parameters out
    // waits through its suggestion, and stays queued if a pause or a halt comes first.
    const dequeue = () => {
      if (step.fromQueue) state = { ...state, queued: state.queued!.slice(1) };
    };
    // Only configurations no earlier release accepted leave parameters out, so recorded histories
    // take the first branch for every enqueued trial and replay as they ran.
    if (step.enqueued !== null && isComplete(space, step.enqueued)) {
      dequeue();
      trialInput = {
        ...common,
        config: step.enqueued,
        phase: 'warmup',
        source: 'enqueued',
        acquisition: null,
        predictedCost: null,
      };
    } else {
      let suggestion: Suggestion;
      try {
        const pending = pendingTrials(runningList());
        suggestion = await suggestFromLog({
          space,
          trialLog: state.trialLog,
          trials: state.trialCount,
          ...(pending.length === 0 ? {} : { pending }),
          ...(mayShareRunningPrefixes(runningList(), parallelism()) ? {} : { shareRunningPrefixes: false }),
          budget: { total: plan.budget, spent: state.spent },
          direction: plan.objective.direction,
          settings: studySettings(plan),
          seed: plan.seed,
          ...(state.optimizerState === undefined ? {} : { state: state.optimizerState }),
        });
      } catch (failure) {
        // The study's cancellation reached the suggestion in flight: it is no refusal.
        if (isCancellation(failure) && patched(cancelDuringSuggestPatch)) throw failure;
        if (!(failure instanceof ActivityFailure)) throw failure;
        halt = {
          status: 'failed',
          error: `the optimizer refused the study: ${failure.cause?.message ?? failure.message}`,
        };
        continue;
      }
      // A pause, stop or halt that arrived while the optimizer ran: start nothing more (a review saw
      // one more trial start after `study pause` and `study stop` had been acknowledged).
      if (
        (state.paused === true || state.stopRequested || halt !== null || timeIsUp()) &&
        patched(recheckAfterSuggestPatch)
      )
        continue;
      if (suggestion.diagnostics.exhausted === true) {
        // A finite space with every configuration evaluated: a repeat would teach nothing.
        halt = { status: 'exhausted', error: null };
        continue;
      }
      if (suggestion.diagnostics.waitForPending === true && running.size > 0) {
        // Every configuration left is running: wait for one to finish before asking again.
        awaitFinish = true;
        continue;
      }
      // Opt-in (a setting no earlier release accepted, so recorded histories never take it): the
      // decision reads the suggestion, which the history records, so it replays as it ran.
      if (plan.optimizer.costAwareStopping === true) {
        const stop = costAwareHalt(suggestion);
        if (stop !== null) {
          // Nothing left is worth its cost: finish the running trials, start no more.
          halt = stop;
          continue;
        }
      }
      state = suggestion.state === undefined ? state : { ...state, optimizerState: suggestion.state };
      const optimizerSeconds =
        typeof suggestion.diagnostics.totalMs === 'number' ? suggestion.diagnostics.totalMs / 1000 : 0;
      if (step.enqueued === null) {
        trialInput = {
          ...common,
          config: suggestion.config,
          phase: suggestion.phase,
          source: 'optimizer',
          acquisition: suggestion.acquisition,
          predictedCost: suggestion.predictedCost,
          suggestedPrefix: suggestion.cachedPrefix,
          optimizerSeconds,
        };
      } else {
        // The user's values where they gave them, the suggestion's elsewhere (Optuna fills a partial
        // enqueued trial from its sampler alike); the suggestion's acquisition, predicted cost and
        // prefix are its own configuration's, not this one's.
        dequeue();
        trialInput = {
          ...common,
          config: fillConfiguration(space, step.enqueued, suggestion.config),
          phase: 'warmup',
          source: 'enqueued',
          // The optimizer reads it as its suggestion's point used (a review saw every partial
          // enqueued trial of a warm-up filled from the same design point, and the next warm-up
          // trial run that point again). Data only: no command depends on it.
          optimizerFilled: true,
          acquisition: null,
          predictedCost: null,
          optimizerSeconds,
        };
      }
    }
    // A trial tells the study each stage it settles only when another may share its prefix: the
    // optimizer pins only to post-warm-up EEIPU trials, users' enqueued ones may share by design.
    // (Each signal costs a workflow task on both sides; a waiter is released when its owner ends anyway.)
    if (
      parallelism() > 1 &&
      (trialInput.source === 'enqueued' || (reusesPrefixes(method) && trialInput.phase === 'bo'))
    )
      trialInput = { ...trialInput, reportSettledStages: true };
    const shared = parallelism() > 1 ? sharedInFlightPrefix(trialInput.config, runningList()) : null;
    running.set(trialIndex, {
      trialIndex,
      config: trialInput.config,
      cachedPrefix: trialInput.suggestedPrefix ?? 0,
      phase: trialInput.phase,
      ...(trialInput.source === 'enqueued' && trialInput.optimizerFilled !== true ? { enqueued: true } : {}),
      reservedCost: reservationFor(trialInput.predictedCost, state),
      predicted: isUsablePrediction(trialInput.predictedCost),
      settledStages: countsSettledAtStart ? settledAtStart(trialInput.suggestedPrefix ?? 0, shared, runningList()) : 0,
      waiting: shared !== null,
    });
    startedThisRun++;
    if (shared === null) await launch(trialInput);
    else waiting.set(trialIndex, { input: trialInput, prefix: shared });
    setCurrentDetails(progressCard(progressNow(), method, parallelism()));
  }
  const result = outcome();
  // An ERROR line of its own (the SDK logs a failed workflow at WARN): what a log alert keys on.
  if (status === 'failed') log.error('study failed', { studyId: plan.studyId, error: error ?? 'the study failed' });
  if (status === 'failed' && patched(failedStudyFailsPatch)) {
    // Not retried: the halt that failed it would fail it again. The client reads the outcome back
    // from the failure (src/client, failedStudyOutcome), as from a completed study's result.
    throw ApplicationFailure.create({
      type: FailureType.StudyFailed,
      message: error ?? 'the study failed',
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

/** The trial's line in the Temporal UI: its configuration, and the prefix the optimizer planned it to reuse. */
function trialSummary(input: TrialInput, plan: StudyPlan): string {
  const config = configLine(
    input.config,
    plan.stages.map((stage) => stage.name),
    4,
  );
  // What the optimizer planned: the cache may hold less when the trial starts (its details say what it reused).
  const reuse = (input.suggestedPrefix ?? 0) > 0 ? ` (plans to reuse ${input.suggestedPrefix} stage(s))` : '';
  // The UI shows one line; the whole configuration is in the trial's input.
  const line = `trial ${input.trialIndex}${reuse} — ${config}`;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** A trial child's result as it arrived: its record, or why the child itself failed. */
type FinishedTrial =
  | { readonly trialIndex: number; readonly record: TrialRecord; readonly failure?: undefined }
  | { readonly trialIndex: number; readonly record?: undefined; readonly failure: unknown };
