import { describe, expect, it } from 'vitest';
import {
  createRandom,
  erf,
  erfc,
  erfcx,
  normalCdf,
  normalQuantile,
  quasiNormals,
  sampleNormal,
} from '../../../src/random/index.js';

// Reference values from scipy.special / scipy.stats.norm (SciPy 1.17).
const ERFC: [number, number][] = [
  [0, 1],
  [0.3, 0.6713732405408726],
  [1, 0.15729920705028513],
  [3, 2.2090496998585445e-5],
  [10, 2.088487583762545e-45],
  [-2, 1.9953222650189528],
];
const ERFCX: [number, number][] = [
  [0.1, 0.8964569799691268],
  [2, 0.2553956763105057],
  [30, 0.018795888861416754],
  [1e8, 5.641895835477563e-9],
  [-2, 108.94090438997797],
];
const QUANTILE: [number, number][] = [
  [0.975, 1.959963984540054],
  [0.3, -0.5244005127080409],
  [1e-300, -37.0470962993612],
  [0.5, 0],
  [1 - 1e-10, 6.361340889697422],
  [1e-10, -6.361340902404056],
  [0.999, 3.090232306167813],
];

describe('normal distribution functions', () => {
  it.each(ERFC)('erfc(%d) matches SciPy', (x, want) => {
    expect(erfc(x)).toBeCloseTo(want, 15);
    expect(Math.abs(erfc(x) - want) / want).toBeLessThan(1e-14);
  });

  it.each(ERFCX)('erfcx(%d) matches SciPy', (x, want) => {
    expect(Math.abs(erfcx(x) - want) / want).toBeLessThan(1e-14);
  });

  it.each(QUANTILE)('normalQuantile(%d) matches SciPy', (p, want) => {
    expect(normalQuantile(p)).toBeCloseTo(want, 12);
  });

  it('erf is odd and erf + erfc = 1', () => {
    for (const x of [0.1, 0.4, 0.6, 2.5, 5]) {
      expect(erf(-x)).toBe(-erf(x));
      expect(erf(x) + erfc(x)).toBeCloseTo(1, 15);
    }
  });

  it('normalQuantile inverts normalCdf across the range', () => {
    // Upper tail: 1 − p carries only absolute precision, so stop where Φ(x) is still well below 1.
    for (let x = -8; x <= 4; x += 0.37) expect(normalQuantile(normalCdf(x))).toBeCloseTo(x, 9);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
  });

  it('quasiNormals have mean ≈ 0 and variance ≈ 1, all finite', () => {
    const z = quasiNormals(1024, createRandom(3));
    let sum = 0;
    let sumSq = 0;
    for (const v of z) {
      expect(Number.isFinite(v)).toBe(true);
      sum += v;
      sumSq += v * v;
    }
    expect(Math.abs(sum / 1024)).toBeLessThan(0.01);
    expect(sumSq / 1024).toBeCloseTo(1, 1);
  });

  it('sampleNormal has the moments of N(0, 1)', () => {
    const rng = createRandom(11);
    let sum = 0;
    let sumSq = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const v = sampleNormal(rng);
      sum += v;
      sumSq += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(sumSq / n).toBeCloseTo(1, 1);
  });
});
