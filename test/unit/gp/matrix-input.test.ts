import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  covarianceMatrix,
  GaussianProcess,
  logMarginalLikelihoodWithGradient,
  logPosteriorObjective,
} from '../../../src/gp/index.js';
import { mulberry32 } from '../../../src/random/index.js';

function data(n: number, d: number, seed: number): { x: number[][]; y: number[] } {
  const random = mulberry32(seed);
  const x = Array.from({ length: n }, () => Array.from({ length: d }, () => random()));
  const y = x.map((p) => Math.sin(4 * p[0]!) + p.reduce((a, b) => a + b * b, 0));
  return { x, y };
}

describe('ml-matrix inputs', () => {
  // 12 points: the JS path; 40 points: the WebAssembly model.
  it.each([12, 40])('give the same fit, predictions and updates as rows of arrays (n = %i)', (n) => {
    const { x, y } = data(n, 3, n);
    const queries = data(20, 3, 99).x;
    const fromRows = GaussianProcess.fit(x, y, { restarts: 1 });
    const fromMatrix = GaussianProcess.fit(new Matrix(x), y, { restarts: 1 });
    expect(fromMatrix.hyperparameters).toEqual(fromRows.hyperparameters);
    expect(fromMatrix.predict(new Matrix(queries))).toEqual(fromRows.predict(queries));
    expect(fromRows.believe(new Matrix(queries.slice(0, 2))).predict(queries)).toEqual(
      fromRows.believe(queries.slice(0, 2)).predict(queries),
    );
    const h = fromRows.hyperparameters;
    expect(GaussianProcess.fromHyperparameters(new Matrix(x), y, h).predict(queries)).toEqual(
      GaussianProcess.fromHyperparameters(x, y, h).predict(queries),
    );
  });

  it('give the same kernel matrix and objectives', () => {
    const { x, y } = data(8, 2, 5);
    const h = { lengthscales: [0.4, 0.9], outputScale: 1.1, noise: 0.02, mean: 0.1 };
    expect(covarianceMatrix(new Matrix(x), h)).toEqual(covarianceMatrix(x, h));
    expect(logMarginalLikelihoodWithGradient(new Matrix(x), y, h)).toEqual(logMarginalLikelihoodWithGradient(x, y, h));
    expect(logPosteriorObjective(new Matrix(x), y, h)).toBe(logPosteriorObjective(x, y, h));
  });

  it('round-trip: the kernel matrix wraps into an ml-matrix Matrix that is exactly symmetric', () => {
    const { x } = data(6, 2, 7);
    const h = { lengthscales: [0.4, 0.9], outputScale: 1.1, noise: 0.02, mean: 0 };
    const k = Matrix.from1DArray(6, 6, covarianceMatrix(x, h));
    expect(k.isSymmetric()).toBe(true);
  });
});
