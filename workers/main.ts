/**
 * Worker process entry point: parse settings, connect, register, run until SIGINT/SIGTERM.
 * Started by `memotune worker` (flags) or directly: `node bin/run-ts.js workers/main.ts`
 * (settings from MEMOTUNE_QUEUES, MEMOTUNE_STAGES, MEMOTUNE_TASK_QUEUE_PREFIX, the TEMPORAL_*
 * variables and config file (src/client/temporal-connection.ts) and the MEMOTUNE_S3_* / AWS_*
 * variables (src/storage/s3-settings.ts)).
 */
import { pathToFileURL } from 'node:url';
import {
  connectWorker,
  openStore,
  temporalEndpointDescription,
  temporalNamespace,
  type EndpointOptions,
} from '../src/cli/connection.js';
import { packageVersion } from '../src/package-root.js';
import { defaultTaskQueuePrefix } from '../src/config/plan.js';
import type { Worker } from '@temporalio/worker';
import { createWorkers, runWorkers, type QueueRole } from '../src/worker/run-workers.js';
import { builtInStages, loadStageModule } from './stage-modules.js';

export interface WorkerProcessOptions extends EndpointOptions {
  readonly queues: readonly QueueRole[];
  /** Module exporting the user's stage registry. */
  readonly stagesModule?: string;
  readonly taskQueuePrefix?: string;
  /** Stages run at once per stage queue. @default 1 on gpu, 2 on the other queues */
  readonly maxConcurrentStages?: number;
  /** Threads computing suggestions at once (for many concurrent studies). @default 1 */
  readonly suggestThreads?: number;
  /** Megabytes of Cholesky factors each suggest thread keeps between suggestions (0: none). @default 1024 */
  readonly factorCacheMegabytes?: number;
  /** Where the process's Runtime serves Prometheus metrics (`--metrics`; set up by the CLI): said at start. */
  readonly metricsAddress?: string;
  /** Prints the start-up line (the CLI's writes it as JSON with `--log-format json`). @default console.log */
  readonly announce?: (line: string) => void;
}

/**
 * The stages a worker serves, as its start-up line says them: the user's by name (a count alone,
 * the shipped synthetic stages included, did not match the module they had written).
 */
export function stagesDescription(
  module: string | undefined,
  names: readonly string[],
  builtIn: number,
  servesStageQueues = false,
): string {
  const synthetic = `${builtIn} built-in synthetic`;
  if (module !== undefined) return `stages from ${module}: ${names.join(', ') || 'none'} (+ ${synthetic})`;
  // A worker started bare beside Python stage workers takes their tasks off the shared stage
  // queues and fails them as unknown stages: say so where it starts, not after a study failed.
  return servesStageQueues
    ? `stages: ${synthetic} only (the examples'). Your own stages need --stages <module>; beside Python ` +
        'stage workers, serve --queues orchestration, or this worker takes tasks off their queues'
    : 'no stages (the orchestration queue only: the study loop and the optimizer)';
}

/**
 * The orchestration worker's build id (the SDK's: its version and its workflow bundle's sha256),
 * which the server records in each study's `BuildIds`: the value `temporal workflow list --query
 * "BuildIds = '…'"` takes (an ops review found it printed nowhere).
 */
function orchestrationBuild(workers: readonly Worker[]): string {
  const orchestration = workers.find((worker) => worker.options.taskQueue.endsWith('-orchestration'));
  const buildId = (orchestration?.options as { buildId?: unknown } | undefined)?.buildId;
  return typeof buildId === 'string' ? `; build ${buildId}` : '';
}

export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  const prefix = options.taskQueuePrefix ?? defaultTaskQueuePrefix;
  const yours = options.stagesModule ? await loadStageModule(options.stagesModule) : {};
  const builtIn = builtInStages();
  const stages = { ...builtIn, ...yours };
  const connection = await connectWorker(options);
  const workers = await createWorkers({
    connection,
    namespace: temporalNamespace(options),
    taskQueuePrefix: prefix,
    queues: options.queues,
    store: openStore(),
    stages,
    ...(options.maxConcurrentStages === undefined ? {} : { maxConcurrentStages: options.maxConcurrentStages }),
    suggestPool: {
      ...(options.suggestThreads === undefined ? {} : { threads: options.suggestThreads }),
      ...(options.factorCacheMegabytes === undefined
        ? {}
        : { factorCacheBytes: options.factorCacheMegabytes * 1024 * 1024 }),
    },
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  (options.announce ?? console.log)(
    `memotune worker on ${temporalEndpointDescription(options)}: queues ${options.queues.map((queue) => `${prefix}-${queue}`).join(', ')}; ` +
      stagesDescription(
        options.stagesModule,
        Object.keys(yours),
        Object.keys(builtIn).length,
        options.queues.some((queue) => queue !== 'orchestration'),
      ) +
      (options.metricsAddress === undefined ? '' : `; metrics http://${options.metricsAddress}/metrics`) +
      `; memotune ${packageVersion}` +
      orchestrationBuild(workers),
  );
  await runWorkers(workers, controller.signal);
  await connection.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runWorkerProcess({
    queues: (process.env.MEMOTUNE_QUEUES ?? 'orchestration,cpu,gpu').split(',') as QueueRole[],
    ...(process.env.MEMOTUNE_STAGES ? { stagesModule: process.env.MEMOTUNE_STAGES } : {}),
    taskQueuePrefix: process.env.MEMOTUNE_TASK_QUEUE_PREFIX ?? defaultTaskQueuePrefix,
  });
}
