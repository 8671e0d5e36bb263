/**
 * Compares src/gp with independent numpy/scipy values from scripts/reference/gp_reference.py
 * (stored in test/fixtures/gp/reference.json; regenerate with that script).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  GaussianProcess,
  covarianceMatrix,
  logMarginalLikelihoodWithGradient,
  logPosteriorObjective,
} from '../../../src/gp/index.js';
import type { GPHyperparameters } from '../../../src/gp/index.js';

interface ReferenceCase {
  readonly name: string;
  readonly x: number[][];
  readonly y: number[];
  readonly hyperparameters: GPHyperparameters;
  readonly testPoints: number[][];
  readonly yMean: number;
  readonly yStd: number;
  readonly z: number[];
  readonly kernelMatrix: number[][];
  readonly logMarginalLikelihood: number;
  readonly lmlGradient: number[];
  readonly lmlGradientFiniteDifference: number[];
  readonly profiledMean: number;
  readonly logPosterior: number;
  readonly predictMean: number[];
  readonly predictVariance: number[];
  readonly meanGradient: number[][];
  readonly varianceGradient: number[][];
  readonly map?: {
    readonly logPosterior: number;
    readonly lengthscales: number[];
    readonly outputScale: number;
    readonly noise: number;
    readonly mean: number;
  };
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/gp/reference.json', import.meta.url), 'utf8')) as {
  cases: ReferenceCase[];
};

/** |a − b| ≤ abs + rel·|b| */
function expectClose(actual: number, expected: number, rel: number, abs = 0): void {
  const tolerance = abs + rel * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tolerance)) {
    expect.fail(`expected ${actual} to be within ${tolerance} of ${expected}`);
  }
}

describe.each(fixture.cases.map((c) => [c.name, c] as const))('reference case %s', (_, c) => {
  const gp = GaussianProcess.fromHyperparameters(c.x, c.y, c.hyperparameters);

  it('standardizes the targets like numpy (ddof = 1)', () => {
    expectClose(gp.yMean, c.yMean, 1e-14, 1e-14);
    expectClose(gp.yStd, c.yStd, 1e-13);
  });

  it('builds the same covariance matrix', () => {
    const k = covarianceMatrix(c.x, c.hyperparameters);
    const n = c.x.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expectClose(k[i * n + j]!, c.kernelMatrix[i]![j]!, 1e-13, 1e-15);
    }
  });

  it('computes the same log marginal likelihood', () => {
    expectClose(gp.logMarginalLikelihood(), c.logMarginalLikelihood, 1e-9, 1e-9);
  });

  it('computes the same analytic log-likelihood gradient, which matches finite differences', () => {
    const { value, gradient } = logMarginalLikelihoodWithGradient(c.x, c.z, c.hyperparameters);
    expectClose(value, c.logMarginalLikelihood, 1e-9, 1e-9);
    expect(gradient.length).toBe(c.lmlGradient.length);
    c.lmlGradient.forEach((g, i) => expectClose(gradient[i]!, g, 1e-7, 1e-7));
    c.lmlGradientFiniteDifference.forEach((g, i) => expectClose(gradient[i]!, g, 1e-5, 1e-5));
  });

  it('computes the same MAP objective (profiled mean + Gamma priors)', () => {
    expectClose(logPosteriorObjective(c.x, c.z, c.hyperparameters), c.logPosterior, 1e-9, 1e-9);
  });

  it('predicts the same latent mean and variance', () => {
    const { mean, variance } = gp.predict(c.testPoints);
    const scale = c.yStd * c.yStd * c.hyperparameters.outputScale;
    c.predictMean.forEach((m, i) => expectClose(mean[i]!, m, 1e-9, 1e-9 * c.yStd));
    c.predictVariance.forEach((v, i) => expectClose(variance[i]!, v, 1e-7, 1e-9 * scale));
  });

  it('predicts the same value and gradient one point at a time', () => {
    c.testPoints.forEach((point, p) => {
      const r = gp.predictWithGradient(point);
      expectClose(r.mean, c.predictMean[p]!, 1e-9, 1e-9 * c.yStd);
      const scale = c.yStd * c.yStd * c.hyperparameters.outputScale;
      expectClose(r.variance, c.predictVariance[p]!, 1e-7, 1e-9 * scale);
      // Finite differences in numpy (h = 1e-6): about 1e-8 relative accuracy.
      const gradScale = Math.max(1, ...c.meanGradient[p]!.map(Math.abs));
      c.meanGradient[p]!.forEach((g, i) => expectClose(r.meanGradient[i]!, g, 1e-5, 1e-6 * gradScale));
      const varScale = Math.max(1e-3 * scale, ...c.varianceGradient[p]!.map(Math.abs));
      c.varianceGradient[p]!.forEach((g, i) => expectClose(r.varianceGradient[i]!, g, 1e-5, 1e-5 * varScale));
    });
  });

  if (c.map !== undefined) {
    const map = c.map;
    it('fits hyperparameters at least as good as scipy L-BFGS-B from 12 starts', () => {
      const fitted = GaussianProcess.fit(c.x, c.y);
      const objective = logPosteriorObjective(c.x, c.z, fitted.hyperparameters);
      expect(objective).toBeGreaterThan(map.logPosterior - 1e-5);
      // Same optimum (these small problems have a single dominant mode).
      map.lengthscales.forEach((l, i) => expectClose(fitted.hyperparameters.lengthscales[i]!, l, 2e-2));
      expectClose(fitted.hyperparameters.outputScale, map.outputScale, 2e-2);
      expectClose(fitted.hyperparameters.mean, map.mean, 2e-2, 1e-3);
    });
  }
});
