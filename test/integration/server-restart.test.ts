import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudyProgress, startStudy } from '../../src/client/index.js';
import { isPortOpen, readStackInfo, startStack } from '../../src/dev/stack.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { paper3Stages, paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  env = await createTestEnv('restart');
});

afterAll(async () => {
  await env?.close();
});

// Only meaningful on the private stack the global setup started (it knows the server's pid).
const stateDir = join(testStack().workflowBundlePath, '..');
const ownStack = readStackInfo({ stateDir });

describe.runIf(process.env.MEMOTUNE_TEST_TEMPORAL_ADDRESS === undefined)(
  'a Temporal server that crashes mid-study',
  () => {
    it('resumes the study from its SQLite state after a restart, with no trial lost', async () => {
      expect(ownStack?.pids.temporal).toBeTypeOf('number');
      await env.startWorkers(paper3Stages);
      const studyId = `${env.taskQueuePrefix}-restart`;
      const { handle } = await startStudy(
        env.client,
        paper3Study({ name: 'restart', budget: 60, optimizer: { method: 'random' } }),
        {
          studyId,
          taskQueuePrefix: env.taskQueuePrefix,
        },
      );
      const deadline = Date.now() + 60_000;
      while ((await getStudyProgress(env.client, studyId)).trials < 3) {
        if (Date.now() > deadline) throw new Error('study made no progress');
        await sleep(50);
      }
      process.kill(ownStack!.pids.temporal!, 'SIGKILL');
      await sleep(500);
      await startStack({
        stateDir,
        temporalPort: 17233,
        s3Port: 17070,
        headless: true,
        bucket: 'memotune-test',
        log: () => undefined,
      });
      const result = await env.result(handle);
      expect(result.status).toBe('completed');
      expect(result.spent).toBeGreaterThanOrEqual(60);
      expect(result.history.map((trial) => trial.trialIndex)).toEqual(result.history.map((_, index) => index));
      expect(result.spent).toBeCloseTo(
        result.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
        9,
      );
    });
  },
);

describe('a local stack whose Temporal server cannot start', () => {
  it('fails at once with the end of its log and leaves no server running', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'memotune-broken-stack-'));
    try {
      // A folder where the dev server's SQLite file should be: it exits as it starts.
      mkdirSync(join(broken, 'temporal.db'));
      const started = Date.now();
      const ports = { temporalPort: 17533, s3Port: 17570 };
      await expect(
        startStack({ stateDir: broken, ...ports, headless: true, startTimeoutMs: 120_000, log: () => undefined }),
      ).rejects.toThrow(/Temporal on 127\.0\.0\.1:17533 .* exited as it started; the end of its log:\n/s);
      expect(Date.now() - started).toBeLessThan(60_000);
      // The S3 server it started with it is stopped again: nothing is orphaned.
      expect(await isPortOpen(ports.s3Port)).toBe(false);
      expect(await isPortOpen(ports.temporalPort)).toBe(false);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 180_000);
});
