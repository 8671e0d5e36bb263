import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import { reusesPrefixes } from '../../../src/core/methods.js';
import type { Direction, MethodName, Observation, OptimizerState, Suggestion } from '../../../src/core/types.js';
import { methodNames, suggest } from '../../../src/optimizer/index.js';
import { validateConfiguration } from '../../../src/space/index.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';

/** Runs a short study: 5 warm-up trials then `steps` BO trials. */
function study(
  method: MethodName,
  steps: number,
  direction: Direction = 'maximize',
): { history: Observation[]; suggestions: Suggestion[] } {
  const history: Observation[] = [];
  const suggestions: Suggestion[] = [];
  let state: OptimizerState | undefined;
  for (let i = 0; i < 5 + steps; i++) {
    const s = suggest(request(mixedSpace, history, method, { direction, ...(state ? { state } : {}) }));
    suggestions.push(s);
    state = s.state;
    const [obs] = observationsFrom([s.config], s.phase);
    history.push({ ...obs!, cachedPrefix: s.cachedPrefix });
  }
  return { history, suggestions };
}

describe.each(methodNames)('method %s (conformance)', (method) => {
  const { history, suggestions } = study(method, 6);
  const bo = suggestions.slice(5);

  it('suggests configurations inside the space (types, bounds, choices)', () => {
    for (const s of suggestions) {
      expect(() => validateConfiguration(mixedSpace, s.config)).not.toThrow();
      expect(Number.isInteger(s.config[1]!.k)).toBe(true);
    }
  });

  it('never repeats an observed configuration', () => {
    const keys = history.map((o) => canonicalJson(o.config));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is deterministic for a given request (seed, history, state)', () => {
    const partial = history.slice(0, 8);
    const state = suggestions[7]!.state;
    const req = request(mixedSpace, partial, method, state ? { state } : {});
    const a = suggest(req);
    const b = suggest(JSON.parse(JSON.stringify(req)));
    expect(canonicalJson(a.config)).toBe(canonicalJson(b.config));
    expect(a.acquisition).toBe(b.acquisition);
    expect(a.cachedPrefix).toBe(b.cachedPrefix);
    expect(canonicalJson(a.state ?? null)).toBe(canonicalJson(b.state ?? null));
  });

  it('marks post-warm-up suggestions as BO with a serializable state', () => {
    for (const s of bo) {
      expect(s.phase).toBe('bo');
      expect(JSON.parse(JSON.stringify(s.diagnostics))).toEqual(s.diagnostics);
      if (s.state !== undefined) expect(JSON.parse(JSON.stringify(s.state))).toEqual(s.state);
    }
  });

  it('pins a cached prefix to exact raw values of an observed trial', () => {
    for (const [i, s] of suggestions.entries()) {
      if (s.cachedPrefix === 0) continue;
      const prefix = canonicalJson(s.config.slice(0, s.cachedPrefix));
      expect(history.slice(0, i).some((o) => canonicalJson(o.config.slice(0, s.cachedPrefix)) === prefix)).toBe(true);
    }
    if (!reusesPrefixes(method)) expect(bo.every((s) => s.cachedPrefix === 0)).toBe(true);
  });

  it('reports an acquisition value and a predicted cost according to the method', () => {
    for (const s of bo) {
      if (method === 'random') {
        expect(s.acquisition).toBeNull();
      } else {
        expect(Number.isFinite(s.acquisition)).toBe(true);
      }
      if (method === 'random' || method === 'ei') expect(s.predictedCost).toBeNull();
      else expect(s.predictedCost).toBeGreaterThan(0);
    }
  });
});

describe('direction', () => {
  it('minimization moves towards lower objectives than maximization', () => {
    const max = study('ei', 8, 'maximize').history.slice(5);
    const min = study('ei', 8, 'minimize').history.slice(5);
    const mean = (h: Observation[]): number => h.reduce((sum, o) => sum + o.objective!, 0) / h.length;
    expect(mean(min)).toBeLessThan(mean(max));
  });
});

describe('eeipu memoization', () => {
  it('reuses cached prefixes at least once in a short study', () => {
    const { suggestions } = study('eeipu', 10);
    expect(suggestions.slice(5).some((s) => s.cachedPrefix > 0)).toBe(true);
  });
});

describe('local refinement starts', () => {
  it('refines startsPerPrefix points of every prefix plus restarts − 1 shared runners-up', () => {
    const { history } = study('eeipu', 8);
    const base = request(mixedSpace, history, 'eeipu');
    // The unpinned check's own local run (unpinned-check.test.ts) is not a refinement start, nor
    // is the search from the best observed configuration (local-search-from-best.test.ts).
    const run = (startsPerPrefix: number, restarts: number): Suggestion =>
      suggest({
        ...base,
        settings: { ...base.settings, startsPerPrefix, restarts, unpinnedCheck: false, localSearchFromBest: false },
      });
    const shared = run(1, 3);
    const pool = shared.diagnostics.poolSize as number;
    expect(pool).toBeGreaterThan(1);
    // Runs are skipped only when a start leaves no continuous dims free (here: never).
    expect(shared.diagnostics.localRuns).toBe(pool + 2);
    expect(run(3, 1).diagnostics.localRuns).toBe(3 * pool);
    expect(run(2, 4).diagnostics.localRuns).toBe(2 * pool + 3);
  });
});

describe('fixed cost exponent (ablation setting)', () => {
  it('replaces the budget-linear η of the cooled methods, not eips or ei', () => {
    const { history } = study('eeipu', 4);
    const base = request(mixedSpace, history, 'eeipu');
    const etaOf = (method: MethodName, eta?: number | null): unknown =>
      suggest({ ...base, settings: { ...base.settings, method, ...(eta === undefined ? {} : { eta }) } }).diagnostics
        .eta;
    const cooled = etaOf('eeipu') as number;
    expect(cooled).toBeGreaterThan(0);
    expect(cooled).toBeLessThan(1);
    expect(etaOf('eeipu', null)).toBe(cooled);
    for (const method of ['eeipu', 'ms-carbo', 'carbo'] as const) expect(etaOf(method, 0.25)).toBe(0.25);
    expect(etaOf('eips', 0.25)).toBe(1);
    expect(etaOf('ei', 0.25)).toBe(0);
  });
});
