import { describe, expect, it } from 'vitest';
import { formatImportance } from '../../../src/cli/importance-table.js';
import type { ImportanceResult } from '../../../src/importance/index.js';

const entry = (stage: string, param: string | undefined, firstOrder: number, total: number) => ({
  stage,
  ...(param === undefined ? {} : { param }),
  firstOrder,
  total,
  firstOrderSe: 0.012,
  totalSe: 0.004,
});

const result: ImportanceResult = {
  target: 'objective',
  trials: 48,
  samples: 2048,
  parameters: [
    entry('train', 'learning_rate', 0.61, 0.72),
    entry('prep', 'n_components', 0.2, 0.31),
    entry('prep', 'scale', -0.004, 0.001),
  ],
  stages: [entry('prep', undefined, 0.21, 0.33), entry('train', undefined, 0.61, 0.72)],
  firstOrderSum: 0.806,
  warnings: [],
  caution: null,
};

describe('formatImportance', () => {
  it('lists parameters as given (most important first), then stages, then the interaction share', () => {
    const text = formatImportance(result, { studyId: 'digits-1', metric: 'accuracy', direction: 'maximize' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Importance for the objective (maximize accuracy), study digits-1');
    expect(lines[1]).toContain('fitted to 48 completed trials');
    expect(text).toContain('N = 2048');
    const table = lines.slice(lines.indexOf('') + 1, lines.indexOf('') + 5);
    expect(table).toEqual([
      'stage  parameter      first-order  total',
      'train  learning_rate  0.61 ± 0.01  0.72 ± 0.00',
      'prep   n_components   0.20 ± 0.01  0.31 ± 0.00',
      // A Monte-Carlo excursion below 0 is shown at 0.
      'prep   scale          0.00 ± 0.01  0.00 ± 0.00',
    ]);
    expect(text).toContain('stage  first-order  total\nprep   0.21         0.33\ntrain  0.61         0.72');
    expect(text).toContain('0.19 of the variance is in interactions between parameters');
  });

  it('lists the thinly covered parameters last', () => {
    const text = formatImportance(
      { ...result, warnings: ['prep.aug: "none" 2, "flip" 27 trials; a choice with fewer than 3 is a guess'] },
      { studyId: 's', metric: 'acc', direction: 'maximize' },
    );
    expect(
      text.endsWith('\nThinly covered:\n  prep.aug: "none" 2, "flip" 27 trials; a choice with fewer than 3 is a guess'),
    ).toBe(true);
  });

  it('names the cost target, and says when the parameters act independently', () => {
    const text = formatImportance(
      { ...result, target: 'cost', firstOrderSum: 0.98 },
      { studyId: 's', metric: 'loss', direction: 'minimize' },
    );
    expect(text.split('\n')[0]).toBe(
      "Importance for the cost (log of a trial's full cost, every stage as if run), study s",
    );
    expect(text).toContain('act almost independently');
  });

  it('puts a caution above the table when the model has not told the parameters apart', () => {
    const caution = '0.86 of the variance is in interactions, from 33 trials for 8 parameters: ...';
    const lines = formatImportance(
      { ...result, caution },
      { studyId: 's', metric: 'acc', direction: 'maximize' },
    ).split('\n');
    const at = lines.indexOf(`Caution: ${caution}.`);
    expect(at).toBeGreaterThan(0);
    expect(lines.findIndex((line) => line.startsWith('stage  parameter'))).toBeGreaterThan(at);
  });
});
