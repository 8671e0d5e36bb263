import { defaultPruner, defaultSuccessiveHalving, type PrunerSettings } from '../core/pruning.js';
import { defaultStudySeed } from '../core/seed.js';
import { planFeatures, type StagePlan, type StudyPlan } from '../core/study.js';
import type { Configuration } from '../core/types.js';
import { resolveSettings } from '../optimizer/settings.js';
import { jsonBytes, padStages, textProblem } from '../space/index.js';
import { maxIdLength, maxPlanBytes } from '../space/limits.js';
import {
  defaultTimeoutSeconds,
  searchSpaceOf,
  StudyConfigError,
  type StudyConfig,
  type TaskQueueKind,
} from './study-config.js';

/** Deployment choices that are not part of the study itself. */
export interface PlanOptions {
  /** Workflow id of the study. @default the study name */
  readonly studyId?: string;
  /** Task queues are `<prefix>-orchestration`, `<prefix>-cpu`, `<prefix>-gpu`. @default 'memotune' */
  readonly taskQueuePrefix?: string;
  /** Trials per workflow run before continue-as-new. @default 100 */
  readonly trialsPerRun?: number;
  /**
   * Seconds without a heartbeat after which a suggest, cache-lookup or trial-log activity is
   * retried on another worker: the stall a killed orchestration worker costs. The suggest activity
   * heartbeats while its worker thread computes, so long suggestions need no larger value; an
   * injected synchronous `suggest` blocks heartbeats and does. @default 20
   */
  readonly orchestrationHeartbeatSeconds?: number;
}

export const defaultTaskQueuePrefix = 'memotune';

/**
 * A stage attempt that sends no heartbeat for this long is retried elsewhere: the stall a killed
 * stage worker costs. runStage heartbeats every third of it while the stage runs; a TypeScript
 * stage that blocks the event loop longer must raise `heartbeatSeconds` (or run in its own process).
 */
export const defaultHeartbeatSeconds = 20;

export function taskQueueName(prefix: string, kind: TaskQueueKind): string {
  return `${prefix}-${kind}`;
}

/** The prefix of an orchestration queue `<prefix>-orchestration` (the queue itself when it is not one). */
export function taskQueuePrefixOf(orchestrationQueue: string): string {
  const suffix = '-orchestration';
  return orchestrationQueue.endsWith(suffix) ? orchestrationQueue.slice(0, -suffix.length) : orchestrationQueue;
}

/** The config's pruner with its defaults filled in (pinned in the plan, like the optimizer's). */
function prunerOf(pruner: StudyConfig['pruner']): PrunerSettings {
  if (pruner === undefined) return defaultPruner;
  if (pruner.type === 'none') return { type: 'none' };
  if (pruner.type === 'successiveHalving')
    return {
      type: 'successiveHalving',
      minResource: pruner.minResource ?? defaultSuccessiveHalving.minResource,
      reductionFactor: pruner.reductionFactor ?? defaultSuccessiveHalving.reductionFactor,
      startupTrials: pruner.startupTrials ?? defaultSuccessiveHalving.startupTrials,
    };
  const common = {
    startupTrials: pruner.startupTrials ?? defaultPruner.startupTrials,
    warmupSteps: pruner.warmupSteps ?? defaultPruner.warmupSteps,
  };
  return pruner.type === 'median'
    ? { type: 'median', ...common }
    : { type: 'percentile', percentile: pruner.percentile, ...common };
}

/**
 * Why `id` cannot be a study id (or, with `kind` 'taskQueuePrefix', a task-queue prefix);
 * undefined when it can. Non-empty, at most {@link maxIdLength} characters, no control
 * characters, no leading or trailing whitespace, and no `/`: trial workflows are
 * `<studyId>/trial-<n>`, so a study `a/trial-2` would collide with a trial of study `a`.
 */
export function idProblem(id: string, kind: 'studyId' | 'taskQueuePrefix' = 'studyId'): string | undefined {
  const problem = textProblem(id, maxIdLength);
  if (problem !== undefined) return problem;
  if (id.trim() !== id) return 'must not start or end with whitespace';
  // The Temporal UI's link to workflow `..` is the page above it.
  if (id === '.' || id === '..') return `must not be '${id}' (the Temporal UI's link to it would lead elsewhere)`;
  if (kind === 'taskQueuePrefix' && !taskQueuePrefixPattern.test(id))
    // A prefix names task queues and metric labels: `teama,teamb` or `Team A` named one queue no
    // worker meant to poll (an ops review started both).
    return `must be letters, digits, '.', '_' or '-', starting with a letter or digit (it names task queues), got '${id}'`;
  if (id.includes('/')) return 'must not contain "/" (trial workflow ids are <studyId>/trial-<n>)';
  return undefined;
}

/** What a task-queue prefix may hold: `memotune`, `team-a`, `vision_2`. */
export const taskQueuePrefixPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The study id and queue prefix, checked; every problem as a config issue. */
function checkDeployment(config: StudyConfig, options: PlanOptions): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (options.studyId !== undefined) {
    const problem = typeof options.studyId === 'string' ? idProblem(options.studyId) : 'must be a string';
    if (problem !== undefined) issues.push({ path: 'studyId', message: problem });
  } else {
    const problem = idProblem(config.name);
    if (problem !== undefined) {
      issues.push({
        path: 'name',
        message: `cannot be the study id, which ${problem}: pass an id (--id <id>, or the studyId option)`,
      });
    }
  }
  if (options.taskQueuePrefix !== undefined) {
    const prefix = options.taskQueuePrefix;
    const problem = typeof prefix === 'string' ? idProblem(prefix, 'taskQueuePrefix') : 'must be a string';
    if (problem !== undefined) issues.push({ path: 'taskQueuePrefix', message: problem });
  }
  return issues;
}

/**
 * Turns a validated config into the fully-resolved plan the study workflow runs.
 *
 * @throws StudyConfigError for a study id or task-queue prefix that cannot be one (path `studyId`,
 *   `taskQueuePrefix`, or `name` when the id defaults to the study name), or a plan of more than
 *   `maxPlanBytes` bytes of JSON.
 */
export function planStudy(config: StudyConfig, options: PlanOptions = {}): StudyPlan {
  const deploymentIssues = checkDeployment(config, options);
  if (deploymentIssues.length > 0) throw new StudyConfigError(deploymentIssues);
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
      ...(stage.retry?.nonRetryableErrors?.length ? { nonRetryableErrors: stage.retry.nonRetryableErrors } : {}),
    },
    timeoutSeconds: stage.timeoutSeconds ?? defaultTimeoutSeconds,
    heartbeatSeconds: stage.heartbeatSeconds ?? defaultHeartbeatSeconds,
  }));
  const trialsPerRun = options.trialsPerRun ?? 100;
  if (!Number.isInteger(trialsPerRun) || trialsPerRun < 1)
    throw new RangeError('trialsPerRun must be a positive integer');
  const heartbeat = options.orchestrationHeartbeatSeconds;
  if (heartbeat !== undefined && !(Number.isFinite(heartbeat) && heartbeat >= 1 && heartbeat <= 3600))
    throw new RangeError('orchestrationHeartbeatSeconds must be between 1 and 3600');
  const settings = resolveSettings(config.optimizer ?? {});
  const planned: StudyPlan = {
    studyId: options.studyId ?? config.name,
    name: config.name,
    // Projects kept apart by their queue prefix keep their caches apart too (a review saw a second
    // team's study, same name, reuse the first team's outputs); the default prefix keeps its ids.
    pipelineId: config.pipeline.id ?? (prefix === defaultTaskQueuePrefix ? config.name : `${prefix}/${config.name}`),
    stages,
    objective: { metric: config.objective.metric, direction: config.objective.direction ?? 'maximize' },
    budget: config.budget,
    maxTrials: config.maxTrials ?? null,
    // Defaults pinned now: a worker upgrade that changes one does not change a running study.
    optimizer: settings,
    // The optimizer owns the default, so the workflow charges the ε the acquisition assumes.
    epsilon: settings.epsilon,
    seed: config.seed ?? defaultStudySeed(options.studyId ?? config.name),
    // A configuration may leave out stages at its end: the plan has every stage (the parameters
    // a configuration leaves out are filled from its trial's suggestion).
    enqueue: ((config.enqueue ?? []) as Configuration[]).map((candidate) =>
      padStages(searchSpaceOf(config), candidate),
    ),
    orchestrationQueue: taskQueueName(prefix, 'orchestration'),
    trialsPerRun,
    parallelism: config.parallelism ?? 1,
    ...(options.orchestrationHeartbeatSeconds === undefined
      ? {}
      : { orchestrationHeartbeatSeconds: options.orchestrationHeartbeatSeconds }),
    maxConsecutiveFailures: config.maxConsecutiveFailures === undefined ? 5 : config.maxConsecutiveFailures,
    ...(config.stopWhen === undefined ? {} : { stopWhen: config.stopWhen }),
    pruner: prunerOf(config.pruner),
  };
  const requires = planFeatures(planned);
  const plan: StudyPlan = requires.length === 0 ? planned : { ...planned, requires };
  // The field limits keep real plans far below this; it catches only their extreme combinations
  // (every name at full length in 3-byte characters, in every one of the stages).
  const bytes = jsonBytes(plan);
  if (bytes > maxPlanBytes) {
    const enqueueBytes = jsonBytes(plan.enqueue);
    throw new StudyConfigError([
      {
        path: enqueueBytes > bytes / 2 ? 'enqueue' : 'pipeline.stages',
        message:
          `must resolve to a plan of at most ${maxPlanBytes} bytes of JSON, the study workflow's input ` +
          `(is ${bytes}, ${enqueueBytes} of them enqueued configurations): ` +
          'shorten names or enqueue fewer configurations',
      },
    ]);
  }
  return plan;
}
