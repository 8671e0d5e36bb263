import { describe, expect, it } from 'vitest';
import { bestGittinsIndex, gittinsIndex, type IndexCandidate } from '../../../src/acquisition/pbgi.js';
import { costAwareStop, costAwareStopFromLogEipc } from '../../../src/acquisition/stopping.js';
import { logExpectedImprovement } from '../../../src/acquisition/log-ei.js';
import { createRandom } from '../../../src/random/index.js';

const PHI0 = 1 / Math.sqrt(2 * Math.PI); // EI of N(0, 1) over the threshold 0

describe('cost-aware stopping rule (Xie et al., ICML 2026)', () => {
  it('stops exactly when no index exceeds the incumbent', () => {
    // One candidate N(0, 1) costing φ(0) (λ = 1): its index is 0.
    const index = bestGittinsIndex([{ mean: 0, variance: 1, cost: PHI0 }], 1);
    expect(Math.abs(index)).toBeLessThan(1e-15);
    expect(costAwareStop(index, 0.001)).toBe(true); // the incumbent beats it: stop
    expect(costAwareStop(index, -0.001)).toBe(false); // still worth a look
    expect(costAwareStop(0, 0)).toBe(true); // a tie stops (EI(x; y*) ≤ c: not worth it)
  });

  it('stops when only expensive near-certain candidates are left, continues for a cheap uncertain one', () => {
    const incumbent = 1;
    const dull: IndexCandidate[] = [
      { mean: 0.95, variance: 1e-4, cost: 5 }, // EI(1) ≈ 1e-3·…, cost 5·λ
      { mean: 0.5, variance: 0.01, cost: 1 },
    ];
    expect(costAwareStop(bestGittinsIndex(dull, 0.01), incumbent)).toBe(true);
    const withCheap = [...dull, { mean: 0.8, variance: 0.25, cost: 0.2 }];
    expect(costAwareStop(bestGittinsIndex(withCheap, 0.01), incumbent)).toBe(false);
    // The same cheap candidate is not worth it when cost matters 100× more.
    expect(costAwareStop(bestGittinsIndex(withCheap, 1), incumbent)).toBe(true);
  });

  it('a memoized candidate (reused prefix at ε) can keep a study going that the full cost would stop', () => {
    const incumbent = 0;
    const full: IndexCandidate = { mean: -0.2, variance: 0.04, cost: 10 };
    const reused: IndexCandidate = { ...full, cost: 10 - 9 + 0.1 }; // 9 of 10 cost units cached at ε = 0.1
    // EI(x; 0) = 0.2·h(−1) ≈ 0.0167: more than 0.005·1.1, less than 0.005·10.
    expect(costAwareStop(bestGittinsIndex([full], 0.005), incumbent)).toBe(true);
    expect(costAwareStop(bestGittinsIndex([full, reused], 0.005), incumbent)).toBe(false);
  });

  it('is the LogEIPC rule in another form (random candidate sets)', () => {
    const rng = createRandom(7, 0, 0);
    const random = (): number => rng.next();
    let stops = 0;
    for (let trial = 0; trial < 400; trial++) {
      const candidates: IndexCandidate[] = [];
      const count = 1 + Math.floor(random() * 20);
      for (let i = 0; i < count; i++) {
        candidates.push({
          mean: 4 * random() - 2,
          variance: Math.exp(10 * random() - 8),
          cost: Math.exp(8 * random() - 4),
        });
      }
      const incumbent = 3 * random() - 1;
      const weight = Math.exp(12 * random() - 10);
      let maxLogEipc = Number.NEGATIVE_INFINITY;
      for (const c of candidates) {
        maxLogEipc = Math.max(
          maxLogEipc,
          logExpectedImprovement(c.mean, Math.sqrt(c.variance), incumbent) - Math.log(c.cost),
        );
      }
      const byIndex = costAwareStop(bestGittinsIndex(candidates, weight), incumbent);
      const byEipc = costAwareStopFromLogEipc(maxLogEipc, weight);
      // Away from ties (where rounding may pick either side) the two forms agree.
      if (Math.abs(maxLogEipc - Math.log(weight)) > 1e-9) expect(byIndex).toBe(byEipc);
      if (byIndex) stops++;
    }
    // The grid covers both decisions.
    expect(stops).toBeGreaterThan(40);
    expect(stops).toBeLessThan(360);
  });

  it('is monotone: a higher cost weight or a better incumbent can only turn "continue" into "stop"', () => {
    const candidates: IndexCandidate[] = [
      { mean: 0.1, variance: 0.3, cost: 2 },
      { mean: -0.4, variance: 1.5, cost: 0.7 },
    ];
    let stopped = false;
    for (let logWeight = -12; logWeight <= 4; logWeight += 0.25) {
      const stop = costAwareStop(bestGittinsIndex(candidates, Math.exp(logWeight)), 0.5);
      if (stopped) expect(stop).toBe(true);
      stopped ||= stop;
    }
    expect(stopped).toBe(true);
    const index = bestGittinsIndex(candidates, 0.05);
    stopped = false;
    for (let incumbent = -1; incumbent <= 3; incumbent += 0.05) {
      const stop = costAwareStop(index, incumbent);
      if (stopped) expect(stop).toBe(true);
      stopped ||= stop;
    }
    expect(stopped).toBe(true);
  });

  it('decides nothing without evidence and stops with no candidate left', () => {
    expect(costAwareStop(Number.NaN, 0)).toBe(false);
    expect(costAwareStop(1, Number.NaN)).toBe(false);
    expect(costAwareStop(-5, Number.NEGATIVE_INFINITY)).toBe(false); // nothing succeeded yet
    expect(costAwareStop(bestGittinsIndex([], 1), 0)).toBe(true);
    expect(costAwareStopFromLogEipc(Number.NaN, 1)).toBe(false);
    expect(costAwareStopFromLogEipc(-1, 0)).toBe(false);
    expect(() => bestGittinsIndex([], 0)).toThrow(RangeError);
    // A NaN candidate is skipped, not propagated.
    const index = bestGittinsIndex(
      [
        { mean: Number.NaN, variance: 1, cost: 1 },
        { mean: 0, variance: 1, cost: PHI0 },
      ],
      1,
    );
    expect(index).toBeCloseTo(gittinsIndex(0, 1, PHI0), 15);
  });
});
