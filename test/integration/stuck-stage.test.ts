/**
 * A stage that ignores its cancellation and never settles cannot hold a worker's slot, or its
 * process, for longer than the timeouts and grace periods say: runStage gives up on it after the
 * cancellation grace period, and a worker told to stop (SIGTERM) exits within its force time.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { startStudy } from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import {
  createWorkers,
  defaultShutdownForceMs,
  defaultShutdownGraceMs,
  runWorkers,
} from '../../src/worker/run-workers.js';
import { cliEnv, spawnCli } from './cli.js';
import { stageRunning } from './stage-running.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { pacedStages } from './fixtures/paced-stages.js';
import { stages as stuckStages } from './fixtures/stuck-stages.js';

const stuckStagesModule = join(import.meta.dirname, 'fixtures', 'stuck-stages.ts');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('stuck');
});

afterAll(async () => {
  await env?.close();
});

function stuckStudy(implementation: string, timeoutSeconds: number, maxTrials: number): StudyConfigInput {
  return {
    name: 'stuck',
    pipeline: {
      stages: [
        {
          name: 'only',
          implementation,
          taskQueue: 'cpu',
          params: [{ name: 'a', type: 'float', low: 0, high: 1 }],
          timeoutSeconds,
          retry: { maximumAttempts: 1 },
        },
      ],
    },
    objective: { metric: 'objective' },
    budget: 1000,
    maxTrials,
    maxConsecutiveFailures: null,
    optimizer: { method: 'random' },
  };
}

describe('a stage that ignores its cancellation', () => {
  it("is given up on after its timeout and grace period, so the next trial gets the worker's only slot", async () => {
    const timeoutSeconds = 3;
    const graceMs = 3000;
    const starts: { trial: number; at: number }[] = [];
    const connection = await NativeConnection.connect({ address: testStack().servers.temporalAddress });
    const workers = await createWorkers({
      connection,
      taskQueuePrefix: env.taskQueuePrefix,
      store: env.store,
      stages: pacedStages(stuckStages, {
        delayMs: 0,
        onStart: ({ trial }) => void starts.push({ trial: trial.trialIndex, at: Date.now() }),
      }),
      queues: ['orchestration', 'cpu'],
      workflowBundle: { codePath: testStack().workflowBundlePath },
      // One slot: while the stuck stage holds it, nothing else runs on this queue.
      maxConcurrentStages: 1,
      cancellationGraceMs: graceMs,
      shutdownGraceTime: 1000,
    });
    const controller = new AbortController();
    const running = runWorkers(workers, controller.signal);
    try {
      // The stage's heartbeat timeout stays at its 60 s default: the worker must not wait for a
      // heartbeat's answer (throttled to 48 s) to learn that the attempt timed out.
      const { handle } = await startStudy(env.client, stuckStudy('stuck-first', timeoutSeconds, 3), {
        studyId: `${env.taskQueuePrefix}-slot`,
        taskQueuePrefix: env.taskQueuePrefix,
      });
      const result = await env.result(handle);
      const [stuck, next] = [starts.find((s) => s.trial === 0)!, starts.find((s) => s.trial === 1)!];
      const gap = next.at - stuck.at;
      console.log(
        `stuck trial 0 started; trial 1's stage started ${seconds(gap)} later ` +
          `(timeout ${timeoutSeconds} s + local deadline margin 1 s + grace ${seconds(graceMs)})`,
      );
      expect(result.status).toBe('completed');
      expect(result.history.map((trial) => trial.status)).toEqual(['failed', 'completed', 'completed']);
      expect(result.history[0]).toMatchObject({ failureType: 'Timeout' });
      // The record names the stage and the limit, not Temporal's bare "activity StartToClose timeout".
      expect(result.history[0]!.error).toBe(
        `stage 'only' timed out: no result within its timeoutSeconds (${timeoutSeconds} s)`,
      );
      expect(gap).toBeGreaterThanOrEqual(timeoutSeconds * 1000);
      expect(gap).toBeLessThan(timeoutSeconds * 1000 + 1000 + graceMs + 3000);
    } finally {
      controller.abort();
      await running;
      await connection.close();
    }
  });

  it('does not keep a `memotune worker` process from exiting on SIGTERM', async () => {
    const logFile = join(testStack().workflowBundlePath, '..', `${env.taskQueuePrefix}-stuck-worker.log`);
    const worker = spawnCli(
      ['worker', '--queues', 'orchestration,cpu', '--prefix', env.taskQueuePrefix, '--stages', stuckStagesModule],
      cliEnv(env.s3KeyPrefix),
      logFile,
      ['--import', 'tsx'],
    );
    const studyId = `${env.taskQueuePrefix}-sigterm`;
    const { handle } = await startStudy(env.client, stuckStudy('stuck', 600, 1), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    try {
      await stageRunning(env.client, `${studyId}/trial-0`);
      const signalled = Date.now();
      worker.kill('SIGTERM');
      const [code, signal] = (await Promise.race([
        once(worker, 'exit'),
        sleep(defaultShutdownForceMs + 15_000).then(() => [null, 'still running']),
      ])) as [number | null, string | null];
      const took = Date.now() - signalled;
      console.log(`memotune worker exited ${seconds(took)} after SIGTERM (code ${code}, signal ${signal})`);
      expect(signal).toBeNull();
      // The stage got its shutdown grace time before it was cancelled, and the process ended anyway.
      expect(took).toBeGreaterThanOrEqual(defaultShutdownGraceMs - 500);
      expect(took).toBeLessThan(defaultShutdownForceMs + 5_000);
    } finally {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      await handle.terminate('test over').catch(() => undefined);
    }
  });
});
