import { describe, expect, it } from 'vitest';
import {
  expectedImprovement,
  logExpectedImprovement,
  logExpectedImprovementWithGradient,
  logH,
} from '../../../src/acquisition/index.js';

// log h(u) and Φ(u)/h(u) with h(u) = φ(u) + uΦ(u), from mpmath at 50 digits (rounded to double).
const LOG_H: [number, number, number][] = [
  [2, 0.6973835457882284, 0.48655931878528386],
  [0.5, -0.3598276837450638, 0.9909227180041099],
  [0, -0.9189385332046728, 1.2533141373155003],
  [-1, -2.4851210257126413, 1.9042712333296918],
  [-3, -7.869686059603029, 3.5323375176251606],
  [-10, -55.55312203612235, 10.194383033412553],
  [-40, -808.29856835662, 40.04990665764852],
  [-300, -45012.32653681455, 300.0066664444617],
  [-1e5, -5000000023.94479, 100000.00002],
];

// EI(μ, σ, f*) = σ·h((μ − f*)/σ), mpmath.
const EI: [number, number, number, number][] = [
  [1.0, 0.5, 0.8, 0.3152194184737265],
  [0.0, 2.0, 1.0, 0.39559311480261206],
  [-1.0, 0.3, 0.5, 1.6038496601498428e-8],
];

describe('log EI', () => {
  it.each(LOG_H)('log h(%d) and its derivative match high-precision values', (u, value, derivative) => {
    const got = logH(u);
    expect(Math.abs(got.value - value)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(value)));
    expect(Math.abs(got.derivative - derivative)).toBeLessThanOrEqual(1e-11 * derivative);
  });

  it.each(EI)('EI(μ=%d, σ=%d, f*=%d) matches the closed form', (mean, sd, best, want) => {
    expect(Math.abs(expectedImprovement(mean, sd, best) - want)).toBeLessThanOrEqual(1e-13 * want);
    expect(logExpectedImprovement(mean, sd, best)).toBeCloseTo(Math.log(want), 12);
  });

  it('EI is non-negative, increasing in μ and in σ', () => {
    let previous = -1;
    for (let mean = -5; mean <= 5; mean += 0.25) {
      const ei = expectedImprovement(mean, 1, 0);
      expect(ei).toBeGreaterThanOrEqual(0);
      expect(ei).toBeGreaterThan(previous);
      previous = ei;
      expect(expectedImprovement(mean, 1.5, 0)).toBeGreaterThan(ei);
    }
  });

  it('log EI stays finite where EI underflows', () => {
    expect(expectedImprovement(-50, 1, 0)).toBe(0);
    const value = logExpectedImprovement(-50, 1, 0);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeLessThan(logExpectedImprovement(-49, 1, 0));
  });

  it('with σ = 0 EI is the plain improvement', () => {
    expect(expectedImprovement(2, 0, 1.5)).toBe(0.5);
    expect(expectedImprovement(1, 0, 1.5)).toBe(0);
    expect(logExpectedImprovement(1, 0, 1.5)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('gradient with respect to mean and variance matches finite differences', () => {
    for (const [mean, variance] of [
      [0.3, 0.04],
      [-2, 0.5],
      [-30, 1],
      [4, 2],
    ] as const) {
      const g = logExpectedImprovementWithGradient(mean, variance, 0.1);
      const h = 1e-6;
      const f = (m: number, v: number): number => logExpectedImprovementWithGradient(m, v, 0.1).value;
      expect(g.dMean).toBeCloseTo((f(mean + h, variance) - f(mean - h, variance)) / (2 * h), 5);
      expect(g.dVariance).toBeCloseTo((f(mean, variance + h) - f(mean, variance - h)) / (2 * h), 5);
      expect(g.value).toBeCloseTo(logExpectedImprovement(mean, Math.sqrt(variance), 0.1), 13);
    }
  });

  it('log h is continuous across the branch points u = −1 and u = −200', () => {
    for (const u of [-1, -200]) {
      const left = logH(u - 1e-9).value;
      const right = logH(u + 1e-9).value;
      expect(Math.abs(left - right)).toBeLessThan(1e-6 * Math.max(1, Math.abs(left)));
    }
  });
});
