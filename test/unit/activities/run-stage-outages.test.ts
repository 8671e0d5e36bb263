import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities, type RunStageInput } from '../../../activities/index.js';
import { stageKeys } from '../../../src/core/keys.js';
import { StageCache } from '../../../src/storage/stage-cache.js';
import type { StageImplementation, StageRegistry } from '../../../src/stages/types.js';
import { accessDenied, FlakyStore } from '../storage/flaky-store.js';

// Failures are the point of these tests; don't log them as warnings.
const quiet = new DefaultLogger('ERROR');
const stages = [{ name: 'prep' }, { name: 'train' }];
const config: Record<string, number>[] = [{ n: 3 }, { lr: 0.1 }];
const keys = stageKeys('pipe', stages, config);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function input(index: number, implementation = stages[index]!.name): RunStageInput {
  return {
    studyId: 's',
    trialIndex: 0,
    pipelineId: 'pipe',
    stageIndex: index,
    stageName: stages[index]!.name,
    implementation,
    version: '1',
    params: config[index]!,
    key: keys[index]!,
    parentKey: index === 0 ? null : keys[index - 1]!,
    ancestors: stages.slice(0, index).map((stage, at) => ({ stage: stage.name, key: keys[at]! })),
  };
}

/**
 * A fake clock that moves only when told: each failed store call takes 5 s of it (an outage), and
 * a stage takes what it adds itself. So the cost rule can be checked exactly.
 */
function setup(registry: StageRegistry, options: { heartbeatDetails?: unknown; graceMs?: number } = {}) {
  const store = new FlakyStore();
  const clock = { now: 1_000_000 };
  store.onFailure = () => (clock.now += 5000);
  const activities = createActivities({
    store,
    stages: registry,
    clock: () => clock.now,
    storeRetry: { initialDelayMs: 1, maxDelayMs: 2 },
    cancellationGraceMs: options.graceMs ?? 50,
  });
  const env = new MockActivityEnvironment(
    { heartbeatTimeoutMs: 600, startToCloseTimeoutMs: 60_000, heartbeatDetails: options.heartbeatDetails },
    { logger: quiet },
  );
  const heartbeats: { spentCost: number; attempt: number; details: unknown }[] = [];
  env.on('heartbeat', (details: (typeof heartbeats)[number]) => heartbeats.push(details));
  const run = (stageInput: RunStageInput) =>
    env.run(activities.runStage, stageInput) as ReturnType<typeof activities.runStage>;
  return { store, clock, env, heartbeats, run, cache: new StageCache(store.inner) };
}

async function commitPrep(cache: StageCache) {
  const data = await cache.writeData(keys[0]!, { rows: 30 });
  await cache.commit(data, { pipelineId: 'pipe', stage: 'prep', version: '1', cost: 1, metrics: {} }, new Date());
}

describe('runStage during an S3 outage', () => {
  it('waits out an outage of the pre-stage metadata reads, heartbeating, and does not charge it', async () => {
    let runs = 0;
    const { store, cache, run, heartbeats, clock } = setup(
      {
        train: async ({ parent }) => {
          runs++;
          clock.now += 2000;
          return { output: await parent!.json(), metrics: { acc: 1 } };
        },
      },
      { heartbeatDetails: { spentCost: 1.5, attempt: 1 } },
    );
    await commitPrep(cache);
    store.down(['get']);
    const running = run(input(1));
    // Longer than the 600 ms heartbeat timeout: the attempt must stay alive while it waits.
    await sleep(700);
    expect(runs).toBe(0);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    expect(heartbeats.every((beat) => beat.spentCost === 1.5)).toBe(true);
    // The heartbeats say what the attempt waits for (`study status` shows it), and since when.
    const waiting = heartbeats.at(-1) as unknown as { waitingOnStore?: { seconds: number; error: string } };
    expect(waiting.waitingOnStore?.error).toMatch(/\S/);
    expect(waiting.waitingOnStore!.seconds).toBeGreaterThanOrEqual(0);
    store.up();
    const out = await running;
    expect(runs).toBe(1);

    expect(store.failedCalls('get')).toBeGreaterThan(10);
    expect(out).toMatchObject({ cost: 2, wallSeconds: 2, chargedCost: 3.5, recovered: false });
  });

  it("retries the stage's own reads of earlier outputs (bytes, json, stream) without failing the stage", async () => {
    const { store, cache, run, clock } = setup({
      train: async ({ parent }) => {
        store.failNext(3, ['get', 'getStream']);
        const json = await parent!.json<{ rows: number }>();
        store.failNext(2, ['getStream']);
        store.breakStreamsAfter(4);
        const chunks: Buffer[] = [];
        for await (const chunk of await parent!.stream()) chunks.push(chunk as Buffer);
        clock.now += 1000;
        return { output: { rows: json.rows, streamed: Buffer.concat(chunks).toString() } };
      },
    });
    await commitPrep(cache);
    const out = await run(input(1));
    expect(store.failedCalls()).toBe(5);
    expect(out.cost).toBe(1);
    const stored = await cache.readOutput(keys[1]!);
    expect(JSON.parse(new TextDecoder().decode(stored.body))).toEqual({ rows: 30, streamed: '{"rows":30}' });
  });

  it('still fails a damaged earlier output with CacheMiss, without retrying it', async () => {
    const { store, cache, run } = setup({ train: async ({ parent }) => ({ output: await parent!.bytes() }) });
    await commitPrep(cache);
    const meta = (await cache.readMeta(keys[0]!))!;
    await store.inner.put(`outputs/${keys[0]}/data-${meta.sha256}`, new Uint8Array([1]));
    const failure = await run(input(1)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: 'CacheMiss', nonRetryable: true });
    expect(store.failedCalls()).toBe(0);
  });

  it('treats a missing earlier output as not cached at once, not as an outage', async () => {
    const { store, run } = setup({ train: () => ({ output: 1 }) });
    const failure = await run(input(1)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: 'CacheMiss', nonRetryable: true });
    expect(store.calls.filter((call) => call.op === 'get')).toHaveLength(2);
  });

  it('keeps retrying the upload and the commit past the old 4 attempts, charging the stage time only', async () => {
    const { store, cache, run, clock } = setup({
      prep: () => {
        clock.now += 3000;
        store.failNext(12, ['put']);
        return { output: { rows: 30 } };
      },
    });
    const out = await run(input(0));
    expect(store.failedCalls('put')).toBe(12);
    // 12 failed puts took 60 s of the fake clock: none of it is charged.
    expect(out).toMatchObject({ cost: 3, wallSeconds: 3, recovered: false });
    expect(await cache.readMeta(keys[0]!)).toMatchObject({ cost: 3 });
  });

  it('stops retrying a read the stage left running once the attempt is over', async () => {
    let stray: Promise<unknown> | undefined;
    const { store, cache, run } = setup({
      train: ({ parent }) => {
        store.down(['get']);
        stray = parent!.bytes().catch((error: unknown) => error);
        return { output: 1, cost: 1 };
      },
    });
    await commitPrep(cache);
    await run(input(1));
    const error = await stray;
    expect((error as Error).message).toBe('the stage attempt is over');
    const failures = store.failedCalls('get');
    await sleep(20);
    expect(store.failedCalls('get')).toBe(failures);
  });

  it("reports a write the server refuses (not an outage) at once as StoreRefused, the worker's settings to fix", async () => {
    const { store, run } = setup({
      prep: () => {
        store.failNext(1, ['put'], accessDenied);
        return { output: 1 };
      },
    });
    const failure = await run(input(0)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'StoreRefused', nonRetryable: true });
    expect((failure as Error).message).toContain("stage 'prep' ran, but storing its output: the object store refused");
    expect((failure as Error).message).toContain('Access Denied');
    // It ran: charged what it spent (the trial workflow reads the details).
    expect((failure as ApplicationFailure).details?.[0]).toMatchObject({ spentCost: expect.any(Number) });
    expect(store.failedCalls()).toBe(1);
  });

  it('stops waiting when the attempt is cancelled, and commits nothing', async () => {
    const { store, cache, run, env } = setup({ prep: () => ({ output: 1 }) });
    store.down(['put']);
    const running = run(input(0)).catch((error: unknown) => error);
    await sleep(30);
    env.cancel();
    const failure = await running;
    expect(failure).toBeInstanceOf(CancelledFailure);
    store.up();
    expect(await cache.readMeta(keys[0]!)).toBeNull();
  });
});

describe('runStage when its worker shuts down', () => {
  it('reports an interruption, not retried and carrying what the attempt spent, instead of a cancellation', async () => {
    const { run, env, clock, cache } = setup({
      prep: ({ signal }) =>
        new Promise((_, reject) => {
          clock.now += 4000;
          signal.addEventListener('abort', () => reject(new Error('stopped half way')));
        }),
    });
    const running = run(input(0)).catch((error: unknown) => error);
    await sleep(20);
    env.cancel('WORKER_SHUTDOWN');
    const failure = await running;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'WorkerShutdown',
      nonRetryable: true,
      message: "stage 'prep' was interrupted: its worker shut down",
      details: [{ spentCost: 4, attempt: 1 }],
    });
    expect(await cache.readMeta(keys[0]!)).toBeNull();
  });

  it('stays a cancellation when the server asked for it', async () => {
    const { run, env } = setup({
      prep: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', reject)),
    });
    const running = run(input(0)).catch((error: unknown) => error);
    await sleep(20);
    env.cancel('CANCELLED');
    expect(await running).toBeInstanceOf(CancelledFailure);
  });
});

describe('runStage with a stage that ignores cancellation', () => {
  const stuck: StageImplementation = () => new Promise(() => undefined);

  it("gives up on it after the grace period and rejects with the cancellation, freeing the worker's slot", async () => {
    const { run, env, heartbeats } = setup({ prep: stuck }, { graceMs: 300 });
    const running = run(input(0)).catch((error: unknown) => error);
    await sleep(50);
    const cancelledAt = Date.now();
    env.cancel();
    const failure = await running;
    const waited = Date.now() - cancelledAt;
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(1500);
    // The heartbeats went on during the grace period.
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
  });

  it('returns what a cooperative stage does when it settles within the grace period, committing nothing', async () => {
    let sawAbort = false;
    const { run, env, cache } = setup({
      prep: ({ signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve({ output: 'late' });
          }),
        ),
    });
    const running = run(input(0)).catch((error: unknown) => error);
    await sleep(20);
    env.cancel();
    expect(await running).toBeInstanceOf(CancelledFailure);
    expect(sawAbort).toBe(true);
    expect(await cache.readMeta(keys[0]!)).toBeNull();
  });

  it('cancels itself once its start-to-close timeout has passed, without waiting for the server to say so', async () => {
    const store = new FlakyStore();
    let aborted: unknown = null;
    const activities = createActivities({
      store,
      stages: {
        prep: ({ signal }) => new Promise(() => signal.addEventListener('abort', () => (aborted = signal.reason))),
      },
      cancellationGraceMs: 100,
    });
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 200 }, { logger: quiet });
    const started = Date.now();
    const failure = await (env.run(activities.runStage, input(0)) as Promise<unknown>).catch((error: unknown) => error);
    const took = Date.now() - started;
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect(aborted).toBeInstanceOf(CancelledFailure);
    // 200 ms timeout + 1 s margin behind the server + 100 ms grace.
    expect(took).toBeGreaterThanOrEqual(1250);
    expect(took).toBeLessThan(3000);
  });
});
