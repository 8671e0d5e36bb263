/** `study watch`'s ETA (src/cli/format.ts): whichever of the budget and maxTrials ends the study first. */
import { describe, expect, it } from 'vitest';
import { remainingMs } from '../../../src/cli/format.js';

const since = { at: 0, spent: 0, trials: 0 };

describe('remaining time of a watched study', () => {
  it('is the budget left at the spending rate seen', () => {
    // 10 of 100 spent in 10 s: 90 s left.
    expect(remainingMs({ spent: 10, budget: 100, trials: 4 }, since, 10_000, 10_000)).toBe(90_000);
  });

  it('is the trials left at the finishing rate when maxTrials comes first', () => {
    // 4 of 5 trials in 10 s: one more, 2.5 s; the budget would last 90 s more.
    expect(remainingMs({ spent: 10, budget: 100, trials: 4, maxTrials: 5 }, since, 10_000, 10_000)).toBe(2_500);
  });

  it('is unknown before anything moved', () => {
    expect(remainingMs({ spent: 0, budget: 100, trials: 0, maxTrials: 5 }, since, 10_000, 10_000)).toBeNull();
  });

  it('counts down between trials instead of following the rate down', () => {
    // 10 of 100 spent by the trial recorded at 10 s; at 40 s nothing more is recorded yet.
    const progress = { spent: 10, budget: 100, trials: 4 };
    expect(remainingMs(progress, since, 10_000, 10_000)).toBe(90_000);
    expect(remainingMs(progress, since, 10_000, 40_000)).toBe(60_000);
    // Past the estimate it says 0, not a negative time.
    expect(remainingMs(progress, since, 10_000, 200_000)).toBe(0);
  });
});
