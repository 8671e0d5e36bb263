import { describe, expect, it } from 'vitest';
import { ServiceError, type Client } from '@temporalio/client';
import { getStudyOutcome, getStudyProgress } from '../../../src/client/index.js';
import type { StudyOutcome, StudyProgress } from '../../../src/core/study.js';

const unavailable = () =>
  new ServiceError('14 UNAVAILABLE: connection refused', {
    cause: Object.assign(new Error('unavailable'), { code: 14 }),
  });

/** A client whose study handle answers `result()` with the given steps in turn. */
function clientAnswering(steps: (() => Promise<unknown>)[]): { client: Client; calls: () => number } {
  let calls = 0;
  const handle = { result: () => steps[Math.min(calls++, steps.length - 1)]!() };
  const client = { workflow: { getHandle: () => handle } } as unknown as Client;
  return { client, calls: () => calls };
}

describe('getStudyOutcome with wait', () => {
  const outcome = { studyId: 's', status: 'completed' } as StudyOutcome;

  it('rides out a Temporal server that does not answer for a while', async () => {
    const { client, calls } = clientAnswering([
      () => Promise.reject(unavailable()),
      () => Promise.reject(unavailable()),
      () => Promise.resolve(outcome),
    ]);
    await expect(getStudyOutcome(client, 's', { wait: true })).resolves.toBe(outcome);
    expect(calls()).toBe(3);
  });

  it('throws any other error at once', async () => {
    const { client, calls } = clientAnswering([() => Promise.reject(new Error('boom'))]);
    await expect(getStudyOutcome(client, 's', { wait: true })).rejects.toThrow('boom');
    expect(calls()).toBe(1);
  });
});

describe('getStudyProgress of a study whose workflow was cancelled', () => {
  it('reports it failed with why, and no trial running any more', async () => {
    const atCancel = {
      studyId: 's',
      status: 'running',
      runningTrial: 3,
      runningTrials: [{ trialIndex: 3, config: [{ lr: 0.1 }] }],
      error: null,
    } as unknown as StudyProgress;
    const handle = {
      describe: () => Promise.resolve({ status: { name: 'CANCELLED' }, workflowId: 's', runId: 'r' }),
      query: () => Promise.resolve(atCancel),
    };
    const client = {
      options: { namespace: 'default' },
      workflow: { getHandle: () => handle },
      workflowService: {
        getWorkflowExecutionHistory: () =>
          Promise.resolve({ history: { events: [{ workflowExecutionCanceledEventAttributes: {} }] } }),
      },
    } as unknown as Client;
    const progress = await getStudyProgress(client, 's');
    expect(progress.status).toBe('failed');
    expect(progress.error).toMatch(/^the study workflow was cancelled/);
    expect(progress.runningTrial).toBeNull();
    expect(progress.runningTrials).toEqual([]);
  });
});
