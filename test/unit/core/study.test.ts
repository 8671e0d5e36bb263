import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig } from '../../../src/config/study-config.js';
import {
  bestTrial,
  earlyStopReason,
  initialStudyState,
  progressOf,
  stopReason,
  summarizeLegacyState,
  trialCharge,
  withTrial,
  type StudyState,
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
    const initial = initialStudyState('studies/run/');
    expect(stopReason(plan, initial)).toBeNull();
    expect(stopReason(plan, { ...initial, spent: 10 })).toBe('budget');
    expect(stopReason(plan, { ...initial, spent: 9.99 })).toBeNull();
    const four = [0, 1, 2, 3]
      .map((i) => trial(i, i, 0.5))
      .reduce((state, t) => withTrial(state, t, 'maximize'), initial);
    expect(stopReason(plan, four)).toBe('maxTrials');
    expect(stopReason(plan, { ...initial, stopRequested: true })).toBe('stopRequested');
  });
});

describe('best trial', () => {
  const trials = [trial(0, 1, 1), trial(1, null, 1), trial(2, 5, 1), trial(3, 5, 1), trial(4, -2, 1)];

  it('ignores failed trials and keeps the earliest of equals', () => {
    expect(bestTrial(trials, 'maximize')).toMatchObject({ trialIndex: 2, objective: 5 });
    expect(bestTrial(trials, 'minimize')).toMatchObject({ trialIndex: 4, objective: -2 });
    expect(bestTrial([trial(0, null, 1)], 'maximize')).toBeNull();
  });

  const summarize = (records: readonly TrialRecord[], direction: 'maximize' | 'minimize' = 'maximize'): StudyState =>
    records.reduce((state, record) => withTrial(state, record, direction), initialStudyState('studies/run/'));

  it('keeps in the O(1) summary what a pass over the whole log gives', () => {
    const log = [...trials, trial(5, 0, 1, 2), trial(6, null, 2), trial(7, null, 0.5)];
    for (const direction of ['maximize', 'minimize'] as const) {
      const state = summarize(log, direction);
      expect(state.best).toEqual(bestTrial(log, direction));
      expect(state.trialCount).toBe(8);
      expect(state.failedTrials).toBe(3);
      expect(state.reusedTrials).toBe(1);
      expect(state.trailingFailures).toBe(2);
      expect(state.spent).toBe(8.5);
    }
    expect(summarize([...log, trial(8, 3, 1)]).trailingFailures).toBe(0);
  });

  it('summarizes the inline records of a study started by an older release', () => {
    const legacy = { trials, spent: 5, stopRequested: false, runs: 3, optimizerState: { version: 1 } };
    const state = summarizeLegacyState(legacy, 'studies/run/', 'maximize');
    expect(state).toMatchObject({ trialCount: 5, spent: 5, runs: 3, failedTrials: 1, trialLog: 'studies/run/' });
    expect(state.best).toEqual(bestTrial(trials, 'maximize'));
    expect(state.optimizerState).toEqual({ version: 1 });
  });

  it('summarizes progress with failed and reused trial counts', () => {
    const running = [{ trialIndex: 6, config: trials[0]!.config }];
    const progress = progressOf(plan, summarize([...trials, trial(5, 0, 1, 2)]), 'running', running);
    expect(progress).toMatchObject({
      trials: 6,
      failedTrials: 1,
      reusedTrials: 1,
      spent: 6,
      runningTrial: 6,
      runningTrials: running,
      best: { trialIndex: 2 },
    });
  });

  it("counts as queued the plan's enqueued configurations not started yet and the runtime queue", () => {
    const config = trials[0]!.config;
    const withQueue = { ...plan, enqueue: [config, config, config, config] };
    const state = { ...summarize(trials.slice(0, 1)), queued: [config] };
    // 1 recorded + 1 running of the plan's 4: 2 left, plus 1 enqueued at run time.
    expect(progressOf(withQueue, state, 'running', [{ trialIndex: 1, config }]).queued).toBe(3);
    // Past the plan's list, only the runtime queue; none at all: no field.
    expect(progressOf(withQueue, { ...summarize(trials), queued: [config] }, 'running', []).queued).toBe(1);
    expect(progressOf(plan, summarize(trials), 'running', [])).not.toHaveProperty('queued');
  });
});

describe('an early end', () => {
  it("names the stopWhen setting's value when the progress carries it", () => {
    const stopWhen = { bestReaches: 0.97, trialsWithoutImprovement: 20, afterSeconds: 3600 };
    expect(earlyStopReason('bestReached', stopWhen)).toBe('as the best objective reached stopWhen.bestReaches = 0.97');
    expect(earlyStopReason('noImprovement', stopWhen)).toBe(
      'as 20 trials in a row did not improve the best (stopWhen.trialsWithoutImprovement)',
    );
    expect(earlyStopReason('timeLimit', stopWhen)).toBe('as its time, stopWhen.afterSeconds = 3600 s, was up');
    // Progress recorded before it carried stopWhen: the setting's name alone.
    expect(earlyStopReason('timeLimit')).toBe('as its time, stopWhen.afterSeconds, was up');
  });
});
