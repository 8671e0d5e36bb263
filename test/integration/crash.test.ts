import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { getStudyProgress, startStudy } from '../../src/client/index.js';
import { cliEnv, spawnCli } from './cli.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;
// A TypeScript fixture: the compiled CLI loads it through tsx (a user passes compiled JS).
const slowStages = join(import.meta.dirname, 'fixtures', 'slow-stages.ts');

beforeAll(async () => {
  env = await createTestEnv('crash');
});

afterAll(async () => {
  await env?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a worker killed in the middle of a study', () => {
  it('is replaced by a new worker and the study completes with no trial lost or recorded twice', async () => {
    // (Two suggestion threads: the flag's plumbing runs a whole study.)
    const workerArgs = ['worker', '--prefix', env.taskQueuePrefix, '--stages', slowStages, '--suggest-threads', '2'];
    const logFile = join(testStack().workflowBundlePath, '..', `${env.taskQueuePrefix}-worker.log`);
    const first = spawnCli(workerArgs, cliEnv(env.s3KeyPrefix), logFile, ['--import', 'tsx']);
    const studyId = `${env.taskQueuePrefix}-crash`;
    let second: ReturnType<typeof spawnCli> | undefined;
    try {
      const { handle } = await startStudy(
        env.client,
        // Short heartbeat timeout: the killed worker's stage attempt is retried within seconds.
        paper3Study({
          name: 'crash',
          budget: 60,
          maxTrials: 8,
          optimizer: { method: 'random' },
          pipeline: { stages: paper3Study().pipeline.stages.map((stage) => ({ ...stage, heartbeatSeconds: 2 })) },
        }),
        { studyId, taskQueuePrefix: env.taskQueuePrefix },
      );
      // Kill the worker once a couple of trials are done and the next one is mid-flight.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const progress = await getStudyProgress(env.client, studyId);
        if (progress.trials >= 2 && progress.runningTrial !== null) break;
        if (Date.now() > deadline) throw new Error(`study made no progress; worker log: ${logFile}`);
        await sleep(100);
      }
      await sleep(250);
      const atKill = await getStudyProgress(env.client, studyId);
      first.kill('SIGKILL');
      await once(first, 'exit');
      expect(atKill.status).toBe('running');

      second = spawnCli(workerArgs, cliEnv(env.s3KeyPrefix), logFile, ['--import', 'tsx']);
      const result = await env.result(handle);
      expect(result.status).toBe('completed');
      expect(result.history.length).toBeGreaterThan(atKill.trials);
      expect(result.history.map((trial) => trial.trialIndex)).toEqual(result.history.map((_, index) => index));
      expect(result.history.every((trial) => trial.status === 'completed')).toBe(true);
      expect(result.spent).toBeCloseTo(
        result.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
        9,
      );
      // Exactly one trial workflow per recorded trial: none lost, none run twice under another id.
      for (const trial of result.history) {
        const description = await env.client.workflow.getHandle(`${studyId}/trial-${trial.trialIndex}`).describe();
        expect(description.status.name).toBe('COMPLETED');
      }
      await expect(
        env.client.workflow.getHandle(`${studyId}/trial-${result.history.length}`).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second && second.exitCode === null) await once(second, 'exit');
    }
  });
});
