import { describe, expect, it } from 'vitest';
import {
  expectedCost,
  expectedCostTable,
  GittinsAcquisition,
  gittinsIndex,
  logExpectedImprovement,
  NO_REUSE,
} from '../../../src/acquisition/index.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { GaussianProcessCostModel } from '../../../src/optimizer/models.js';
import { createRandom, quasiNormals } from '../../../src/random/index.js';
import { mirrorObjective, risingCostGp } from './fixtures.js';

const objective = mirrorObjective;
const costGp = risingCostGp;
const z = quasiNormals(256, createRandom(5));

function single(weight: number): GittinsAcquisition {
  return new GittinsAcquisition(
    objective,
    objective,
    1,
    [new GaussianProcessCostModel(0, 1, costGp)],
    'total',
    0.1,
    z,
    weight,
  );
}

/** Two stages, one dim each: δ = 1 pins x₀ and prices stage 0 at ε. */
const hyper2d = { lengthscales: [0.3, 0.3], outputScale: 1, noise: 1e-4, mean: 0 };
const objective2 = GaussianProcess.fromHyperparameters(
  [
    [0.1, 0.2],
    [0.5, 0.6],
    [0.9, 0.3],
  ],
  [0, 1, 0.4],
  hyper2d,
);
function twoStage(weight: number): GittinsAcquisition {
  return new GittinsAcquisition(
    objective2,
    objective2,
    1,
    [new GaussianProcessCostModel(0, 1, costGp), new GaussianProcessCostModel(1, 2, costGp)],
    'stage',
    0.1,
    z,
    weight,
  );
}

describe('PBGI acquisition', () => {
  const left = Float64Array.of(0.3);
  const right = Float64Array.of(0.7);

  it('scores the Gittins index of the posterior at cost w·E[C]', () => {
    const a = single(0.05);
    const [score] = a.score([left], NO_REUSE);
    const { mean, variance } = objective.predict([left]);
    const p = costGp.predict([left]);
    const cost = expectedCost([p.mean[0]!], [Math.sqrt(p.variance[0]!)], 0);
    expect(score).toBeCloseTo(gittinsIndex(mean[0]!, variance[0]!, 0.05 * cost), 9);
    expect(a.predictedCost(left, 0)).toBeCloseTo(cost, 12);
    expect(a.usesCost).toBe(false); // never EEIPU's additive cost term
  });

  it('prefers the cheaper of two candidates with equal posteriors', () => {
    const [l, r] = single(0.05).score([left, right], NO_REUSE);
    expect(l).toBeGreaterThan(r!);
  });

  it('prices a reused prefix at ε a stage (c_δ)', () => {
    const a = twoStage(0.05);
    const x = Float64Array.of(0.4, 0.5);
    const table = expectedCostTable(a, [x]);
    const p = costGp.predict([Float64Array.of(0.4), Float64Array.of(0.5)]);
    const stage = (k: number) => Math.exp(p.mean[k]! + p.variance[k]! / 2);
    expect(table[0]).toBeCloseTo(stage(0) + stage(1), 12);
    expect(table[1]).toBeCloseTo(0.1 + stage(1), 12);
    // Cheaper with the prefix reused: a higher index for the same posterior.
    expect(a.score([x], { delta: 1, measuredCost: 0 })[0]!).toBeGreaterThan(a.score([x], NO_REUSE)[0]!);
  });

  it('returns log EI alongside the index on request', () => {
    const a = single(0.05);
    const { mean, variance } = objective.predict([left]);
    const logEI = new Float64Array(1);
    a.indexScores(mean, variance, [2], logEI);
    expect(logEI[0]).toBeCloseTo(logExpectedImprovement(mean[0]!, Math.sqrt(variance[0]!), 1), 12);
  });

  it('gives the local optimizer the gradient of the index (central differences)', () => {
    const check = (a: GittinsAcquisition, x: Float64Array, delta: number, free: Int32Array): void => {
      const gradient = new Float64Array(free.length);
      const value = a.negativeWithGradient(x, { delta, measuredCost: 0 }, free, gradient);
      expect(value).toBeCloseTo(-a.score([x], { delta, measuredCost: 0 })[0]!, 9);
      free.forEach((i, k) => {
        const h = 1e-6;
        const up = x.slice();
        const down = x.slice();
        up[i] = up[i]! + h;
        down[i] = down[i]! - h;
        const g = new Float64Array(free.length);
        const numeric =
          (a.negativeWithGradient(up, { delta, measuredCost: 0 }, free, g) -
            a.negativeWithGradient(down, { delta, measuredCost: 0 }, free, g)) /
          (2 * h);
        expect(gradient[k]).toBeCloseTo(numeric, 4);
      });
    };
    for (const x of [0.2, 0.35, 0.62, 0.8]) check(single(0.02), Float64Array.of(x), 0, Int32Array.of(0));
    for (const [x0, x1] of [
      [0.3, 0.4],
      [0.7, 0.2],
    ]) {
      check(twoStage(0.02), Float64Array.of(x0!, x1!), 0, Int32Array.of(0, 1));
      check(twoStage(0.02), Float64Array.of(x0!, x1!), 1, Int32Array.of(1));
    }
  });
});
