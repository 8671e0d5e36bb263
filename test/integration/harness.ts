import { createServer, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { failedStudyOutcome, withTrials } from '../../src/client/index.js';
import type { StudyOutcome, StudyResult } from '../../src/core/study.js';
import { S3ObjectStore } from '../../src/storage/s3-object-store.js';
import type { StageRegistry } from '../../src/stages/types.js';
import { startPythonWorker } from '../../src/worker/python-worker.js';
import { createWorkers, runWorkers, type QueueRole, type WorkersOptions } from '../../src/worker/run-workers.js';
import './stack-context.js';

// Workers log state changes at INFO; tests want errors only. Installed once per test process.
Runtime.install({ logger: new DefaultLogger('ERROR') });

/** A test's own slice of the shared servers: fresh task queues, fresh S3 key prefix. */
export interface TestEnv {
  readonly client: Client;
  readonly store: S3ObjectStore;
  readonly taskQueuePrefix: string;
  readonly s3KeyPrefix: string;
  /** Starts a Python stage worker (child process) on `<prefix>-<kind>`; returns a function that stops it. */
  startPythonWorker(
    stagesFiles: readonly string[],
    kind?: string,
    options?: { readonly metrics?: string },
  ): Promise<() => Promise<void>>;
  /** Starts workers for these queues in this process; returns a function that stops them. */
  startWorkers(
    stages: StageRegistry,
    queues?: readonly QueueRole[],
    options?: Pick<WorkersOptions, 'maxConcurrentStages' | 'workerOptions'> & { readonly shutdownGraceTime?: number },
  ): Promise<() => Promise<void>>;
  /** A finished study's outcome with its trial records read from this env's store. */
  result(handle: { result(): Promise<StudyOutcome> }): Promise<StudyResult>;
  close(): Promise<void>;
}

/** A TCP port nothing listens on now (for a server a test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A free port in 20000–32767, below Linux's ephemeral range (32768–60999): no outgoing connection takes it. */
export async function stablePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort();
}

export function testStack() {
  return inject('memotuneStack');
}

export async function createTestEnv(name: string): Promise<TestEnv> {
  const stack = testStack();
  const unique = `${name}-${randomUUID().slice(0, 8)}`;
  const s3KeyPrefix = `${unique}/`;
  const store = S3ObjectStore.fromSettings({ ...stack.servers.s3, keyPrefix: s3KeyPrefix });
  await store.ensureBucket();
  const connection = await Connection.connect({ address: stack.servers.temporalAddress });
  const client = new Client({ connection });
  const stoppers: (() => Promise<void>)[] = [];
  return {
    client,
    store,
    taskQueuePrefix: unique,
    s3KeyPrefix,
    async result(handle) {
      // A failed study fails its workflow; its outcome rides on the failure.
      const outcome = await handle.result().catch((error: unknown) => {
        const failed = failedStudyOutcome(error);
        if (failed === null) throw error;
        return failed;
      });
      return withTrials(outcome, store);
    },
    async startWorkers(stages, queues, options = {}) {
      const workerConnection = await NativeConnection.connect({ address: stack.servers.temporalAddress });
      const workers: Worker[] = await createWorkers({
        connection: workerConnection,
        taskQueuePrefix: unique,
        store,
        stages,
        workflowBundle: { codePath: stack.workflowBundlePath },
        ...(queues === undefined ? {} : { queues }),
        ...options,
      });
      const controller = new AbortController();
      const running = runWorkers(workers, controller.signal);
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        controller.abort();
        await running;
        await workerConnection.close();
      };
      stoppers.push(stop);
      return stop;
    },
    async startPythonWorker(stagesFiles, kind = 'python', options = {}) {
      const worker = await startPythonWorker({
        ...options,
        python: stack.python,
        stages: stagesFiles,
        taskQueue: `${unique}-${kind}`,
        address: stack.servers.temporalAddress,
        s3: { ...stack.servers.s3, keyPrefix: s3KeyPrefix },
        log: (line) => {
          if (/ERROR|Traceback/.test(line)) console.error(`[python worker] ${line}`);
        },
      });
      const stop = () => worker.stop();
      stoppers.push(stop);
      return stop;
    },
    async close() {
      for (const stop of stoppers) await stop();
      await connection.close();
    },
  };
}
