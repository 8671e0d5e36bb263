import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudyProgress, startStudy } from '../../src/client/index.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import type { StudyResult } from '../../src/core/study.js';
import { TrialPruned, type StageContext } from '../../src/stages/types.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { pacedStages } from './fixtures/paced-stages.js';
import { paper3Config, paper3Stages, paper3Study } from './fixtures/pipelines.js';

/** Each stage takes this much real time, so trials overlap only if the study runs them at once. */
const stageDelayMs = 1500;

let env: TestEnv;
/** Every stage run started, as `<study>/<trial>/<stage>` with its cache key. */
const stageRuns: { study: string; trial: number; stage: string; attempt: number }[] = [];

beforeAll(async () => {
  env = await createTestEnv('parallel');
  const stages = pacedStages(paper3Stages, {
    delayMs: stageDelayMs,
    onStart: (context: StageContext) => {
      stageRuns.push({
        study: context.trial.studyId,
        trial: context.trial.trialIndex,
        stage: context.stage.name,
        attempt: context.trial.attempt,
      });
      // Marker values the shared-prefix test uses: stage s1 prunes its trial, or always fails.
      if (context.stage.name === 's1' && context.params.x2 === prunesAt) throw new TrialPruned('forced prune');
      if (context.stage.name === 's1' && context.params.x2 === failsAt) throw new Error('loss is NaN');
    },
  });
  await env.startWorkers(stages, ['orchestration']);
  // Four stage workers, one stage at a time each: a fleet of four GPUs.
  for (let worker = 0; worker < 4; worker++) await env.startWorkers(stages, ['cpu', 'gpu'], { maxConcurrentStages: 1 });
}, 120_000);

afterAll(async () => {
  await env?.close();
});

/** Stage s1 with x2 at this value prunes its trial; at the other it fails on every attempt. */
const prunesAt = 0.77;
const failsAt = 0.66;

/** A workflow history replays on the current workflow code with no nondeterminism. */
async function expectReplays(history: Parameters<typeof Worker.runReplayHistory>[1], id: string): Promise<void> {
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: testStack().workflowBundlePath } }, history, id),
  ).resolves.toBeUndefined();
}

/** Trials per minute over the study's span, from its trial workflows' start and close times. */
async function trialsPerMinute(studyId: string, result: StudyResult): Promise<number> {
  const spans = await Promise.all(
    result.history.map(async (trial) => {
      const description = await env.client.workflow.getHandle(`${studyId}/trial-${trial.trialIndex}`).describe();
      return { start: description.startTime.getTime(), end: description.closeTime!.getTime() };
    }),
  );
  const first = Math.min(...spans.map((span) => span.start));
  const last = Math.max(...spans.map((span) => span.end));
  return (result.history.length / (last - first)) * 60_000;
}

/** Polls a study until it ends: the most trials waiting for a prefix, and in flight, at once. */
async function watchInFlight(studyId: string): Promise<{ mostWaiting: number; mostInFlight: number }> {
  let mostWaiting = 0;
  let mostInFlight = 0;
  for (;;) {
    const progress = await getStudyProgress(env.client, studyId);
    const running = progress.runningTrials ?? [];
    mostWaiting = Math.max(mostWaiting, running.filter((trial) => trial.waiting === true).length);
    mostInFlight = Math.max(mostInFlight, running.length);
    if (progress.status !== 'running') return { mostWaiting, mostInFlight };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectNoDuplicates(result: StudyResult): void {
  const configs = result.history.map((trial) => canonicalJson(trial.config));
  expect(new Set(configs).size).toBe(configs.length);
}

describe('parallel trials (real Temporal + S3, stages that take real time)', () => {
  it('runs ≥ 3× the trials per minute at parallelism 4 as at 1, with no configuration twice', async () => {
    const run = async (parallelism: number, maxTrials: number) => {
      const studyId = `${env.taskQueuePrefix}-throughput-${parallelism}`;
      const { handle } = await startStudy(
        env.client,
        paper3Study({
          name: `throughput-${parallelism}`,
          budget: 1e6,
          maxTrials,
          parallelism,
          optimizer: { method: 'random', warmup: 4 },
        }),
        { studyId, taskQueuePrefix: env.taskQueuePrefix },
      );
      const result = await env.result(handle);
      expect(result.status).toBe('completed');
      expect(result.history).toHaveLength(maxTrials);
      expectNoDuplicates(result);
      return { result, perMinute: await trialsPerMinute(studyId, result) };
    };
    const sequential = await run(1, 6);
    const parallel = await run(4, 20);
    console.info(
      `trials per minute: ${sequential.perMinute.toFixed(1)} at parallelism 1, ${parallel.perMinute.toFixed(1)} at 4 ` +
        `(×${(parallel.perMinute / sequential.perMinute).toFixed(2)})`,
    );
    expect(parallel.perMinute / sequential.perMinute).toBeGreaterThanOrEqual(3);
    // The log is in finish order: positions are consecutive, trial indices a permutation of them.
    const indices = parallel.result.history.map((trial) => trial.trialIndex);
    expect([...indices].sort((a, b) => a - b)).toEqual(indices.map((_, position) => position));
    const spent = parallel.result.history.reduce((sum, trial) => sum + trial.chargedCost, 0);
    expect(parallel.result.spent).toBeCloseTo(spent, 9);
  }, 240_000);

  it('computes a prefix two running trials share once: the second waits for it and pays ε', async () => {
    const studyId = `${env.taskQueuePrefix}-single-flight`;
    const shared = [0.5, -0.5, 0.1, 0.2, 0.3];
    const configs = [
      paper3Config([...shared, 3, 4]),
      paper3Config([...shared, 7, 1]),
      paper3Config([0.9, 0.1, 0.1, 0.2, 0.3, 1, 1]),
      paper3Config([...shared.slice(0, 2), -0.4, 0.2, 0.3, 2, 2]),
    ];
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: 'single-flight', budget: 1e6, maxTrials: 4, parallelism: 4, enqueue: configs }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    const byIndex = new Map(result.history.map((trial) => [trial.trialIndex, trial]));
    const [a, b, c, d] = [0, 1, 2, 3].map((index) => byIndex.get(index)!);
    expect(a!.cachedPrefix).toBe(0);
    expect(b!.cachedPrefix).toBe(2);
    expect(b!.stagesRun).toEqual([2]);
    expect(b!.chargedCost).toBeCloseTo(2 * 0.1 + b!.stageCosts[2]!, 12);
    expect(c!.cachedPrefix).toBe(0);
    expect(d!.cachedPrefix).toBe(1);
    expect(d!.stagesRun).toEqual([1, 2]);
    // Stage runs per trial: the shared prefix ran in trial 0 only.
    const runsOf = (trial: number) =>
      stageRuns.filter((run) => run.study === studyId && run.trial === trial && run.attempt === 1).map((r) => r.stage);
    expect(runsOf(0)).toHaveLength(3);
    expect(runsOf(1)).toHaveLength(1);
    expect(runsOf(3)).toHaveLength(2);
    expect(result.status).toBe('completed');
    // Every decision (finish order, settled stages) is in the history: it replays exactly.
    await expectReplays(await handle.fetchHistory(), studyId);
    for (const index of [0, 1, 3]) {
      const history = await env.client.workflow.getHandle(`${studyId}/trial-${index}`).fetchHistory();
      await expectReplays(history, `t${index}`);
    }
  }, 120_000);

  it("gives trials waiting for a prefix its owner's end when the owner's stage pruned or failed it there", async () => {
    // A review saw three trials run one pruned teacher prefix (two at once) and a failing one run
    // 3 × 3 attempts: the waiting trials now take the owner's end, run nothing and are charged 0.
    const studyId = `${env.taskQueuePrefix}-shared-end`;
    const pruned = [0.5, -0.5, prunesAt, 0.2, 0.3];
    const failing = [-0.5, 0.5, failsAt, 0.2, 0.3];
    const configs = [
      paper3Config([...pruned, 1, 1]),
      paper3Config([...pruned, 2, 2]),
      paper3Config([...pruned, 3, 3]),
      paper3Config([...failing, 1, 1]),
      paper3Config([...failing, 2, 2]),
    ];
    const base = paper3Study({ name: 'shared-end', budget: 1e6, maxTrials: 5, parallelism: 3, enqueue: configs });
    const { handle } = await startStudy(
      env.client,
      {
        ...base,
        maxConsecutiveFailures: 10,
        pipeline: {
          ...base.pipeline,
          stages: base.pipeline.stages.map((stage) =>
            stage.name === 's1' ? { ...stage, retry: { maximumAttempts: 2, initialIntervalSeconds: 1 } } : stage,
          ),
        },
      },
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    const byIndex = new Map(result.history.map((trial) => [trial.trialIndex, trial]));
    const s1Runs = (x2: number) =>
      stageRuns.filter(
        (run) => run.study === studyId && run.stage === 's1' && byIndex.get(run.trial)?.config[1]!.x2 === x2,
      );
    // The pruned prefix ran once, the failing one its 2 attempts once: by their first trials only.
    expect(s1Runs(prunesAt).map((run) => run.trial)).toEqual([0]);
    expect(s1Runs(failsAt).map((run) => [run.trial, run.attempt])).toEqual([
      [3, 1],
      [3, 2],
    ]);
    expect(byIndex.get(0)).toMatchObject({ status: 'pruned', failureType: 'TrialPruned' });
    expect(byIndex.get(3)).toMatchObject({ status: 'failed', failureType: 'StageFailed' });
    for (const [index, owner] of [
      [1, 0],
      [2, 0],
      [4, 3],
    ] as const) {
      const trial = byIndex.get(index)!;
      expect(trial).toMatchObject({
        repeatOf: owner,
        chargedCost: 0,
        stagesRun: [],
        status: byIndex.get(owner)!.status,
      });
      expect(trial.error).toContain(`(in trial ${owner}, whose first 2 stages this trial shares: not run again)`);
    }
    expect(result.spent).toBeCloseTo(byIndex.get(0)!.chargedCost + byIndex.get(3)!.chargedCost, 9);
    // The decisions are in the history: it replays exactly.
    await expectReplays(await handle.fetchHistory(), studyId);
  }, 120_000);

  it('keeps fewer than parallelism trials waiting: a reused prefix counts as settled from the start', async () => {
    // EEIPU after warm-up reuses cached prefixes; a new trial that shares only cached stages with a
    // running one must start at once, not wait for it (waiting trials hold no worker, so the study
    // would start yet another: a burst).
    const studyId = `${env.taskQueuePrefix}-waiting-bound`;
    const parallelism = 3;
    const { handle } = await startStudy(
      env.client,
      paper3Study({
        name: 'waiting-bound',
        budget: 1e6,
        maxTrials: 18,
        parallelism,
        optimizer: { method: 'eeipu', warmup: 3 },
      }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const watching = watchInFlight(studyId);
    const result = await env.result(handle);
    const { mostWaiting, mostInFlight } = await watching;
    expect(result.status).toBe('completed');
    expect(result.history).toHaveLength(18);
    expect(result.history.filter((trial) => trial.cachedPrefix > 0).length).toBeGreaterThan(3);
    expect(mostWaiting).toBeLessThan(parallelism);
    expect(mostInFlight).toBeLessThanOrEqual(2 * parallelism - 1);
    expectNoDuplicates(result);
  }, 240_000);

  it('starts at most 2·parallelism − 1 trials at once when they all share a first stage nobody steered', async () => {
    // Enqueued configurations (as warm-up ones on a first stage with few values) all share stage
    // 0: each new one waits for the first. Beyond parallelism − 1 waiting, a waiting trial holds a
    // slot; before, all eight started at once.
    const studyId = `${env.taskQueuePrefix}-shared-first-stage`;
    const parallelism = 2;
    const configs = Array.from({ length: 8 }, (_, index) => paper3Config([0.5, -0.5, index / 10, 0.2, 0.3, index, 1]));
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: 'shared-first-stage', budget: 1e6, maxTrials: 8, parallelism, enqueue: configs }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const watching = watchInFlight(studyId);
    const result = await env.result(handle);
    const { mostInFlight } = await watching;
    expect(result.status).toBe('completed');
    expect(result.history).toHaveLength(8);
    expect(mostInFlight).toBeLessThanOrEqual(2 * parallelism - 1);
    // Stage 0 ran once: every other trial reused it.
    const runsOfStage0 = stageRuns.filter((run) => run.study === studyId && run.stage === 's0' && run.attempt === 1);
    expect(runsOfStage0).toHaveLength(1);
  }, 120_000);

  it('goes on after its orchestration worker is replaced mid-study, losing and repeating nothing', async () => {
    const crashEnv = await createTestEnv('parallel-crash');
    try {
      const stages = pacedStages(paper3Stages, { delayMs: 500 });
      for (let worker = 0; worker < 4; worker++)
        await crashEnv.startWorkers(stages, ['cpu', 'gpu'], { maxConcurrentStages: 1 });
      const stopFirst = await crashEnv.startWorkers(stages, ['orchestration']);
      const studyId = `${crashEnv.taskQueuePrefix}-crash`;
      const { handle } = await startStudy(
        crashEnv.client,
        paper3Study({
          name: 'parallel-crash',
          budget: 1e6,
          maxTrials: 14,
          parallelism: 4,
          optimizer: { method: 'eeipu', warmup: 4 },
        }),
        { studyId, taskQueuePrefix: crashEnv.taskQueuePrefix },
      );
      for (;;) {
        const progress = await getStudyProgress(crashEnv.client, studyId);
        if (progress.trials >= 5 && (progress.runningTrials?.length ?? 0) >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await stopFirst();
      await crashEnv.startWorkers(stages, ['orchestration']);
      const result = await crashEnv.result(handle);
      expect(result.status).toBe('completed');
      expect(result.history).toHaveLength(14);
      expectNoDuplicates(result);
      const indices = result.history.map((trial) => trial.trialIndex).sort((a, b) => a - b);
      expect(indices).toEqual(result.history.map((_, position) => position));
      expect(result.spent).toBeCloseTo(
        result.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
        9,
      );
    } finally {
      await crashEnv.close();
    }
  }, 240_000);
});
