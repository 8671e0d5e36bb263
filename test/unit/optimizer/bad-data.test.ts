import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import type { Configuration, Observation, SearchSpace } from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import { validateConfiguration } from '../../../src/space/index.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';

/** Five warm-up trials from the optimizer itself. */
function warmup(space: SearchSpace = mixedSpace, count = 5): Observation[] {
  const history: Observation[] = [];
  for (let i = 0; i < count; i++) {
    const s = suggest(request(space, history, 'eeipu', { settings: { warmup: count } }));
    history.push(...observationsFrom([s.config]));
  }
  return history;
}

function isNew(history: readonly Observation[], config: Configuration): boolean {
  return !history.some((o) => canonicalJson(o.config) === canonicalJson(config));
}

describe('bad and unusual data', () => {
  it('excludes failed trials from the objective GP but trains cost GPs on their known stage costs', () => {
    const history = warmup().map((o, i) =>
      i % 2 === 0 ? { ...o, objective: null, stageCosts: [o.stageCosts[0]!, null, null] } : o,
    );
    const s = suggest(request(mixedSpace, history, 'eeipu'));
    expect(s.phase).toBe('bo');
    expect(s.diagnostics.successful).toBe(2);
    expect(s.predictedCost).toBeGreaterThan(0);
    expect(isNew(history, s.config)).toBe(true);
  });

  it('keeps exploring with the design when every trial failed', () => {
    const history = warmup().map((o) => ({ ...o, objective: null }));
    const s = suggest(request(mixedSpace, history, 'eeipu'));
    expect(s.diagnostics.fallback).toBe('no-successful-observations');
    expect(s.acquisition).toBeNull();
    expect(isNew(history, s.config)).toBe(true);
  });

  it('floors zero and negative costs before taking logs', () => {
    const history = warmup().map((o, i) => ({ ...o, stageCosts: [0, -1, i] }));
    const s = suggest(request(mixedSpace, history, 'eeipu'));
    expect(Number.isFinite(s.acquisition)).toBe(true);
    expect(Number.isFinite(s.predictedCost)).toBe(true);
    const total = suggest(request(mixedSpace, history, 'carbo'));
    expect(Number.isFinite(total.predictedCost)).toBe(true);
  });

  it('copes with duplicate points in the history', () => {
    const base = warmup();
    const history = [...base, base[0]!, base[0]!, { ...base[1]!, objective: base[1]!.objective! + 1 }];
    const s = suggest(request(mixedSpace, history, 'eeipu'));
    expect(Number.isFinite(s.acquisition)).toBe(true);
    expect(isNew(history, s.config)).toBe(true);
  });

  it('copes with a constant objective', () => {
    const history = warmup().map((o) => ({ ...o, objective: 3 }));
    const s = suggest(request(mixedSpace, history, 'eeipu'));
    expect(Number.isFinite(s.acquisition)).toBe(true);
    expect(isNew(history, s.config)).toBe(true);
  });

  it('works with fewer observations than dimensions', () => {
    const wide: SearchSpace = [
      {
        name: 'a',
        params: Array.from({ length: 15 }, (_, i) => ({ name: `p${i}`, type: 'float' as const, low: 0, high: 1 })),
      },
      {
        name: 'b',
        params: Array.from({ length: 15 }, (_, i) => ({ name: `q${i}`, type: 'float' as const, low: -1, high: 1 })),
      },
    ];
    const history = warmup(wide, 3);
    const s = suggest(
      request(wide, history, 'eeipu', { settings: { warmup: 3, rawSamples: 64, restarts: 2, mcSamples: 64 } }),
    );
    expect(s.phase).toBe('bo');
    expect(() => validateConfiguration(wide, s.config)).not.toThrow();
  });

  it('enumerates an all-categorical space, never repeating until it is exhausted', () => {
    const tiny: SearchSpace = [
      { name: 'a', params: [{ name: 'c', type: 'categorical', choices: ['x', 'y'] }] },
      {
        name: 'b',
        params: [
          { name: 'f', type: 'categorical', choices: [true, false] },
          { name: 'k', type: 'int', low: 0, high: 1 },
        ],
      },
    ];
    const history: Observation[] = [];
    for (let i = 0; i < 8; i++) {
      const s = suggest(request(tiny, history, 'eeipu', { settings: { warmup: 3 } }));
      expect(s.diagnostics.exhausted).toBe(false);
      if (s.phase === 'bo') expect(s.diagnostics.enumerated).toBe(true);
      expect(isNew(history, s.config)).toBe(true);
      history.push({ ...observationsFrom([s.config], s.phase)[0]!, cachedPrefix: s.cachedPrefix });
    }
    const last = suggest(request(tiny, history, 'eeipu', { settings: { warmup: 3 } }));
    expect(last.diagnostics.exhausted).toBe(true);
  });

  it('answers a BO method with the warm-up design while the history is shorter than warm-up', () => {
    const history = warmup().slice(0, 3);
    const s = suggest(request(mixedSpace, history, 'eeipu', { settings: { warmup: 10 } }));
    expect(s.phase).toBe('warmup');
    expect(s.acquisition).toBeNull();
  });

  it('clamps η to 0 once the budget is exhausted (acquisition = log EI)', () => {
    const history = warmup();
    const spent = history.reduce((sum, o) => sum + o.chargedCost, 0);
    const over = suggest(request(mixedSpace, history, 'ms-carbo', { budget: { total: spent, spent: spent + 50 } }));
    expect(over.diagnostics.eta).toBe(0);
    const ei = suggest(request(mixedSpace, history, 'ei', { budget: { total: spent, spent: spent + 50 } }));
    expect(canonicalJson(over.config)).toBe(canonicalJson(ei.config));
    expect(over.acquisition).toBe(ei.acquisition);
  });

  it('ignores a malformed or foreign state instead of failing', () => {
    const history = warmup();
    const clean = suggest(request(mixedSpace, history, 'eeipu'));
    for (const state of [
      { version: 99 },
      { version: 1, dimension: 3 },
      { version: 1, dimension: clean.state!.dimension, objective: 'x' },
    ]) {
      const s = suggest(request(mixedSpace, history, 'eeipu', { state }));
      expect(canonicalJson(s.config)).toBe(canonicalJson(clean.config));
    }
  });

  it('reuses state hyperparameters until the history grows by 10%, then refits', () => {
    const history = warmup();
    const first = suggest(request(mixedSpace, history, 'eeipu'));
    expect(first.diagnostics.refit).toBe(true);
    const more = [...history, ...observationsFrom([first.config], 'bo')];
    const second = suggest(request(mixedSpace, more, 'eeipu', { state: first.state! }));
    expect(second.diagnostics.refit).toBe(true); // 5 → 6 is 20% growth
    const reused = suggest(request(mixedSpace, more, 'eeipu', { state: second.state! }));
    expect(reused.diagnostics.refit).toBe(false); // fitted at this very history length
    const foreign = suggest(request(mixedSpace, more, 'eeipu', { state: { ...second.state!, fittedAt: 100 } }));
    expect(foreign.diagnostics.refit).toBe(true); // fitted on a longer history than this one
  });

  it("carries the objective fit's curvature in the state: kept while reused, replaced by a refit", () => {
    const history = warmup();
    const first = suggest(request(mixedSpace, history, 'eeipu'));
    const curvature = first.state!.objectiveCurvature as { s: number[][]; y: number[][] };
    const length = (first.state!.dimension as number) + 2;
    expect(curvature.s.length).toBeGreaterThan(0);
    expect([...curvature.s, ...curvature.y].every((v) => v.length === length)).toBe(true);
    // Rounded when written: what a resumed study reads back from JSON is what was used.
    expect([...curvature.s, ...curvature.y].flat().every((v) => v === Number(v.toPrecision(4)))).toBe(true);
    expect(JSON.parse(JSON.stringify(first.state))).toEqual(first.state);

    const more = [...history, ...observationsFrom([first.config], 'bo')];
    const second = suggest(request(mixedSpace, more, 'eeipu', { state: first.state! }));
    expect(second.diagnostics.refit).toBe(true);
    expect(second.state!.objectiveCurvature).not.toEqual(curvature);
    const reused = suggest(request(mixedSpace, more, 'eeipu', { state: second.state! }));
    expect(reused.diagnostics.refit).toBe(false);
    expect(reused.state!.objectiveCurvature).toEqual(second.state!.objectiveCurvature);
  });

  it('refits from a state without curvature, or with a malformed one, as from none', () => {
    const history = warmup();
    const first = suggest(request(mixedSpace, history, 'eeipu'));
    const more = [...history, ...observationsFrom([first.config], 'bo')];
    const { objectiveCurvature: _dropped, ...older } = first.state!;
    const fromOlder = suggest(request(mixedSpace, more, 'eeipu', { state: older }));
    expect(fromOlder.diagnostics.refit).toBe(true);
    for (const objectiveCurvature of [{ s: [[1]], y: [[1]] }, 'x', { s: [[Number.NaN]], y: [] }]) {
      const s = suggest(request(mixedSpace, more, 'eeipu', { state: { ...first.state!, objectiveCurvature } }));
      expect(canonicalJson(s.config)).toBe(canonicalJson(fromOlder.config));
      expect(s.state).toEqual(fromOlder.state);
    }
  });
});
