import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig } from '../../../src/config/study-config.js';
import { studySettings } from '../../../src/core/study.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';

const config = parseStudyConfig({
  name: 'settings',
  pipeline: { stages: [{ name: 'train', params: [{ name: 'lr', type: 'float', low: 0.001, high: 0.1 }] }] },
  objective: { metric: 'acc' },
  budget: 10,
});

describe('studySettings', () => {
  it("runs a plan recorded now with every setting it pinned, today's defaults included", () => {
    const plan = planStudy(config);
    expect(studySettings(plan)).toEqual({ ...resolveSettings({}), epsilon: plan.epsilon });
    expect(studySettings(plan).unpinnedCheck).toBe('guarded');
    expect(studySettings(plan).unpinnedSearch).toBe('auto');
    expect(studySettings(plan).localSearchFromBest).toBe(true);
  });

  it('keeps the unpinned check off and the local runs shared for a plan recorded before the defaults were pinned', () => {
    const partial = { optimizer: { method: 'eeipu' as const, warmup: 4 }, epsilon: 0.05 };
    expect(studySettings(partial)).toEqual({
      method: 'eeipu',
      warmup: 4,
      unpinnedCheck: false,
      unpinnedSearch: 'shared',
      localSearchFromBest: false,
      epsilon: 0.05,
    });
    // A partial plan that named a setting keeps what it named.
    expect(studySettings({ ...partial, optimizer: { unpinnedCheck: true } }).unpinnedCheck).toBe(true);
    expect(studySettings({ ...partial, optimizer: { unpinnedSearch: 'full' } }).unpinnedSearch).toBe('full');
  });

  it("keeps the local runs shared for a plan pinned before unpinnedSearch existed (its default then: 'shared')", () => {
    const { unpinnedSearch: _absent, ...pinnedBefore } = resolveSettings({});
    expect(studySettings({ optimizer: pinnedBefore, epsilon: 0.1 }).unpinnedSearch).toBe('shared');
    expect(studySettings({ optimizer: pinnedBefore, epsilon: 0.1 }).unpinnedCheck).toBe('guarded');
  });

  it('runs a plan pinned before localSearchFromBest existed without that search, as it started', () => {
    const { localSearchFromBest: _absent, ...pinnedBefore } = resolveSettings({});
    expect(studySettings({ optimizer: pinnedBefore, epsilon: 0.1 }).localSearchFromBest).toBe(false);
    expect(studySettings({ optimizer: pinnedBefore, epsilon: 0.1 }).unpinnedSearch).toBe('auto');
    expect(
      studySettings({ optimizer: { ...pinnedBefore, localSearchFromBest: true }, epsilon: 0.1 }).localSearchFromBest,
    ).toBe(true);
  });
});
