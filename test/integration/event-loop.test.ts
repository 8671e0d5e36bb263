/**
 * A suggestion is computed on a thread, so the worker process that runs it stays responsive: while
 * seconds-long suggestions run, the study answers progress queries at once, a TypeScript stage in
 * the same process keeps heartbeating, and the suggest activity itself heartbeats. The suggestions
 * are slowed down by a test module the pool's thread loads (a busy loop before the real optimizer).
 */
import { NativeConnection } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudyProgress, startStudy } from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import type { StageRegistry } from '../../src/stages/types.js';
import { createWorkers, runWorkers } from '../../src/worker/run-workers.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';

const suggestBlockMs = 4_000;
/** Stage and orchestration heartbeat timeouts: far below how long one suggestion blocks its thread. */
const heartbeatSeconds = 2;
const stageMs = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const stages: StageRegistry = {
  instant: () => ({ output: null, metrics: { objective: 1 }, cost: 1 }),
  // Async and idle: only its heartbeats need this process's event loop.
  long: async ({ signal }) => {
    await new Promise((resolve) => setTimeout(resolve, stageMs)).then(() => signal.throwIfAborted());
    return { output: null, metrics: { objective: 1 }, cost: 1 };
  },
};

function study(name: string, implementation: string, maxTrials: number): StudyConfigInput {
  return {
    name,
    pipeline: {
      stages: [
        {
          name: 'only',
          implementation,
          taskQueue: 'cpu',
          params: [{ name: 'a', type: 'float', low: 0, high: 1 }],
          heartbeatSeconds,
          // One attempt: a heartbeat timeout fails the trial instead of hiding in a retry.
          retry: { maximumAttempts: 1 },
        },
      ],
    },
    objective: { metric: 'objective' },
    budget: 1000,
    maxTrials,
    optimizer: { method: 'random', warmup: 1 },
  };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const eventMs = (event: HistoryEvent) =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/** Wall-clock spans (started → closed) of the history's activities of this type, and their attempts. */
function activitySpans(events: readonly HistoryEvent[], type: string) {
  const scheduled = new Map<string, string>();
  const started = new Map<string, { at: number; attempt: number }>();
  const spans: { start: number; end: number; attempt: number }[] = [];
  for (const event of events) {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes) {
      scheduled.set(id, event.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    }
    if (event.activityTaskStartedEventAttributes) {
      const attributes = event.activityTaskStartedEventAttributes;
      started.set(String(attributes.scheduledEventId), { at: eventMs(event), attempt: attributes.attempt ?? 0 });
    }
    const closed =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes;
    if (closed && scheduled.get(String(closed.scheduledEventId)) === type) {
      const start = started.get(String(closed.scheduledEventId))!;
      spans.push({ start: start.at, end: eventMs(event), attempt: start.attempt });
    }
  }
  return spans;
}

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('event-loop');
});
afterAll(async () => {
  await env?.close();
});

describe('a worker computing a long suggestion', () => {
  it('answers progress queries at once and keeps its stages and itself heartbeating', async () => {
    // The pool's thread copies the environment when it starts: with the first suggestion.
    process.env.MEMOTUNE_TEST_SUGGEST_BLOCK_MS = String(suggestBlockMs);
    const connection = await NativeConnection.connect({ address: testStack().servers.temporalAddress });
    const workers = await createWorkers({
      connection,
      taskQueuePrefix: env.taskQueuePrefix,
      store: env.store,
      stages,
      queues: ['orchestration', 'cpu'],
      workflowBundle: { codePath: testStack().workflowBundlePath },
      suggestPool: { suggestModule: new URL('../unit/worker/fixtures/test-suggest.ts', import.meta.url) },
    });
    const controller = new AbortController();
    const running = runWorkers(workers, controller.signal);
    try {
      const options = { taskQueuePrefix: env.taskQueuePrefix, orchestrationHeartbeatSeconds: heartbeatSeconds };
      const queried = `${env.taskQueuePrefix}-queried`;
      const staged = `${env.taskQueuePrefix}-staged`;
      // Three suggestions to query during; one long stage that runs while the others compute.
      await startStudy(env.client, study('queried', 'instant', 3), { ...options, studyId: queried });
      await startStudy(env.client, study('staged', 'long', 1), { ...options, studyId: staged });

      const queries: { at: number; ms: number }[] = [];
      for (;;) {
        const at = Date.now();
        const progress = await getStudyProgress(env.client, queried);
        queries.push({ at, ms: Date.now() - at });
        const other = await getStudyProgress(env.client, staged);
        if (progress.status !== 'running' && other.status !== 'running') {
          expect(progress.status, progress.error ?? '').toBe('completed');
          expect(other.status, other.error ?? '').toBe('completed');
          expect([progress.trials, other.trials]).toEqual([3, 1]);
          break;
        }
        expect(Date.now() - queries[0]!.at).toBeLessThan(120_000);
        await sleep(200);
      }

      const histories = {
        queried: (await env.client.workflow.getHandle(queried).fetchHistory()).events ?? [],
        staged: (await env.client.workflow.getHandle(staged).fetchHistory()).events ?? [],
        stagedTrial: (await env.client.workflow.getHandle(`${staged}/trial-0`).fetchHistory()).events ?? [],
      };
      const suggests = [
        ...activitySpans(histories.queried, 'suggestFromLog'),
        ...activitySpans(histories.staged, 'suggestFromLog'),
      ];
      // Every suggestion took the test module's seconds, heartbeating through them on its first attempt.
      expect(suggests).toHaveLength(4);
      for (const span of suggests) {
        expect(span.end - span.start).toBeGreaterThanOrEqual(suggestBlockMs - 100);
        expect(span.attempt).toBe(1);
      }
      const during = queries.filter((query) => suggests.some((span) => query.at > span.start && query.at < span.end));
      expect(during.length).toBeGreaterThanOrEqual(10);
      const worst = Math.max(...during.map((query) => query.ms));
      console.log(
        `${during.length} progress queries during suggestions: median ${median(during.map((query) => query.ms))} ms, worst ${worst} ms`,
      );
      expect(worst).toBeLessThan(1_000);

      // The stage ran alongside suggestions and finished on its first attempt: no heartbeat timeout.
      const [stage] = activitySpans(histories.stagedTrial, 'runStage');
      expect(stage?.attempt).toBe(1);
      const overlapMs = suggests.reduce(
        (sum, span) => sum + Math.max(0, Math.min(span.end, stage!.end) - Math.max(span.start, stage!.start)),
        0,
      );
      expect(overlapMs).toBeGreaterThanOrEqual(2 * heartbeatSeconds * 1000);
      const timedOut = Object.values(histories).flatMap((events) =>
        events.filter((event) => event.activityTaskTimedOutEventAttributes),
      );
      expect(timedOut).toEqual([]);
    } finally {
      controller.abort();
      await running;
      await connection.close();
      delete process.env.MEMOTUNE_TEST_SUGGEST_BLOCK_MS;
    }
  });
});
