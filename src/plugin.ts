import { hostname } from 'node:os';
import { SimplePlugin } from '@temporalio/plugin';
import type { Context } from '@temporalio/activity';
import type { WorkerOptions } from '@temporalio/worker';
import { activityDependencyKeys, createActivities, type ActivityDependencies } from '../activities/index.js';
import { checkOptionKeys } from './core/option-keys.js';
import { activityMetrics } from './worker/metrics.js';

/** The activity the plugin registers; trials schedule it by this name. */
const stageActivity = 'runStage';

/**
 * memotune's stage activity for your own Temporal workers: add it to a worker that polls a
 * memotune stage queue (`<prefix>-gpu`, `<prefix>-cpu`, or a kind of your own) and that worker runs
 * your stage implementations. It registers activities only — your worker's workflows, activities
 * and options stay as they were — so it fits a worker that already serves your own application.
 *
 * ```ts
 * const worker = await Worker.create({
 *   connection, taskQueue: 'memotune-gpu',
 *   workflowsPath: require.resolve('./my-workflows'),   // kept
 *   plugins: [new MemotunePlugin({ store, stages })],
 * });
 * ```
 * The study and trial workflows run on memotune's own queue, `<prefix>-orchestration`, in a worker
 * that {@link createWorkers} builds (`queues: ['orchestration']`) or `memotune worker --queues orchestration`:
 * the plugin alone runs stages, never a study. The worker's `maxConcurrentActivityTaskExecutions`
 * bounds its stages and your own activities alike (on a GPU queue, set it to the GPUs it has).
 */
export class MemotunePlugin extends SimplePlugin {
  /** The worker's `identity` option, once configureWorker has seen it (stage records name the worker). */
  private readonly identity: { value?: string };

  constructor(dependencies: ActivityDependencies) {
    checkOptionKeys('MemotunePlugin', dependencies, activityDependencyKeys);
    const store = (dependencies as Partial<ActivityDependencies>).store;
    if (store === undefined || typeof store.get !== 'function')
      // Without one nothing failed until a stage ran (a review's worker started fine).
      throw new TypeError(
        'MemotunePlugin: store is required: the object store your stages write their outputs to, as the ' +
          'orchestration worker has it (S3ObjectStore.fromSettings(s3SettingsFromEnvironment()))',
      );
    const identity: { value?: string } = {};
    const { runStage } = createActivities({
      ...dependencies,
      // The SDK's own default identity when the worker sets none.
      workerIdentity: dependencies.workerIdentity ?? (() => identity.value ?? `${process.pid}@${hostname()}`),
    });
    // With the stage metrics (src/worker/metrics.ts): your Runtime's exporter gets them.
    super({
      name: 'memotune',
      activities: { [stageActivity]: runStage },
      workerInterceptors: { activity: [activityMetrics] },
    });
    this.identity = identity;
  }

  /** Refuses a worker that has an activity of its own named `runStage`: one would replace the other. */
  override configureWorker(options: WorkerOptions): WorkerOptions {
    const activities = options.activities as object | undefined;
    if (activities !== undefined && Object.hasOwn(activities, stageActivity)) {
      throw new TypeError(
        `MemotunePlugin: this worker already registers an activity named '${stageActivity}', the name memotune's ` +
          'trials schedule their stages by; rename yours, or run memotune stages on a worker of their own ' +
          '(two MemotunePlugins on one worker: give one plugin all its stages)',
      );
    }
    if (typeof options.identity === 'string') this.identity.value = options.identity;
    return super.configureWorker(withInboundAsActivity(options));
  }
}

/**
 * The worker's deprecated `interceptors.activityInbound` factories as `activity` ones, first, as the
 * SDK orders them: SimplePlugin rebuilds the interceptors from `activity` and drops `activityInbound`
 * once a plugin adds interceptors of its own (the stage metrics).
 */
function withInboundAsActivity(options: WorkerOptions): WorkerOptions {
  const interceptors = options.interceptors;
  const inbound = interceptors?.activityInbound;
  if (interceptors === undefined || inbound === undefined || inbound.length === 0) return options;
  const { activityInbound: _, ...rest } = interceptors;
  return {
    ...options,
    interceptors: {
      ...rest,
      activity: [
        ...inbound.map((factory) => (context: Context) => ({ inbound: factory(context) })),
        ...(rest.activity ?? []),
      ],
    },
  };
}
