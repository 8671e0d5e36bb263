/**
 * What the Temporal-backed benchmarks (overhead, scale) share: a fresh private local stack on its
 * own ports, memotune's workers in this process for a given set of stages, and a client. Each
 * benchmark keeps its own stages and studies; `close()` stops the workers and the stack.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startStack, stopStack, type StackInfo } from '../src/dev/stack.js';
import type { StageRegistry } from '../src/stages/types.js';
import { S3ObjectStore } from '../src/storage/s3-object-store.js';
import { createWorkers, runWorkers } from '../src/worker/run-workers.js';

export interface PrivateStack {
  readonly stack: StackInfo;
  /** The stack's state directory (Temporal's SQLite file, the S3 data). */
  readonly stateDir: string;
  /** Task-queue and object-key prefix of this run. */
  readonly prefix: string;
  readonly store: S3ObjectStore;
  readonly client: Client;
  close(): Promise<void>;
}

/**
 * Starts a private stack with Temporal on `temporalPort` (S3 on `temporalPort − 163`, state in
 * `.memotune/bench-<name>-<port>`, wiped first) and the orchestration and cpu workers for `stages`.
 */
export async function startPrivateStack(options: {
  readonly name: string;
  readonly temporalPort: number;
  readonly stages: StageRegistry;
  /** Stage slots of the cpu worker (memotune's default when absent). */
  readonly maxConcurrentStages?: number;
}): Promise<PrivateStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { name, temporalPort } = options;
  const stateDir = join(process.cwd(), '.memotune', `bench-${name}-${temporalPort}`);
  rmSync(stateDir, { recursive: true, force: true });
  const stackOptions = { stateDir, temporalPort, s3Port: temporalPort - 163, headless: true, log: () => {} };
  const stack = await startStack(stackOptions);
  const prefix = `${name}-${Date.now()}`;
  const store = S3ObjectStore.fromSettings({ ...stack.s3, keyPrefix: `${prefix}/` });
  await store.ensureBucket();
  const workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  const workers = await createWorkers({
    connection: workerConnection,
    taskQueuePrefix: prefix,
    store,
    stages: options.stages,
    queues: ['orchestration', 'cpu'],
    ...(options.maxConcurrentStages === undefined ? {} : { maxConcurrentStages: options.maxConcurrentStages }),
  });
  const controller = new AbortController();
  const running = runWorkers(workers, controller.signal);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  return {
    stack,
    stateDir,
    prefix,
    store,
    client: new Client({ connection }),
    async close() {
      controller.abort();
      await running;
      await workerConnection.close();
      await connection.close();
      await stopStack(stackOptions);
    },
  };
}
