/**
 * A stage that returns something unusable fails its trial — recorded with its reason, charged what
 * the stage spent, never retried — and the study goes on. Against the real Temporal and S3 servers.
 * The whole corpus of hostile results is in test/unit/activities/hostile-results.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { startStudy } from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { hostileStages, stageRuns } from './fixtures/hostile-stages.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('hostile');
  await env.startWorkers(hostileStages);
});

afterAll(async () => {
  await env?.close();
});

/** Seconds the train stage may run per attempt: the stuck trial is charged this per attempt. */
const timeoutSeconds = 4;
const prepareCost = 1;
const workflowBundle = () => ({ codePath: testStack().workflowBundlePath });

function study(modes: readonly string[]): StudyConfigInput {
  return {
    name: 'hostile',
    pipeline: {
      stages: [
        { name: 'prepare', params: [{ name: 'a', type: 'float', low: 0, high: 1 }] },
        {
          name: 'train',
          taskQueue: 'gpu',
          params: [{ name: 'mode', type: 'categorical', choices: [...new Set(modes)] }],
          timeoutSeconds,
          retry: { maximumAttempts: 2, initialIntervalSeconds: 0.1 },
        },
      ],
    },
    objective: { metric: 'score' },
    budget: 1000,
    maxTrials: modes.length,
    maxConsecutiveFailures: null,
    // A different `a` per trial: every trial runs (and pays for) its own prepare stage.
    enqueue: modes.map((mode, index): Record<string, number | string>[] => [
      { a: (index + 1) / (modes.length + 1) },
      { mode },
    ]),
  };
}

describe('a study whose stage returns hostile results', () => {
  it('records each as a failed trial with its reason, charges what the stage spent, and goes on', async () => {
    const modes = [
      'ok',
      'nan-cost',
      'cyclic-output',
      'many-metrics',
      'huge-output',
      'stuck',
      'ok',
      'nan-aux',
      'nan-objective',
    ];
    const { handle } = await startStudy(env.client, study(modes), {
      studyId: `${env.taskQueuePrefix}-hostile`,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    const trials = result.history;
    expect(trials.map((trial) => trial.status)).toEqual([
      'completed',
      'failed',
      'failed',
      'failed',
      'completed',
      'failed',
      'completed',
      'completed',
      'failed',
    ]);
    const runs = (index: number) => stageRuns.get(`${result.studyId}/${index}`);

    const [, nanCost, cyclic, manyMetrics, huge, stuck, last, nanAux, nanObjective] = trials;
    const refused = [
      [nanCost!, /reported cost = NaN; cost must be a finite number >= 0/],
      [cyclic!, /returned an output memotune cannot store: .*circular structure/],
      [manyMetrics!, /reported 100000 metrics; at most 256 metrics are allowed per stage/],
    ] as const;
    for (const [trial, reason] of refused) {
      expect(trial).toMatchObject({ status: 'failed', failureType: 'InvalidStageResult', objective: null });
      expect(trial.error).toMatch(/^stage 'train' /);
      expect(trial.error).toMatch(reason);
      // Charged the prepare stage and the ~0.3 s the train stage ran before returning...
      expect(trial.chargedCost).toBeGreaterThanOrEqual(prepareCost + 0.25);
      expect(trial.chargedCost).toBeLessThan(prepareCost + 5);
      // ...and it ran once: an invalid result is not retried.
      expect(runs(trial.trialIndex)).toBe(1);
    }

    // 50 MB of output is stored like any other and read back by nothing: the trial just completes.
    expect(huge).toMatchObject({ status: 'completed', objective: 50 * 1024 * 1024 });

    // Both attempts of the stuck stage hit the start-to-close timeout. The last one is charged its
    // whole timeout (its last recorded heartbeat said ~1.3 s), the first one what its last recorded
    // heartbeat said (Temporal records one at most every 0.8 × the heartbeat timeout).
    expect(stuck).toMatchObject({ status: 'failed', failureType: 'Timeout' });
    expect(runs(stuck!.trialIndex)).toBe(2);
    expect(stuck!.chargedCost).toBeGreaterThan(prepareCost + timeoutSeconds);
    expect(stuck!.chargedCost).toBeLessThanOrEqual(prepareCost + 2 * timeoutSeconds + 0.5);

    // The new charge is behind a workflow patch: the trial's history replays with today's code.
    const stuckHistory = await env.client.workflow
      .getHandle(`${result.studyId}/trial-${stuck!.trialIndex}`)
      .fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, stuckHistory)).resolves.toBeUndefined();

    expect(last).toMatchObject({ status: 'completed', objective: 1 });
    // Non-finite metrics: left out of the record; only as the objective do they fail the trial,
    // which is then charged its whole stage and keeps its output cached (an exact repeat reuses it).
    expect(nanAux).toMatchObject({ status: 'completed', objective: 0.75, metrics: { score: 0.75 } });
    expect(nanObjective).toMatchObject({ status: 'failed', objective: null, metrics: { loss: 2 } });
    expect(nanObjective!.error).toBe("the last stage reported the objective metric 'score' = NaN, not a finite number");
    expect(nanObjective!.chargedCost).toBeGreaterThanOrEqual(prepareCost + 0.25);
    expect(runs(nanObjective!.trialIndex)).toBe(1);
    expect(result.failedTrials).toBe(5);
    expect(result.spent).toBeCloseTo(
      trials.reduce((sum, trial) => sum + trial.chargedCost, 0),
      9,
    );
  });

  it('ends the study at the first unusable result while no trial has completed (the stage code, not the configuration)', async () => {
    const { handle } = await startStudy(
      env.client,
      { ...study(['cyclic-output', 'ok', 'ok']), maxConsecutiveFailures: 5 },
      { studyId: `${env.taskQueuePrefix}-hostile-first`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result).toMatchObject({ status: 'failed', trials: 1, failedTrials: 1 });
    expect(result.error).toMatch(
      /^trial 0: stage 'train' returned an output memotune cannot store: .* no trial has completed yet: fix what the stage returns/,
    );
    // The halt is behind a workflow patch: the study's history replays with today's code.
    const history = await handle.fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history)).resolves.toBeUndefined();
  });
});
