import { ActivityFailure, ApplicationFailure, proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { Activities, RunStageOutput } from '../activities/index.js';
import { FailureType, type StageFailureDetails } from '../src/core/errors.js';
import { trialCharge, type StagePlan, type TrialRecord } from '../src/core/study.js';
import type { Configuration, Phase } from '../src/core/types.js';

/** What the study hands one trial. Plain JSON. */
export interface TrialInput {
  readonly studyId: string;
  readonly pipelineId: string;
  readonly trialIndex: number;
  readonly stages: readonly StagePlan[];
  readonly objectiveMetric: string;
  readonly epsilon: number;
  readonly config: Configuration;
  readonly phase: Phase;
  readonly source: TrialRecord['source'];
  readonly acquisition: number | null;
  readonly predictedCost: number | null;
  /** δ the optimizer planned for; absent in histories recorded before it existed. */
  readonly suggestedPrefix?: number;
  readonly orchestrationQueue: string;
}

function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause !== undefined) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Cost the failed stage spent over all its attempts, from the failure's details. */
function spentByFailedStage(error: unknown): number {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type === FailureType.StageFailed) {
    const details = cause.details?.[0] as Partial<StageFailureDetails> | undefined;
    if (typeof details?.spentCost === 'number' && Number.isFinite(details.spentCost)) return details.spentCost;
  }
  return 0;
}

/**
 * One candidate configuration through the pipeline: reuse the longest cached prefix, run the
 * remaining stages in order on their own task queues, read the objective from the last stage.
 * Runs as a child workflow of the study so its stage activities are grouped in the Temporal UI.
 * A stage that keeps failing fails the trial (recorded and charged), never the study.
 */
export async function trialWorkflow(input: TrialInput): Promise<TrialRecord> {
  const { lookupCache } = proxyActivities<Activities>({
    taskQueue: input.orchestrationQueue,
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 5 },
  });
  const lookup = await lookupCache({ pipelineId: input.pipelineId, stages: input.stages, config: input.config });
  const cachedPrefix = lookup.cached.length;
  const stageCosts: (number | null)[] = input.stages.map((_, index) => lookup.cached[index]?.cost ?? null);
  const ranCosts: number[] = [];
  const stagesRun: number[] = [];
  let metrics: Readonly<Record<string, number>> = lookup.cached[input.stages.length - 1]?.metrics ?? {};
  let error: string | null = null;
  upsertMemo({ memotune: { study: input.studyId, trial: input.trialIndex, reusedStages: cachedPrefix } });

  for (let index = cachedPrefix; index < input.stages.length; index++) {
    const stage = input.stages[index]!;
    const { runStage } = proxyActivities<Activities>({
      taskQueue: stage.taskQueue,
      startToCloseTimeout: stage.timeoutSeconds * 1000,
      heartbeatTimeout: stage.heartbeatSeconds * 1000,
      retry: {
        maximumAttempts: stage.retry.maximumAttempts,
        initialInterval: stage.retry.initialIntervalSeconds * 1000,
        backoffCoefficient: stage.retry.backoffCoefficient,
        nonRetryableErrorTypes: [FailureType.UnknownStage, FailureType.InvalidStageResult, FailureType.CacheMiss],
      },
    });
    let output: RunStageOutput;
    try {
      output = await runStage({
        studyId: input.studyId,
        trialIndex: input.trialIndex,
        pipelineId: input.pipelineId,
        stageIndex: index,
        stageName: stage.name,
        implementation: stage.implementation,
        version: stage.version,
        params: input.config[index]!,
        key: lookup.keys[index]!,
        parentKey: index === 0 ? null : lookup.keys[index - 1]!,
      });
    } catch (failure) {
      if (!(failure instanceof ActivityFailure)) throw failure;
      ranCosts.push(spentByFailedStage(failure));
      stagesRun.push(index);
      error = failureMessage(failure);
      break;
    }
    stageCosts[index] = output.cost;
    ranCosts.push(output.cost);
    stagesRun.push(index);
    metrics = output.metrics;
  }

  let objective: number | null = null;
  if (error === null) {
    const value = metrics[input.objectiveMetric];
    if (typeof value === 'number' && Number.isFinite(value)) objective = value;
    else error = `the last stage did not report the objective metric '${input.objectiveMetric}'`;
  }
  return {
    trialIndex: input.trialIndex,
    config: input.config,
    objective,
    stageCosts,
    cachedPrefix,
    chargedCost: trialCharge(cachedPrefix, input.epsilon, ranCosts),
    phase: input.phase,
    status: error === null ? 'completed' : 'failed',
    error,
    keys: lookup.keys,
    metrics,
    stagesRun,
    source: input.source,
    acquisition: input.acquisition,
    predictedCost: input.predictedCost,
    suggestedPrefix: input.suggestedPrefix ?? 0,
  };
}
