import { describe, expect, it } from 'vitest';
import {
  decayedLambda,
  expectedCost,
  expectedCostsByPrefix,
  gittinsIndex,
  gittinsIndexFromLogCost,
  gittinsIndexWithGradient,
  inverseLogH,
  lambdaBelowEipc,
  PBGI_DECAY,
} from '../../../src/acquisition/pbgi.js';
import { inverseCostsByPrefix } from '../../../src/acquisition/cost.js';
import { expectedImprovement, logExpectedImprovement, logH } from '../../../src/acquisition/log-ei.js';
import { createRandom, quasiNormals } from '../../../src/random/index.js';

const MEANS = [-1e6, -3, 0, 0.5, 7, 1e6];
const SDS = [1e-12, 1e-6, 0.01, 1, 100, 1e6];
const COSTS = [1e-300, 1e-100, 1e-12, 1e-4, 0.1, 1, 10, 1e6];
const EPS = Number.EPSILON;

describe('inverseLogH', () => {
  it('inverts log h to rounding over log targets from −10⁴ to 36', () => {
    for (let target = -1e4; target <= 36; target += 0.731) {
      const u = inverseLogH(target);
      expect(Number.isFinite(u)).toBe(true);
      // log h is evaluated to a few ulp of its magnitude.
      expect(Math.abs(logH(u).value - target)).toBeLessThanOrEqual(16 * EPS * Math.max(1, Math.abs(target)));
    }
  });

  it('is increasing in the target', () => {
    let previous = Number.NEGATIVE_INFINITY;
    for (let target = -2000; target <= 36; target += 0.5) {
      const u = inverseLogH(target);
      expect(u).toBeGreaterThan(previous);
      previous = u;
    }
  });

  it('handles the ends: −∞, NaN and the linear regime', () => {
    expect(inverseLogH(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(inverseLogH(Number.NaN)).toBeNaN();
    expect(inverseLogH(40)).toBe(Math.exp(40));
    // h(0) = φ(0): the root of log h = log φ(0) is 0.
    expect(Math.abs(inverseLogH(-0.5 * Math.log(2 * Math.PI)))).toBeLessThan(1e-15);
  });
});

describe('gittinsIndex (PBGI)', () => {
  it('solves EI(μ, σ; g) = c to rounding over a wide grid of μ, σ and c', () => {
    for (const mean of MEANS) {
      for (const sd of SDS) {
        for (const cost of COSTS) {
          const g = gittinsIndex(mean, sd * sd, cost);
          expect(Number.isFinite(g)).toBe(true);
          const logEi = logExpectedImprovement(mean, sd, g);
          // Conditioning: g carries an absolute rounding error of a few ulp of |μ| + |g|, and
          // |d log EI/dg| = Φ(u)/(σ·h(u)) turns that into a relative error of EI.
          const u = (mean - g) / sd;
          const slope = logH(u).derivative / sd;
          const tolerance = 1e-11 + slope * 8 * EPS * (Math.abs(mean) + Math.abs(g));
          expect(Math.abs(logEi - Math.log(cost)), `μ=${mean} σ=${sd} c=${cost}`).toBeLessThanOrEqual(tolerance);
        }
      }
    }
  });

  it('is the standardized root: g = μ − σ·h⁻¹(c/σ)', () => {
    for (const cost of COSTS) {
      for (const sd of [1e-3, 1, 1e3]) {
        const logRatio = Math.log(cost) - Math.log(sd);
        const u = inverseLogH(logRatio);
        const g = gittinsIndex(2, sd * sd, cost);
        // σ·u carries the rounding of exp(log c − log σ): |log(c/σ)| ulp.
        const tolerance = 8 * EPS * (1 + Math.abs(logRatio)) * (2 + Math.abs(sd * u));
        expect(Math.abs(g - (2 - sd * u))).toBeLessThanOrEqual(tolerance);
      }
    }
  });

  it('recovers the threshold of a known EI', () => {
    for (const [mean, sd, best] of [
      [1, 0.5, 0.8],
      [0, 2, 1],
      [-1, 0.3, 0.5],
      [3, 1e-3, 2.9],
    ] as const) {
      const ei = expectedImprovement(mean, sd, best);
      expect(gittinsIndex(mean, sd * sd, ei)).toBeCloseTo(best, 10);
    }
    // h(0) = φ(0): a unit posterior at 0 has EI φ(0) over the threshold 0.
    expect(Math.abs(gittinsIndex(0, 1, 1 / Math.sqrt(2 * Math.PI)))).toBeLessThan(1e-15);
  });

  it('is μ − c for a point mass and +∞ for a free evaluation', () => {
    expect(gittinsIndex(3, 0, 0.25)).toBe(2.75);
    expect(gittinsIndex(3, -1e-18, 0.25)).toBe(2.75);
    expect(gittinsIndex(3, 1, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(gittinsIndex(3, 0, 0)).toBe(3);
    expect(gittinsIndex(Number.NaN, 1, 1)).toBeNaN();
    // Tiny σ: continuous with the point mass.
    expect(gittinsIndex(3, 1e-30, 0.25)).toBe(2.75);
  });

  it('falls as the cost rises, rises with μ (slope 1) and with σ', () => {
    for (const mean of [-3, 0, 7]) {
      for (const sd of [1e-3, 0.3, 1, 30]) {
        let previous = Number.POSITIVE_INFINITY;
        for (let logCost = -600; logCost <= 12; logCost += 0.5) {
          const g = gittinsIndexFromLogCost(mean, sd * sd, logCost).value;
          expect(g).toBeLessThan(previous);
          previous = g;
        }
      }
    }
    for (const cost of [1e-8, 0.1, 5]) {
      expect(gittinsIndex(1.5, 1, cost) - gittinsIndex(0.5, 1, cost)).toBeCloseTo(1, 12);
      // Non-strict: near the point mass the rise σ·h(−c/σ) is below double resolution.
      let previous = Number.NEGATIVE_INFINITY;
      for (const sd of [0, 1e-6, 1e-3, 0.1, 1, 10, 1e3]) {
        const g = gittinsIndex(0, sd * sd, cost);
        expect(g).toBeGreaterThanOrEqual(previous);
        previous = g;
      }
      expect(gittinsIndex(0, 1, cost)).toBeGreaterThan(gittinsIndex(0, 0.01, cost));
    }
  });

  it('approaches the UCB-like small-cost asymptote μ + σ·√(2 log(σ/c)) (Xie et al. 2024, §3)', () => {
    // Leading order only: the ratio of the bonus to the asymptote tends to 1 as c/σ → 0.
    const cost = 1e-200;
    const g = gittinsIndex(0, 1, cost);
    expect(g / Math.sqrt(2 * Math.log(1 / cost))).toBeGreaterThan(0.98);
    expect(g / Math.sqrt(2 * Math.log(1 / cost))).toBeLessThan(1);
  });

  it('has the implicit-function gradient (central differences)', () => {
    for (const mean of [-2, 0, 1.3]) {
      for (const variance of [1e-4, 0.09, 1, 25]) {
        for (const cost of [1e-30, 1e-6, 0.01, 0.4, 3, 50]) {
          const logCost = Math.log(cost);
          const at = gittinsIndexFromLogCost(mean, variance, logCost);
          const f = (m: number, v: number, l: number): number => gittinsIndexFromLogCost(m, v, l).value;
          const hm = 1e-5;
          const hv = 1e-5 * variance;
          const hl = 1e-5;
          const dMean = (f(mean + hm, variance, logCost) - f(mean - hm, variance, logCost)) / (2 * hm);
          const dVariance = (f(mean, variance + hv, logCost) - f(mean, variance - hv, logCost)) / (2 * hv);
          const dLogCost = (f(mean, variance, logCost + hl) - f(mean, variance, logCost - hl)) / (2 * hl);
          const close = (analytic: number, numeric: number): void => {
            expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(numeric)));
          };
          close(at.dMean, dMean);
          close(at.dVariance, dVariance);
          close(at.dLogCost, dLogCost);
          // Signs: the index rises with uncertainty (φ(u)/Φ(u) underflows to 0 for c ≫ σ) and
          // falls with cost.
          expect(at.dVariance).toBeGreaterThanOrEqual(0);
          expect(at.dLogCost).toBeLessThan(0);
        }
      }
    }
  });

  it('gives ∂g/∂c = −1/Φ(u) in the plain-cost form', () => {
    const { value, dCost } = gittinsIndexWithGradient(0.2, 0.5, 0.3);
    const h = 1e-6;
    const numeric = (gittinsIndex(0.2, 0.5, 0.3 + h) - gittinsIndex(0.2, 0.5, 0.3 - h)) / (2 * h);
    expect(value).toBe(gittinsIndex(0.2, 0.5, 0.3));
    expect(dCost).toBeCloseTo(numeric, 6);
  });

  it('keeps finite derivatives where Φ(u) underflows (tiny costs) and in the linear regime', () => {
    const tiny = gittinsIndexFromLogCost(0, 1, -5000);
    expect(Number.isFinite(tiny.value) && Number.isFinite(tiny.dVariance) && Number.isFinite(tiny.dLogCost)).toBe(true);
    expect(tiny.dLogCost).toBeLessThan(0);
    const linear = gittinsIndexFromLogCost(1, 1e-40, Math.log(2));
    expect(linear).toEqual({ value: -1, dMean: 1, dVariance: 0, dLogCost: -2 });
  });
});

describe('expected costs (PBGI with log-normal stage-cost models)', () => {
  const a = [0.3, -1.2, 2.0];
  const b = [0.2, 0.5, 0.05];

  it('sums the log-normal means, reused stages at ε', () => {
    const byPrefix = new Float64Array(3);
    expectedCostsByPrefix(a, b, 0.1, byPrefix);
    for (let delta = 0; delta < 3; delta++) {
      let expected = delta * 0.1;
      for (let s = delta; s < 3; s++) expected += Math.exp(a[s]! + 0.5 * b[s]! * b[s]!);
      expect(byPrefix[delta]).toBeCloseTo(expected, 12);
      expect(expectedCost(a.slice(delta), b.slice(delta), delta * 0.1)).toBeCloseTo(expected, 12);
    }
    // A longer cached prefix never costs more while ε is below every stage's cost.
    expect(byPrefix[1]).toBeLessThan(byPrefix[0]!);
    expect(byPrefix[2]).toBeLessThan(byPrefix[1]!);
  });

  it('is the limit of the Monte-Carlo mean cost of cost.ts', () => {
    const z = quasiNormals(20000, createRandom(11, 0, 0));
    const inverse = new Float64Array(3);
    const mean = new Float64Array(3);
    inverseCostsByPrefix(a, b, 0.1, z, inverse, mean);
    const exact = new Float64Array(3);
    expectedCostsByPrefix(a, b, 0.1, exact);
    for (let delta = 0; delta < 3; delta++) expect(mean[delta]! / exact[delta]!).toBeCloseTo(1, 3);
  });

  it('has the closed-form gradient', () => {
    const dA = new Float64Array(3);
    const dB = new Float64Array(3);
    expectedCost(a, b, 0.2, dA, dB);
    const h = 1e-6;
    for (let s = 0; s < 3; s++) {
      const up = a.slice();
      const down = a.slice();
      up[s] = up[s]! + h;
      down[s] = down[s]! - h;
      expect(dA[s]).toBeCloseTo((expectedCost(up, b, 0.2) - expectedCost(down, b, 0.2)) / (2 * h), 6);
      const bUp = b.slice();
      const bDown = b.slice();
      bUp[s] = bUp[s]! + h;
      bDown[s] = bDown[s]! - h;
      expect(dB[s]).toBeCloseTo((expectedCost(a, bUp, 0.2) - expectedCost(a, bDown, 0.2)) / (2 * h), 6);
    }
  });
});

describe('PBGI-D cost weight', () => {
  it('halves λ exactly when the chosen index did not beat the incumbent', () => {
    expect(PBGI_DECAY).toEqual({ initialLambda: 0.1, factor: 2 });
    expect(decayedLambda(0.1, 1.2, 1.0)).toBe(0.1);
    expect(decayedLambda(0.1, 1.0, 1.0)).toBe(0.05);
    expect(decayedLambda(0.1, 0.7, 1.0)).toBe(0.05);
    expect(decayedLambda(0.1, 0.7, 1.0, 10)).toBeCloseTo(0.01, 15);
  });

  it('picks the largest λ₀/β^k strictly below the best EI per cost', () => {
    expect(lambdaBelowEipc(Math.log(0.5))).toBe(0.1);
    expect(lambdaBelowEipc(Math.log(0.1))).toBe(0.05); // strictly below: at λ = 0.1 the rule fires
    expect(lambdaBelowEipc(Math.log(0.0999))).toBe(0.05);
    expect(lambdaBelowEipc(Math.log(0.05))).toBe(0.025);
    for (let logE = -60; logE < -2.31; logE += 0.173) {
      const lambda = lambdaBelowEipc(logE);
      expect(Math.log(lambda)).toBeLessThan(logE);
      expect(Math.log(2 * lambda)).toBeGreaterThanOrEqual(logE);
    }
    expect(lambdaBelowEipc(Number.NEGATIVE_INFINITY)).toBe(0.1 / Math.pow(2, 200));
    expect(lambdaBelowEipc(Number.NaN)).toBe(0.1);
  });

  it('agrees with the stopping rule: at the chosen λ the best index beats the incumbent', () => {
    // Two candidates (μ, σ², c) against f* = 1: max EI(f*)/c decides λ; then max α > f*.
    const candidates = [
      [0.9, 0.01, 2],
      [0.5, 0.25, 1],
    ] as const;
    const best = 1;
    let logMax = Number.NEGATIVE_INFINITY;
    for (const [m, v, c] of candidates)
      logMax = Math.max(logMax, logExpectedImprovement(m, Math.sqrt(v), best) - Math.log(c));
    const lambda = lambdaBelowEipc(logMax);
    const indices = candidates.map(([m, v, c]) => gittinsIndex(m, v, lambda * c));
    expect(Math.max(...indices)).toBeGreaterThan(best);
    const twice = candidates.map(([m, v, c]) => gittinsIndex(m, v, 2 * lambda * c));
    expect(Math.max(...twice)).toBeLessThanOrEqual(best);
  });
});
