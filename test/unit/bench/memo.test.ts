import { describe, expect, it } from 'vitest';
import { PrefixMemo } from '../../../src/bench/memo.js';
import type { Configuration } from '../../../src/core/types.js';

const config = (a: number, b: number, c: number): Configuration => [{ a }, { b }, { c }];

describe('PrefixMemo', () => {
  it('finds nothing cached in an empty memo', () => {
    expect(new PrefixMemo(3).lookup(config(1, 2, 3))).toEqual({ delta: 0, cachedCosts: [], readyAt: [] });
  });

  it('returns the longest computed proper prefix with the costs stored when it was computed', () => {
    const memo = new PrefixMemo(3);
    memo.record(config(1, 2, 3), [10, 20, 30]);
    expect(memo.lookup(config(1, 5, 3))).toEqual({ delta: 1, cachedCosts: [10], readyAt: [0] });
    expect(memo.lookup(config(1, 2, 9))).toEqual({ delta: 2, cachedCosts: [10, 20], readyAt: [0, 0] });
    expect(memo.lookup(config(4, 2, 3))).toEqual({ delta: 0, cachedCosts: [], readyAt: [] });
  });

  it('never memoizes the last stage: an exact duplicate has δ = S − 1', () => {
    const memo = new PrefixMemo(3);
    memo.record(config(1, 2, 3), [10, 20, 30]);
    expect(memo.lookup(config(1, 2, 3)).delta).toBe(2);
    expect(memo.size).toBe(2);
  });

  it('keys on exact raw values, not on key order', () => {
    const memo = new PrefixMemo(2);
    memo.record([{ a: 1, b: 2 }, { c: 0 }], [5, 6]);
    expect(memo.lookup([{ b: 2, a: 1 }, { c: 1 }]).delta).toBe(1);
    expect(memo.lookup([{ a: 1, b: 2 + 1e-12 }, { c: 1 }]).delta).toBe(0);
  });

  it('keeps the cost measured first when a prefix is recorded again', () => {
    const memo = new PrefixMemo(2);
    memo.record([{ a: 1 }, { c: 0 }], [5, 6]);
    memo.record([{ a: 1 }, { c: 1 }], [7, 6]);
    expect(memo.lookup([{ a: 1 }, { c: 2 }]).cachedCosts).toEqual([5]);
  });

  it('rejects configurations of the wrong length', () => {
    expect(() => new PrefixMemo(3).lookup([{ a: 1 }])).toThrow(RangeError);
  });

  it('remembers when a prefix being computed will be ready, so a trial started earlier can wait for it', () => {
    const memo = new PrefixMemo(3);
    memo.record(config(1, 2, 3), [10, 20, 30], [10, 30, 60]);
    expect(memo.lookup(config(1, 2, 4))).toEqual({ delta: 2, cachedCosts: [10, 20], readyAt: [10, 30] });
    expect(() => memo.record(config(1, 2, 3), [10, 20, 30], [1])).toThrow(/readyAt/);
  });
});
