import { ServiceError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  answeredByWorker,
  classifyPollers,
  hasWorkflowPollers,
  LIVE_POLL_AGE_MS,
  NoAnswerError,
  NoWorkerError,
} from '../../../src/client/worker-wait.js';

/** A client whose task-queue description lists pollers last seen `agesMs[call]` ago (the last entry repeats). */
function fakeClient(agesMs: readonly (readonly number[])[] | 'fails'): { client: Client; calls: () => number } {
  let calls = 0;
  const describeTaskQueue = async (): Promise<unknown> => {
    const call = calls++;
    if (agesMs === 'fails') throw new Error('unavailable');
    const ages = agesMs[Math.min(call, agesMs.length - 1)]!;
    const now = Date.now();
    return {
      pollers: ages.map((age) => ({
        lastAccessTime: { seconds: Math.floor((now - age) / 1000), nanos: ((now - age) % 1000) * 1e6 },
      })),
    };
  };
  const client = { options: { namespace: 'default' }, workflowService: { describeTaskQueue } } as unknown as Client;
  return { client, calls: () => calls };
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('classifyPollers', () => {
  it('counts a poller as live up to a minute of long poll plus a margin, and reports the newest poll', () => {
    const now = 1_000_000_000;
    expect(classifyPollers([], now)).toEqual({ live: 0, listed: 0, lastPollAgeMs: null });
    expect(classifyPollers([now - 60_000], now)).toEqual({ live: 1, listed: 1, lastPollAgeMs: 60_000 });
    expect(classifyPollers([now - LIVE_POLL_AGE_MS - 1, now - 200_000], now)).toEqual({
      live: 0,
      listed: 2,
      lastPollAgeMs: LIVE_POLL_AGE_MS + 1,
    });
    // No time given: the server did not say it stopped.
    expect(classifyPollers([null], now)).toEqual({ live: 1, listed: 1, lastPollAgeMs: null });
  });
});

describe('hasWorkflowPollers', () => {
  it('is false for a queue whose only worker stopped, true when the server cannot say', async () => {
    expect(await hasWorkflowPollers(fakeClient([[120_000]]).client, 'q')).toBe(false);
    expect(await hasWorkflowPollers(fakeClient([[20_000]]).client, 'q')).toBe(true);
    expect(await hasWorkflowPollers(fakeClient('fails').client, 'q')).toBe(true);
  });
});

describe('answeredByWorker', () => {
  it('returns the answer and stops checking', async () => {
    const { client, calls } = fakeClient([[]]);
    const answer = await answeredByWorker(client, 's', 'q', Promise.resolve(7), { failWithoutWorkerMs: 20 }, 'query');
    expect(answer).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls()).toBe(0);
  });

  it('says no worker polls the queue when none is listed', async () => {
    const { client } = fakeClient([[]]);
    const asked = answeredByWorker(client, 's', 'q', never(), { failWithoutWorkerMs: 10 }, 'update');
    await expect(asked).rejects.toThrow(NoWorkerError);
    await expect(asked).rejects.toThrow("study 's' is running but no worker is polling q; start one with");
    // An update is not withdrawn when the caller stops waiting; a query is just unanswered.
    await expect(asked).rejects.toThrow(
      /; the request stays pending and may still apply when a worker takes the study$/,
    );
    const query = answeredByWorker(client, 's', 'q', never(), { failWithoutWorkerMs: 10 }, 'query');
    await expect(query).rejects.toThrow(/start one with `memotune worker`$/);
  });

  it("names the study's task-queue prefix in the command to start when it is not the default", async () => {
    const { client } = fakeClient([[]]);
    const asked = answeredByWorker(client, 's', 'acme-orchestration', never(), { failWithoutWorkerMs: 10 }, 'query');
    await expect(asked).rejects.toThrow(
      /no worker is polling acme-orchestration; start one with `memotune worker --prefix acme` \(the study's task-queue prefix\)$/,
    );
    const defaultQueue = answeredByWorker(
      client,
      's',
      'memotune-orchestration',
      never(),
      { failWithoutWorkerMs: 10 },
      'query',
    );
    await expect(defaultQueue).rejects.toThrow(/start one with `memotune worker`$/);
  });

  it('says when the only listed worker stopped (its last poll over a minute old)', async () => {
    const { client } = fakeClient([[100_000]]);
    const asked = answeredByWorker(client, 's', 'q', never(), { failWithoutWorkerMs: 10 }, 'update');
    await expect(asked).rejects.toThrow(/no worker is polling q \(its last worker polled 100 s ago and has stopped\)/);
  });

  it('keeps checking a listed worker and fails once it is seen to have stopped', async () => {
    const { client, calls } = fakeClient([[30_000], [30_000], [80_000]]);
    const asked = answeredByWorker(client, 's', 'q', never(), { failWithoutWorkerMs: 5 }, 'update', 5);
    await expect(asked).rejects.toThrow(/its last worker polled 80 s ago and has stopped/);
    expect(calls()).toBe(3);
  });

  it('gives up on a listed worker that does not answer, saying an update stays pending', async () => {
    const { client } = fakeClient([[10_000]]);
    const asked = answeredByWorker(
      client,
      's',
      'q',
      never(),
      { failWithoutWorkerMs: 5, giveUpAfterMs: 30 },
      'update',
      5,
    );
    await expect(asked).rejects.toThrow(NoAnswerError);
    await expect(asked).rejects.toThrow(/q lists a worker, last polled 10 s ago, which may have just stopped/);
    await expect(asked).rejects.toThrow(/the request stays pending and may still apply/);
  });

  it("turns a query's server deadline into NoAnswerError (a NoWorkerError) when a worker is listed", async () => {
    const { client } = fakeClient([[10_000]]);
    const deadline = new ServiceError('Failed to query Workflow', {
      cause: Object.assign(new Error('4 DEADLINE_EXCEEDED: query timed out'), { code: 4 }),
    });
    const asked = answeredByWorker(client, 's', 'q', Promise.reject(deadline), { failWithoutWorkerMs: 1000 }, 'query');
    await expect(asked).rejects.toThrow(NoWorkerError);
    await expect(asked).rejects.toThrow(/^no worker answered for study 's' within 0 s: q lists a worker/);
    // The command to start names the study's prefix here too (a review followed the bare one).
    const prefixed = answeredByWorker(
      client,
      's',
      'multi-orchestration',
      Promise.reject(deadline),
      { failWithoutWorkerMs: 1000 },
      'query',
    );
    await expect(prefixed).rejects.toThrow(
      /or start one with `memotune worker --prefix multi` \(the study's task-queue prefix\)$/,
    );
  });

  it('is the request as is without failWithoutWorkerMs', async () => {
    const failure = new Error('boom');
    await expect(
      answeredByWorker(fakeClient([[]]).client, 's', 'q', Promise.reject(failure), {}, 'query'),
    ).rejects.toBe(failure);
  });
});
