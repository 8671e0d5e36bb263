import { fileURLToPath } from 'node:url';
import type { Duration } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type WorkerOptions, type WorkerPlugin } from '@temporalio/worker';
import { activityDependencyKeys, createActivities, type ActivityDependencies } from '../../activities/index.js';
import { checkOptionKeys, keysOf } from '../core/option-keys.js';
import { defaultTaskQueuePrefix, idProblem, taskQueueName } from '../config/plan.js';
import type { TaskQueueKind } from '../config/study-config.js';
import { activityMetrics } from './metrics.js';
import { SuggestPool, type SuggestPoolOptions } from './suggest-pool.js';
import { namespaceOf } from './temporal-connection.js';

export type QueueRole = 'orchestration' | TaskQueueKind;

export interface WorkersOptions extends ActivityDependencies {
  readonly connection: NativeConnection;
  /**
   * @default the namespace `connectTemporalWorker` resolved for `connection` (flags,
   * `TEMPORAL_NAMESPACE`, the profile), else 'default'
   */
  readonly namespace?: string;
  /** @default 'memotune' */
  readonly taskQueuePrefix?: string;
  /**
   * Which queues this process serves. A stage queue needs `stages`: a worker without them would
   * take the queue's tasks and refuse them as unknown stages.
   * @default ['orchestration', 'cpu', 'gpu'] with `stages`, else ['orchestration']
   */
  readonly queues?: readonly QueueRole[];
  /** A prebuilt workflow bundle (tests build it once); else the worker bundles `workflows/`. */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** Stage activities run at most this many at once per queue. @default 1 for gpu, 2 for cpu */
  readonly maxConcurrentStages?: number;
  /**
   * After a shutdown request (SIGTERM, `runWorkers`' signal), how long running stages may go on
   * before they are cancelled; a cancelled stage then has `cancellationGraceMs` to settle.
   * @default {@link defaultShutdownGraceMs} (10 s)
   */
  readonly shutdownGraceTime?: Duration;
  /**
   * After a shutdown request, when the worker stops waiting for its activities at all: `run()`
   * rejects with `GracefulShutdownPeriodExpiredError` and the process should exit. Keep it above
   * `shutdownGraceTime` + `cancellationGraceMs` so that only a stage that ignores its
   * cancellation runs into it. @default {@link defaultShutdownForceMs} (30 s)
   */
  readonly shutdownForceTime?: Duration;
  /**
   * The thread pool that computes suggestions off the event loop when `suggest` is not given. The
   * orchestration worker runs one suggest activity at a time, so one thread is enough.
   * @default { threads: 1 } (memotune's optimizer)
   */
  readonly suggestPool?: SuggestPoolOptions;
  /**
   * More Temporal worker options for every worker made here, as for a worker of your own: a
   * `dataConverter` (a payload codec: every worker of a study needs the same one), `interceptors`,
   * `plugins`, `identity`, ... memotune's own settings above (queue, activities, workflows,
   * shutdown times) are not taken from here. A `tuner` (resource-based slots) replaces memotune's
   * fixed activity slots (`maxConcurrentStages`, the orchestration worker's 8): it then decides
   * how many stages run at once.
   */
  readonly workerOptions?: Omit<WorkerOptions, (typeof memotuneWorkerOptions)[number]>;
}

/** Worker options memotune sets itself (`workerOptions` may not give them). */
const memotuneWorkerOptions = [
  'connection',
  'namespace',
  'taskQueue',
  'activities',
  'workflowsPath',
  'workflowBundle',
  'shutdownGraceTime',
  'shutdownForceTime',
  'maxConcurrentActivityTaskExecutions',
] as const;

const workersOptionKeys = [
  ...activityDependencyKeys,
  ...keysOf<Omit<WorkersOptions, keyof ActivityDependencies>>()(
    'connection',
    'namespace',
    'taskQueuePrefix',
    'queues',
    'workflowBundle',
    'maxConcurrentStages',
    'shutdownGraceTime',
    'shutdownForceTime',
    'suggestPool',
    'workerOptions',
  ),
];

/** @see WorkersOptions.shutdownGraceTime */
export const defaultShutdownGraceMs = 10_000;
/** @see WorkersOptions.shutdownForceTime */
export const defaultShutdownForceMs = 30_000;

/**
 * memotune's workflow module, for `Worker.create({ workflowsPath })` or `bundleWorkflowCode`:
 * the compiled `.js` in an installed package, the `.ts` source in a clone.
 */
export const workflowsPath = fileURLToPath(
  new URL(`../../workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/**
 * Creates one Temporal worker per queue: the orchestration worker runs the study and trial
 * workflows and the suggest/cache activities; stage workers run `runStage` for their queue kind.
 * Call `run()` on each (or `runWorkers`) to start polling.
 */
export async function createWorkers(options: WorkersOptions): Promise<Worker[]> {
  checkOptionKeys('createWorkers', options, workersOptionKeys);
  for (const key of memotuneWorkerOptions)
    if (options.workerOptions !== undefined && key in options.workerOptions)
      throw new TypeError(
        `createWorkers: workerOptions.${key} is memotune's to set` +
          (key === 'maxConcurrentActivityTaskExecutions'
            ? ' (stages at once on a stage queue: maxConcurrentStages; or give a tuner)'
            : ''),
      );
  const prefix = options.taskQueuePrefix ?? defaultTaskQueuePrefix;
  const prefixProblem = idProblem(prefix, 'taskQueuePrefix');
  if (prefixProblem !== undefined) throw new TypeError(`createWorkers: taskQueuePrefix ${prefixProblem}`);
  const hasStages = options.stages !== undefined && Object.keys(options.stages).length > 0;
  const queues = options.queues ?? (hasStages ? ['orchestration', 'cpu', 'gpu'] : ['orchestration']);
  const stageQueues = queues.filter((role) => role !== 'orchestration');
  if (!hasStages && stageQueues.length > 0)
    throw new TypeError(
      `createWorkers: queues ${stageQueues.join(', ')} run stages, but no stages were given: pass stages, or serve ` +
        "queues: ['orchestration'] (a worker without a stage takes its queue's tasks and refuses them)",
    );
  // With a tuner of the user's, its slot suppliers decide; the SDK refuses both at once.
  const tuned = options.workerOptions?.tuner !== undefined;
  if (tuned && options.maxConcurrentStages !== undefined)
    throw new TypeError(
      'createWorkers: give maxConcurrentStages or workerOptions.tuner, not both (the tuner sets the slots)',
    );
  // Suggestions run on a thread of the orchestration worker's own, which ends with that worker.
  // Threads start on the first suggestion, so a worker that never runs leaves none behind.
  const pool =
    options.suggest === undefined && queues.includes('orchestration')
      ? new SuggestPool({
          // The threads' warnings as the Runtime's log lines (JSON with --log-format json).
          onWarning: (message) => Runtime.instance().logger.warn(message),
          ...options.suggestPool,
        })
      : undefined;
  const { runStage, ...orchestrationActivities } = createActivities(
    pool === undefined ? options : { ...options, suggest: pool.suggest },
  );
  const workers: Worker[] = [];
  for (const role of queues) {
    const common = {
      ...options.workerOptions,
      // memotune's stage and suggestion metrics, after the user's own activity interceptors.
      interceptors: {
        ...options.workerOptions?.interceptors,
        activity: [
          ...(options.workerOptions?.interceptors?.activity ?? []).filter((factory) => factory !== activityMetrics),
          activityMetrics,
        ],
      },
      connection: options.connection,
      namespace: options.namespace ?? namespaceOf(options.connection) ?? 'default',
      taskQueue: taskQueueName(prefix, role),
      // A worker asked to stop (SIGTERM) stops within bounded time, even with a stage that ignores
      // its cancellation (runStage gives up on it after cancellationGraceMs).
      shutdownGraceTime: options.shutdownGraceTime ?? defaultShutdownGraceMs,
      shutdownForceTime: options.shutdownForceTime ?? defaultShutdownForceMs,
    };
    if (role === 'orchestration') {
      workers.push(
        await Worker.create({
          ...common,
          ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
          // Every activity but the stage one: suggesting, the cache lookup, the study's own records.
          activities: orchestrationActivities,
          // Suggestions run on the pool's thread (queued there, one at a time per thread), so the
          // cache lookups and log writes of parallel trials need not wait behind them. An injected
          // synchronous `suggest` blocks the event loop while it runs (up to ~2 s at n=1000).
          // (and with more threads, as many suggestions at once beside them).
          ...(tuned
            ? {}
            : {
                maxConcurrentActivityTaskExecutions:
                  pool === undefined ? 1 : 8 + (options.suggestPool?.threads ?? 1) - 1,
              }),
          // A study's next workflow task waits this long on a dead worker's sticky queue before any
          // other worker may take it (Temporal's default is 10 s): most of what killing an
          // orchestration worker costs. Replaying a run's history elsewhere is cheap (it is bounded).
          stickyQueueScheduleToStartTimeout: '3 seconds',
          plugins: [...(options.workerOptions?.plugins ?? []), ...(pool === undefined ? [] : [closesWithWorker(pool)])],
        }),
      );
    } else {
      workers.push(
        await Worker.create({
          ...common,
          activities: { runStage },
          ...(tuned
            ? {}
            : { maxConcurrentActivityTaskExecutions: options.maxConcurrentStages ?? (role === 'gpu' ? 1 : 2) }),
        }),
      );
    }
  }
  return workers;
}

/** Closes the suggest pool once the worker has stopped (or failed to start): no thread outlives it. */
function closesWithWorker(pool: SuggestPool): WorkerPlugin {
  return {
    name: 'memotune-suggest-pool',
    async runWorker(worker, next) {
      try {
        await next(worker);
      } finally {
        await pool.close();
      }
    },
  };
}

/**
 * Runs workers until `signal` aborts or one of them fails, then shuts all down and waits for them;
 * rejects with the first failure.
 */
export async function runWorkers(workers: readonly Worker[], signal?: AbortSignal): Promise<void> {
  const shutDownAll = () => workers.forEach((worker) => worker.getState() === 'RUNNING' && worker.shutdown());
  signal?.addEventListener('abort', shutDownAll, { once: true });
  try {
    // One failing takes the others down (a review saw the rest go on running after one failed).
    const ends = await Promise.allSettled(
      workers.map((worker) =>
        worker.run().catch((error: unknown) => {
          shutDownAll();
          throw error;
        }),
      ),
    );
    const failed = ends.find((end) => end.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } finally {
    signal?.removeEventListener('abort', shutDownAll);
  }
}
