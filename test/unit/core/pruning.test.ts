import { describe, expect, it } from 'vitest';
import {
  defaultSuccessiveHalving,
  describePruner,
  maxIntermediateSteps,
  maxReferenceSteps,
  pruneReferences,
  referenceSampleSize,
  reportProblem,
  shouldPrune,
  withCompletedCurve,
  type PruningState,
} from '../../../src/core/pruning.js';
import {
  initialStudyState,
  modelObjective,
  withPruningSample,
  withTrial,
  type TrialRecord,
} from '../../../src/core/study.js';
import { afterTrial } from '../../../src/core/study-loop.js';

const median = { type: 'median', startupTrials: 3, warmupSteps: 0 } as const;
const stages = [{ name: 'prep' }, { name: 'train' }];

/** The sample after completed trials whose `train` stage reported `curves`. */
function sampleOf(curves: number[][], steps?: number[]): PruningState {
  let state: PruningState | undefined;
  for (const values of curves)
    state = withCompletedCurve(state, 'train', { steps: steps ?? values.map((_, step) => step), values }, 7);
  return state!;
}

describe('shouldPrune', () => {
  const reference = { direction: 'maximize', steps: [0, 2, 4], thresholds: [0.5, 0.6, 0.7] } as const;

  it('prunes a curve whose best value so far is below the threshold at its last step (maximize)', () => {
    expect(shouldPrune({ steps: [0, 2], values: [0.4, 0.55] }, reference)).toBe(true);
    expect(shouldPrune({ steps: [0, 2], values: [0.4, 0.6] }, reference)).toBe(false);
  });

  it('keeps a curve alive by its best value, not its last', () => {
    expect(shouldPrune({ steps: [0, 2, 4], values: [0.9, 0.1, 0.1] }, reference)).toBe(false);
  });

  it('mirrors for minimize', () => {
    const minimize = { ...reference, direction: 'minimize' } as const;
    expect(shouldPrune({ steps: [0], values: [0.51] }, minimize)).toBe(true);
    expect(shouldPrune({ steps: [0], values: [0.5] }, minimize)).toBe(false);
  });

  it('never prunes without a reference, a report, or a threshold at the last step', () => {
    expect(shouldPrune({ steps: [0], values: [0] }, undefined)).toBe(false);
    expect(shouldPrune({ steps: [], values: [] }, reference)).toBe(false);
    expect(shouldPrune({ steps: [0, 1], values: [0, 0] }, reference)).toBe(false);
  });
});

describe('reportProblem', () => {
  const curve = { steps: [3], values: [0.1] };
  it('names what is wrong with a step or value', () => {
    expect(reportProblem(curve, -1, 0)).toBe('report(): step must be a non-negative integer, got -1');
    expect(reportProblem(curve, 1.5, 0.2)).toBe('report(): step must be a non-negative integer, got 1.5');
    // Optuna's order, report(value, step), swapped by habit.
    expect(reportProblem(curve, 0.93, 5)).toBe(
      "report(): step must be a non-negative integer, got 0.93 (the order is report(step, value); Optuna's is report(value, step))",
    );
    expect(reportProblem(curve, '4', 0)).toBe('report(): step must be a non-negative integer, got "4"');
    expect(reportProblem(curve, 2 ** 31, 0)).toBe('report(): step must be at most 2147483647, got 2147483648');
    expect(reportProblem(curve, 3, 0)).toBe(
      'report(): step 3 is not after the last reported step 3 (steps must increase)',
    );
    expect(reportProblem(curve, 4, Number.NaN)).toBe(
      'report(): value must be a finite number, got NaN (a run that diverged: throw TrialPruned, or let the stage fail)',
    );
    expect(reportProblem(curve, 4, null)).toBe('report(): value must be a finite number, got null');
    expect(reportProblem(curve, 4, 0.2)).toBeUndefined();
  });

  it(`allows at most ${maxIntermediateSteps} reports`, () => {
    const steps = Array.from({ length: maxIntermediateSteps }, (_, i) => i);
    expect(reportProblem({ steps, values: steps }, maxIntermediateSteps, 0)).toMatch(/at most 1000 values/);
  });
});

describe('the study sample and its references', () => {
  it('gives no reference before startupTrials completed trials reported a step', () => {
    expect(pruneReferences(undefined, stages, median, 'maximize')).toBeUndefined();
    expect(pruneReferences(sampleOf([[1], [2]]), stages, median, 'maximize')).toBeUndefined();
  });

  it('gives the median at every step reported by enough trials, for the stage that reported', () => {
    const state = sampleOf([
      [1, 10],
      [3, 30],
      [2, 20],
      [4, 40],
    ]);
    expect(pruneReferences(state, stages, median, 'minimize')).toEqual([
      null,
      { direction: 'minimize', steps: [0, 1], thresholds: [2.5, 25] },
    ]);
    expect(pruneReferences(state, stages, { type: 'none' }, 'minimize')).toBeUndefined();
    // Warm-up steps never prune.
    expect(pruneReferences(state, stages, { ...median, warmupSteps: 1 }, 'minimize')).toEqual([
      null,
      { direction: 'minimize', steps: [1], thresholds: [25] },
    ]);
  });

  it("takes a percentile pruner's bar from the best end of the values: the top when maximizing", () => {
    // Values 1..5 at step 0: keeping the best 25% puts the bar at the 75th percentile when
    // maximizing (4) and at the 25th when minimizing (2); 50 is the median either way.
    const state = sampleOf([[1], [2], [3], [4], [5]]);
    const at = (percentile: number, direction: 'maximize' | 'minimize') =>
      pruneReferences(
        state,
        stages,
        { type: 'percentile', percentile, startupTrials: 3, warmupSteps: 0 },
        direction,
      )![1]!.thresholds[0];
    expect(at(25, 'maximize')).toBe(4);
    expect(at(25, 'minimize')).toBe(2);
    expect(at(50, 'maximize')).toBe(3);
    expect(at(10, 'maximize')).toBeCloseTo(4.6, 12);
    expect(at(100, 'maximize')).toBe(1);
  });

  it('judges successive halving only at its rungs, keeping the best 1/η of the values there', () => {
    // Ten completed trials reported every step 0..20 with values 0..9 (the same at each step).
    const state = sampleOf(Array.from({ length: 10 }, (_, value) => Array.from({ length: 21 }, () => value)));
    const halving = { type: 'successiveHalving', minResource: 2, reductionFactor: 3, startupTrials: 1 } as const;
    const [, reference] = pruneReferences(state, stages, halving, 'maximize')!;
    // Rungs 2, 6, 18; the bar keeps the best third: the 2/3 quantile of 0..9 is 6.
    expect(reference!.steps).toEqual([2, 6, 18]);
    for (const threshold of reference!.thresholds) expect(threshold).toBeCloseTo(6, 12);
    // Between rungs a trial is never pruned, at a rung it is when outside the best third.
    expect(shouldPrune({ steps: [0, 1, 2], values: [5, 5, 5] }, reference)).toBe(true);
    expect(shouldPrune({ steps: [0, 1, 2, 3], values: [5, 5, 5, 5] }, reference)).toBe(false);
    expect(shouldPrune({ steps: [0, 1, 2], values: [5, 7, 5] }, reference)).toBe(false);
    // Minimizing, the best third is the bottom: the 1/3 quantile, 3.
    for (const threshold of pruneReferences(state, stages, halving, 'minimize')![1]!.thresholds)
      expect(threshold).toBeCloseTo(3, 12);
    // A rung fewer than startupTrials completed trials reported is not judged yet.
    expect(
      pruneReferences(sampleOf([[1, 1, 1]]), stages, { ...halving, startupTrials: 2 }, 'maximize'),
    ).toBeUndefined();
    // A stage reporting every 3rd step is judged at the first report at or after each rung.
    const everyThird = sampleOf(
      Array.from({ length: 10 }, (_, value) => Array.from({ length: 7 }, () => value)),
      [0, 3, 6, 9, 12, 15, 18],
    );
    const sparse = { type: 'successiveHalving', minResource: 1, reductionFactor: 4, startupTrials: 1 } as const;
    expect(pruneReferences(everyThird, stages, sparse, 'maximize')![1]!.steps).toEqual([3, 6, 18]);
    expect(describePruner({ type: 'successiveHalving', ...defaultSuccessiveHalving })).toBe(
      "A trial is pruned at steps 1, 4, 16, … (×4) when its best value so far is outside the best 1/4 of the finished trials' values there, pruned ones included (successive halving, once 1 finished trials reported that step).",
    );
  });

  it('keeps steps sorted when curves report different steps', () => {
    const state = withCompletedCurve(sampleOf([[1, 2]], [5, 9]), 'train', { steps: [1, 7], values: [3, 4] }, 7);
    expect(state[0]).toMatchObject({ steps: [1, 5, 7, 9], counts: [1, 1, 1, 1], samples: [[3], [1], [4], [2]] });
  });

  it(`samples at most ${referenceSampleSize} values a step, reproducibly, and its median follows all of them`, () => {
    const curves = Array.from({ length: 500 }, (_, trial) => [trial]);
    const state = sampleOf(curves);
    expect(state[0]!.counts).toEqual([500]);
    expect(state[0]!.samples[0]).toHaveLength(referenceSampleSize);
    expect(sampleOf(curves)).toEqual(state);
    const [, reference] = pruneReferences(state, stages, median, 'maximize')!;
    // The median of 0..499 is 249.5; a uniform sample of 31 lands well inside the middle half.
    expect(reference!.thresholds[0]).toBeGreaterThan(125);
    expect(reference!.thresholds[0]).toBeLessThan(375);
  });

  it(`keeps at most ${maxReferenceSteps} steps over all stages`, () => {
    const steps = Array.from({ length: 300 }, (_, i) => i);
    let state = withCompletedCurve(undefined, 'train', { steps, values: steps }, 1);
    state = withCompletedCurve(state, 'prep', { steps: [0], values: [0] }, 1);
    expect(state.reduce((total, stage) => total + stage.steps.length, 0)).toBe(maxReferenceSteps);
    expect(state[0]!.steps.at(-1)).toBe(maxReferenceSteps - 1);
  });
});

describe('a pruned trial in the study summary', () => {
  const record = (status: TrialRecord['status'], values: number[] | null): TrialRecord => ({
    trialIndex: 0,
    config: [{}, {}],
    objective: status === 'completed' ? 1 : null,
    stageCosts: [1, null],
    cachedPrefix: 0,
    chargedCost: 2,
    phase: 'warmup',
    status,
    error: status === 'completed' ? null : "stage 'train' pruned the trial at step 1",
    ...(status === 'pruned' ? { failureType: 'TrialPruned' } : {}),
    keys: ['a', 'b'],
    metrics: {},
    ...(values === null ? {} : { stageIntermediate: [null, { steps: values.map((_, i) => i), values }] }),
    stagesRun: [0, 1],
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: 0,
    optimizerSeconds: 0,
  });
  const plan = { stages, seed: 0 };
  const loopPlan = {
    budget: 10,
    maxTrials: null,
    trialsPerRun: 100,
    enqueue: [],
    objective: { metric: 'acc', direction: 'maximize' as const },
    maxConsecutiveFailures: 1,
  };

  it('is charged and counted as pruned, not failed, and never ends a failure streak into a halt', () => {
    const state = initialStudyState('log/');
    const { state: next, halt } = afterTrial(loopPlan, state, record('pruned', [0.1, 0.2]));
    expect(halt).toBeNull();
    expect(next).toMatchObject({ trialCount: 1, spent: 2, failedTrials: 0, prunedTrials: 1, trailingFailures: 0 });
    expect(withTrial(next, record('failed', null), 'maximize')).toMatchObject({ failedTrials: 1, prunedTrials: 1 });
  });

  it("adds only completed trials' values to the sample", () => {
    const state = initialStudyState('log/');
    expect(withPruningSample(state, record('pruned', [0.1, 0.2]), plan)).toBe(state);
    expect(withPruningSample(state, record('completed', null), plan)).toBe(state);
    const sampled = withPruningSample(state, record('completed', [0.1, 0.2]), plan);
    expect(sampled.pruning).toEqual([{ stage: 'train', steps: [0, 1], counts: [1, 1], samples: [[0.1], [0.2]] }]);
  });

  it("adds a pruned trial's values too under successive halving (a rung compares every trial that reached it)", () => {
    const state = initialStudyState('log/');
    const halving = { ...plan, pruner: { type: 'successiveHalving', ...defaultSuccessiveHalving } as const };
    expect(withPruningSample(state, record('pruned', [0.1, 0.2]), halving).pruning).toEqual([
      { stage: 'train', steps: [0, 1], counts: [1, 1], samples: [[0.1], [0.2]] },
    ]);
    expect(withPruningSample(state, record('failed', [0.1, 0.2]), halving)).toBe(state);
  });
});

describe('what the optimizer learns of a pruned trial (prunedTrials)', () => {
  const pruned = {
    status: 'pruned' as const,
    objective: null,
    stagesRun: [1],
    stageIntermediate: [null, { steps: [0, 1], values: [0.4, 0.3] }],
  };

  it('reported: its best report (the largest when maximizing, the smallest when minimizing); asFailed: nothing', () => {
    expect(modelObjective(pruned, 'maximize', 'reported')).toBe(0.4);
    expect(modelObjective(pruned, 'minimize', 'reported')).toBe(0.3);
    expect(modelObjective(pruned, 'maximize', 'asFailed')).toBeNull();
  });

  it('leaves completed and failed trials, and a pruned one that reported nothing, as they are', () => {
    expect(modelObjective({ ...pruned, status: 'completed', objective: 0.9 }, 'maximize', 'reported')).toBe(0.9);
    expect(modelObjective({ ...pruned, status: 'failed' }, 'maximize', 'reported')).toBeNull();
    expect(modelObjective({ ...pruned, stageIntermediate: [null, null] }, 'maximize', 'reported')).toBeNull();
  });
});
