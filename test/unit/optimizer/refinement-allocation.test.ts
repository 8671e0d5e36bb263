/** How pass 2 shares its local runs between the unpinned search and the pinned prefixes (setting `unpinnedSearch`). */
import { describe, expect, it } from 'vitest';
import { unpinnedPrefix, type Prefix } from '../../../src/optimizer/prefix-pool.js';
import type { ScoredPrefix } from '../../../src/optimizer/raw-scoring.js';
import { refineStarts, unpinnedShare } from '../../../src/optimizer/refinement.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';
import { Acquisition } from '../../../src/acquisition/index.js';
import type { UnpinnedSearch } from '../../../src/core/types.js';
import { acquisition, encoding, pinnedAt } from './two-stage-acquisition.js';

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
  return [entry(unpinnedPrefix(), 0), entry(pinnedAt(0.5), 1), entry(pinnedAt(0.9), 2)];
}

/** How many refined candidates came from each δ. */
function runsByDelta(unpinnedSearch: UnpinnedSearch, pool = scoredPool(), by = acquisition): number[] {
  const settings = resolveSettings({ restarts: 10, startsPerPrefix: 1, unpinnedSearch });
  const { refined, localRuns } = refineStarts(by, encoding, pool, false, settings);
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
    expect(runsByDelta('adaptive', alone)).toEqual([10, 0]);
    const settings = (unpinnedSearch: UnpinnedSearch) =>
      resolveSettings({ restarts: 10, startsPerPrefix: 1, unpinnedSearch });
    const shared = refineStarts(acquisition, encoding, alone, false, settings('shared'));
    const full = refineStarts(acquisition, encoding, alone, false, settings('full'));
    expect(full.refined.map((c) => Array.from(c.x))).toEqual(shared.refined.map((c) => Array.from(c.x)));
  });

  it("'adaptive': the unpinned search keeps the share (C_δ / C_∅)^η of the nine runners-up, the rest as 'shared'", () => {
    // Both stages cost ~1 unit: reusing the first one costs ε + 1 = 1.1 instead of 2, so at η = 1
    // ∅ keeps round(9 × 1.1 / 2) = 5 runners-up and the pinned prefixes compete for the other 4.
    expect(unpinnedShare(acquisition, scoredPool(), 1)).toBeCloseTo(1.1 / 2, 3);
    expect(runsByDelta('adaptive')).toEqual([6, 6]);
  });

  it("'adaptive': with η cooled to 0 a reuse buys nothing, so the unpinned search keeps all its runs", () => {
    const cooled = new Acquisition(
      acquisition.objective,
      acquisition.screen,
      acquisition.best,
      acquisition.costs,
      acquisition.kind,
      0,
      acquisition.epsilon,
      acquisition.z,
    );
    expect(unpinnedShare(cooled, scoredPool(), 1)).toBe(1);
    expect(runsByDelta('adaptive', scoredPool(), cooled)).toEqual([10, 2]);
  });
});
