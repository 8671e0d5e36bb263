import {
  ActivityFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { FailureType } from '../src/core/errors.js';
import {
  initialStudyState,
  isLegacyState,
  progressOf,
  stopReason,
  summarizeLegacyState,
  withTrial,
  type LegacyStudyState,
  type StudyOutcome,
  type StudyPlan,
  type StudyState,
  type StudyStatus,
  type TrialRecord,
} from '../src/core/study.js';
import type { Suggestion } from '../src/core/types.js';
import { trialLogPrefix } from '../src/core/trial-log.js';
import { progressQuery, resultQuery, stopSignal } from './definitions.js';
import { studyWorkflowV1 } from './legacy/study-v1.js';
import { trialWorkflow, type TrialInput } from './trial.js';

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
  const { plan } = input;
  const heartbeatSeconds = plan.orchestrationHeartbeatSeconds ?? defaultOrchestrationHeartbeatSeconds;
  const orchestration = {
    taskQueue: plan.orchestrationQueue,
    heartbeatTimeout: heartbeatSeconds * 1000,
    // Retried until it works: an outage of S3 or a crashed worker pauses the study, never ends it.
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  } as const;
  const { recordTrial, importTrialLog } = proxyActivities<Activities>({
    ...orchestration,
    startToCloseTimeout: '2 minutes',
  });
  const { suggestFromLog } = proxyActivities<Activities>({
    ...orchestration,
    startToCloseTimeout: '10 minutes',
    // A request that can never succeed ends the study as 'failed' with the reason.
    retry: { ...orchestration.retry, nonRetryableErrorTypes: [FailureType.InvalidSuggestRequest] },
  });

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
  let status: StudyStatus = 'running';
  let runningTrial: number | null = null;
  let error: string | null = null;

  const outcome = (): StudyOutcome => ({
    ...progressOf(plan, state, status, runningTrial, error),
    direction: plan.objective.direction,
  });
  setHandler(progressQuery, () => progressOf(plan, state, status, runningTrial, error));
  setHandler(resultQuery, outcome);
  setHandler(stopSignal, () => {
    state = { ...state, stopRequested: true };
  });

  const space = plan.stages.map((stage) => ({ name: stage.name, params: stage.params }));
  let trialsThisRun = 0;
  while (stopReason(plan, state) === null) {
    if (trialsThisRun >= plan.trialsPerRun || workflowInfo().continueAsNewSuggested) {
      // Let signal handlers settle before handing the state to the next run.
      await condition(() => true);
      return await continueAsNew<typeof studyWorkflow>({ plan, state: { ...state, runs: state.runs + 1 } });
    }
    const trialIndex = state.trialCount;
    const enqueued = plan.enqueue[trialIndex];
    let trialInput: TrialInput;
    const common = {
      studyId: plan.studyId,
      pipelineId: plan.pipelineId,
      trialIndex,
      stages: plan.stages,
      objectiveMetric: plan.objective.metric,
      epsilon: plan.epsilon,
      orchestrationQueue: plan.orchestrationQueue,
      seed: plan.seed,
    };
    if (enqueued !== undefined) {
      trialInput = {
        ...common,
        config: enqueued,
        phase: 'warmup',
        source: 'enqueued',
        acquisition: null,
        predictedCost: null,
      };
    } else {
      let suggestion: Suggestion;
      try {
        suggestion = await suggestFromLog({
          space,
          trialLog: state.trialLog,
          trials: state.trialCount,
          budget: { total: plan.budget, spent: state.spent },
          direction: plan.objective.direction,
          settings: { ...plan.optimizer, epsilon: plan.epsilon },
          seed: plan.seed,
          ...(state.optimizerState === undefined ? {} : { state: state.optimizerState }),
        });
      } catch (failure) {
        if (!(failure instanceof ActivityFailure)) throw failure;
        status = 'failed';
        error = `the optimizer refused the study: ${failure.cause?.message ?? failure.message}`;
        break;
      }
      if (suggestion.diagnostics.exhausted === true) {
        // A finite space with every configuration evaluated: a repeat would teach nothing.
        status = 'exhausted';
        break;
      }
      state = suggestion.state === undefined ? state : { ...state, optimizerState: suggestion.state };
      trialInput = {
        ...common,
        config: suggestion.config,
        phase: suggestion.phase,
        source: 'optimizer',
        acquisition: suggestion.acquisition,
        predictedCost: suggestion.predictedCost,
        suggestedPrefix: suggestion.cachedPrefix,
        optimizerSeconds:
          typeof suggestion.diagnostics.totalMs === 'number' ? suggestion.diagnostics.totalMs / 1000 : 0,
      };
    }
    runningTrial = trialIndex;
    let record: TrialRecord;
    try {
      record = await executeChild(trialWorkflow, {
        workflowId: `${plan.studyId}/trial-${trialIndex}`,
        taskQueue: plan.orchestrationQueue,
        args: [trialInput],
      });
    } catch (failure) {
      // Stage failures never fail a trial workflow (they are recorded); reaching this means the
      // trial itself broke (terminated by hand, a bug). Stop rather than loop on uncharged trials.
      if (!(failure instanceof ChildWorkflowFailure)) throw failure;
      runningTrial = null;
      status = 'failed';
      error = `trial ${trialIndex} did not complete: ${failure.cause?.message ?? failure.message}`;
      break;
    }
    // Logged before it counts: the summary never names a trial the log does not hold.
    await recordTrial({ trialLog: state.trialLog, record });
    runningTrial = null;
    state = withTrial(state, record, plan.objective.direction);
    trialsThisRun++;
    log.info('trial finished', {
      trial: trialIndex,
      status: record.status,
      objective: record.objective,
      reusedStages: record.cachedPrefix,
      charged: record.chargedCost,
      spent: state.spent,
    });
    // Fail fast: a stage no worker can run fails every trial the same way, and so, usually, does
    // a streak of failures; either would otherwise spend the whole budget on nothing.
    if (record.failureType === FailureType.UnknownStage) {
      status = 'failed';
      error = `trial ${trialIndex}: ${record.error ?? 'unknown stage'} — register it on a worker of that queue`;
      break;
    }
    const limit = plan.maxConsecutiveFailures ?? null;
    if (limit !== null && state.trailingFailures >= limit) {
      status = 'failed';
      error = `${limit} trials in a row failed (maxConsecutiveFailures); the last: ${record.error ?? 'unknown error'}`;
      break;
    }
  }
  if (status === 'running') status = state.stopRequested ? 'stopped' : 'completed';
  return outcome();
}
