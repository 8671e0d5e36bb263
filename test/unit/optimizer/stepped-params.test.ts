import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import type { Observation, SearchSpace } from '../../../src/core/types.js';
import { methodNames, suggest } from '../../../src/optimizer/index.js';
import { validateConfiguration } from '../../../src/space/index.js';
import { observationsFrom, request } from './fixtures.js';

/** Two stages whose numeric parameters all have a step (Optuna's `step`), beside a plain float. */
const steppedSpace: SearchSpace = [
  {
    name: 'prep',
    params: [
      { name: 'frac', type: 'float', low: 0.1, high: 0.9, step: 0.1 },
      { name: 'bins', type: 'int', low: 8, high: 64, step: 8 },
    ],
  },
  {
    name: 'train',
    params: [
      { name: 'dropout', type: 'float', low: 0, high: 0.5, step: 0.05 },
      { name: 'lr', type: 'float', low: 1e-4, high: 1e-1, log: true },
    ],
  },
];

describe('stepped parameters through the optimizer', () => {
  it.each(methodNames.filter((m) => m !== 'random'))('%s suggests only grid values, in warm-up and after', (method) => {
    const history: Observation[] = [];
    const phases: string[] = [];
    for (let i = 0; i < 9; i++) {
      const s = suggest(request(steppedSpace, history, method, { seed: 5 }));
      // validateConfiguration refuses a value off its step's grid.
      expect(() => validateConfiguration(steppedSpace, s.config)).not.toThrow();
      const [prep, train] = s.config;
      // Written as the grid writes them: 0.3, never 0.30000000000000004.
      expect(String(prep!.frac)).toMatch(/^0(\.\d)?$/);
      expect(String(train!.dropout)).toMatch(/^0(\.\d\d?)?$/);
      phases.push(s.phase);
      history.push(...observationsFrom([s.config], s.phase));
    }
    expect(phases.filter((phase) => phase === 'bo')).toHaveLength(4);
    expect(new Set(history.map((o) => canonicalJson(o.config))).size).toBe(history.length);
  });

  it('reports a space of stepped parameters only as exhausted once every grid point ran', () => {
    const tiny: SearchSpace = [{ name: 'a', params: [{ name: 'x', type: 'float', low: 0, high: 0.2, step: 0.1 }] }];
    const history: Observation[] = [];
    for (let i = 0; i < 3; i++) {
      const s = suggest(request(tiny, history, 'eeipu', { settings: { warmup: 10 } }));
      expect(s.diagnostics.exhausted).toBe(false);
      history.push(...observationsFrom([s.config]));
    }
    expect(history.map((o) => o.config[0]!.x).sort()).toEqual([0, 0.1, 0.2]);
    expect(suggest(request(tiny, history, 'eeipu', { settings: { warmup: 10 } })).diagnostics.exhausted).toBe(true);
  });
});
