import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudy } from '../../src/bench/runner.js';
import { compareRuns, runStudyViaTemporal } from '../../src/bench/temporal/via-temporal.js';
import type { MethodName } from '../../src/core/types.js';
import { suggest } from '../../src/optimizer/index.js';
import { createTestEnv, type TestEnv } from './harness.js';
import { paper3, paper3Stages } from './fixtures/pipelines.js';

let env: TestEnv;
const spec = { ...paper3, budget: 40, warmup: 4 };

beforeAll(async () => {
  env = await createTestEnv('bench');
  await env.startWorkers(paper3Stages);
});

afterAll(async () => {
  await env?.close();
});

describe('memotune bench --via temporal', () => {
  const cases: [MethodName, number][] = [
    ['eeipu', 3],
    ['carbo', 5],
  ];
  for (const [method, seed] of cases) {
    it(`gives the same trial sequence as the in-process run (${method}, seed ${seed})`, async () => {
      const inProcess = runStudy({ spec, method, seed, suggest });
      const viaTemporal = await runStudyViaTemporal({
        client: env.client,
        store: env.store,
        spec,
        method,
        seed,
        taskQueuePrefix: env.taskQueuePrefix,
        studyId: `${env.taskQueuePrefix}-${method}-${seed}`,
      });
      expect(inProcess.trials.length).toBeGreaterThan(spec.warmup);
      // EEIPU reuses cached prefixes, so the comparison covers the cache path too.
      if (method === 'eeipu') expect(inProcess.trials.some((trial) => trial.delta > 0)).toBe(true);
      expect(compareRuns(inProcess, viaTemporal)).toEqual({
        identical: true,
        firstDifference: null,
        lengths: [inProcess.trials.length, inProcess.trials.length],
      });
    });
  }
});
