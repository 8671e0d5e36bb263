import { describe, expect, it } from 'vitest';
import type {
  Observation,
  OptimizerSettings,
  OptimizerState,
  Suggestion,
  SuggestRequest,
} from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import type { Candidate } from '../../../src/optimizer/candidate-order.js';
import { unpinnedPrefix, type Prefix } from '../../../src/optimizer/prefix-pool.js';
import { unpinnedAlternative, unpinnedWins } from '../../../src/optimizer/unpinned-check.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';
import { acquisition, encoding, pinnedAt } from './two-stage-acquisition.js';

const pinned = pinnedAt(0.1);

function scored(prefix: Prefix, x: Float64Array): Candidate {
  const value = acquisition.score([x], prefix, acquisition.costTable([x]))[0]!;
  return { prefix, x, value, exact: true };
}

describe('unpinned check', () => {
  it('refines the unpinned acquisition from a pinned winner, moving the pinned stage too', () => {
    const winner = scored(pinned, Float64Array.of(0.1, 0.5));
    const alternative = unpinnedAlternative(acquisition, encoding, winner);
    expect(alternative).not.toBeNull();
    const { candidate, evaluations } = alternative!;
    expect(evaluations).toBeGreaterThan(0);
    expect(candidate.prefix.delta).toBe(0);
    expect(candidate.exact).toBe(true);
    // The pinned stage moved away from the prefix's value, towards the objective's peak.
    expect(candidate.x[0]).toBeGreaterThan(0.15);
    // Exactly scored as an unpinned candidate at its point, and no worse than where it started.
    expect(candidate.value).toBe(scored(unpinnedPrefix(), candidate.x).value);
    expect(candidate.value).toBeGreaterThanOrEqual(scored(unpinnedPrefix(), winner.x).value);
    // Here moving the prefix buys more EI than the reuse saves.
    expect(unpinnedWins(candidate, winner)).toBe(true);
  });

  it('does nothing for a winner that reuses no prefix', () => {
    expect(unpinnedAlternative(acquisition, encoding, scored(unpinnedPrefix(), Float64Array.of(0.1, 0.5)))).toBeNull();
  });

  it('replaces only an exactly scored winner, and only by a strictly higher α', () => {
    const winner: Candidate = { prefix: pinned, x: Float64Array.of(0.1, 0.5), value: -2, exact: true };
    const at = (value: number): Candidate => ({ prefix: unpinnedPrefix(), x: winner.x, value, exact: true });
    expect(unpinnedWins(at(-1.5), winner)).toBe(true);
    expect(unpinnedWins(at(-2), winner)).toBe(false);
    expect(unpinnedWins(at(-2.5), winner)).toBe(false);
    expect(unpinnedWins(at(-1.5), { ...winner, exact: false })).toBe(false);
  });

  it("'guarded': a higher α wins only at a posterior mean at least the winner's", () => {
    const winner: Candidate = { prefix: pinned, x: Float64Array.of(0.1, 0.5), value: -2, exact: true };
    const elsewhere = Float64Array.of(0.7, 0.5);
    const alternative: Candidate = { prefix: unpinnedPrefix(), x: elsewhere, value: -1.5, exact: true };
    const meanOf = (winnerMean: number, alternativeMean: number) => (x: Float64Array) =>
      x === elsewhere ? alternativeMean : winnerMean;
    expect(unpinnedWins(alternative, winner, meanOf(0.3, 0.2))).toBe(false);
    expect(unpinnedWins(alternative, winner, meanOf(0.3, 0.3))).toBe(true);
    expect(unpinnedWins(alternative, winner, meanOf(0.3, 0.4))).toBe(true);
    // The guard never lets a lower α win.
    expect(unpinnedWins({ ...alternative, value: -2.5 }, winner, meanOf(0.3, 0.9))).toBe(false);
  });
});

type CheckSetting = NonNullable<OptimizerSettings['unpinnedCheck']>;

function withCheck(base: SuggestRequest, unpinnedCheck: CheckSetting): Suggestion {
  return suggest({ ...base, settings: { ...base.settings, unpinnedCheck } });
}

/** 5 warm-up and 10 BO steps of a study that runs what `step` returns for each request. */
function followStudy(step: (base: SuggestRequest) => Suggestion): void {
  const history: Observation[] = [];
  let state: OptimizerState | undefined;
  for (let i = 0; i < 5 + 10; i++) {
    const followed = step(request(mixedSpace, history, 'eeipu', state ? { state } : {}));
    state = followed.state;
    const [obs] = observationsFrom([followed.config], followed.phase);
    history.push({ ...obs!, cachedPrefix: followed.cachedPrefix });
  }
}

describe('unpinnedCheck setting in a study', () => {
  it('leaves unpinned winners alone and lets a pinned winner stand only against the unpinned run', () => {
    let pinnedSteps = 0;
    followStudy((base) => {
      const off = withCheck(base, false);
      const on = withCheck(base, true);
      if (off.phase !== 'bo' || off.cachedPrefix === 0) {
        expect(on.config).toEqual(off.config);
        expect(on.cachedPrefix).toBe(off.cachedPrefix);
        expect(on.diagnostics.unpinnedCheck).toBeUndefined();
      } else {
        pinnedSteps++;
        expect(on.diagnostics.localRuns).toBe((off.diagnostics.localRuns as number) + 1);
        if (on.diagnostics.unpinnedCheck === 'kept') {
          expect(on.config).toEqual(off.config);
          expect(on.cachedPrefix).toBe(off.cachedPrefix);
        } else {
          expect(on.diagnostics.unpinnedCheck).toBe('replaced');
          expect(on.cachedPrefix).toBe(0);
          expect(on.acquisition!).toBeGreaterThan(off.acquisition!);
        }
      }
      return on; // the study follows the checked suggestions
    });
    expect(pinnedSteps).toBeGreaterThan(0);
  });

  it("'guarded' keeps every reuse the plain check keeps, and otherwise makes the plain check's choice or keeps the reuse", () => {
    let checked = 0;
    followStudy((base) => {
      const plain = withCheck(base, true);
      const guarded = withCheck(base, 'guarded');
      expect(guarded.diagnostics.unpinnedCheck === undefined).toBe(plain.diagnostics.unpinnedCheck === undefined);
      if (plain.diagnostics.unpinnedCheck !== undefined) checked++;
      if (plain.diagnostics.unpinnedCheck !== 'replaced') {
        expect(guarded.config).toEqual(plain.config);
      } else if (guarded.diagnostics.unpinnedCheck === 'replaced') {
        expect(guarded.config).toEqual(plain.config);
      } else {
        expect(guarded.cachedPrefix).toBeGreaterThan(0);
      }
      return guarded;
    });
    expect(checked).toBeGreaterThan(0);
  });
});
