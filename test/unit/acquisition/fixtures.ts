/** One-dimensional models shared by the acquisition tests. */
import { GaussianProcess } from '../../../src/gp/index.js';

export const hyper1d = { lengthscales: [0.2], outputScale: 1, noise: 1e-4, mean: 0 };
/** Objective symmetric about x = 0.5: two mirror points have the same posterior (and EI). */
export const mirrorObjective = GaussianProcess.fromHyperparameters([[0.1], [0.5], [0.9]], [0, 1, 0], hyper1d);
/** Stage cost rising with x: log c = 2x. */
export const risingCostGp = GaussianProcess.fromHyperparameters(
  [[0], [0.25], [0.5], [0.75], [1]],
  [0, 0.5, 1, 1.5, 2],
  {
    lengthscales: [0.5],
    outputScale: 1,
    noise: 1e-4,
    mean: 0,
  },
);
