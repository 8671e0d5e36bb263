import type { StagePlan, StudyPlan } from '../core/study.js';
import type { Configuration } from '../core/types.js';
import { resolveSettings } from '../optimizer/settings.js';
import { type StudyConfig, type TaskQueueKind } from './study-config.js';

/** Deployment choices that are not part of the study itself. */
export interface PlanOptions {
  /** Workflow id of the study. @default the study name */
  readonly studyId?: string;
  /** Task queues are `<prefix>-orchestration`, `<prefix>-cpu`, `<prefix>-gpu`. @default 'memotune' */
  readonly taskQueuePrefix?: string;
  /** Trials per workflow run before continue-as-new. @default 100 */
  readonly trialsPerRun?: number;
}

export const defaultTaskQueuePrefix = 'memotune';

export function taskQueueName(prefix: string, kind: TaskQueueKind): string {
  return `${prefix}-${kind}`;
}

/** Turns a validated config into the fully-resolved plan the study workflow runs. */
export function planStudy(config: StudyConfig, options: PlanOptions = {}): StudyPlan {
  const prefix = options.taskQueuePrefix ?? defaultTaskQueuePrefix;
  const stages: StagePlan[] = config.pipeline.stages.map((stage) => ({
    name: stage.name,
    implementation: stage.implementation ?? stage.name,
    version: stage.version ?? '1',
    taskQueue: taskQueueName(prefix, stage.taskQueue ?? 'cpu'),
    params: stage.params,
    retry: {
      maximumAttempts: stage.retry?.maximumAttempts ?? 3,
      initialIntervalSeconds: stage.retry?.initialIntervalSeconds ?? 1,
      backoffCoefficient: stage.retry?.backoffCoefficient ?? 2,
    },
    timeoutSeconds: stage.timeoutSeconds ?? 3600,
    heartbeatSeconds: stage.heartbeatSeconds ?? 60,
  }));
  const trialsPerRun = options.trialsPerRun ?? 100;
  if (!Number.isInteger(trialsPerRun) || trialsPerRun < 1)
    throw new RangeError('trialsPerRun must be a positive integer');
  return {
    studyId: options.studyId ?? config.name,
    name: config.name,
    pipelineId: config.pipeline.id ?? config.name,
    stages,
    objective: { metric: config.objective.metric, direction: config.objective.direction ?? 'maximize' },
    budget: config.budget,
    maxTrials: config.maxTrials ?? null,
    optimizer: config.optimizer ?? {},
    // The optimizer owns the default, so the workflow charges the ε the acquisition assumes.
    epsilon: resolveSettings(config.optimizer ?? {}).epsilon,
    seed: config.seed ?? 0,
    enqueue: (config.enqueue ?? []) as Configuration[],
    orchestrationQueue: taskQueueName(prefix, 'orchestration'),
    trialsPerRun,
    maxConsecutiveFailures: config.maxConsecutiveFailures === undefined ? 5 : config.maxConsecutiveFailures,
  };
}
