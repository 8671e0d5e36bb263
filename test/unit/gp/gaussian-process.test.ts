import { describe, expect, it } from 'vitest';
import {
  GaussianProcess,
  covarianceMatrix,
  logMarginalLikelihoodWithGradient,
  logPosteriorObjective,
} from '../../../src/gp/index.js';
import type { GPHyperparameters } from '../../../src/gp/index.js';
import { setWasmEnabled } from '../../../src/linalg/index.js';
import { mulberry32 } from '../../../src/random/index.js';

function points(n: number, d: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, random));
}

function objective(p: readonly number[]): number {
  return Math.sin(5 * p[0]!) + (p[1] ?? 0) ** 2 - 0.5 * (p[2] ?? 0) + 3;
}

const HP3: GPHyperparameters = { lengthscales: [0.3, 0.6, 1.2], outputScale: 1.4, noise: 1e-3, mean: 0.1 };

/** z-scores like the GP does (sample standard deviation). */
function zScore(y: readonly number[]): number[] {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const std = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / (y.length - 1));
  return y.map((v) => (v - mean) / std);
}

describe('GaussianProcess.fromHyperparameters', () => {
  const x = points(25, 3, 1);
  const y = x.map(objective);
  const gp = GaussianProcess.fromHyperparameters(x, y, HP3);

  it('reports its shape and standardization', () => {
    expect(gp.size).toBe(25);
    expect(gp.dimension).toBe(3);
    expect(gp.jitter).toBe(0);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    expect(gp.yMean).toBeCloseTo(mean, 12);
    expect(gp.hyperparameters).toEqual(HP3);
  });

  it('has non-negative variance everywhere, including at the data', () => {
    const queries = [...x, ...points(200, 3, 2), [0, 0, 0], [1, 1, 1], [5, -3, 2]];
    const { variance } = gp.predict(queries);
    for (const v of variance) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('reverts to the prior far from the data', () => {
    const { mean, variance } = gp.predict([[50, 50, 50]]);
    expect(mean[0]).toBeCloseTo(gp.yMean + gp.yStd * HP3.mean, 10);
    expect(variance[0]).toBeCloseTo(gp.yStd ** 2 * HP3.outputScale, 10);
  });

  it('gives every point the same answer whether predicted alone or in a batch', () => {
    const queries = points(37, 3, 3);
    const batch = gp.predict(queries);
    queries.forEach((q, i) => {
      const single = gp.predict([q]);
      expect(single.mean[0]).toBe(batch.mean[i]);
      expect(single.variance[0]).toBe(batch.variance[i]);
      const withGradient = gp.predictWithGradient(q);
      expect(withGradient.mean).toBeCloseTo(batch.mean[i]!, 12);
      expect(withGradient.variance).toBeCloseTo(batch.variance[i]!, 12);
    });
  });

  it('has mean and variance gradients that match central finite differences', () => {
    const h = 1e-6;
    for (const q of points(8, 3, 4)) {
      const r = gp.predictWithGradient(q);
      for (let i = 0; i < 3; i++) {
        const plus = q.slice();
        const minus = q.slice();
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        const p = gp.predictWithGradient(plus);
        const m = gp.predictWithGradient(minus);
        const dMean = (p.mean - m.mean) / (2 * h);
        const dVar = (p.variance - m.variance) / (2 * h);
        expect(Math.abs(r.meanGradient[i]! - dMean)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dMean)));
        expect(Math.abs(r.varianceGradient[i]! - dVar)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dVar)));
      }
    }
  });

  it('interpolates noiseless data', () => {
    const noiseless = GaussianProcess.fromHyperparameters(x, y, { ...HP3, noise: 1e-10 });
    const { mean, variance } = noiseless.predict(x);
    y.forEach((v, i) => {
      expect(Math.abs(mean[i]! - v)).toBeLessThan(1e-5);
      expect(variance[i]!).toBeLessThan(1e-6);
    });
  });

  it('has a log-likelihood gradient that matches finite differences', () => {
    const z = zScore(y);
    const { value, gradient } = logMarginalLikelihoodWithGradient(x, z, HP3);
    expect(value).toBeCloseTo(gp.logMarginalLikelihood(), 9);
    const h = 1e-5;
    const perturb = (j: number, delta: number): GPHyperparameters => {
      const lengthscales = HP3.lengthscales.map((l, i) => (i === j ? l * Math.exp(delta) : l));
      return {
        lengthscales,
        outputScale: j === 3 ? HP3.outputScale * Math.exp(delta) : HP3.outputScale,
        noise: j === 4 ? HP3.noise * Math.exp(delta) : HP3.noise,
        mean: j === 5 ? HP3.mean + delta : HP3.mean,
      };
    };
    for (let j = 0; j < 6; j++) {
      const fd =
        (logMarginalLikelihoodWithGradient(x, z, perturb(j, h)).value -
          logMarginalLikelihoodWithGradient(x, z, perturb(j, -h)).value) /
        (2 * h);
      expect(Math.abs(gradient[j]! - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
    }
  });

  it('writes a symmetric covariance matrix with the noise on the diagonal', () => {
    const k = covarianceMatrix(x, HP3);
    const n = x.length;
    for (let i = 0; i < n; i++) {
      expect(k[i * n + i]).toBeCloseTo(HP3.outputScale + HP3.noise, 14);
      for (let j = 0; j < i; j++) expect(k[i * n + j]).toBe(k[j * n + i]);
    }
  });
});

describe('prediction with and without the WebAssembly kernels', () => {
  it.each([70, 71])('gives matching predictions and gradients on both paths (n = %i)', (n) => {
    const x = points(n, 4, 30);
    const y = x.map(objective);
    const hp = { lengthscales: [0.4, 0.5, 0.9, 2], outputScale: 1.2, noise: 1e-4, mean: 0 };
    const queries = [...points(37, 4, 31), ...x.slice(0, 3)];
    const withWasm = GaussianProcess.fromHyperparameters(x, y, hp);
    const a = withWasm.predict(queries);
    const ga = queries.slice(0, 5).map((q) => withWasm.predictWithGradient(q));
    setWasmEnabled(false);
    let b: ReturnType<GaussianProcess['predict']>;
    let gb: ReturnType<GaussianProcess['predictWithGradient']>[];
    try {
      const plain = GaussianProcess.fromHyperparameters(x, y, hp);
      b = plain.predict(queries);
      gb = queries.slice(0, 5).map((q) => plain.predictWithGradient(q));
    } finally {
      setWasmEnabled(true);
    }
    // The two Cholesky factorizations sum in different orders: equal to rounding.
    for (let i = 0; i < queries.length; i++) {
      expect(a.mean[i]).toBeCloseTo(b.mean[i]!, 12);
      expect(a.variance[i]).toBeCloseTo(b.variance[i]!, 12);
    }
    ga.forEach((r, i) => {
      expect(r.mean).toBeCloseTo(gb[i]!.mean, 12);
      expect(r.variance).toBeCloseTo(gb[i]!.variance, 12);
      for (let j = 0; j < 4; j++) {
        expect(r.meanGradient[j]).toBeCloseTo(gb[i]!.meanGradient[j]!, 10);
        expect(r.varianceGradient[j]).toBeCloseTo(gb[i]!.varianceGradient[j]!, 10);
      }
    });
  });

  it.each([32, 33, 34, 35, 71, 120])('predicts one point alone bit for bit as in a block (n = %i)', (n) => {
    const x = points(n, 3, 40);
    const gp = GaussianProcess.fromHyperparameters(x, x.map(objective), HP3);
    const queries = [...points(11, 3, 41), x[0]!];
    const batch = gp.predict(queries);
    queries.forEach((q, i) => {
      const single = gp.predict([q]);
      expect(single.mean[0]).toBe(batch.mean[i]);
      expect(single.variance[0]).toBe(batch.variance[i]);
    });
    expect(Number.isNaN(gp.predict([[0.5, Number.NaN, 0.5]]).mean[0]!)).toBe(true);
  });

  it.each([10, 50])('predicts nothing for no points and NaN for a NaN coordinate (n = %i)', (n) => {
    const x = points(n, 2, 33);
    const gp = GaussianProcess.fromHyperparameters(x, x.map(objective), {
      lengthscales: [0.4, 0.5],
      outputScale: 1,
      noise: 1e-3,
      mean: 0,
    });
    const empty = gp.predict([]);
    expect(empty.mean.length).toBe(0);
    expect(empty.variance.length).toBe(0);
    const { mean, variance } = gp.predict([[0.5, Number.NaN], [0.2, 0.3], ...points(9, 2, 34)]);
    expect(Number.isNaN(mean[0]!)).toBe(true);
    expect(Number.isNaN(variance[0]!)).toBe(true);
    // The other points of the same block are unaffected.
    expect(mean[1]).toBe(gp.predict([[0.2, 0.3]]).mean[0]);
    for (let i = 1; i < 11; i++) expect(Number.isFinite(variance[i]!)).toBe(true);
  });

  it('survives many models (each with its own WebAssembly memory)', () => {
    const x = points(40, 2, 32);
    const y = x.map(objective);
    const hp = { lengthscales: [0.4, 0.5], outputScale: 1, noise: 1e-3, mean: 0 };
    let gp = GaussianProcess.fromHyperparameters(x, y, hp);
    for (let i = 0; i < 200; i++) {
      gp = gp.extend([(i * 0.37) % 1, (i * 0.61) % 1], Math.sin(i));
      expect(gp.predictWithGradient([0.5, 0.5]).variance).toBeGreaterThanOrEqual(0);
    }
    expect(gp.size).toBe(240);
  });
});

describe('GaussianProcess.predictWithVarianceBound', () => {
  const x = points(80, 3, 31);
  const gp = GaussianProcess.fromHyperparameters(x, x.map(objective), HP3);
  const queries = points(21, 3, 32);
  const exact = gp.predict(queries);

  it('has the exact mean and, on all rows, the exact variance (bit for bit)', () => {
    const all = gp.predictWithVarianceBound(queries, gp.size);
    expect(Array.from(all.mean)).toEqual(Array.from(exact.mean));
    expect(Array.from(all.varianceBound)).toEqual(Array.from(exact.variance));
  });

  it('bounds the variance from above, less tightly the fewer rows it reads, down to the prior at 0 rows', () => {
    let previous = exact.variance;
    for (const rows of [60, 40, 20, 1, 0]) {
      const bound = gp.predictWithVarianceBound(queries, rows);
      expect(Array.from(bound.mean)).toEqual(Array.from(exact.mean));
      for (let j = 0; j < queries.length; j++) expect(bound.varianceBound[j]).toBeGreaterThanOrEqual(previous[j]!);
      previous = bound.varianceBound;
    }
    const prior = HP3.outputScale * gp.yStd ** 2;
    for (const v of previous) expect(v).toBeCloseTo(prior, 12);
  });

  it('equals the variance of the model conditioned on the first rows only (same standardization)', () => {
    // The two models standardize different targets; in standardized units the variance does not
    // depend on the targets at all, so compare variance / yStd².
    const first = GaussianProcess.fromHyperparameters(x.slice(0, 30), x.slice(0, 30).map(objective), HP3);
    const bound = gp.predictWithVarianceBound(queries, 30);
    const reference = first.predict(queries);
    for (let j = 0; j < queries.length; j++) {
      expect(bound.varianceBound[j]! / gp.yStd ** 2).toBeCloseTo(reference.variance[j]! / first.yStd ** 2, 9);
    }
  });

  it('rejects a row count outside [0, size]', () => {
    expect(() => gp.predictWithVarianceBound(queries, -1)).toThrow(/rows must be an integer in \[0, 80\]/);
    expect(() => gp.predictWithVarianceBound(queries, 81)).toThrow(/rows/);
    expect(() => gp.predictWithVarianceBound(queries, 2.5)).toThrow(/rows/);
  });
});

describe('GaussianProcess.extend', () => {
  const x = points(30, 3, 5);
  const y = x.map(objective);

  it('equals conditioning from scratch on the enlarged data', () => {
    const base = GaussianProcess.fromHyperparameters(x.slice(0, 29), y.slice(0, 29), HP3);
    const extended = base.extend(x[29]!, y[29]!);
    const scratch = GaussianProcess.fromHyperparameters(x, y, HP3);
    expect(extended.size).toBe(30);
    expect(extended.yMean).toBeCloseTo(scratch.yMean, 13);
    expect(extended.yStd).toBeCloseTo(scratch.yStd, 13);
    expect(extended.logMarginalLikelihood()).toBeCloseTo(scratch.logMarginalLikelihood(), 9);
    const queries = points(20, 3, 6);
    const a = extended.predict(queries);
    const b = scratch.predict(queries);
    for (let i = 0; i < queries.length; i++) {
      expect(a.mean[i]).toBeCloseTo(b.mean[i]!, 10);
      expect(a.variance[i]).toBeCloseTo(b.variance[i]!, 10);
    }
    // The original model is unchanged.
    expect(base.size).toBe(29);
  });

  it('can be chained and handles a duplicate point', () => {
    let gp = GaussianProcess.fromHyperparameters(x.slice(0, 10), y.slice(0, 10), HP3);
    for (let i = 10; i < 15; i++) gp = gp.extend(x[i]!, y[i]!);
    gp = gp.extend(x[0]!, y[0]! + 0.01);
    const scratch = GaussianProcess.fromHyperparameters(
      [...x.slice(0, 15), x[0]!],
      [...y.slice(0, 15), y[0]! + 0.01],
      HP3,
    );
    const queries = points(10, 3, 7);
    const a = gp.predict(queries);
    const b = scratch.predict(queries);
    for (let i = 0; i < queries.length; i++) {
      expect(a.mean[i]).toBeCloseTo(b.mean[i]!, 8);
      expect(a.variance[i]).toBeCloseTo(b.variance[i]!, 8);
    }
  });

  it('refactorizes with jitter when the appended pivot vanishes', () => {
    const hp = { ...HP3, noise: 0 };
    const base = GaussianProcess.fromHyperparameters(x.slice(0, 5), y.slice(0, 5), hp);
    const extended = base.extend(x[0]!, y[0]!);
    expect(extended.jitter).toBeGreaterThan(0);
    for (const v of extended.predict(points(10, 3, 8)).variance) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('rejects a point of the wrong dimension and non-finite values', () => {
    const gp = GaussianProcess.fromHyperparameters(x, y, HP3);
    expect(() => gp.extend([0.5, 0.5], 1)).toThrow(RangeError);
    expect(() => gp.extend([0.5, 0.5, 0.5], Number.NaN)).toThrow(/y must be finite/);
    expect(() => gp.extend([0.5, Number.NaN, 0.5], 1)).toThrow(/x must be finite/);
  });
});

describe('GaussianProcess.fit', () => {
  const x = points(30, 3, 9);
  const y = x.map(objective);

  it('increases the MAP objective over every start it was given', () => {
    const z = zScore(y);
    const fitted = GaussianProcess.fit(x, y);
    const best = logPosteriorObjective(x, z, fitted.hyperparameters);
    const defaultStart = { lengthscales: [0.5, 0.5, 0.5], outputScale: 1, noise: 1e-3 };
    expect(best).toBeGreaterThan(logPosteriorObjective(x, z, defaultStart));
    const warm = { lengthscales: [0.05, 3, 0.1], outputScale: 20, noise: 0.5, mean: 0 };
    const warmFit = GaussianProcess.fit(x, y, { warmStart: warm });
    expect(logPosteriorObjective(x, z, warmFit.hyperparameters)).toBeGreaterThan(logPosteriorObjective(x, z, warm));
    // A poor warm start does not trap the fit: the default start beats it and gets optimized.
    expect(logPosteriorObjective(x, z, warmFit.hyperparameters)).toBeCloseTo(best, 4);
  });

  it('is deterministic: same inputs and options give bit-identical hyperparameters', () => {
    const a = GaussianProcess.fit(x, y, { seed: 7, restarts: 3 });
    const b = GaussianProcess.fit(x, y, { seed: 7, restarts: 3 });
    expect(b.hyperparameters).toEqual(a.hyperparameters);
    const c = GaussianProcess.fit(x, y, { warmStart: a.hyperparameters });
    const d = GaussianProcess.fit(x, y, { warmStart: a.hyperparameters });
    expect(d.hyperparameters).toEqual(c.hyperparameters);
  });

  it('is bit-identical after fits of other data (the fits share a WebAssembly heap)', () => {
    const first = GaussianProcess.fit(x, y, { seed: 3 });
    const likelihood = logMarginalLikelihoodWithGradient(x, zScore(y), HP3);
    const other = points(45, 4, 21);
    GaussianProcess.fit(other, other.map(objective), { seed: 4 });
    expect(GaussianProcess.fit(x, y, { seed: 3 }).hyperparameters).toEqual(first.hyperparameters);
    expect(logMarginalLikelihoodWithGradient(x, zScore(y), HP3)).toEqual(likelihood);
  });

  it('evaluates a likelihood that needs jitter alike on both paths', () => {
    // 20 points, each twice, noiseless: K is singular without jitter.
    const twice = [...x.slice(0, 20), ...x.slice(0, 20)];
    const z = zScore(twice.map(objective));
    const hp = { ...HP3, noise: 1e-16 };
    const withWasm = logMarginalLikelihoodWithGradient(twice, z, hp);
    setWasmEnabled(false);
    let plain: ReturnType<typeof logMarginalLikelihoodWithGradient>;
    try {
      plain = logMarginalLikelihoodWithGradient(twice, z, hp);
    } finally {
      setWasmEnabled(true);
    }
    expect(withWasm.jitter).toBeGreaterThan(0);
    expect(withWasm.jitter).toBe(plain.jitter);
    expect(withWasm.value).toBeCloseTo(plain.value, 6);
  });

  it('respects the noise lower bound and stays inside the search box', () => {
    const fitted = GaussianProcess.fit(x, y, { minNoise: 1e-3 });
    const h = fitted.hyperparameters;
    expect(h.noise).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-12));
    for (const l of h.lengthscales) {
      expect(l).toBeGreaterThanOrEqual(1e-2 * (1 - 1e-12));
      expect(l).toBeLessThanOrEqual(1e2 * (1 + 1e-12));
    }
  });

  it('finds long lengthscales for dimensions the target ignores', () => {
    const xs = points(40, 3, 10);
    const ys = xs.map((p) => Math.sin(6 * p[0]!));
    const h = GaussianProcess.fit(xs, ys).hyperparameters;
    expect(h.lengthscales[1]!).toBeGreaterThan(3 * h.lengthscales[0]!);
    expect(h.lengthscales[2]!).toBeGreaterThan(3 * h.lengthscales[0]!);
  });

  it('fits on a seeded subset when n exceeds maxFitPoints, then conditions on every point', () => {
    const xs = points(60, 2, 11);
    const ys = xs.map(objective);
    const a = GaussianProcess.fit(xs, ys, { maxFitPoints: 20 });
    const b = GaussianProcess.fit(xs, ys, { maxFitPoints: 20 });
    expect(a.size).toBe(60);
    expect(b.hyperparameters).toEqual(a.hyperparameters);
    const full = GaussianProcess.fit(xs, ys);
    expect(full.hyperparameters).not.toEqual(a.hyperparameters);
    // The subset fit still predicts the data well.
    const { mean } = a.predict(xs);
    ys.forEach((v, i) => expect(Math.abs(mean[i]! - v)).toBeLessThan(0.05));
  });

  it('fits large data sets on the default 256-point subset and warm-starts from that fit', () => {
    const xs = points(300, 3, 41);
    const ys = xs.map(objective);
    const cold = GaussianProcess.fit(xs, ys, { restarts: 1 });
    expect(cold.fitInfo?.fitPoints).toBe(256);
    expect(cold.size).toBe(300);
    const more = [...xs, [0.5, 0.5, 0.5]];
    const warm = GaussianProcess.fit(more, [...ys, objective([0.5, 0.5, 0.5])], {
      warmStart: cold.hyperparameters,
      restarts: 1,
    });
    expect(warm.fitInfo!.startsOptimized).toBe(1);
    expect(warm.fitInfo!.evaluations).toBeLessThan(cold.fitInfo!.evaluations);
    const { mean } = warm.predict(xs.slice(0, 20));
    ys.slice(0, 20).forEach((v, i) => expect(Math.abs(mean[i]! - v)).toBeLessThan(0.01));
  });

  it("refits faster from the previous fit's curvature, to the same hyperparameters", () => {
    const xs = points(120, 4, 43);
    const ys = xs.map(objective);
    const before = GaussianProcess.fit(xs, ys, { seed: 2 });
    const curvature = before.fitInfo!.curvature;
    expect(curvature.s.length).toBeGreaterThan(0);
    expect(curvature.s.every((v) => Array.isArray(v) && v.length === 4 + 2)).toBe(true);
    expect(JSON.parse(JSON.stringify(curvature))).toEqual(curvature);

    const more = [...xs, [0.31, 0.62, 0.47, 0.55]];
    const moreY = more.map(objective);
    const z = zScore(moreY);
    const options = { seed: 2, warmStart: before.hyperparameters };
    const plain = GaussianProcess.fit(more, moreY, options);
    const warm = GaussianProcess.fit(more, moreY, { ...options, warmCurvature: curvature });
    expect(warm.fitInfo!.evaluations).toBeLessThan(plain.fitInfo!.evaluations);
    expect(logPosteriorObjective(more, z, warm.hyperparameters)).toBeCloseTo(
      logPosteriorObjective(more, z, plain.hyperparameters),
      4,
    );
  });

  it('rejects bad options', () => {
    expect(() => GaussianProcess.fit(x, y, { restarts: -1 })).toThrow(RangeError);
    const warmStart = GaussianProcess.fit(x, y).hyperparameters;
    expect(() => GaussianProcess.fit(x, y, { warmCurvature: { s: [], y: [] } })).toThrow(
      new RangeError('warmCurvature needs warmStart'),
    );
    expect(() => GaussianProcess.fit(x, y, { warmStart, warmCurvature: { s: [[1, 2]], y: [[1, 2]] } })).toThrow(
      new RangeError('warmCurvature vectors must be 5 finite numbers (d + 2)'),
    );
    expect(() => GaussianProcess.fit(x, y, { warmStart, warmCurvature: { s: [[1, 2, 3, 4, 5]], y: [] } })).toThrow(
      new RangeError('warmCurvature must have equally many s and y vectors, at most 10'),
    );
    expect(() => GaussianProcess.fit(x, y, { minNoise: 0 })).toThrow(RangeError);
    expect(() => GaussianProcess.fit(x, y, { maxFitPoints: 0 })).toThrow(RangeError);
    expect(() =>
      GaussianProcess.fit(x, y, { warmStart: { lengthscales: [1], outputScale: 1, noise: 1, mean: 0 } }),
    ).toThrow(new RangeError('lengthscales must have one entry per dimension'));
  });
});

describe('bad data', () => {
  it('works with a single observation (yStd = 1)', () => {
    const gp = GaussianProcess.fit([[0.2, 0.7]], [4.5]);
    expect(gp.yStd).toBe(1);
    expect(gp.yMean).toBe(4.5);
    const { mean, variance } = gp.predict([
      [0.2, 0.7],
      [0.9, 0.1],
    ]);
    expect(mean[0]).toBeCloseTo(4.5, 6);
    expect(variance[0]!).toBeLessThan(variance[1]!);
  });

  it('works with constant targets: yStd = 1 and the prediction is that constant', () => {
    const x = points(8, 2, 12);
    const gp = GaussianProcess.fit(x, new Array<number>(8).fill(-2));
    expect(gp.yStd).toBe(1);
    expect(gp.yMean).toBe(-2);
    const { mean, variance } = gp.predict(points(5, 2, 13));
    for (const m of mean) expect(m).toBeCloseTo(-2, 10);
    for (const v of variance) expect(Number.isFinite(v) && v >= 0).toBe(true);
  });

  it('works with fewer points than dimensions', () => {
    const x = points(3, 10, 14);
    const y = [1, 2, 0.5];
    const gp = GaussianProcess.fit(x, y);
    expect(gp.dimension).toBe(10);
    const { mean } = gp.predict(x);
    y.forEach((v, i) => expect(Math.abs(mean[i]! - v)).toBeLessThan(0.1));
  });

  it('works with duplicated points carrying different targets', () => {
    const x = points(6, 2, 15);
    const xs = [...x, x[0]!, x[0]!, x[3]!];
    const ys = [...x.map(objective), objective(x[0]!) + 0.3, objective(x[0]!) - 0.3, objective(x[3]!)];
    const gp = GaussianProcess.fit(xs, ys);
    const { mean, variance } = gp.predict([x[0]!]);
    expect(Number.isFinite(mean[0]!)).toBe(true);
    expect(variance[0]!).toBeGreaterThanOrEqual(0);
    expect(gp.hyperparameters.noise).toBeGreaterThan(1e-3);
  });

  it('works with exact duplicates and zero noise via jitter', () => {
    const x = [
      [0.1, 0.2],
      [0.1, 0.2],
      [0.5, 0.5],
    ];
    const gp = GaussianProcess.fromHyperparameters(x, [1, 1, 2], {
      lengthscales: [0.5, 0.5],
      outputScale: 1,
      noise: 0,
      mean: 0,
    });
    expect(gp.jitter).toBeGreaterThan(0);
    expect(gp.predict([[0.1, 0.2]]).mean[0]).toBeCloseTo(1, 4);
  });

  it('escalates jitter in the WebAssembly path too (n ≥ 32, duplicates, zero noise)', () => {
    const base = points(20, 2, 40);
    const x = [...base, ...base];
    const y = x.map(objective);
    const hp = { lengthscales: [0.5, 0.5], outputScale: 1, noise: 0, mean: 0 };
    const gp = GaussianProcess.fromHyperparameters(x, y, hp);
    expect(gp.jitter).toBeGreaterThan(0);
    const { mean, variance } = gp.predict(base);
    base.forEach((_, i) => {
      expect(mean[i]).toBeCloseTo(y[i]!, 3);
      expect(variance[i]!).toBeGreaterThanOrEqual(0);
    });
    setWasmEnabled(false);
    try {
      expect(GaussianProcess.fromHyperparameters(x, y, hp).jitter).toBe(gp.jitter);
    } finally {
      setWasmEnabled(true);
    }
  });

  it('throws a RangeError naming non-finite targets', () => {
    const x = points(3, 2, 16);
    expect(() => GaussianProcess.fit(x, [1, Number.NaN, 2])).toThrow(
      new RangeError('y must be finite (filter failed trials first)'),
    );
    expect(() => GaussianProcess.fromHyperparameters(x, [1, Number.POSITIVE_INFINITY, 2], HP3)).toThrow(
      /y must be finite/,
    );
  });

  it('rejects empty, ragged, mismatched or non-finite inputs', () => {
    expect(() => GaussianProcess.fit([], [])).toThrow(new RangeError('at least one observation is required'));
    expect(() => GaussianProcess.fit([[0.1, 0.2], [0.3]], [1, 2])).toThrow(
      new RangeError('all points must have the same dimension'),
    );
    expect(() => GaussianProcess.fit([[0.1], [0.3]], [1])).toThrow(new RangeError('x and y must have the same length'));
    expect(() => GaussianProcess.fit([[0.1], [Number.NaN]], [1, 2])).toThrow(new RangeError('x must be finite'));
  });

  it('rejects invalid hyperparameters and queries of the wrong dimension', () => {
    const x = points(4, 3, 17);
    const y = x.map(objective);
    expect(() => GaussianProcess.fromHyperparameters(x, y, { ...HP3, lengthscales: [0.3, -1, 1] })).toThrow(
      new RangeError('lengthscales must be positive'),
    );
    expect(() => GaussianProcess.fromHyperparameters(x, y, { ...HP3, outputScale: 0 })).toThrow(
      new RangeError('outputScale must be positive'),
    );
    expect(() => GaussianProcess.fromHyperparameters(x, y, { ...HP3, noise: -1 })).toThrow(
      new RangeError('noise must be non-negative'),
    );
    const gp = GaussianProcess.fromHyperparameters(x, y, HP3);
    expect(() => gp.predict([[0.1, 0.2]])).toThrow(RangeError);
    expect(() => gp.predictWithGradient([0.1])).toThrow(RangeError);
  });

  it('supports zero-dimensional inputs (a constant-plus-noise model)', () => {
    const gp = GaussianProcess.fit([[], [], []], [1, 2, 3]);
    expect(gp.dimension).toBe(0);
    const { mean, variance } = gp.predict([[]]);
    expect(mean[0]).toBeCloseTo(2, 1);
    expect(variance[0]!).toBeGreaterThanOrEqual(0);
  });
});

describe('GaussianProcess.predictMean', () => {
  it("is predict's mean bit for bit, on the WebAssembly path and the small-model JS path", () => {
    for (const n of [80, 12]) {
      const x = points(n, 3, 41);
      const gp = GaussianProcess.fromHyperparameters(x, x.map(objective), HP3);
      const queries = points(19, 3, 42);
      expect(Array.from(gp.predictMean(queries))).toEqual(Array.from(gp.predict(queries).mean));
    }
    const gp = GaussianProcess.fromHyperparameters(points(20, 3, 1), points(20, 3, 1).map(objective), HP3);
    expect(() => gp.predictMean([[0.5, 0.5]])).toThrow(/dimension/);
  });
});
