/**
 * Pruning against the real servers: a stage reports a value per epoch and stops when it falls
 * below the median of the completed trials at the same epoch. Pruned trials are charged, keep their
 * curve in the trial log, commit nothing for the stopped stage, are not retried, never count as
 * failures, and show as `pruned` in the Temporal UI. For a TypeScript and a Python stage.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy } from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import { StageCache } from '../../src/storage/stage-cache.js';
import { TrialPruned, type StageRegistry } from '../../src/stages/types.js';
import { cliEnv, runCli } from './cli.js';
import { createTestEnv, type TestEnv } from './harness.js';
import { chartsOnPage, launchBrowser, openReport } from './report-page.js';

const pythonStages = join(import.meta.dirname, '..', 'fixtures', 'python-pruning', 'stages.py');

let env: TestEnv;
let browser: Browser;
/** Attempts of the TS train stage, by study and trial. */
const attempts = new Map<string, number>();

const stages: StageRegistry = {
  prepare: ({ params }) => ({ output: { a: params.a }, cost: 1 }),
  // Mirrors test/fixtures/python-pruning/stages.py.
  curve: ({ params, report, shouldPrune, trial }) => {
    const key = `${trial.studyId}/${trial.trialIndex}`;
    attempts.set(key, (attempts.get(key) ?? 0) + 1);
    const lr = Number(params.lr);
    for (let epoch = 0; epoch < 5; epoch++) {
      report(epoch, (lr * (epoch + 1)) / 5);
      if (shouldPrune()) throw new TrialPruned();
    }
    return { output: { lr }, metrics: { score: lr }, cost: 5 };
  },
};

beforeAll(async () => {
  browser = await launchBrowser();
  env = await createTestEnv('pruning');
  await env.startWorkers(stages);
  await env.startPythonWorker([pythonStages]);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

// Three trials set the bar (startupTrials 3: medians 0.6·(epoch+1)/5), then two below it in a row
// (pruned at epoch 0; with maxConsecutiveFailures 1 a failure would end the study), then one above.
const learningRates = [0.5, 0.6, 0.7, 0.2, 0.1, 0.9];

function study(name: string, implementation: string, taskQueue: string): StudyConfigInput {
  return {
    name,
    pipeline: {
      stages: [
        { name: 'prepare', params: [{ name: 'a', type: 'float', low: 0, high: 1 }] },
        {
          name: 'train',
          implementation,
          taskQueue,
          params: [{ name: 'lr', type: 'float', low: 0, high: 1 }],
          retry: { maximumAttempts: 3, initialIntervalSeconds: 0.1 },
        },
      ],
    },
    objective: { metric: 'score' },
    budget: 1000,
    maxTrials: learningRates.length,
    maxConsecutiveFailures: 1,
    pruner: { type: 'median', startupTrials: 3 },
    enqueue: learningRates.map((lr): Record<string, number>[] => [{ a: 0.5 }, { lr }]),
  };
}

describe.each([
  { language: 'TypeScript', implementation: 'curve', taskQueue: 'gpu' },
  { language: 'Python', implementation: 'py-curve', taskQueue: 'python' },
])('pruning a $language stage', ({ language, implementation, taskQueue }) => {
  it('stops trials below the median, charges them, caches nothing for the stopped stage, and goes on', async () => {
    const name = `pruning-${language.toLowerCase()}`;
    const { handle } = await startStudy(env.client, study(name, implementation, taskQueue), {
      studyId: `${env.taskQueuePrefix}-${name}`,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.history.map((trial) => trial.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'pruned',
      'pruned',
      'completed',
    ]);
    expect(result).toMatchObject({ trials: 6, failedTrials: 0, prunedTrials: 2 });
    expect(result.best).toMatchObject({ trialIndex: 5, objective: 0.9 });

    const cache = new StageCache(env.store);
    const completed = result.history[0]!;
    expect(completed.stageIntermediate).toEqual([null, { steps: [0, 1, 2, 3, 4], values: [0.1, 0.2, 0.3, 0.4, 0.5] }]);
    expect(await cache.readMeta(completed.keys[1]!)).not.toBeNull();
    for (const [trialIndex, lr] of [
      [3, 0.2],
      [4, 0.1],
    ] as const) {
      const pruned = result.history[trialIndex]!;
      expect(pruned).toMatchObject({
        objective: null,
        failureType: 'TrialPruned',
        error: "stage 'train' pruned the trial at step 0",
        stageCosts: [1, null],
        cachedPrefix: 1,
        stageIntermediate: [null, { steps: [0], values: [lr / 5] }],
      });
      // Charged ε for the reused prepare stage and what train spent before it stopped.
      expect(pruned.chargedCost).toBeGreaterThan(0.1);
      expect(await cache.readMeta(pruned.keys[1]!)).toBeNull();
      if (language === 'TypeScript') expect(attempts.get(`${result.studyId}/${trialIndex}`)).toBe(1);
    }

    // Every trial workflow shows as Completed in the UI; MemotuneStatus tells pruned ones apart.
    const query = `MemotuneKind = 'trial' AND MemotuneStudy = '${name}' AND WorkflowId STARTS_WITH '${result.studyId}/' AND MemotuneStatus = 'pruned'`;
    for (let attempt = 0; ; attempt++) {
      const ids: string[] = [];
      for await (const workflow of env.client.workflow.list({ query })) ids.push(workflow.workflowId);
      if (ids.length === 2 || attempt > 50) {
        expect(ids.sort()).toEqual([`${result.studyId}/trial-3`, `${result.studyId}/trial-4`]);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // The study report draws each trial's curve, the pruned ones where they stopped.
    const outDir = mkdtempSync(join(tmpdir(), 'memotune-pruning-report-'));
    const printed = await runCli(['study', 'report', result.studyId, '--out', outDir], cliEnv(env.s3KeyPrefix));
    const { page, problems } = await openReport(browser, printed.stdout.trim());
    try {
      const charts = await chartsOnPage(page);
      const curves = charts.find((chart) => chart.id === 'intermediate-0')!;
      expect(curves.rendered).toBe('true');
      expect(curves.series.map((series) => [series.name, series.items])).toEqual(
        learningRates.map((_, trialIndex) => [`trial ${trialIndex}`, trialIndex === 3 || trialIndex === 4 ? 1 : 5]),
      );
      const convergence = charts.find((chart) => chart.id === 'convergence')!;
      expect(convergence.series.find((series) => series.name.startsWith('pruned trial'))?.items).toBe(2);
      expect(await page.textContent('header')).toContain('2 pruned');
      expect(problems).toEqual({ requests: [], errors: [] });
    } finally {
      await page.context().close();
    }
  });
});

describe('successive halving', () => {
  it('judges a trial only at its rungs (steps 1, 2, 4 for reduction factor 2), against every trial that reached them', async () => {
    // Trial 0 sets the bar. Trial 1 (lr 0.3) is behind it at step 0 too, but step 0 is no rung: it
    // is pruned at step 1. Its values join the rungs' sample (a median pruner would leave them
    // out), so trial 2 (0.8) passes at step 1 the median of 0.2 and 0.12, and trial 3 (0.4, 0.16
    // at step 1) falls behind the median of 0.2, 0.12, 0.32 there.
    const name = 'halving';
    const config = study(name, 'curve', 'gpu');
    const { handle } = await startStudy(
      env.client,
      {
        ...config,
        maxTrials: 4,
        pruner: { type: 'successiveHalving', minResource: 1, reductionFactor: 2 },
        enqueue: [0.5, 0.3, 0.8, 0.4].map((lr): Record<string, number>[] => [{ a: 0.5 }, { lr }]),
      },
      { studyId: `${env.taskQueuePrefix}-${name}`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.history.map((trial) => [trial.status, trial.error])).toEqual([
      ['completed', null],
      ['pruned', "stage 'train' pruned the trial at step 1"],
      ['completed', null],
      ['pruned', "stage 'train' pruned the trial at step 1"],
    ]);
    expect(result.history[1]!.stageIntermediate).toEqual([null, { steps: [0, 1], values: [0.06, 0.12] }]);
  });
});
