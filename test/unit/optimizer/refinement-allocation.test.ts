/** How pass 2 shares its local runs between the unpinned search and the pinned prefixes (setting `unpinnedSearch`). */
import { describe, expect, it } from 'vitest';
import { Acquisition } from '../../../src/acquisition/index.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { GaussianProcessCostModel } from '../../../src/optimizer/models.js';
import { unpinnedPrefix, type Prefix } from '../../../src/optimizer/prefix-pool.js';
import type { ScoredPrefix } from '../../../src/optimizer/raw-scoring.js';
import { refineStarts } from '../../../src/optimizer/refinement.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';
import { createRandom, quasiNormals } from '../../../src/random/index.js';
import { SpaceEncoding } from '../../../src/space/index.js';

/** Two stages of one float each. */
const encoding = new SpaceEncoding([
  { name: 'a', params: [{ name: 'x0', type: 'float', low: 0, high: 1 }] },
  { name: 'b', params: [{ name: 'x1', type: 'float', low: 0, high: 1 }] },
]);
const observed = [
  [0.1, 0.2],
  [0.5, 0.6],
  [0.9, 0.3],
  [0.3, 0.8],
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
const acquisition = new Acquisition(
  objective,
  objective,
  1,
  [new GaussianProcessCostModel(0, 1, flatCost), new GaussianProcessCostModel(1, 2, flatCost)],
  'stage',
  1,
  0.1,
  quasiNormals(256, createRandom(3)),
);

function pinned(x0: number): Prefix {
  return { delta: 1, stages: [{ x0 }], encoded: Float64Array.of(x0), pinnedEnd: 1, running: false };
}

/** 12 raw points per prefix; the pinned prefixes' raw scores all above the unpinned one's. */
function scoredPool(): ScoredPrefix[] {
  const entry = (prefix: Prefix, base: number): ScoredPrefix => {
    const count = 12;
    const points = Array.from({ length: count }, (_, r) =>
      Float64Array.of(prefix.delta === 0 ? (r + 0.5) / count : prefix.encoded[0]!, (r + 0.25) / count),
    );
    return {
      prefix,
      points,
      rows: Int32Array.from(points, (_, r) => r),
      scores: Float64Array.from(points, (_, r) => base - r * 0.01),
      exact: new Uint8Array(count).fill(1),
    };
  };
  return [entry(unpinnedPrefix(), 0), entry(pinned(0.5), 1), entry(pinned(0.9), 2)];
}

/** How many refined candidates came from each δ. */
function runsByDelta(unpinnedSearch: 'shared' | 'full', pool = scoredPool()): number[] {
  const settings = resolveSettings({ restarts: 10, startsPerPrefix: 1, unpinnedSearch });
  const { refined, localRuns } = refineStarts(acquisition, encoding, pool, false, settings);
  expect(refined).toHaveLength(localRuns);
  const counts = [0, 0];
  for (const candidate of refined) counts[candidate.prefix.delta]! += 1;
  return counts;
}

describe('refineStarts: local runs of the unpinned search', () => {
  it("'shared': one run per prefix, the nine others to the best raw points of any prefix", () => {
    // 3 prefixes × 1 + 9 runners-up, all of them the pinned prefixes' (they score higher).
    expect(runsByDelta('shared')).toEqual([1, 11]);
  });

  it("'full': the unpinned search keeps its ten best raw points, the pinned prefixes their runs besides", () => {
    expect(runsByDelta('full')).toEqual([10, 11]);
  });

  it('is the same for a pool of the unpinned prefix alone (ms-carbo): its ten best raw points either way', () => {
    const alone = scoredPool().slice(0, 1);
    expect(runsByDelta('shared', alone)).toEqual([10, 0]);
    expect(runsByDelta('full', alone)).toEqual([10, 0]);
    const settings = (unpinnedSearch: 'shared' | 'full') =>
      resolveSettings({ restarts: 10, startsPerPrefix: 1, unpinnedSearch });
    const shared = refineStarts(acquisition, encoding, alone, false, settings('shared'));
    const full = refineStarts(acquisition, encoding, alone, false, settings('full'));
    expect(full.refined.map((c) => Array.from(c.x))).toEqual(shared.refined.map((c) => Array.from(c.x)));
  });
});
