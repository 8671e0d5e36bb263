import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTrials } from '../../../src/cli/trials-table.js';
import type { TrialRecord } from '../../../src/core/study.js';

const record = (trialIndex: number, overrides: Partial<TrialRecord> = {}): TrialRecord => ({
  trialIndex,
  config: [{ lr: 0.1 * (trialIndex + 1) }, { depth: trialIndex, opt: 'adam' }],
  objective: trialIndex === 1 ? null : 0.5 + trialIndex / 10,
  stageCosts: [2, trialIndex === 1 ? null : 3],
  cachedPrefix: trialIndex === 2 ? 1 : 0,
  chargedCost: 5,
  phase: 'bo',
  status: trialIndex === 1 ? 'failed' : 'completed',
  error: trialIndex === 1 ? 'out of memory, "again"' : null,
  keys: ['a', 'b'],
  metrics: {},
  stagesRun: [0, 1],
  source: 'optimizer',
  acquisition: null,
  predictedCost: null,
  suggestedPrefix: 0,
  optimizerSeconds: 0.1,
  startedAt: `2026-12-05T01:0${trialIndex}:00.000Z`,
  finishedAt: `2026-12-05T01:0${trialIndex}:30.000Z`,
  ...overrides,
});

describe('study trials output', () => {
  const records = [record(0), record(1), record(2)];

  it('names parameters and costs by stage and shows start and finish times', () => {
    const table = formatTrials(records, ['prep', 'train'], 'table').split('\n');
    expect(table[0]).toMatch(
      /^trial\s+status\s+objective\s+charged\s+reused\s+prep\.cost\s+train\.cost\s+prep\.lr\s+train\.depth\s+train\.opt/,
    );
    expect(table[0]).toMatch(/started\s+finished\s+error$/);
    expect(table[2]).toMatch(/failed/);
    expect(table[3]).toContain('2026-12-05T01:02:30.000Z');
  });

  it("marks a reused stage's cost in the table (its cost when it ran, not what the trial paid), not in CSV", () => {
    const table = formatTrials(records, ['prep', 'train'], 'table').split('\n');
    const cost = (line: string) => line.split(/\s+/).slice(5, 7);
    // Trial 2 reused prep (cachedPrefix 1): its prep cost is marked, its train cost is not.
    expect(cost(table[3]!)).toEqual(['2*', '3']);
    expect(cost(table[1]!)).toEqual(['2', '3']);
    expect(table.at(-1)).toBe(
      "* reused from the cache: the stage's cost when it ran; the trial paid ε for it (see charged)",
    );
    const csv = formatTrials(records, ['prep', 'train'], 'csv');
    expect(csv).not.toContain('*');
    // Without a reuse there is no footnote.
    expect(formatTrials([record(0)], ['prep', 'train'], 'table').split('\n')).toHaveLength(2);
  });

  it('writes CSV with quoted cells and empty missing values', () => {
    const csv = formatTrials(records, ['prep', 'train'], 'csv').split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[2]).toContain(',,'); // no objective, no train cost
    expect(csv[2]).toMatch(/"out of memory, ""again"""$/);
  });

  it("has a column for every stage's metrics, apart from parameters of the same name", () => {
    const withMetrics = [
      record(0, { metrics: { acc: 0.9 }, stageMetrics: [{ lr: 7, rows: 100 }, { acc: 0.9 }] }),
      record(2, {
        metrics: { acc: 0.8, loss: 0.3 },
        stageMetrics: [
          { lr: 7, rows: 100 },
          { acc: 0.8, loss: 0.3 },
        ],
      }),
    ];
    const csv = formatTrials(withMetrics, ['prep', 'train'], 'csv').split('\n');
    const header = csv[0]!.split(',');
    const column = (name: string) => header.indexOf(name);
    expect(column('prep.lr')).toBeGreaterThan(0);
    expect(column('prep.metric.lr')).toBeGreaterThan(column('train.opt'));
    expect(header.slice(column('prep.metric.lr'), column('phase'))).toEqual([
      'prep.metric.lr',
      'prep.metric.rows',
      'train.metric.acc',
      'train.metric.loss',
    ]);
    expect(csv[1]!.split(',')[column('train.metric.loss')]).toBe('');
    expect(csv[2]!.split(',')[column('train.metric.loss')]).toBe('0.3');
    expect(csv[2]!.split(',')[column('prep.metric.rows')]).toBe('100');
  });

  it('shows where a reporting stage stopped: its last step and value, for pruned and completed trials', () => {
    const csv = formatTrials(
      [
        record(0, { stageIntermediate: [null, { steps: [0, 1, 2], values: [0.2, 0.4, 0.7] }] }),
        record(1, {
          status: 'pruned',
          error: "stage 'train' pruned the trial at step 0",
          stageIntermediate: [null, { steps: [0], values: [0.05] }],
        }),
        record(2),
      ],
      ['prep', 'train'],
      'csv',
    ).split('\n');
    const header = csv[0]!.split(',');
    const cells = (row: number) =>
      [header.indexOf('train.lastStep'), header.indexOf('train.lastReported')].map((at) => csv[row]!.split(',')[at]);
    expect(header).not.toContain('prep.lastStep');
    expect([cells(1), cells(2), cells(3)]).toEqual([
      ['2', '0.7'],
      ['0', '0.05'],
      ['', ''],
    ]);
    expect(csv[2]).toContain('pruned');
  });

  it('names the worker that ran each stage in CSV (not in the table), empty where the stage was reused', () => {
    const ts = { identity: '11@gpu-1', sdk: 'typescript', memotune: '0.1.0' } as const;
    const py = { identity: '22@cpu-1', sdk: 'python', memotune: '0.1.0' } as const;
    const withWorkers = [record(0, { stageWorkers: [py, ts] }), record(1), record(2, { stageWorkers: [null, ts] })];
    const csv = formatTrials(withWorkers, ['prep', 'train'], 'csv').split('\n');
    const header = csv[0]!.split(',');
    const prep = header.indexOf('prep.worker');
    expect(header.indexOf('train.worker')).toBe(prep + 1);
    expect(csv[1]!.split(',').slice(prep, prep + 2)).toEqual(['22@cpu-1', '11@gpu-1']);
    expect(csv[2]!.split(',').slice(prep, prep + 2)).toEqual(['', '']);
    expect(csv[3]!.split(',').slice(prep, prep + 2)).toEqual(['', '11@gpu-1']);
    expect(formatTrials(withWorkers, ['prep', 'train'], 'table')).not.toContain('worker');
    // Records made before stage workers were recorded: no such columns.
    expect(formatTrials(records, ['prep', 'train'], 'csv')).not.toContain('worker');
  });

  it('writes the CSV the Python reader writes too (test/fixtures/trial-records, python/tests/test_trials.py)', () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'trial-records');
    const fixture = JSON.parse(readFileSync(join(dir, 'records.json'), 'utf8')) as {
      stages: string[];
      records: TrialRecord[];
    };
    expect(`${formatTrials(fixture.records, fixture.stages, 'csv')}\n`).toBe(
      readFileSync(join(dir, 'expected.csv'), 'utf8'),
    );
  });

  it("puts a record's metrics under its last stage when it predates per-stage metrics", () => {
    const csv = formatTrials([record(0, { metrics: { acc: 0.9 } })], ['prep', 'train'], 'csv').split('\n');
    const header = csv[0]!.split(',');
    expect(header).toContain('train.metric.acc');
    expect(csv[1]!.split(',')[header.indexOf('train.metric.acc')]).toBe('0.9');
  });

  it('leaves the time columns empty for records written before they existed', () => {
    const { startedAt: _s, finishedAt: _f, ...old } = record(0);
    const csv = formatTrials([old], ['prep', 'train'], 'csv').split('\n');
    expect(csv[1]).toMatch(/,optimizer,,,$/);
  });
});

describe('durations', () => {
  it('reads as seconds, minutes and hours', async () => {
    const { formatDuration } = await import('../../../src/cli/format.js');
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });
});
