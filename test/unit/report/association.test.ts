import { describe, expect, it } from 'vitest';
import { averageRanks, rankCorrelationRatio, spearman } from '../../../src/report/association.js';

describe('rank association measures', () => {
  it('gives tied values their average rank', () => {
    expect(averageRanks([10, 20, 10, 30, 20])).toEqual([1.5, 3.5, 1.5, 5, 3.5]);
  });

  it('gives Spearman ±1 for any monotone relation and null when a side is constant', () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect(
      spearman(
        x,
        x.map((v) => Math.exp(v)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        x,
        x.map((v) => -(v ** 3)),
      ),
    ).toBeCloseTo(-1, 12);
    expect(spearman(x, [1, 1, 1, 1, 1, 1])).toBeNull();
    expect(spearman([1, 2], [2, 1])).toBeNull();
  });

  it('matches the textbook Spearman value on a small sample', () => {
    // ρ = 1 − 6 Σd² / (n(n² − 1)) without ties: ranks (1..5) vs (2,1,4,3,5): Σd² = 4 → ρ = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50])).toBeCloseTo(0.8, 12);
  });

  it('gives a large η when the groups separate the objective and 0 when they do not', () => {
    expect(rankCorrelationRatio(['a', 'a', 'b', 'b'], [1, 2, 3, 4])).toBeCloseTo(Math.sqrt(0.8), 12);
    expect(rankCorrelationRatio(['a', 'b', 'a', 'b'], [1, 2, 2, 1])).toBeCloseTo(0, 12);
    expect(rankCorrelationRatio(['a', 'a', 'a'], [1, 2, 3])).toBeNull();
    const eta = rankCorrelationRatio(['a', 'b', 'c', 'a', 'b', 'c'], [1, 5, 9, 2, 6, 10])!;
    expect(eta).toBeGreaterThan(0.9);
    expect(eta).toBeLessThanOrEqual(1);
  });
});
