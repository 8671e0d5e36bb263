import { describe, expect, it } from 'vitest';
import { ApplicationFailure, ServiceError, WorkflowFailedError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { continueStudy, failedStudyOutcome, getStudyOutcome, getStudyProgress } from '../../../src/client/index.js';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig } from '../../../src/config/study-config.js';
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

describe('a failed study (its workflow fails with the outcome as the failure detail)', () => {
  const outcome = { studyId: 's', status: 'failed', error: '2 trials in a row failed' } as StudyOutcome;
  const studyFailed = (details: unknown[]) =>
    new WorkflowFailedError(
      'Workflow execution failed',
      ApplicationFailure.create({ type: 'StudyFailed', message: outcome.error!, nonRetryable: true, details }),
      'NON_RETRYABLE_FAILURE',
    );

  it('reads the outcome from the failure, and nothing from any other failure', () => {
    expect(failedStudyOutcome(studyFailed([outcome]))).toBe(outcome);
    expect(failedStudyOutcome(studyFailed([]))).toBeNull();
    expect(failedStudyOutcome(studyFailed(['not an outcome']))).toBeNull();
    const otherType = new WorkflowFailedError(
      'Workflow execution failed',
      ApplicationFailure.create({ type: 'Boom', message: 'boom', details: [outcome] }),
      'NON_RETRYABLE_FAILURE',
    );
    expect(failedStudyOutcome(otherType)).toBeNull();
    expect(failedStudyOutcome(new Error('boom'))).toBeNull();
  });

  it('getStudyOutcome with wait returns it instead of throwing', async () => {
    const { client } = clientAnswering([() => Promise.reject(studyFailed([outcome]))]);
    await expect(getStudyOutcome(client, 's', { wait: true })).resolves.toBe(outcome);
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

describe('continueStudy', () => {
  /** A client for a study that completed with `trialCount` trials of a plan with `maxTrials`. */
  function completedStudy(trialCount: number, maxTrials: number | null, spent = 4) {
    const started: unknown[] = [];
    const plan = planStudy(
      parseStudyConfig({
        name: 's',
        pipeline: { stages: [{ name: 'train', params: [{ name: 'lr', type: 'float', low: 0.001, high: 1 }] }] },
        objective: { metric: 'acc' },
        budget: 10,
        ...(maxTrials === null ? {} : { maxTrials }),
      }),
    );
    const state = { trialCount, spent, budget: 10, runs: 1, stopRequested: false };
    const handle = {
      describe: () =>
        Promise.resolve({
          status: { name: 'COMPLETED' },
          runId: 'r',
          startTime: new Date('2026-12-01T10:00:00Z'),
          memo: { memotuneStudyStarted: '2026-11-30T09:00:00.000Z' },
        }),
      result: () => Promise.resolve({ status: 'completed', state }),
    };
    const client = {
      options: {
        namespace: 'default',
        loadedDataConverter: { payloadConverter: defaultPayloadConverter, payloadCodecs: [] },
      },
      workflow: {
        getHandle: () => handle,
        start: (_type: string, options: unknown) => (started.push(options), Promise.resolve({})),
      },
      workflowService: {
        getWorkflowExecutionHistory: () =>
          Promise.resolve({
            history: {
              events: [
                {
                  workflowExecutionStartedEventAttributes: {
                    input: { payloads: [defaultPayloadConverter.toPayload({ plan })] },
                  },
                },
              ],
            },
          }),
      },
    } as unknown as Client;
    return { client, started };
  }

  it('refuses a study that ran its maxTrials: more budget would run no trial', async () => {
    const { client, started } = completedStudy(8, 8);
    await expect(continueStudy(client, 's', { budget: 5 })).rejects.toThrow(/ran its maxTrials \(8\)/);
    expect(started).toHaveLength(0);
  });

  it('continues a study that spent its budget', async () => {
    const { client, started } = completedStudy(5, 8);
    await continueStudy(client, 's', { budget: 5 });
    expect(started).toHaveLength(1);
    // The new run keeps when the study started (study list dates it from there).
    expect(started[0]).toMatchObject({ memo: { memotuneStudyStarted: '2026-11-30T09:00:00.000Z' } });
  });

  it('continues a study that ran its maxTrials with more trials, raising maxTrials by them', async () => {
    const { client, started } = completedStudy(8, 8);
    await continueStudy(client, 's', { trials: 3 });
    const [{ plan, state }] = (started[0] as { args: [{ plan: { maxTrials: number }; state: { budget: number } }] })
      .args;
    expect(plan.maxTrials).toBe(11);
    expect(state.budget).toBe(10);
    // Without a maxTrials: the trials run so far plus the extra.
    const unlimited = completedStudy(8, null);
    await continueStudy(unlimited.client, 's', { trials: 2, budget: 1 });
    expect((unlimited.started[0] as { args: [{ plan: { maxTrials: number } }] }).args[0].plan.maxTrials).toBe(10);
  });

  it('refuses more trials alone when the budget is spent, and an empty or bad request', async () => {
    const { client, started } = completedStudy(5, 8, 10);
    await expect(continueStudy(client, 's', { trials: 2 })).rejects.toThrow(
      /has spent its budget \(spent 10 of 10\): more trials alone would run none/,
    );
    await expect(continueStudy(client, 's', {})).rejects.toThrow(/^budget, trials, enqueue:/);
    await expect(continueStudy(client, 's', { trials: 1.5 })).rejects.toThrow(/^trials:/);
    expect(started).toHaveLength(0);
  });

  it('queues configurations for the new run, validated against the study space, in order', async () => {
    const { client, started } = completedStudy(5, null);
    await continueStudy(client, 's', { budget: 5, enqueue: [[{ lr: 0.5 }], [{ lr: 0.25 }]] });
    const [{ state }] = (started[0] as { args: [{ state: { queued: unknown[] } }] }).args;
    expect(state.queued).toEqual([[{ lr: 0.5 }], [{ lr: 0.25 }]]);
    // Enqueued configurations alone continue a study with budget left.
    await continueStudy(client, 's', { enqueue: [[{ lr: 0.5 }]] });
    expect(started).toHaveLength(2);
  });

  it('refuses a bad enqueued configuration naming it, and starts nothing', async () => {
    const { client, started } = completedStudy(5, null);
    await expect(continueStudy(client, 's', { budget: 5, enqueue: [[{ lr: 0.5 }], [{ lr: 7 }]] })).rejects.toThrow(
      'enqueue[1]: stage "train" param "lr": 7 is outside [0.001, 1]',
    );
    await expect(continueStudy(client, 's', { budget: 5, enqueue: [] })).rejects.toThrow(
      /^enqueue: give a non-empty list/,
    );
    // Its budget spent: enqueued configurations alone would run none.
    const spent = completedStudy(5, null, 10);
    await expect(continueStudy(spent.client, 's', { enqueue: [[{ lr: 0.5 }]] })).rejects.toThrow(
      /has spent its budget \(spent 10 of 10\): the new run would run no trial; add budget too/,
    );
    expect([...started, ...spent.started]).toHaveLength(0);
  });
});
