import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { startStudy } from '../../src/client/index.js';
import { createTestEnv, testStack } from './harness.js';
import { paper3Stages, paper3Study } from './fixtures/pipelines.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/histories/${name}.json`, import.meta.url), 'utf8'));

/**
 * Workflow code must stay deterministic: today's code replays histories recorded by every earlier
 * release whose workflow code changed (a study run with warm-up, EEIPU steps and continue-as-new;
 * a trial that reused a cached prefix). A change that breaks this breaks every study running in
 * production when workers are upgraded: guard it with `patched()` (see workflows/study.ts) and
 * record the new release with `scripts/record-replay-fixture.ts <tag>`.
 *   v1: studies carrying their records inline (before the trial log; main at 37e11d6)
 *   v2: the bounded study state (trial log in the object store; main at ee40fff)
 *   v3: v2 plus the timeout charge (patched 'memotune-timeout-charge') and the crash-safe charge
 *   v4: parallel trials (single flight with stagesSettled signals), control updates, search
 *       attributes, trial timestamps; also a parallel study and one of its trials
 *   v5: v4 with the cache lookup and the trial-log write as local activities
 *       (patched 'memotune-local-orchestration-activities')
 *   v6: v5 with the progress card in the memo (patched 'memotune-progress-memo')
 *   v7: v6 with parallel trials scheduling their next stage beside the settled-stages signal
 *       (patched 'memotune-settled-signal-in-flight')
 *   v8: v7 with a trial's reused stages settled from its start (patched 'memotune-settled-at-start')
 *       and at most parallelism − 1 waiting trials holding no slot (patched 'memotune-waiting-bound')
 *   v9: a failed study fails its workflow (patched 'memotune-failed-study-fails'), a paused study
 *       publishes MemotuneStatus 'paused' (patched 'memotune-paused-status'); recorded for it: the
 *       failed study (study-failed-v8 is the same study under the release before) and the parallel
 *       study, which is paused on the way
 *   v10: (session 28, cf4ccb4) a waiting trial takes its prefix owner's failed or pruned end
 *       (patched 'memotune-shared-prefix-end'), stopWhen, partial enqueued configurations; also a
 *       study stopWhen ended
 *   v11: (session 29) plan.requires, inherited ends uncounted (patched
 *       'memotune-inherited-ends-uncounted'), stopWhen.afterSeconds (a timer a run), summaries on
 *       the suggest and record activities; also a study stopWhen ended
 *   v12: (session 30) a finished trial recorded before the next starts (patched
 *       'memotune-record-finished-first'), the unreported-objective end (patched
 *       'memotune-unreported-objective-ends'), a cancelled suggestion ends the study as cancelled
 *       (patched 'memotune-cancel-during-suggest'), optimizerFilled records; also a study whose
 *       objective metric no stage reports
 *   v13: (sessions 32–33) a stage the store refused charged what it spent (patched
 *       'memotune-store-refused-charge'), an unusable result ends a study no trial of which has
 *       completed ('memotune-invalid-result-ends'), a stage a worker lacks waits for another once
 *       the stages have run ('memotune-unknown-stage-backoff'; the trials carry stagesRanBefore),
 *       a failed study's ERROR log line
 */
const releases = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v10', 'v11', 'v12', 'v13'];

describe('replaying recorded histories', () => {
  const workflowBundle = () => ({ codePath: testStack().workflowBundlePath });

  for (const release of releases) {
    it(`replays a study run and a trial recorded by release ${release} without nondeterminism`, async () => {
      await expect(
        Worker.runReplayHistory({ workflowBundle: workflowBundle() }, fixture(`study-first-run-${release}`), 'study'),
      ).resolves.toBeUndefined();
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: workflowBundle() },
          fixture(`trial-reused-prefix-${release}`),
          'trial',
        ),
      ).resolves.toBeUndefined();
    });
  }

  for (const release of ['v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11', 'v12', 'v13']) {
    it(`replays a parallel study with shared prefixes and control updates, and its trial (${release})`, async () => {
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: workflowBundle() },
          fixture(`study-parallel-${release}`),
          'study-parallel',
        ),
      ).resolves.toBeUndefined();
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: workflowBundle() },
          fixture(`trial-parallel-${release}`),
          'trial-parallel',
        ),
      ).resolves.toBeUndefined();
    });
  }

  for (const [release, closed] of [
    ['v8', 'completed with a failed outcome'],
    ['v9', 'failed its workflow'],
    ['v10', 'failed its workflow'],
    ['v11', 'failed its workflow'],
    ['v12', 'failed its workflow'],
    ['v13', 'failed its workflow'],
  ] as const) {
    it(`replays a failed study recorded by release ${release} (it ${closed})`, async () => {
      const history = fixture(`study-failed-${release}`) as { events: { eventType?: string }[] };
      const closing =
        release === 'v8' ? 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' : 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED';
      expect(history.events.at(-1)?.eventType).toBe(closing);
      await expect(
        Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `study-failed-${release}`),
      ).resolves.toBeUndefined();
    });
  }

  for (const release of ['v12', 'v13']) {
    it(`replays a study whose objective metric no stage reported, recorded by release ${release} (parallel, partial enqueues)`, async () => {
      const history = fixture(`study-unreported-${release}`) as { events: { eventType?: string }[] };
      expect(history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
      await expect(
        Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `study-unreported-${release}`),
      ).resolves.toBeUndefined();
    });
  }

  for (const release of ['v10', 'v11']) {
    it(`replays a study stopWhen ended, recorded by release ${release} (parallel, trialsWithoutImprovement${release === 'v11' ? ', afterSeconds' : ''})`, async () => {
      const history = fixture(`study-stopwhen-${release}`) as { events: { eventType?: string }[] };
      expect(history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      await expect(
        Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `study-stopwhen-${release}`),
      ).resolves.toBeUndefined();
    });
  }

  it('replays a timed-out trial recorded before the timeout charge existed (v2), taking the old charge path', async () => {
    // A stuck stage, timeoutSeconds 2, two attempts: recorded by the release before
    // patched('memotune-timeout-charge').
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, fixture('trial-timed-out-v2'), 'trial-timed-out'),
    ).resolves.toBeUndefined();
  });

  it('replays the history of a study it just ran', async () => {
    const env = await createTestEnv('replay');
    try {
      await env.startWorkers(paper3Stages);
      const studyId = `${env.taskQueuePrefix}-replay`;
      const { handle } = await startStudy(
        env.client,
        paper3Study({ name: 'replay', budget: 30, optimizer: { method: 'eeipu', warmup: 3 } }),
        {
          studyId,
          taskQueuePrefix: env.taskQueuePrefix,
        },
      );
      const result = await env.result(handle);
      expect(result.history.length).toBeGreaterThan(3);
      const history = await handle.fetchHistory();
      await expect(
        Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, studyId),
      ).resolves.toBeUndefined();
    } finally {
      await env.close();
    }
  });
});
