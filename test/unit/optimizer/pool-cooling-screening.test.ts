import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../src/core/types.js';
import { costExponent } from '../../../src/optimizer/cost-cooling.js';
import { prefixPool } from '../../../src/optimizer/prefix-pool.js';
import { screeningSubset } from '../../../src/optimizer/screening.js';
import { SpaceEncoding } from '../../../src/space/index.js';

describe('cost cooling η', () => {
  const obs = (phase: 'warmup' | 'bo', cost: number): Observation => ({
    config: [],
    objective: 0,
    stageCosts: [],
    cachedPrefix: 0,
    chargedCost: cost,
    phase,
  });
  const history = [obs('warmup', 30), obs('warmup', 20), obs('bo', 10)];

  it('is 1 right after warm-up and falls linearly to 0 at the budget', () => {
    expect(costExponent(history, 150, 50)).toBe(1);
    expect(costExponent(history, 150, 100)).toBeCloseTo(0.5, 14);
    expect(costExponent(history, 150, 150)).toBe(0);
  });

  it('clamps to 0 when the budget is overspent or used up by warm-up', () => {
    expect(costExponent(history, 150, 400)).toBe(0);
    expect(costExponent(history, 40, 60)).toBe(0);
  });
});

describe('prefix pool', () => {
  const encoding = new SpaceEncoding([
    { name: 'a', params: [{ name: 'x', type: 'float', low: 0, high: 1 }] },
    { name: 'b', params: [{ name: 'y', type: 'float', low: 0, high: 1 }] },
    { name: 'c', params: [{ name: 'w', type: 'float', low: 0, high: 1 }] },
  ]);
  const trial = (
    x: number,
    y: number,
    w: number,
    objective: number | null,
    phase: 'warmup' | 'bo' = 'bo',
  ): Observation => ({
    config: [{ x }, { y }, { w }],
    objective,
    stageCosts: [1, 1, 1],
    cachedPrefix: 0,
    chargedCost: 3,
    phase,
  });

  it('holds ∅ plus every proper prefix of the top-Q post-warm-up trials, deduplicated', () => {
    const history = [
      trial(0.9, 0.9, 0.9, 100, 'warmup'), // warm-up: never in the pool
      trial(0.1, 0.2, 0.3, 5),
      trial(0.1, 0.2, 0.4, 4), // same prefixes as the previous trial
      trial(0.1, 0.7, 0.3, 3), // shares only the first stage
      trial(0.5, 0.5, 0.5, null), // failed
      trial(0.6, 0.6, 0.6, 1), // outside the top 3
    ];
    const pool = prefixPool(encoding, history, 1, 3);
    expect(pool.map((p) => [p.delta, JSON.stringify(p.stages)])).toEqual([
      [0, '[]'],
      [1, '[{"x":0.1}]'],
      [2, '[{"x":0.1},{"y":0.2}]'],
      [2, '[{"x":0.1},{"y":0.7}]'],
    ]);
  });

  it("records what each prefix cost when computed: the source trial's first δ stage costs", () => {
    const costly = { ...trial(0.1, 0.2, 0.3, 5), stageCosts: [2.5, 4, 1] };
    const pool = prefixPool(encoding, [costly], 1, 1);
    expect(pool.map((p) => [p.delta, p.measuredCost])).toEqual([
      [0, 0],
      [1, 2.5],
      [2, 6.5],
    ]);
  });

  it('leaves out the stages a pruned trial with an objective did not commit (the one that stopped it and after)', () => {
    const prunedAtSecond = { ...trial(0.1, 0.2, 0.3, 5), stageCosts: [2.5, null, null] };
    const prunedAtFirst = { ...trial(0.4, 0.5, 0.6, 4), stageCosts: [null, null, null] };
    const pool = prefixPool(encoding, [prunedAtSecond, prunedAtFirst], 1, 2);
    expect(pool.map((p) => [p.delta, JSON.stringify(p.stages)])).toEqual([
      [0, '[]'],
      [1, '[{"x":0.1}]'],
    ]);
  });

  it('ranks by the direction of optimization', () => {
    const history = [trial(0.1, 0.1, 0.1, 5), trial(0.2, 0.2, 0.2, 1)];
    expect(prefixPool(encoding, history, -1, 1)[1]!.stages).toEqual([{ x: 0.2 }]);
  });
});

describe('screening subset', () => {
  it('keeps everything below the limit and the best half above it', () => {
    expect(screeningSubset([3, 1, 2], 5)).toEqual([0, 1, 2]);
    const ys = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    const keep = screeningSubset(ys, 20);
    expect(keep).toHaveLength(20);
    expect(new Set(keep).size).toBe(20);
    const kept = new Set(keep.map((i) => ys[i]));
    for (let v = 90; v < 100; v++) expect(kept.has(v)).toBe(true);
  });
});
