import { describe, expect, it } from 'vitest';
import { expectedInverseCost, inverseCostsByPrefix, inverseCostWithGradient } from '../../../src/acquisition/index.js';
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
