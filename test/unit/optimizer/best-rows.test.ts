import { describe, expect, it } from 'vitest';
import { bestRows } from '../../../src/optimizer/candidate-order.js';

describe('bestRows', () => {
  it('ranks exact scores first, then higher score, then lower index', () => {
    const scores = Float64Array.from([1, 5, 5, 9, -Infinity, 3, 7]);
    const exact = Uint8Array.from([1, 1, 1, 0, 1, 1, 1]);
    expect(bestRows(scores, exact, 4)).toEqual([6, 1, 2, 5]);
    expect(bestRows(scores, exact, 7)).toEqual([6, 1, 2, 5, 0, 4, 3]);
    expect(bestRows(scores, exact, 1)).toEqual([6]);
  });

  it('agrees with a full sort on random data', () => {
    let state = 7;
    const next = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
    const scores = Float64Array.from({ length: 300 }, () => Math.round(next() * 50));
    const exact = Uint8Array.from({ length: 300 }, () => (next() < 0.8 ? 1 : 0));
    const sorted = Array.from(scores.keys()).sort((p, q) => exact[q]! - exact[p]! || scores[q]! - scores[p]! || p - q);
    expect(bestRows(scores, exact, 25)).toEqual(sorted.slice(0, 25));
  });
});
