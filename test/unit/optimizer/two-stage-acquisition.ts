/** A fixed acquisition on two stages of one float each, for the tests of local refinement. */
import { Acquisition } from '../../../src/acquisition/index.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { GaussianProcessCostModel } from '../../../src/optimizer/models.js';
import type { Prefix } from '../../../src/optimizer/prefix-pool.js';
import { createRandom, quasiNormals } from '../../../src/random/index.js';
import { SpaceEncoding } from '../../../src/space/index.js';

export const encoding = new SpaceEncoding([
  { name: 'a', params: [{ name: 'x0', type: 'float', low: 0, high: 1 }] },
  { name: 'b', params: [{ name: 'x1', type: 'float', low: 0, high: 1 }] },
]);

/** The objective peaks at x0 = 0.5, far from a prefix pinned at x0 = 0.1. */
const observed = [
  [0.1, 0.2],
  [0.5, 0.6],
  [0.9, 0.3],
  [0.1, 0.8],
];
const objective = GaussianProcess.fromHyperparameters(observed, [0, 1, 0.2, 0.1], {
  lengthscales: [0.3, 0.3],
  outputScale: 1,
  noise: 1e-4,
  mean: 0,
});
const flatCost = GaussianProcess.fromHyperparameters([[0], [0.5], [1]], [0, 0, 0], {
  lengthscales: [0.5],
  outputScale: 0.1,
  noise: 1e-4,
  mean: 0,
});

/** EEIPU's acquisition at η = 1 and ε = 0.1, with `firstStageCost` as the first stage's log-cost model. */
function withFirstStageCost(firstStageCost: GaussianProcess): Acquisition {
  return new Acquisition(
    objective,
    objective,
    1,
    [new GaussianProcessCostModel(0, 1, firstStageCost), new GaussianProcessCostModel(1, 2, flatCost)],
    'stage',
    1,
    0.1,
    quasiNormals(256, createRandom(3)),
  );
}

/** Both stages cost ~1 unit (log cost 0). */
export const acquisition = withFirstStageCost(flatCost);

/** The first stage costs ~9 units (log cost 2.2), the second ~1. */
export const expensiveFirst = withFirstStageCost(
  GaussianProcess.fromHyperparameters([[0], [0.5], [1]], [2.2, 2.2, 2.2], {
    lengthscales: [0.5],
    outputScale: 0.1,
    noise: 1e-4,
    mean: 2.2,
  }),
);

/** The first stage pinned at x0. */
export function pinnedAt(x0: number): Prefix {
  return { delta: 1, stages: [{ x0 }], encoded: Float64Array.of(x0), pinnedEnd: 1, running: false, measuredCost: 0 };
}
