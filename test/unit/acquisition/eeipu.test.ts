import { describe, expect, it } from 'vitest';
import { Acquisition, NO_REUSE } from '../../../src/acquisition/index.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { ConstantCostModel, GaussianProcessCostModel } from '../../../src/optimizer/models.js';
import { createRandom, quasiNormals } from '../../../src/random/index.js';
import { hyper1d, mirrorObjective, risingCostGp } from './fixtures.js';

const objective = mirrorObjective;
const costGp = risingCostGp;
const z = quasiNormals(1000, createRandom(5));

function single(eta: number): Acquisition {
  return new Acquisition(objective, objective, 1, [new GaussianProcessCostModel(0, 1, costGp)], 'stage', eta, 0.1, z);
}

describe('EEIPU acquisition', () => {
  const left = Float64Array.of(0.3);
  const right = Float64Array.of(0.7);

  it('gives two mirror points equal EI', () => {
    const a = single(0);
    const [l, r] = a.score([left, right], NO_REUSE, null);
    expect(l).toBeCloseTo(r!, 10);
  });

  it('with η = 1 prefers the cheaper of two equal-EI candidates', () => {
    const a = single(1);
    const table = a.costTable([left, right]);
    const [l, r] = a.score([left, right], NO_REUSE, table);
    expect(l).toBeGreaterThan(r! + 0.1);
  });

  it('equals log EI when η = 0', () => {
    const withCost = single(0);
    const table = withCost.costTable([left, right]);
    const scores = withCost.score([left, right], NO_REUSE, table);
    const plain = new Acquisition(objective, objective, 1, [], 'none', 0, 0.1, new Float64Array(0)).score(
      [left, right],
      NO_REUSE,
      null,
    );
    expect(Array.from(scores)).toEqual(Array.from(plain));
    expect(withCost.usesCost).toBe(false);
  });

  it('η scales the log cost term linearly', () => {
    const points = [left];
    const s0 = single(0).score(points, NO_REUSE, null)[0]!;
    const a1 = single(1);
    const s1 = a1.score(points, NO_REUSE, a1.costTable(points))[0]!;
    const a05 = single(0.5);
    const s05 = a05.score(points, NO_REUSE, a05.costTable(points))[0]!;
    expect(s05 - s0).toBeCloseTo(0.5 * (s1 - s0), 12);
  });

  it('a cached prefix lowers the predicted cost by the skipped stage, plus ε', () => {
    const two = new Acquisition(
      GaussianProcess.fromHyperparameters(
        [
          [0.1, 0.1],
          [0.9, 0.9],
        ],
        [0, 1],
        { ...hyper1d, lengthscales: [0.3, 0.3] },
      ),
      objective,
      1,
      [new ConstantCostModel(0, 1, Math.log(4), 0), new GaussianProcessCostModel(1, 2, costGp)],
      'stage',
      1,
      0.1,
      z,
    );
    const x = Float64Array.of(0.2, 0.4);
    const full = two.predictedCost(x, 0)!;
    const cached = two.predictedCost(x, 1)!;
    expect(full - cached).toBeCloseTo(4 - 0.1, 10);
  });

  it('gradient of −α matches finite differences', () => {
    const two = new Acquisition(
      GaussianProcess.fromHyperparameters(
        [
          [0.1, 0.2],
          [0.5, 0.6],
          [0.9, 0.3],
        ],
        [0, 1, 0.4],
        { lengthscales: [0.3, 0.4], outputScale: 1, noise: 1e-4, mean: 0 },
      ),
      GaussianProcess.fromHyperparameters(
        [
          [0.1, 0.2],
          [0.5, 0.6],
          [0.9, 0.3],
        ],
        [0, 1, 0.4],
        { lengthscales: [0.3, 0.4], outputScale: 1, noise: 1e-4, mean: 0 },
      ),
      1,
      [new GaussianProcessCostModel(0, 1, costGp), new GaussianProcessCostModel(1, 2, costGp)],
      'stage',
      0.7,
      0.1,
      z,
    );
    const free = Int32Array.of(0, 1);
    for (const delta of [0, 1]) {
      const freeDims = delta === 0 ? free : Int32Array.of(1);
      const x = Float64Array.of(0.35, 0.45);
      const g = new Float64Array(freeDims.length);
      two.negativeWithGradient(x, { delta, measuredCost: 0 }, freeDims, g);
      freeDims.forEach((i, k) => {
        const h = 1e-6;
        const up = x.slice();
        const down = x.slice();
        up[i]! += h;
        down[i]! -= h;
        const scratch = new Float64Array(freeDims.length);
        const numeric =
          (two.negativeWithGradient(up, { delta, measuredCost: 0 }, freeDims, scratch) -
            two.negativeWithGradient(down, { delta, measuredCost: 0 }, freeDims, scratch)) /
          (2 * h);
        expect(g[k]).toBeCloseTo(numeric, 5);
      });
    }
  });
});

describe('cost bounds used to skip hopeless raw points', () => {
  it('bracket the exact MC log E[1/C_δ] of every row and prefix length', () => {
    const rng = createRandom(21);
    const models = [
      new GaussianProcessCostModel(0, 1, costGp),
      new ConstantCostModel(1, 1, 0.3, 0),
      new GaussianProcessCostModel(1, 2, costGp),
    ];
    const acquisition = new Acquisition(objective, objective, 1, models, 'stage', 1, 0.1, z);
    const points = Array.from({ length: 50 }, () => Float64Array.of(rng.next(), rng.next()));
    const predictions = acquisition.stagePredictions(points);
    const bounds = acquisition.costBounds(predictions, points.length);
    const exact = acquisition.costTable(points);
    for (let i = 0; i < exact.logInverse.length; i++) {
      expect(bounds.lower[i]).toBeLessThanOrEqual(exact.logInverse[i]! + 1e-12);
      expect(bounds.upper[i]).toBeGreaterThanOrEqual(exact.logInverse[i]! - 1e-12);
    }
  });
});

describe('keepReuseSaving: a reuse keeps its saving as η cools', () => {
  /** Two one-dim stages, the first costing 4 units; `keeps` sets keepsReuseSaving. */
  function twoStage(eta: number, keeps: boolean): Acquisition {
    const model = GaussianProcess.fromHyperparameters(
      [
        [0.1, 0.1],
        [0.9, 0.3],
      ],
      [0, 1],
      { ...hyper1d, lengthscales: [0.3, 0.4] },
    );
    const costs = [new ConstantCostModel(0, 1, Math.log(4), 0), new GaussianProcessCostModel(1, 2, costGp)];
    return new Acquisition(model, model, 0.5, costs, 'stage', eta, 0.1, z, keeps);
  }
  const x = Float64Array.of(0.35, 0.45);
  const reused = { delta: 1, measuredCost: 4.2 };

  it('adds (1 − η)·log(1 + s·E[1/C_δ]) to a pinned candidate, s = measured cost − δ·ε', () => {
    for (const eta of [1, 0.6, 0]) {
      const kept = twoStage(eta, true);
      const plain = twoStage(eta, false);
      const table = kept.costTable([x]);
      const inverse = Math.exp(table.logInverse[1]!);
      const gain = kept.score([x], reused, table)[0]! - plain.score([x], reused, plain.costTable([x]))[0]!;
      expect(gain).toBeCloseTo((1 - eta) * Math.log1p((4.2 - 0.1) * inverse), 12);
      expect(kept.reuseSaving(reused)).toBeCloseTo(4.1, 12);
    }
  });

  it('leaves fresh candidates, unknown costs and the setting off exactly as they were', () => {
    const kept = twoStage(0.6, true);
    const plain = twoStage(0.6, false);
    const table = plain.costTable([x]);
    expect(kept.score([x], NO_REUSE, table)[0]).toBe(plain.score([x], NO_REUSE, table)[0]);
    expect(kept.score([x], { delta: 1, measuredCost: 0 }, table)[0]).toBe(
      plain.score([x], { delta: 1, measuredCost: 0 }, table)[0],
    );
    // A prefix cheaper to compute than to retrieve saves nothing.
    expect(kept.reuseSaving({ delta: 1, measuredCost: 0.05 })).toBe(0);
    expect(plain.reuseSaving(reused)).toBe(0);
  });

  it('keeps the cost term at η = 0, where plain EEIPU drops it', () => {
    expect(twoStage(0, true).usesCost).toBe(true);
    expect(twoStage(0, false).usesCost).toBe(false);
    const kept = twoStage(0, true);
    expect(kept.score([x], reused, kept.costTable([x]))[0]!).toBeGreaterThan(
      kept.score([x], NO_REUSE, kept.costTable([x]))[0]!,
    );
  });

  it('gives the local optimizer the gradient of α (central differences)', () => {
    for (const eta of [0.7, 0]) {
      const kept = twoStage(eta, true);
      const free = Int32Array.of(1);
      const gradient = new Float64Array(1);
      const value = kept.negativeWithGradient(x, reused, free, gradient);
      expect(value).toBeCloseTo(-kept.score([x], reused, kept.costTable([x]))[0]!, 6);
      const h = 1e-6;
      const up = Float64Array.of(x[0]!, x[1]! + h);
      const down = Float64Array.of(x[0]!, x[1]! - h);
      const scratch = new Float64Array(1);
      const numeric =
        (kept.negativeWithGradient(up, reused, free, scratch) -
          kept.negativeWithGradient(down, reused, free, scratch)) /
        (2 * h);
      expect(gradient[0]).toBeCloseTo(numeric, 5);
    }
  });
});
