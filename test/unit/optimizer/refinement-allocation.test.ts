/** How pass 2 shares its local runs between the unpinned search and the pinned prefixes (setting `unpinnedSearch`). */
import { describe, expect, it } from 'vitest';
import { unpinnedPrefix, type Prefix } from '../../../src/optimizer/prefix-pool.js';
import type { ScoredPrefix } from '../../../src/optimizer/raw-scoring.js';
import { refineStarts, reuseSavesLittle } from '../../../src/optimizer/refinement.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';
import type { UnpinnedSearch } from '../../../src/core/types.js';
import { acquisition, encoding, expensiveFirst, pinnedAt } from './two-stage-acquisition.js';

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
    expect(runsByDelta('auto', alone)).toEqual([10, 0]);
    const settings = (unpinnedSearch: UnpinnedSearch) =>
      resolveSettings({ restarts: 10, startsPerPrefix: 1, unpinnedSearch });
    const shared = refineStarts(acquisition, encoding, alone, false, settings('shared'));
    const full = refineStarts(acquisition, encoding, alone, false, settings('full'));
    expect(full.refined.map((c) => Array.from(c.x))).toEqual(shared.refined.map((c) => Array.from(c.x)));
  });

  it("'auto': 'full' where no pinned prefix saves half a trial, 'shared' where one does", () => {
    // Both stages cost ~1 unit: reusing the first one costs ε + 1 = 1.1 instead of 2.
    expect(reuseSavesLittle(acquisition, scoredPool(), 1)).toBe(true);
    expect(runsByDelta('auto')).toEqual(runsByDelta('full'));
    // The first stage costs ~9 units: reusing it costs 1.1 instead of ~10.
    expect(reuseSavesLittle(expensiveFirst, scoredPool(), 1)).toBe(false);
    expect(runsByDelta('auto', scoredPool(), expensiveFirst)).toEqual(
      runsByDelta('shared', scoredPool(), expensiveFirst),
    );
  });
});
