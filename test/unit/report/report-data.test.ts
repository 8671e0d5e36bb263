import { describe, expect, it } from 'vitest';
import {
  buildStudyReport,
  convergenceOf,
  parameterColumnsOf,
  timelineOf,
  topConfigurationsOf,
} from '../../../src/report/report-data.js';
import { outcome, record } from './records.js';

describe('convergence (best so far against budget spent)', () => {
  const records = [
    record({ index: 0, objective: 2, charged: 1 }),
    record({ index: 1, objective: 5, charged: 2 }),
    record({ index: 2, objective: 3, charged: 4 }),
    record({ index: 3, objective: 5, charged: 1 }),
    record({ index: 4, objective: 1, charged: 0.5 }),
  ];

  it('keeps the highest objective when maximizing, the cumulative charged cost on x', () => {
    const points = convergenceOf(records, 'maximize');
    expect(points.map((point) => point.cumulativeCost)).toEqual([1, 3, 7, 8, 8.5]);
    expect(points.map((point) => point.bestSoFar)).toEqual([2, 5, 5, 5, 5]);
    // A tie does not count as an improvement: the earlier trial stays the best.
    expect(points.map((point) => point.improved)).toEqual([true, true, false, false, false]);
  });

  it('keeps the lowest objective when minimizing', () => {
    const points = convergenceOf(records, 'minimize');
    expect(points.map((point) => point.bestSoFar)).toEqual([2, 2, 2, 2, 1]);
    expect(points.map((point) => point.improved)).toEqual([true, false, false, false, true]);
  });

  it('charges failed trials to the budget without an objective, and starts with no best until one completes', () => {
    const points = convergenceOf(
      [
        record({ index: 0, objective: null, charged: 3 }),
        record({ index: 1, objective: 4, charged: 1 }),
        record({ index: 2, objective: null, charged: 2 }),
        record({ index: 3, objective: 6, charged: 1 }),
      ],
      'maximize',
    );
    expect(points.map((point) => [point.status, point.objective, point.bestSoFar, point.cumulativeCost])).toEqual([
      ['failed', null, null, 3],
      ['completed', 4, 4, 4],
      ['failed', null, 4, 6],
      ['completed', 6, 6, 7],
    ]);
  });

  it('follows the order trials finished in (the trial log), not the order they started', () => {
    const points = convergenceOf(
      [
        record({ index: 0, objective: 9, charged: 5, logPosition: 1 }),
        record({ index: 1, objective: 1, charged: 1, logPosition: 0 }),
      ],
      'maximize',
    );
    expect(points.map((point) => [point.trialIndex, point.cumulativeCost, point.bestSoFar])).toEqual([
      [1, 1, 1],
      [0, 6, 9],
    ]);
  });
});

describe('cost per trial', () => {
  it('keeps the full cost of every stage and flags the reused leading stages', () => {
    const report = buildStudyReport(outcome([]), [
      record({ index: 1, costs: [1, 2, 3], reused: 2 }),
      record({ index: 0, costs: [1, 2, 3] }),
      record({ index: 2, objective: null, costs: [1, null, null], reused: 1 }),
    ]);
    expect(report.trials.map((trial) => trial.trialIndex)).toEqual([0, 1, 2]);
    expect(report.trials.map((trial) => trial.reused)).toEqual([
      [false, false, false],
      [true, true, false],
      [true, false, false],
    ]);
    expect(report.trials[1]!.stageCosts).toEqual([1, 2, 3]);
    expect(report.trials[1]!.chargedCost).toBeCloseTo(3.2, 12);
    expect(report.trials[2]).toMatchObject({ status: 'failed', stageCosts: [1, null, null], error: 'stage exploded' });
  });

  it('names stages from the study, or stage<i> when an older study did not record them', () => {
    const records = [record({ index: 0 })];
    expect(buildStudyReport(outcome(records), records).study.stages).toEqual(['prep', 'train', 'eval']);
    const { stages: _stages, ...older } = outcome(records);
    expect(buildStudyReport(older, records).study.stages).toEqual(['stage0', 'stage1', 'stage2']);
  });
});

describe('timeline', () => {
  it('puts overlapping trials on different lanes and reuses a lane once it is free', () => {
    const timeline = timelineOf([
      record({ index: 0, start: 0, end: 10 }),
      record({ index: 1, start: 1, end: 4 }),
      record({ index: 2, start: 2, end: 12 }),
      record({ index: 3, start: 5, end: 8, reused: 2 }),
      record({ index: 4, start: 12, end: 13, objective: null }),
    ]);
    expect(timeline.origin).toBe('2026-01-01T00:00:00.000Z');
    expect(timeline.lanes).toBe(3);
    expect(timeline.spans.map((span) => [span.trialIndex, span.start, span.end, span.lane])).toEqual([
      [0, 0, 10, 0],
      [1, 1, 4, 1],
      [2, 2, 12, 2],
      [3, 5, 8, 1],
      [4, 12, 13, 0],
    ]);
    expect(timeline.spans[3]!.reusedStages).toBe(2);
    expect(timeline.spans[4]!.status).toBe('failed');
    // Every pair of spans on one lane is disjoint.
    for (const a of timeline.spans)
      for (const b of timeline.spans)
        if (a !== b && a.lane === b.lane) expect(a.end <= b.start || b.end <= a.start).toBe(true);
  });

  it('runs trials one after another on one lane', () => {
    const timeline = timelineOf([0, 1, 2].map((index) => record({ index, start: index * 3, end: index * 3 + 3 })));
    expect(timeline.lanes).toBe(1);
    expect(timeline.spans.map((span) => span.lane)).toEqual([0, 0, 0]);
  });

  it('leaves out records without times (written by an older release) and counts them', () => {
    const timeline = timelineOf([record({ index: 0 }), record({ index: 1, start: 4, end: 6 })]);
    expect(timeline).toMatchObject({ untimed: 1, lanes: 1, origin: '2026-01-01T00:00:04.000Z' });
    expect(timelineOf([record({ index: 0 })])).toEqual({ origin: null, spans: [], lanes: 0, untimed: 1 });
  });
});

describe('parameter columns and associations', () => {
  it('treats strings, booleans and mixed values as categories, numbers as numeric (log when they span decades)', () => {
    const records = [
      record({
        index: 0,
        config: [
          { lr: 0.0001, opt: 'sgd' },
          { flag: true, mixed: 1 },
        ],
      }),
      record({
        index: 1,
        config: [
          { lr: 0.5, opt: 'adam' },
          { flag: false, mixed: 'auto' },
        ],
      }),
      record({
        index: 2,
        config: [
          { lr: 0.01, opt: 'adam' },
          { flag: true, mixed: 10 },
        ],
      }),
    ];
    const columns = parameterColumnsOf(records, ['prep', 'train']);
    expect(columns).toEqual([
      { stage: 0, name: 'lr', label: 'prep.lr', kind: 'numeric', log: true },
      { stage: 0, name: 'opt', label: 'prep.opt', kind: 'categorical', categories: ['adam', 'sgd'] },
      { stage: 1, name: 'flag', label: 'train.flag', kind: 'categorical', categories: ['false', 'true'] },
      { stage: 1, name: 'mixed', label: 'train.mixed', kind: 'categorical', categories: ['1', '10', 'auto'] },
    ]);
  });

  it('lines up completed trials only, and ranks parameters by their association with the objective', () => {
    const records = Array.from({ length: 8 }, (_, index) =>
      record({
        index,
        objective: index === 5 ? null : index * 2,
        config: [{ good: index, noise: (index * 5) % 3, constant: 1, kind: index < 4 ? 'a' : 'b' }],
      }),
    );
    const report = buildStudyReport(outcome(records, { stages: ['only'] }), records);
    expect(report.parameters.rows.map((row) => row.trialIndex)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    const byLabel = Object.fromEntries(report.associations.map((entry) => [entry.label, entry]));
    expect(byLabel['only.good']).toMatchObject({ measure: 'spearman', strength: 1, signed: 1, n: 7 });
    expect(byLabel['only.kind']!.measure).toBe('correlation-ratio');
    expect(byLabel['only.kind']!.strength).toBeGreaterThan(0.8);
    expect(byLabel['only.constant']!.strength).toBeNull();
    expect(report.associations[0]!.label).toBe('only.good');
    expect(report.associations.at(-1)!.label).toBe('only.constant');
  });
});

describe('top configurations', () => {
  const records = [
    record({ index: 0, objective: 3 }),
    record({ index: 1, objective: 7 }),
    record({ index: 2, objective: null }),
    record({ index: 3, objective: 7 }),
    record({ index: 4, objective: 1 }),
  ];

  it('lists completed trials best first, earlier first on ties, at most N', () => {
    expect(topConfigurationsOf(records, 'maximize', 3).map((entry) => [entry.rank, entry.trialIndex])).toEqual([
      [1, 1],
      [2, 3],
      [3, 0],
    ]);
    expect(topConfigurationsOf(records, 'minimize', 10).map((entry) => entry.trialIndex)).toEqual([4, 0, 1, 3]);
  });

  it('refuses a top count that is not a positive integer', () => {
    expect(() => buildStudyReport(outcome(records), records, { top: 0 })).toThrow('top must be a positive integer');
  });
});

describe('a running study', () => {
  it('reports its running trials and an empty report before any trial finishes', () => {
    const report = buildStudyReport(
      outcome([], {
        status: 'running',
        runningTrials: [
          { trialIndex: 0, config: [] },
          { trialIndex: 1, config: [] },
        ],
      }),
      [],
    );
    expect(report.study.runningTrials).toEqual([0, 1]);
    expect(report.convergence).toEqual([]);
    expect(report.trials).toEqual([]);
    expect(report.timeline.spans).toEqual([]);
    expect(report.top).toEqual([]);
  });
});

describe('intermediate values (pruning)', () => {
  const withCurve = (index: number, status: 'completed' | 'pruned', values: number[]) => ({
    ...record({ index, ...(status === 'pruned' ? { objective: null } : {}) }),
    status,
    stageIntermediate: [null, { steps: values.map((_, step) => step), values }, null],
    // A pruned trial stopped in its second stage; nothing after it ran.
    ...(status === 'pruned' ? { stagesRun: [0, 1] } : {}),
  });

  it('gives one entry per reporting stage, curves in trial order with their status', () => {
    const report = buildStudyReport(outcome([]), [
      withCurve(1, 'pruned', [0.1]),
      withCurve(0, 'completed', [0.3, 0.5]),
      record({ index: 2 }),
    ]);
    expect(report.intermediate).toEqual([
      {
        stage: 'train',
        curves: [
          { trialIndex: 0, status: 'completed', steps: [0, 1], values: [0.3, 0.5] },
          { trialIndex: 1, status: 'pruned', steps: [0], values: [0.1] },
        ],
      },
    ]);
    expect(buildStudyReport(outcome([]), [record({ index: 0 })]).intermediate).toEqual([]);
  });

  it('puts a pruned trial on the convergence chart at the best value it reported', () => {
    const points = convergenceOf(
      [withCurve(0, 'completed', [0.3, 0.5]), withCurve(1, 'pruned', [0.1, 0.15])],
      'maximize',
    );
    expect(points.map((point) => [point.status, point.objective, point.reported])).toEqual([
      ['completed', 0, undefined],
      ['pruned', null, 0.15],
    ]);
  });

  it('keeps the latest 200 curves and always the best trial', () => {
    const records = Array.from({ length: 250 }, (_, index) => withCurve(index, 'completed', [index]));
    const report = buildStudyReport(
      outcome([], { best: { trialIndex: 3, objective: 3, config: records[3]!.config } }),
      records,
    );
    const shown = report.intermediate[0]!.curves.map((curve) => curve.trialIndex);
    expect(shown).toHaveLength(200);
    expect(shown[0]).toBe(3);
    expect(shown.slice(1)).toEqual(Array.from({ length: 199 }, (_, at) => 51 + at));
  });
});
