import { describe, expect, it } from 'vitest';
import {
  committedStages,
  inheritedEndRecord,
  repeatableEndStage,
  type WaitingTrial,
} from '../../../src/core/shared-prefix-end.js';
import type { TrialRecord } from '../../../src/core/study.js';

const owner = (overrides: Partial<TrialRecord> = {}): TrialRecord => ({
  trialIndex: 4,
  config: [{ a: 1 }, { lr: 0.1 }, { t: 2 }],
  objective: null,
  stageCosts: [1, null, null],
  cachedPrefix: 0,
  chargedCost: 2.5,
  phase: 'warmup',
  status: 'pruned',
  error: "stage 'teacher' pruned the trial at step 1",
  failureType: 'TrialPruned',
  keys: ['k0', 'k1', 'k2'],
  metrics: {},
  stageMetrics: [{ rows: 3 }, null, null],
  stageIntermediate: [null, { steps: [0, 1], values: [0.2, 0.3] }, null],
  stagesRun: [0, 1],
  source: 'enqueued',
  acquisition: null,
  predictedCost: null,
  suggestedPrefix: 0,
  optimizerSeconds: 0,
  ...overrides,
});

const waiter: WaitingTrial = {
  trialIndex: 6,
  config: [{ a: 1 }, { lr: 0.1 }, { t: 3 }],
  phase: 'bo',
  source: 'optimizer',
  acquisition: 0.4,
  predictedCost: 3,
  suggestedPrefix: 2,
  optimizerSeconds: 0.05,
};

describe('when the trial computing a shared prefix ends without committing it', () => {
  it('counts what it left in the cache: all stages when it completed, else those before its last', () => {
    expect(committedStages(owner())).toBe(1);
    expect(committedStages(owner({ status: 'completed', failureType: undefined }))).toBe(3);
    expect(committedStages(owner({ stagesRun: [1], cachedPrefix: 1 }))).toBe(1);
    expect(committedStages(owner({ stagesRun: [], cachedPrefix: 2, status: 'failed', failureType: 'Timeout' }))).toBe(
      2,
    );
  });

  it("repeats an end of the stage's own code within the shared stages, not another", () => {
    expect(repeatableEndStage(owner(), 2)).toBe(1);
    expect(repeatableEndStage(owner({ status: 'failed', failureType: 'StageFailed' }), 2)).toBe(1);
    expect(repeatableEndStage(owner({ status: 'failed', failureType: 'InvalidStageResult' }), 2)).toBe(1);
    // Beyond what they share: the shared stages were committed.
    expect(repeatableEndStage(owner(), 1)).toBeNull();
    // Not the stage's code: a timeout, a cache miss, a worker gone, an unknown stage.
    for (const failureType of ['Timeout', 'CacheMiss', 'WorkerShutdown', 'UnknownStage'])
      expect(repeatableEndStage(owner({ status: 'failed', failureType }), 2)).toBeNull();
    expect(repeatableEndStage(owner({ failureType: undefined }), 2)).toBeNull();
    expect(repeatableEndStage(owner({ status: 'completed', failureType: undefined }), 2)).toBeNull();
  });

  it("records the waiter with the owner's end, naming it, nothing run, nothing charged", () => {
    const record = inheritedEndRecord(owner(), waiter, 1, '2026-12-07T12:00:00.000Z');
    expect(record).toMatchObject({
      trialIndex: 6,
      config: waiter.config,
      status: 'pruned',
      failureType: 'TrialPruned',
      objective: null,
      chargedCost: 0,
      cachedPrefix: 0,
      stagesRun: [],
      stageCosts: [null, null, null],
      keys: ['k0', 'k1'],
      repeatOf: 4,
      phase: 'bo',
      source: 'optimizer',
      acquisition: 0.4,
      startedAt: '2026-12-07T12:00:00.000Z',
    });
    expect(record.error).toBe(
      "stage 'teacher' pruned the trial at step 1 (in trial 4, whose first 2 stages this trial shares: not run again)",
    );
    // The pruned stage's values, for prunedTrials: 'reported'.
    expect(record.stageIntermediate).toEqual([null, { steps: [0, 1], values: [0.2, 0.3] }, null]);
    const failed = inheritedEndRecord(
      owner({
        status: 'failed',
        failureType: 'StageFailed',
        error: 'boom',
        stageIntermediate: undefined,
        stagesRun: [0],
      }),
      waiter,
      0,
      'now',
    );
    expect(failed.error).toBe('boom (in trial 4, whose first stage this trial shares: not run again)');
    expect(failed.stageIntermediate).toBeUndefined();
  });
});
