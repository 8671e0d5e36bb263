/** The local search from the best observed configuration (setting `localSearchFromBest`). */
import { describe, expect, it } from 'vitest';
import { NO_REUSE } from '../../../src/acquisition/index.js';
import type { MethodName, Observation, OptimizerState, Suggestion } from '../../../src/core/types.js';
import { resolveSettings, suggest } from '../../../src/optimizer/index.js';
import { effortIssues } from '../../../src/optimizer/settings.js';
import { refineFromBest } from '../../../src/optimizer/refinement.js';
import { createRandom, sampleNormal } from '../../../src/random/index.js';
import { acquisition, encoding } from './two-stage-acquisition.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';

describe('refineFromBest', () => {
  const best = Float64Array.of(0.5, 0.6); // the fixture's best observation (objective 1)

  it('runs one unpinned search from the best point moved by 1% of each range, and climbs from there', () => {
    const run = refineFromBest(acquisition, encoding, best, createRandom(7))!;
    expect(run.candidate.prefix.delta).toBe(0);
    expect(run.candidate.exact).toBe(true);
    expect(run.evaluations).toBeGreaterThan(1);
    const draws = createRandom(7);
    const start = Float64Array.from(best, (v) => Math.min(1, Math.max(0, v + 0.01 * sampleNormal(draws))));
    const atStart = acquisition.score([start], NO_REUSE, acquisition.costTable([start]))[0]!;
    expect(run.candidate.value).toBeGreaterThanOrEqual(atStart);
    for (const v of run.candidate.x) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('is deterministic for a seed and draws its move from the random stream it is given', () => {
    const a = refineFromBest(acquisition, encoding, best, createRandom(7))!;
    const b = refineFromBest(acquisition, encoding, best, createRandom(7))!;
    const c = refineFromBest(acquisition, encoding, best, createRandom(8))!;
    expect(Array.from(b.candidate.x)).toEqual(Array.from(a.candidate.x));
    expect(b.candidate.value).toBe(a.candidate.value);
    expect(
      c.evaluations === a.evaluations && Array.from(c.candidate.x).join() === Array.from(a.candidate.x).join(),
    ).toBe(false);
  });

  it('leaves the best point unchanged (it is read, not written)', () => {
    const copy = best.slice();
    refineFromBest(acquisition, encoding, copy, createRandom(7));
    expect(Array.from(copy)).toEqual(Array.from(best));
  });
});

/** A short study of `method`, with suggestions computed both with and without the search. */
function compareAlongStudy(method: MethodName, check: (on: Suggestion, off: Suggestion) => void): number {
  const history: Observation[] = [];
  let state: OptimizerState | undefined;
  let boSteps = 0;
  for (let i = 0; i < 9; i++) {
    const base = request(mixedSpace, history, method, state ? { state } : {});
    const on = suggest({ ...base, settings: { ...base.settings, localSearchFromBest: true } });
    const off = suggest({ ...base, settings: { ...base.settings, localSearchFromBest: false } });
    if (on.phase === 'bo') {
      boSteps++;
      check(on, off);
    }
    state = on.state;
    const [obs] = observationsFrom([on.config], on.phase);
    history.push({ ...obs!, cachedPrefix: on.cachedPrefix });
  }
  return boSteps;
}

describe('localSearchFromBest in a suggestion', () => {
  it.each(['eeipu', 'ms-carbo', 'ei'] as const)('adds exactly one local run to every BO step of %s', (method) => {
    const steps = compareAlongStudy(method, (on, off) => {
      expect(on.diagnostics.localRuns).toBe((off.diagnostics.localRuns as number) + 1);
    });
    expect(steps).toBe(4);
  });

  it('is on by default, and adds nothing when restarts is 0 (no local search at all)', () => {
    expect(resolveSettings({}).localSearchFromBest).toBe(true);
    let checked = 0;
    compareAlongStudy('eeipu', (on) => {
      checked++;
      expect(on.diagnostics.localRuns).toBeGreaterThan(0);
    });
    expect(checked).toBe(4);
    const history: Observation[] = [];
    let boSteps = 0;
    for (let i = 0; i < 7; i++) {
      const base = request(mixedSpace, history, 'eeipu');
      // Without the unpinned check, whose own local run would count here.
      const s = suggest({ ...base, settings: { ...base.settings, restarts: 0, unpinnedCheck: false } });
      if (s.phase === 'bo') {
        boSteps++;
        expect(s.diagnostics.localRuns).toBe(0);
      }
      const [obs] = observationsFrom([s.config], s.phase);
      history.push({ ...obs!, cachedPrefix: s.cachedPrefix });
    }
    expect(boSteps).toBe(2);
  });
});

describe('localSearchFromBest in the effort limit', () => {
  it('counts its run among the local searches of a suggestion', () => {
    // 2^21 local-search values allowed: 32 searches of 2^16 dims. 'ei' pools ∅ only: 1 + 31 restarts.
    const dims = 2 ** 16;
    const off = resolveSettings({ method: 'ei', restarts: 31, rawSamples: 64, localSearchFromBest: false });
    const on = resolveSettings({ method: 'ei', restarts: 31, rawSamples: 64 });
    expect(effortIssues(off, 1, dims)).toEqual([]);
    const [issue] = effortIssues(on, 1, dims);
    expect(issue?.key).toBe('restarts');
    expect(issue?.message).toContain('is 2162688');
    expect(issue?.message).toContain('+ 1 from the best configuration (localSearchFromBest)');
  });
});
