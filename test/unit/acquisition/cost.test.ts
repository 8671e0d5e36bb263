import { describe, expect, it } from 'vitest';
import {
  expectedInverseCost,
  InverseCostEstimator,
  inverseCostsByPrefix,
  inverseCostWithGradient,
} from '../../../src/acquisition/index.js';
import { setWasmEnabled } from '../../../src/linalg/index.js';
import { createRandom, quasiNormals } from '../../../src/random/index.js';

const z = quasiNormals(1000, createRandom(1, 2, 3));

describe('Monte-Carlo expected inverse cost', () => {
  it('is exactly 1/(δε + c) for a single run stage with sd = 0', () => {
    const a = [Math.log(2), Math.log(3), Math.log(5)];
    const b = [0, 0, 0];
    const out = new Float64Array(3);
    const mean = new Float64Array(3);
    inverseCostsByPrefix(a, b, 0.1, z, out, mean);
    expect(out[2]).toBeCloseTo(1 / (2 * 0.1 + 5), 14);
    expect(out[1]).toBeCloseTo(1 / (0.1 + 3 + 5), 14);
    expect(out[0]).toBeCloseTo(1 / (2 + 3 + 5), 14);
    expect(mean[2]).toBeCloseTo(0.2 + 5, 12);
  });

  it('matches the log-normal closed form E[e^(−a−bZ)] = e^(−a+b²/2) with M = 4096 quasi-random draws', () => {
    const many = quasiNormals(4096, createRandom(9));
    for (const [a, b] of [
      [0.5, 0.3],
      [2, 1],
      [-1, 0.05],
    ] as const) {
      const got = expectedInverseCost([a], [b], 0, many);
      const want = Math.exp(-a + (b * b) / 2);
      expect(Math.abs(got / want - 1)).toBeLessThan(2e-3);
    }
  });

  it('a cached prefix lowers the expected cost by the stages it skips (minus ε per stage)', () => {
    const a = [1.2, 0.4, 2.0];
    const b = [0.3, 0.5, 0.2];
    const eps = 0.1;
    const out = new Float64Array(3);
    const mean = new Float64Array(3);
    inverseCostsByPrefix(a, b, eps, z, out, mean);
    const stageMean = (s: number): number => z.reduce((sum, zk) => sum + Math.exp(a[s]! + b[s]! * zk), 0) / z.length;
    expect(mean[0]! - mean[1]!).toBeCloseTo(stageMean(0) - eps, 10);
    expect(mean[0]! - mean[2]!).toBeCloseTo(stageMean(0) + stageMean(1) - 2 * eps, 10);
    expect(out[0]).toBeLessThan(out[1]!);
    expect(out[1]).toBeLessThan(out[2]!);
  });

  it('agrees between the all-prefix table, the gradient version and the plain version', () => {
    const a = [0.3, -0.2, 0.9, 0.1];
    const b = [0.4, 0.1, 0.6, 0.25];
    const out = new Float64Array(4);
    inverseCostsByPrefix(a, b, 0.1, z, out);
    for (let delta = 0; delta < 4; delta++) {
      const plain = expectedInverseCost(a.slice(delta), b.slice(delta), delta * 0.1, z);
      const dA = new Float64Array(4 - delta);
      const dB = new Float64Array(4 - delta);
      const withGradient = inverseCostWithGradient(a.slice(delta), b.slice(delta), delta * 0.1, z, dA, dB);
      expect(plain).toBeCloseTo(out[delta]!, 14);
      expect(withGradient.value).toBeCloseTo(out[delta]!, 14);
    }
  });

  it('gradient matches finite differences', () => {
    const a = [0.3, 0.9];
    const b = [0.4, 0.6];
    const dA = new Float64Array(2);
    const dB = new Float64Array(2);
    inverseCostWithGradient(a, b, 0.2, z, dA, dB);
    const h = 1e-6;
    for (let s = 0; s < 2; s++) {
      const up = [...a];
      const down = [...a];
      up[s]! += h;
      down[s]! -= h;
      expect(dA[s]).toBeCloseTo(
        (expectedInverseCost(up, b, 0.2, z) - expectedInverseCost(down, b, 0.2, z)) / (2 * h),
        7,
      );
      const upB = [...b];
      const downB = [...b];
      upB[s]! += h;
      downB[s]! -= h;
      expect(dB[s]).toBeCloseTo(
        (expectedInverseCost(a, upB, 0.2, z) - expectedInverseCost(a, downB, 0.2, z)) / (2 * h),
        7,
      );
    }
  });

  it('is higher for the cheaper of two candidates', () => {
    expect(expectedInverseCost([0.5], [0.2], 0, z)).toBeGreaterThan(expectedInverseCost([0.7], [0.2], 0, z));
  });
});

describe('InverseCostEstimator (WebAssembly kernels, JS fallback)', () => {
  const cases: [number[], number[], number][] = [
    [[0.3], [0.4], 0],
    [[1.2, 0.7, 2.1], [0.3, 0.5, 0.2], 0.1],
    [[-2, 0.5, 3, 1.1, 6], [0.9, 0, 0.05, 1.5, 0.3], 0.4],
  ];
  it.each([1000, 999, 1])('agrees with the JS functions to rounding (M = %i, odd M padded)', (m) => {
    const draws = quasiNormals(m, createRandom(4, 5, 6));
    const estimator = new InverseCostEstimator(draws, 5);
    for (const [a, b, fixed] of cases) {
      const s = a.length;
      const [dA, dB, dA2, dB2] = [0, 1, 2, 3].map(() => new Float64Array(s));
      const got = estimator.withGradient(a, b, fixed, dA!, dB!);
      const want = inverseCostWithGradient(a, b, fixed, draws, dA2!, dB2!);
      expect(got.value).toBeCloseTo(want.value, 13);
      expect(got.meanCost / want.meanCost).toBeCloseTo(1, 13);
      for (let k = 0; k < s; k++) {
        expect(dA![k]).toBeCloseTo(dA2![k]!, 13);
        expect(dB![k]).toBeCloseTo(dB2![k]!, 13);
      }
      const [out, mean, out2, mean2] = [0, 1, 2, 3].map(() => new Float64Array(s));
      estimator.byPrefix(a, b, 0.1, out!, mean!);
      inverseCostsByPrefix(a, b, 0.1, draws, out2!, mean2!);
      for (let k = 0; k < s; k++) {
        expect(out![k]! / out2![k]!).toBeCloseTo(1, 13);
        expect(mean![k]! / mean2![k]!).toBeCloseTo(1, 13);
      }
    }
  });

  it.each([1, 3])('keeps overflowing costs Inf, not NaN, with an odd M (%i)', (m) => {
    const draws = quasiNormals(m, createRandom(7, 8, 9));
    const estimator = new InverseCostEstimator(draws, 3);
    const [a, b] = [
      [709, 709, 800],
      [0, 0, 0],
    ];
    const [dA, dB, dA2, dB2] = [0, 1, 2, 3].map(() => new Float64Array(3));
    const got = estimator.withGradient(a!, b!, 0, dA!, dB!);
    expect(got).toEqual(inverseCostWithGradient(a!, b!, 0, draws, dA2!, dB2!));
    expect(got).toEqual({ value: 0, meanCost: Number.POSITIVE_INFINITY });
    expect([...dA!, ...dB!].every((g) => g === 0)).toBe(true);
    const [out, mean, out2, mean2] = [0, 1, 2, 3].map(() => new Float64Array(3));
    estimator.byPrefix(a!, b!, 0.1, out!, mean!);
    inverseCostsByPrefix(a!, b!, 0.1, draws, out2!, mean2!);
    expect(mean![0]).toBe(Number.POSITIVE_INFINITY);
    expect(out![0]).toBe(0);
    for (let k = 0; k < 3; k++) {
      expect(Number.isNaN(out![k]!) || Number.isNaN(mean![k]!)).toBe(false);
      if (out2![k] === 0) expect(out![k]).toBe(0);
      else expect(out![k]! / out2![k]!).toBeCloseTo(1, 12);
      if (mean2![k] === Number.POSITIVE_INFINITY) expect(mean![k]).toBe(Number.POSITIVE_INFINITY);
      else expect(mean![k]! / mean2![k]!).toBeCloseTo(1, 12);
    }
  });

  it('uses the JS functions, bit for bit, when WebAssembly is switched off', () => {
    setWasmEnabled(false);
    try {
      const estimator = new InverseCostEstimator(z, 3);
      const [a, b] = [
        [1.2, 0.7, 2.1],
        [0.3, 0.5, 0.2],
      ];
      const [dA, dB, dA2, dB2] = [0, 1, 2, 3].map(() => new Float64Array(3));
      expect(estimator.withGradient(a!, b!, 0.2, dA!, dB!)).toEqual(
        inverseCostWithGradient(a!, b!, 0.2, z, dA2!, dB2!),
      );
      expect(dA).toEqual(dA2);
      expect(dB).toEqual(dB2);
    } finally {
      setWasmEnabled(true);
    }
  });

  it('refuses more stages than it was made for', () => {
    const estimator = new InverseCostEstimator(z, 2);
    const d = new Float64Array(3);
    expect(() => estimator.withGradient([1, 2, 3], [0, 0, 0], 0, d, d)).toThrow(new RangeError('at most 2 stages'));
  });
});
