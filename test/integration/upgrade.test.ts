import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy, withTrials } from '../../src/client/index.js';
import { planStudy } from '../../src/config/plan.js';
import { parseStudyConfig } from '../../src/config/study-config.js';
import type { LegacyStudyState, StudyOutcome, TrialRecord } from '../../src/core/study.js';
import { createTestEnv, type TestEnv } from './harness.js';
import { paper3Stages, paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('upgrade');
  await env.startWorkers(paper3Stages);
});

afterAll(async () => {
  await env?.close();
});

const comparable = (trial: TrialRecord) => ({
  trialIndex: trial.trialIndex,
  config: trial.config,
  objective: trial.objective,
  status: trial.status,
  phase: trial.phase,
});

/**
 * A study started by the release before the trial log carries its records inline; the run it
 * continues-as-new into runs under this release. That run must move the records to the trial log
 * and go on exactly as if nothing had changed (the replay of the old runs themselves is covered by
 * replay.test.ts).
 */
describe('upgrading a running study to the bounded state', () => {
  it('migrates the inline records of a legacy continue-as-new input and continues the same study', async () => {
    const config = paper3Study({
      name: 'upgrade',
      budget: 10_000,
      maxTrials: 8,
      seed: 3,
      optimizer: { method: 'random' },
    });
    const { handle } = await startStudy(env.client, config, {
      studyId: `${env.taskQueuePrefix}-reference`,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const reference = await env.result(handle);
    expect(reference.history).toHaveLength(8);

    // What the legacy loop hands its next run after four trials.
    const inline = reference.history.slice(0, 4);
    const legacy: LegacyStudyState = {
      trials: inline,
      spent: inline.reduce((sum, trial) => sum + trial.chargedCost, 0),
      stopRequested: false,
      runs: 2,
    };
    const plan = planStudy(
      parseStudyConfig({ ...config, pipeline: { ...config.pipeline, id: 'upgrade-fresh-cache' } }),
      {
        studyId: `${env.taskQueuePrefix}-legacy`,
        taskQueuePrefix: env.taskQueuePrefix,
      },
    );
    const upgraded = await env.client.workflow.start('studyWorkflow', {
      workflowId: plan.studyId,
      taskQueue: plan.orchestrationQueue,
      args: [{ plan, state: legacy }],
    });
    const result = await withTrials((await upgraded.result()) as StudyOutcome, env.store);
    expect(result.status).toBe('completed');
    expect(result.trialLog).toMatch(/^studies\//);
    expect(result.runs).toBeGreaterThanOrEqual(2);
    // The imported records are in the log as they were; the study went on with the same suggestions.
    expect(result.history.slice(0, 4)).toEqual(inline);
    expect(result.history.map(comparable)).toEqual(reference.history.map(comparable));
    expect(result.spent).toBeCloseTo(reference.spent, 9);
  });
});
