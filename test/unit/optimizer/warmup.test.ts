import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import type { Observation, OptimizerSettings, SearchSpace } from '../../../src/core/types.js';
import { methodNames, resolveSettings, suggest } from '../../../src/optimizer/index.js';
import { validateConfiguration } from '../../../src/space/index.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';

function runWarmup(method: (typeof methodNames)[number], seed: number, steps: number): Observation[] {
  const history: Observation[] = [];
  for (let i = 0; i < steps; i++) {
    const s = suggest(request(mixedSpace, history, method, { seed }));
    expect(s.phase).toBe('warmup');
    history.push(...observationsFrom([s.config]));
  }
  return history;
}

describe('warm-up phase', () => {
  it('gives every method the same warm-up points for a seed', () => {
    const reference = runWarmup('eeipu', 3, 5).map((o) => canonicalJson(o.config));
    for (const method of methodNames) {
      expect(runWarmup(method, 3, 5).map((o) => canonicalJson(o.config))).toEqual(reference);
    }
  });

  it('depends on the seed', () => {
    const a = runWarmup('ei', 3, 3).map((o) => canonicalJson(o.config));
    const b = runWarmup('ei', 4, 3).map((o) => canonicalJson(o.config));
    expect(a).not.toEqual(b);
  });

  it('suggests legal, distinct configurations without acquisition values', () => {
    const history = runWarmup('eeipu', 1, 5);
    const keys = new Set(history.map((o) => canonicalJson(o.config)));
    expect(keys.size).toBe(5);
    for (const o of history) expect(() => validateConfiguration(mixedSpace, o.config)).not.toThrow();
    const s = suggest(request(mixedSpace, history.slice(0, 2), 'eeipu'));
    expect(s.acquisition).toBeNull();
    expect(s.predictedCost).toBeNull();
    expect(s.cachedPrefix).toBe(0);
  });

  it('skips repeats in a small discrete space and reports exhaustion at the end', () => {
    const tiny: SearchSpace = [{ name: 'a', params: [{ name: 'c', type: 'categorical', choices: ['x', 'y', 'z'] }] }];
    const history: Observation[] = [];
    for (let i = 0; i < 3; i++) {
      const s = suggest(request(tiny, history, 'eeipu', { settings: { warmup: 10 } }));
      expect(s.diagnostics.exhausted).toBe(false);
      history.push(...observationsFrom([s.config]));
    }
    expect(new Set(history.map((o) => canonicalJson(o.config))).size).toBe(3);
    const last = suggest(request(tiny, history, 'eeipu', { settings: { warmup: 10 } }));
    expect(last.diagnostics.exhausted).toBe(true);
  });
});

describe('random method', () => {
  it('is deterministic and avoids observed configurations', () => {
    const history = runWarmup('random', 5, 5);
    const a = suggest(request(mixedSpace, history, 'random'));
    const b = suggest(request(mixedSpace, history, 'random'));
    expect(a).toEqual({ ...b, diagnostics: { ...b.diagnostics, totalMs: a.diagnostics.totalMs } });
    expect(a.phase).toBe('bo');
    expect(history.some((o) => canonicalJson(o.config) === canonicalJson(a.config))).toBe(false);
    expect(() => validateConfiguration(mixedSpace, a.config)).not.toThrow();
  });
});

describe('resolveSettings', () => {
  it('fills in the documented defaults', () => {
    expect(resolveSettings({})).toEqual({
      method: 'eeipu',
      warmup: 10,
      epsilon: 0.1,
      topQ: 5,
      mcSamples: 1000,
      rawSamples: 512,
      restarts: 10,
      startsPerPrefix: 1,
      eta: null,
      refitGrowth: 0.1,
      unpinnedCheck: 'guarded',
      unpinnedSearch: 'auto',
      localSearchFromBest: true,
      keepReuseSaving: false,
      failedTrials: 'worst',
      prunedTrials: 'reported',
      costAwareStopping: false,
      stoppingCostWeight: null,
    });
  });

  it.each([
    [{ method: 'bogus' as never }, 'method must be one of eeipu, ms-carbo, carbo, eips, ei, random, pbgi, pbgi-memo'],
    [{ warmup: 0 }, 'warmup must be at least 1'],
    [{ topQ: 0 }, 'topQ must be at least 1'],
    [{ restarts: -1 }, 'restarts must be at least 0'],
    [{ mcSamples: 0 }, 'mcSamples must be at least 1'],
    [{ mcSamples: 1e9 }, 'mcSamples must be at most 100000'],
    [{ startsPerPrefix: 0 }, 'startsPerPrefix must be at least 1'],
    [{ eta: 1.5 }, 'eta must be in [0, 1]'],
    [{ unpinnedCheck: 1 as never }, "unpinnedCheck must be true, false or 'guarded'"],
    [{ unpinnedCheck: 'always' as never }, "unpinnedCheck must be true, false or 'guarded'"],
    [{ unpinnedSearch: 'all' as never }, "unpinnedSearch must be 'shared', 'full' or 'auto'"],
    [{ failedTrials: 'drop' as never }, 'failedTrials must be one of ignore, worst'],
    [{ eta: Number.NaN }, 'eta must be in [0, 1]'],
    [{ rawSamples: 2.5 }, 'rawSamples must be an integer'],
    [{ epsilon: -0.1 }, 'epsilon must not be negative'],
    [{ refitGrowth: -0.5 }, 'refitGrowth must not be negative'],
    [{ refitGrowth: 1e4 }, 'refitGrowth must be at most 1000'],
    [{ epsilon: Number.POSITIVE_INFINITY }, 'epsilon must be finite'],
    [{ costAwareStopping: 'yes' as never }, 'costAwareStopping must be true or false'],
    [{ stoppingCostWeight: 0 }, 'stoppingCostWeight must be a finite number greater than 0, or null'],
    [{ stoppingCostWeight: Number.POSITIVE_INFINITY }, 'stoppingCostWeight must be a finite number greater than 0'],
  ])('rejects %j', (settings, message) => {
    expect(() => resolveSettings(settings)).toThrow(message);
  });

  it('refuses a misspelled setting, naming it and the setting it resembles', () => {
    const typo = { method: 'eeipu', warmpu: 3 } as OptimizerSettings;
    expect(() => resolveSettings(typo)).toThrow(RangeError);
    expect(() => resolveSettings(typo)).toThrow(
      new RangeError('settings.warmpu: unknown setting (did you mean "warmup"?)'),
    );
    expect(() => resolveSettings({ topq: 3 } as never)).toThrow(
      'settings.topq: unknown setting (did you mean "topQ"?)',
    );
  });

  it('refuses a key that resembles no setting, naming only it', () => {
    expect(() => resolveSettings({ learningRate: 0.1 } as never)).toThrow(
      new RangeError('settings.learningRate: unknown setting'),
    );
  });

  it('reports an unknown key alone, not the other settings out of range', () => {
    expect(() => resolveSettings({ warmpu: 3, topQ: 0 } as never)).toThrow(
      new RangeError('settings.warmpu: unknown setting (did you mean "warmup"?)'),
    );
  });

  it('refuses a misspelled setting in an in-process suggest() call', () => {
    const typo = { method: 'eeipu', warmpu: 3 } as OptimizerSettings;
    expect(() => suggest(request(mixedSpace, [], 'eeipu', { settings: typo }))).toThrow(
      new RangeError('settings.warmpu: unknown setting (did you mean "warmup"?)'),
    );
  });

  it('accepts every known setting, and takes an undefined one as its default', () => {
    const every: Required<OptimizerSettings> = {
      method: 'pbgi-memo',
      warmup: 4,
      epsilon: 0.2,
      topQ: 3,
      mcSamples: 200,
      rawSamples: 64,
      restarts: 0,
      startsPerPrefix: 2,
      eta: 0.5,
      refitGrowth: 0.2,
      unpinnedCheck: true,
      unpinnedSearch: 'full',
      localSearchFromBest: false,
      keepReuseSaving: true,
      failedTrials: 'ignore',
      prunedTrials: 'asFailed',
      costAwareStopping: true,
      stoppingCostWeight: 2,
    };
    expect(resolveSettings(every)).toEqual(every);
    const undefinedEverywhere = Object.fromEntries(Object.keys(every).map((key) => [key, undefined]));
    expect(resolveSettings(undefinedEverywhere)).toEqual(resolveSettings({}));
  });

  it('lists every method of the spec', () => {
    expect([...methodNames]).toEqual(['eeipu', 'ms-carbo', 'carbo', 'eips', 'ei', 'random', 'pbgi', 'pbgi-memo']);
  });
});

describe('request validation', () => {
  it('names the history entry, stage and param of an invalid observation', () => {
    const history = observationsFrom([[{ a: 5, scale: 1 }, { k: 1, opt: 'sgd' }, { b: 0 }]]);
    expect(() => suggest(request(mixedSpace, history, 'eeipu'))).toThrow(
      'history[0]: stage "prep" param "a": 5 is outside [-2, 2]',
    );
  });

  it('rejects a non-integer seed', () => {
    expect(() => suggest(request(mixedSpace, [], 'eeipu', { seed: 0.5 }))).toThrow('seed must be a safe integer');
  });

  it('rejects a budget total of zero or less', () => {
    for (const total of [0, -100]) {
      expect(() => suggest(request(mixedSpace, [], 'eeipu', { budget: { total, spent: 0 } }))).toThrow(
        `budget.total must be positive (got ${total})`,
      );
    }
  });

  it('names the observation whose costs or cached prefix are not numbers it can use', () => {
    const [valid] = observationsFrom([[{ a: 0.5, scale: 1 }, { k: 1, opt: 'sgd' }, { b: 0 }]]);
    const cases: [Partial<Observation>, string][] = [
      [{ stageCosts: [1, Number.NaN, 1] }, 'history[0]: stageCosts[1] must be a finite number or null (got NaN)'],
      [{ stageCosts: [1, '2' as unknown as number, 1] }, 'history[0]: stageCosts[1] must be a finite number or null'],
      [{ chargedCost: Number.NaN }, 'history[0]: chargedCost must be finite (got NaN)'],
      [{ cachedPrefix: 3 }, 'history[0]: cachedPrefix must be an integer in [0, 2] (got 3)'],
      [{ cachedPrefix: -1 }, 'history[0]: cachedPrefix must be an integer in [0, 2] (got -1)'],
    ];
    for (const [change, message] of cases) {
      const history = [{ ...valid!, ...change }];
      expect(() => suggest(request(mixedSpace, history, 'eeipu', { budget: { total: 200, spent: 0 } }))).toThrow(
        message,
      );
    }
    // A failed stage's cost is unknown: null stays valid.
    expect(() => suggest(request(mixedSpace, [{ ...valid!, stageCosts: [1, null, null] }], 'eeipu'))).not.toThrow();
  });
});

describe('warm-up with enqueued configurations', () => {
  const enqueued: Observation = { ...observationsFrom([runWarmup('eeipu', 99, 1)[0]!.config])[0]!, enqueued: true };

  it('goes on with the design points in order: an enqueued trial displaces none', () => {
    const design = runWarmup('eeipu', 3, 4).map((o) => canonicalJson(o.config));
    // One enqueued trial first (finished, or still running), then the warm-up: design points 0, 1, 2.
    const history: Observation[] = [enqueued];
    for (let i = 0; i < 3; i++) {
      const s = suggest(request(mixedSpace, history, 'eeipu', { seed: 3 }));
      expect(s.phase).toBe('warmup');
      expect(canonicalJson(s.config)).toBe(design[i]);
      history.push(...observationsFrom([s.config]));
    }
    const running = suggest(
      request(mixedSpace, [], 'eeipu', {
        seed: 3,
        pending: [{ config: enqueued.config, cachedPrefix: 0, phase: 'warmup', enqueued: true }],
      }),
    );
    expect(canonicalJson(running.config)).toBe(design[0]);
  });

  it('still counts enqueued trials toward the warm-up length', () => {
    const history: Observation[] = [enqueued];
    for (let i = 0; i < 4; i++)
      history.push(...observationsFrom([suggest(request(mixedSpace, history, 'eeipu')).config]));
    // warm-up 5 in the request: the enqueued trial and four design points; the sixth trial is BO.
    expect(suggest(request(mixedSpace, history, 'eeipu')).phase).toBe('bo');
  });
});
