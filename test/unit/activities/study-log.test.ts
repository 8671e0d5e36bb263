import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../../activities/index.js';
import type { TrialRecord } from '../../../src/core/study.js';
import type { SuggestRequest, Suggestion } from '../../../src/core/types.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';

const quiet = new DefaultLogger('ERROR');

function record(index: number): TrialRecord {
  return {
    trialIndex: index,
    config: [{ x: index }],
    objective: index,
    stageCosts: [2],
    cachedPrefix: 0,
    chargedCost: 2,
    phase: 'warmup',
    status: 'completed',
    error: null,
    keys: ['k'],
    metrics: { m: index },
    stagesRun: [0],
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: 0,
    optimizerSeconds: 0,
  };
}

const suggestion: Suggestion = {
  config: [{ x: 0.5 }],
  cachedPrefix: 0,
  phase: 'bo',
  acquisition: null,
  predictedCost: null,
  diagnostics: {},
};

describe('suggestFromLog', () => {
  it('hands the optimizer the observations of the first `trials` records of the trial log', async () => {
    const requests: SuggestRequest[] = [];
    const activities = createActivities({
      store: new MemoryObjectStore(),
      suggest: (request) => {
        requests.push(request);
        return suggestion;
      },
    });
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 }, { logger: quiet });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    for (let index = 0; index < 3; index++) {
      await env.run(activities.recordTrial, { trialLog: 'studies/r/', record: record(index) });
    }
    const base = { space: [], budget: { total: 10, spent: 6 }, direction: 'maximize', settings: {}, seed: 4 } as const;
    expect(await env.run(activities.suggestFromLog, { ...base, trialLog: 'studies/r/', trials: 2 })).toEqual(
      suggestion,
    );
    expect(requests[0]).toEqual({
      ...base,
      history: [0, 1].map((index) => ({
        config: [{ x: index }],
        objective: index,
        stageCosts: [2],
        cachedPrefix: 0,
        chargedCost: 2,
        phase: 'warmup',
      })),
    });
    expect(heartbeats.length).toBeGreaterThan(0);
  });

  it('is retried (not refused) when a record it needs is not in the log yet', async () => {
    const activities = createActivities({ store: new MemoryObjectStore(), suggest: () => suggestion });
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const failure = await env
      .run(activities.suggestFromLog, {
        space: [],
        budget: { total: 1, spent: 0 },
        direction: 'maximize' as const,
        settings: {},
        seed: 0,
        trialLog: 'studies/r/',
        trials: 1,
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TrialLogError' });
  });
});
