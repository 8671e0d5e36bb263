/**
 * A stage whose worker shuts down under it (SIGTERM, a deploy, a reclaimed spot instance) is run
 * again on the next worker of its queue, using up none of its attempts: with `maximumAttempts: 1`
 * the trial still completes. For TypeScript workers (shut down in this process) and Python
 * workers (a child process sent SIGTERM).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy } from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import type { StageRegistry } from '../../src/stages/types.js';
import { stageRunning } from './stage-running.js';
import { createTestEnv, type TestEnv } from './harness.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'python-interrupt');

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('shutdown');
  await env.startWorkers({}, ['orchestration']);
});

afterAll(async () => {
  await env?.close();
});

/** Each test's own study name: another pipeline, so nothing is reused from the other test's cache. */
function oneStageStudy(name: string, implementation: string, taskQueue: string): StudyConfigInput {
  return {
    name,
    pipeline: {
      stages: [
        {
          name: 'train',
          implementation,
          taskQueue,
          params: [{ name: 'a', type: 'float', low: 0, high: 1 }],
          retry: { maximumAttempts: 1 },
        },
      ],
    },
    objective: { metric: 'objective' },
    budget: 1000,
    maxTrials: 1,
    optimizer: { method: 'random' },
  };
}

/** How many times the trial scheduled its stage, and the failures its stage activities ended in. */
async function stageActivities(trialWorkflowId: string) {
  const history = await env.client.workflow.getHandle(trialWorkflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.filter(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'runStage',
  );
  const failures = events
    .map((event) => event.activityTaskFailedEventAttributes?.failure)
    .filter((failure) => failure !== undefined && failure !== null)
    .map((failure) => ({ type: failure.applicationFailureInfo?.type, message: failure.message }));
  return { scheduled: scheduled.length, failures };
}

describe('a stage whose worker shuts down under it', () => {
  it('runs again on the next TypeScript worker of its queue, using up none of its attempts', async () => {
    let attempts = 0;
    const stages: StageRegistry = {
      interruptible: ({ params, signal }) => {
        attempts += 1;
        // The first worker's run lasts until the worker shuts down; the next one finishes.
        if (attempts === 1)
          return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
        return { output: { a: params.a }, metrics: { objective: Number(params.a) }, cost: 1 };
      },
    };
    const stopFirst = await env.startWorkers(stages, ['cpu'], { shutdownGraceTime: 200 });
    const studyId = `${env.taskQueuePrefix}-ts`;
    const { handle } = await startStudy(env.client, oneStageStudy('shutdown-ts', 'interruptible', 'cpu'), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    await stageRunning(env.client, `${studyId}/trial-0`, 60_000);
    await stopFirst();
    await env.startWorkers(stages, ['cpu']);
    const result = await env.result(handle);

    expect(attempts).toBe(2);
    // The interrupted run costs the trial nothing, as a crash does: it is charged the stage's cost, 1.
    expect(result.history[0]!.chargedCost).toBe(1);
    expect(result.status).toBe('completed');
    expect(result.history[0]).toMatchObject({ status: 'completed', error: null });
    expect(await stageActivities(`${studyId}/trial-0`)).toEqual({
      scheduled: 2,
      failures: [{ type: 'WorkerShutdown', message: "stage 'train' was interrupted: its worker shut down" }],
    });
  });

  it('runs again on the next Python worker of its queue when the first is sent SIGTERM', async () => {
    const stopFirst = await env.startPythonWorker([join(fixtures, 'waits.py')]);
    const studyId = `${env.taskQueuePrefix}-py`;
    const { handle } = await startStudy(env.client, oneStageStudy('shutdown-py', 'py-interruptible', 'python'), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    await stageRunning(env.client, `${studyId}/trial-0`, 60_000);
    await stopFirst();
    await env.startPythonWorker([join(fixtures, 'done.py')]);
    const result = await env.result(handle);

    expect(result.status).toBe('completed');
    expect(result.history[0]).toMatchObject({ status: 'completed', error: null });
    // The SIGTERM'd attempt is not charged: only the stage's own cost, 1.
    expect(result.history[0]!.chargedCost).toBe(1);
    expect(await stageActivities(`${studyId}/trial-0`)).toEqual({
      scheduled: 2,
      failures: [{ type: 'WorkerShutdown', message: "stage 'train' was interrupted: its worker shut down" }],
    });
  });
});
