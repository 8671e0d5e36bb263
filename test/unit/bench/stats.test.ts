import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/bench/rng.js';
import { mean, pairedBootstrap, quantile, standardError } from '../../../src/bench/stats.js';

describe('bench statistics', () => {
  it('computes mean and standard error by hand', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    // sample variance of 1..4 = 5/3; s.e. = sqrt(5/3 / 4)
    expect(standardError([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 12), 12);
    expect(standardError([7])).toBe(0);
    expect(Number.isNaN(mean([]))).toBe(true);
  });

  it('interpolates quantiles linearly', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([3, 1, 2, 4], 0)).toBe(1);
    expect(quantile([3, 1, 2, 4], 1)).toBe(4);
  });

  it('draws the same stream for the same seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (let i = 0; i < 1000; i++) {
      const k = a.int(7);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThan(7);
    }
  });

  it('gives a zero-width paired interval when the ratio is the same on every seed', () => {
    const num = [2, 4, 6, 8];
    const den = [1, 2, 3, 4];
    const ratio = (idx: readonly number[]) => mean(idx.map((i) => num[i]!)) / mean(idx.map((i) => den[i]!));
    const interval = pairedBootstrap(4, ratio, { seed: 1 });
    expect(interval).toEqual({ estimate: 2, low: 2, high: 2 });
  });

  it('brackets the estimate, is reproducible with its seed and widens with noise', () => {
    const rng = createRng(5);
    const num = Array.from({ length: 10 }, () => 2 + rng.next());
    const den = Array.from({ length: 10 }, () => 1 + rng.next());
    const ratio = (idx: readonly number[]) => mean(idx.map((i) => num[i]!)) / mean(idx.map((i) => den[i]!));
    const a = pairedBootstrap(10, ratio, { seed: 9 });
    const b = pairedBootstrap(10, ratio, { seed: 9 });
    expect(a).toEqual(b);
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
    const narrow = pairedBootstrap(10, ratio, { seed: 9, level: 0.5 });
    expect(narrow.high - narrow.low).toBeLessThan(a.high - a.low);
  });

  it('rejects an empty seed set', () => {
    expect(() => pairedBootstrap(0, () => 1)).toThrow(RangeError);
  });
});
