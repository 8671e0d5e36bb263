import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig } from '../../../src/config/study-config.js';
import {
  bestTrial,
  initialStudyState,
  progressOf,
  stopReason,
  trialCharge,
  type TrialRecord,
} from '../../../src/core/study.js';

function trial(index: number, objective: number | null, charged: number, cachedPrefix = 0): TrialRecord {
  return {
    trialIndex: index,
    config: [{ x: index }],
    objective,
    stageCosts: [charged],
    cachedPrefix,
    chargedCost: charged,
    phase: 'bo',
    status: objective === null ? 'failed' : 'completed',
    error: objective === null ? 'boom' : null,
    keys: ['k'],
    metrics: {},
    stagesRun: [0],
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: cachedPrefix,
    optimizerSeconds: 0.01,
  };
}

const plan = planStudy(
  parseStudyConfig({
    name: 's',
    pipeline: { stages: [{ name: 'a', params: [{ name: 'x', type: 'float', low: 0, high: 1 }] }] },
    objective: { metric: 'm' },
    budget: 10,
    maxTrials: 4,
  }),
);

describe('budget accounting', () => {
  it('charges ε per reused stage plus the measured cost of the stages that ran', () => {
    expect(trialCharge(0, 0.1, [1, 2, 3])).toBe(6);
    expect(trialCharge(2, 0.1, [3])).toBeCloseTo(3.2, 12);
    expect(trialCharge(3, 0.5, [])).toBe(1.5);
  });

  it('stops when the budget is spent, when maxTrials is reached, or when asked', () => {
    expect(stopReason(plan, initialStudyState)).toBeNull();
    expect(stopReason(plan, { ...initialStudyState, spent: 10 })).toBe('budget');
    expect(stopReason(plan, { ...initialStudyState, spent: 9.99 })).toBeNull();
    const four = [0, 1, 2, 3].map((i) => trial(i, i, 1));
    expect(stopReason(plan, { ...initialStudyState, trials: four, spent: 4 })).toBe('maxTrials');
    expect(stopReason(plan, { ...initialStudyState, stopRequested: true })).toBe('stopRequested');
  });
});

describe('best trial', () => {
  const trials = [trial(0, 1, 1), trial(1, null, 1), trial(2, 5, 1), trial(3, 5, 1), trial(4, -2, 1)];

  it('ignores failed trials and keeps the earliest of equals', () => {
    expect(bestTrial(trials, 'maximize')).toMatchObject({ trialIndex: 2, objective: 5 });
    expect(bestTrial(trials, 'minimize')).toMatchObject({ trialIndex: 4, objective: -2 });
    expect(bestTrial([trial(0, null, 1)], 'maximize')).toBeNull();
  });

  it('summarizes progress with failed and reused trial counts', () => {
    const progress = progressOf(
      plan,
      { ...initialStudyState, trials: [...trials, trial(5, 0, 1, 2)], spent: 6 },
      'running',
      6,
    );
    expect(progress).toMatchObject({
      trials: 6,
      failedTrials: 1,
      reusedTrials: 1,
      spent: 6,
      runningTrial: 6,
      best: { trialIndex: 2 },
    });
  });
});
