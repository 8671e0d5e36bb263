/**
 * The study loop as released before the trial log (studies carried every trial record in their
 * state, which made them die of their own size near 2,500 trials). Frozen: it exists only so that
 * workers of this release can replay and finish the runs that started under the old code — a
 * run it continues-as-new goes on under the bounded loop (workflows/study.ts), which migrates the
 * inline records to the trial log. Never change it; delete it (and the patch in study.ts, with
 * `deprecatePatch` first) once no study started before the trial log is still running.
 */
import {
  ActivityFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { FailureType } from '../../src/core/errors.js';
import {
  bestTrial,
  type LegacyStudyState as StudyState,
  studySettings,
  type StudyPlan,
  type StudyProgress,
  type StudyResult,
  type StudyStatus,
  type TrialRecord,
} from '../../src/core/study.js';
import type { Observation, Suggestion } from '../../src/core/types.js';
import { progressQuery, resultQuery, stopSignal } from '../definitions.js';
import { trialWorkflow, type TrialInput } from '../trial.js';

interface StudyWorkflowInput {
  readonly plan: StudyPlan;
  readonly state?: StudyState;
}

const initialStudyState: StudyState = { trials: [], spent: 0, stopRequested: false, runs: 1 };

function stopReason(plan: StudyPlan, state: StudyState): string | null {
  if (state.stopRequested) return 'stopRequested';
  if (state.spent >= plan.budget) return 'budget';
  if (plan.maxTrials !== null && state.trials.length >= plan.maxTrials) return 'maxTrials';
  return null;
}

function trailingFailures(trials: readonly TrialRecord[]): number {
  let count = 0;
  for (let index = trials.length - 1; index >= 0 && trials[index]!.status === 'failed'; index--) count++;
  return count;
}

function progressOf(
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

/** Only what the optimizer reads: keeps the suggest payload small. */
function observationOf(trial: TrialRecord): Observation {
  return {
    config: trial.config,
    objective: trial.objective,
    stageCosts: trial.stageCosts,
    cachedPrefix: trial.cachedPrefix,
    chargedCost: trial.chargedCost,
    phase: trial.phase,
  };
}

/** The pre-trial-log study loop, unchanged; `studyWorkflow` runs it when replaying such a run. */
export async function studyWorkflowV1(input: StudyWorkflowInput): Promise<StudyResult> {
  const { plan } = input;
  let state: StudyState = input.state ?? initialStudyState;
  let status: StudyStatus = 'running';
  let runningTrial: number | null = null;
  let error: string | null = null;

  const result = (): StudyResult => ({
    ...progressOf(plan, state, status, runningTrial, error),
    direction: plan.objective.direction,
    history: state.trials,
  });
  setHandler(progressQuery, () => progressOf(plan, state, status, runningTrial, error));
  setHandler(resultQuery, result);
  setHandler(stopSignal, () => {
    state = { ...state, stopRequested: true };
  });

  const { suggestNext } = proxyActivities<Activities>({
    taskQueue: plan.orchestrationQueue,
    startToCloseTimeout: '10 minutes',
    // Retried until it works (a crashed or redeployed worker, a transient numeric failure) — except
    // a request that can never succeed, which ends the study as 'failed' with the reason.
    retry: {
      initialInterval: '1 second',
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: [FailureType.InvalidSuggestRequest],
    },
  });

  const space = plan.stages.map((stage) => ({ name: stage.name, params: stage.params }));
  let trialsThisRun = 0;
  while (stopReason(plan, state) === null) {
    if (trialsThisRun >= plan.trialsPerRun || workflowInfo().continueAsNewSuggested) {
      // Let signal handlers settle before handing the state to the next run.
      await condition(() => true);
      return await continueAsNew<(input: StudyWorkflowInput) => Promise<StudyResult>>({
        plan,
        state: { ...state, runs: state.runs + 1 },
      });
    }
    const trialIndex = state.trials.length;
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
        suggestion = await suggestNext({
          space,
          history: state.trials.map(observationOf),
          budget: { total: plan.budget, spent: state.spent },
          direction: plan.objective.direction,
          settings: studySettings(plan),
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
    runningTrial = null;
    state = { ...state, trials: [...state.trials, record], spent: state.spent + record.chargedCost };
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
    if (limit !== null && trailingFailures(state.trials) >= limit) {
      status = 'failed';
      error = `${limit} trials in a row failed (maxConsecutiveFailures); the last: ${record.error ?? 'unknown error'}`;
      break;
    }
  }
  if (status === 'running') status = state.stopRequested ? 'stopped' : 'completed';
  return result();
}
