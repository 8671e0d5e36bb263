/**
 * The real-pipeline example in its reduced CI form (examples/digits/study.ci.json: fewer boosting
 * iterations, a small budget): scikit-learn models on the bundled digits data, trained in Python
 * stage workers, tuned by EEIPU through the real servers. The full example is
 * `npm run demo -- --example digits`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy } from '../../src/client/index.js';
import { parseStudyConfig } from '../../src/config/study-config.js';
import { createTestEnv, type TestEnv } from './harness.js';

const digits = join(import.meta.dirname, '..', '..', 'examples', 'digits');
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('digits');
  await env.startWorkers({}, ['orchestration']);
  await env.startPythonWorker([join(digits, 'stages.py')]);
});

afterAll(async () => {
  await env?.close();
});

describe('the digits example (reduced)', () => {
  it('tunes real models in Python stages within its budget and reuses the expensive teacher', async () => {
    const config = parseStudyConfig(JSON.parse(readFileSync(join(digits, 'study.ci.json'), 'utf8')));
    const { handle } = await startStudy(env.client, config, {
      studyId: `${env.taskQueuePrefix}-digits`,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.failedTrials).toBe(0);
    const warmup = config.optimizer?.warmup ?? 10;
    expect(result.trials).toBeGreaterThan(warmup);
    // Costs are measured seconds: the budget is spent, with at most one trial's overshoot.
    expect(result.spent).toBeGreaterThanOrEqual(config.budget);
    // EEIPU reuses cached augment + teacher outputs once it has seen a good teacher.
    const stages = config.pipeline.stages.length;
    expect(result.history.some((trial) => trial.cachedPrefix === stages - 1)).toBe(true);
    expect(result.best!.objective).toBeGreaterThan(0.8);
    const best = result.history[result.best!.trialIndex]!;
    expect(best.metrics).toHaveProperty('testAcc');
  });
});
