import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import type {
  Configuration,
  MethodName,
  Observation,
  PendingTrial,
  SearchSpace,
  Suggestion,
} from '../../../src/core/types.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { costExponent } from '../../../src/optimizer/cost-cooling.js';
import { runningBoTrials, runningWarmupCount } from '../../../src/optimizer/pending-handling.js';
import { nearPending, PENDING_RADIUS } from '../../../src/optimizer/design.js';
import { prefixPool } from '../../../src/optimizer/prefix-pool.js';
import { DEFAULT_PENDING_HANDLING, suggest, suggestWithPendingHandling } from '../../../src/optimizer/index.js';
import { createRandom } from '../../../src/random/index.js';
import { SpaceEncoding } from '../../../src/space/index.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';

const key = (config: Configuration): string => canonicalJson(config);
const running = (configs: readonly Configuration[], cachedPrefix = 0): PendingTrial[] =>
  configs.map((config) => ({ config, cachedPrefix }));

/** The sequential warm-up design of seed 17 (fixture settings: warmup 5). */
function designSequence(count: number): Configuration[] {
  const history: Observation[] = [];
  for (let i = 0; i < count; i++) {
    history.push(...observationsFrom([suggest(request(mixedSpace, history, 'eeipu')).config]));
  }
  return history.map((obs) => obs.config);
}

/** A sequential study of `steps` trials (warm-up then BO), fixture evaluator. */
function sequential(method: MethodName, steps: number, seed = 17): Observation[] {
  const history: Observation[] = [];
  for (let i = 0; i < steps; i++) {
    const s = suggest(request(mixedSpace, history, method, { seed }));
    history.push(...observationsFrom([s.config], s.phase));
  }
  return history;
}

describe('pending trials: parallelism 1 is unchanged', () => {
  // Hashes of 9 sequential suggestions (config, δ, phase, acquisition, predicted cost) computed
  // with the optimizer as it was before pending trials existed (commit c4e8e57).
  const pinned: Record<string, string> = {
    eeipu: '2e8d372e7541e792',
    carbo: 'c626c8443a351897',
    random: 'bdf249fb39c1dab7',
  };
  for (const [method, hash] of Object.entries(pinned)) {
    it(`${method}: the same 9 suggestions as before, with pending absent or empty`, () => {
      for (const pending of [undefined, []]) {
        const history: Observation[] = [];
        const lines: string[] = [];
        for (let i = 0; i < 9; i++) {
          const s = suggest(
            request(mixedSpace, history, method as MethodName, { seed: 5, ...(pending ? { pending } : {}) }),
          );
          lines.push(canonicalJson([s.config, s.cachedPrefix, s.phase, s.acquisition, s.predictedCost]));
          history.push(...observationsFrom([s.config], s.phase));
        }
        expect(createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)).toBe(hash);
      }
    });
  }
});

describe('pending trials: warm-up', () => {
  const design = designSequence(5);

  it('suggests design point k = history.length + pending.length', () => {
    expect(key(suggest(request(mixedSpace, [], 'eeipu', { pending: running(design.slice(0, 2)) })).config)).toBe(
      key(design[2]!),
    );
    // Finished out of order: trial 1 done, trials 0 and 2 still running → design point 3.
    const s = suggest(
      request(mixedSpace, observationsFrom([design[1]!]), 'eeipu', { pending: running([design[0]!, design[2]!]) }),
    );
    expect(s.phase).toBe('warmup');
    expect(key(s.config)).toBe(key(design[3]!));
    expect(s.diagnostics.pending).toBe(2);
  });

  it('skips a design point that is running', () => {
    // k = 1, but design point 1 is already running (a hand-made request): the next one instead.
    const s = suggest(request(mixedSpace, [], 'eeipu', { pending: running([design[1]!]) }));
    expect(key(s.config)).toBe(key(design[2]!));
    expect(s.diagnostics.waitForPending).toBe(false);
  });
});

describe('pending trials: the random method', () => {
  it('draws by trial index: history H plus pending P gives what history H ∪ P gives', () => {
    const history = sequential('random', 7);
    const split = suggest(
      request(mixedSpace, history.slice(0, 5), 'random', { pending: running(history.slice(5).map((o) => o.config)) }),
    );
    const whole = suggest(request(mixedSpace, history, 'random'));
    expect(key(split.config)).toBe(key(whole.config));
    expect(split.config).not.toEqual(history[5]!.config);
  });
});

describe('pending trials are never suggested again', () => {
  // Two stages of two choices: four configurations, each stage memoizable.
  const tiny: SearchSpace = [
    { name: 'a', params: [{ name: 'c', type: 'categorical', choices: ['x', 'y'] }] },
    { name: 'b', params: [{ name: 'd', type: 'categorical', choices: ['p', 'q'] }] },
  ];
  const all = new SpaceEncoding(tiny).enumerate(16);
  const ask = (
    method: MethodName,
    history: readonly Observation[],
    pending: readonly Configuration[],
    warmup: number,
  ): Suggestion =>
    suggest(
      request(tiny, history, method, {
        pending: running(pending),
        settings: { method, warmup, rawSamples: 16, restarts: 1, mcSamples: 64 },
      }),
    );

  for (const method of ['eeipu', 'ei', 'random'] as const) {
    for (const warmup of [1, 10]) {
      it(`${method}, warm-up ${warmup}: fills a 4-configuration space, waits for running ones, then stops`, () => {
        const history: Observation[] = [];
        const pending: Configuration[] = [];
        // The first finished trial gives the BO methods something to model.
        const first = ask(method, history, pending, warmup);
        history.push(...observationsFrom([first.config]));
        for (let i = 0; i < 3; i++) {
          const s = ask(method, history, pending, warmup);
          expect(s.diagnostics.exhausted).toBe(false);
          expect(s.diagnostics.waitForPending).toBe(false);
          expect([...history.map((o) => o.config), ...pending].map(key)).not.toContain(key(s.config));
          pending.push(s.config);
        }
        // Everything is observed or running: wait (the returned config is a running one, not to be run).
        for (let finished = 0; finished < 3; finished++) {
          const wait = ask(method, history, pending, warmup);
          expect(wait.diagnostics.waitForPending).toBe(true);
          expect(wait.diagnostics.exhausted).toBe(false);
          expect(pending.map(key)).toContain(key(wait.config));
          history.push(...observationsFrom([pending.shift()!]));
        }
        expect(new Set(history.map((o) => key(o.config))).size).toBe(all.length);
        const last = ask(method, history, pending, warmup);
        expect(last.diagnostics.exhausted).toBe(true);
        expect(last.diagnostics.waitForPending).toBe(false);
      });
    }
  }

  it('in a continuous space too: a running configuration is skipped even if it scores best', () => {
    const history = sequential('ei', 8);
    const free = suggest(request(mixedSpace, history, 'ei', { pending: running([history[0]!.config]) }));
    // The same request with that winner running: the next candidate instead, never the running one.
    const blocked = suggest(request(mixedSpace, history, 'ei', { pending: running([free.config]) }));
    expect(key(blocked.config)).not.toBe(key(free.config));
    expect(blocked.diagnostics.waitForPending).toBe(false);
  });
});

describe('a candidate next to a running configuration counts as that configuration', () => {
  const encoding = new SpaceEncoding(mixedSpace);
  const within = (a: Configuration, b: Configuration): boolean => {
    const [x, y] = [encoding.encode(a), encoding.encode(b)];
    return x.every((value, i) => Math.abs(value - y[i]!) <= PENDING_RADIUS);
  };

  // Twelve trials, then three suggestions in a row with the earlier ones running: the cases where,
  // without the radius, the third landed within 1e-3 of a running one in every dimension (found by
  // running 3 methods × 6 seeds with nearPending switched off: these 2 of 54 suggestions).
  for (const [method, seed] of [
    ['ei', 1],
    ['carbo', 0],
  ] as const) {
    it(`${method}, seed ${seed}: the third of three parallel suggestions keeps clear of the two running`, () => {
      const history = sequential(method, 12, seed);
      const pending: PendingTrial[] = [];
      for (let k = 0; k < 3; k++) {
        const s = suggest(request(mixedSpace, history, method, { seed, pending }));
        expect(s.diagnostics.waitForPending).toBe(false);
        for (const trial of pending) expect(within(s.config, trial.config)).toBe(false);
        pending.push({ config: s.config, cachedPrefix: s.cachedPrefix });
      }
    });
  }

  it('nearPending: inside the box in every dimension, and only with running points given', () => {
    // Two parameters on [0, 1]: the unit cube is the parameters themselves.
    const unit = new SpaceEncoding([
      {
        name: 's',
        params: [
          { name: 'a', type: 'float', low: 0, high: 1 },
          { name: 'b', type: 'float', low: 0, high: 1 },
        ],
      },
    ]);
    const at = (a: number, b: number): Configuration => [{ a, b }];
    const point = Float64Array.from([0.2, 0.8]);
    const excluded = { observed: new Set<string>(), pending: new Set<string>(), pendingPoints: [point] };
    expect(nearPending(unit, at(0.2 + 0.9 * PENDING_RADIUS, 0.8 - 0.9 * PENDING_RADIUS), excluded)).toBe(true);
    expect(nearPending(unit, at(0.2 + 1.1 * PENDING_RADIUS, 0.8), excluded)).toBe(false);
    expect(nearPending(unit, at(0.2, 0.8), { observed: new Set(), pending: new Set() })).toBe(false);
  });
});

describe('pending trials in the BO step', () => {
  const history = sequential('eeipu', 9);
  // Configurations unrelated to the history (uniform draws).
  const others: Configuration[] = Array.from({ length: 5 }, (_, i) => {
    const rng = createRandom(99, i);
    const encoding = new SpaceEncoding(mixedSpace);
    return encoding.decode(Float64Array.from({ length: encoding.dimension }, () => rng.next()));
  });

  it('suggests differently when different trials are running (same trial index)', () => {
    const far = suggest(request(mixedSpace, history, 'eeipu', { pending: running([others[0]!]) }));
    expect(far.diagnostics.pending).toBe(1);
    // A running trial next to that winner (not equal to it): the believer lowers the variance
    // there, so EI moves elsewhere.
    const c = far.config;
    const b = Number(c[2]!.b);
    const near: Configuration = [c[0]!, c[1]!, { b: b > 0.5 ? b - 1e-3 : b + 1e-3 }];
    const moved = suggest(request(mixedSpace, history, 'eeipu', { pending: running([near]) }));
    expect(key(moved.config)).not.toBe(key(far.config));
    expect(key(moved.config)).not.toBe(key(near));
    // Deterministic for the same request.
    const again = suggest(request(mixedSpace, history, 'eeipu', { pending: running([near]) }));
    expect(key(again.config)).toBe(key(moved.config));
    // Ignoring the running trial's outcome (dedup only), the near one changes nothing.
    const ignored = suggestWithPendingHandling(request(mixedSpace, history, 'eeipu', { pending: running([near]) }), {
      ...DEFAULT_PENDING_HANDLING,
      believe: false,
      sharePrefixes: 'none',
    });
    expect(key(ignored.config)).toBe(
      key(
        suggestWithPendingHandling(request(mixedSpace, history, 'eeipu', { pending: running([others[0]!]) }), {
          ...DEFAULT_PENDING_HANDLING,
          believe: false,
          sharePrefixes: 'none',
        }).config,
      ),
    );
  });

  it("puts running trials' proper prefixes in the pool after the observed ones, deduplicated", () => {
    const encoding = new SpaceEncoding(mixedSpace);
    const observed = history.filter((o) => o.phase === 'bo');
    const sameFirstStage: Configuration = [observed[0]!.config[0]!, { k: 8, opt: 'adam' }, { b: 0.1 }];
    const pool = prefixPool(encoding, history, 1, 5, running([sameFirstStage, others[2]!]));
    const fromRunning = pool.filter((p) => p.running);
    expect(pool.slice(0, pool.length - fromRunning.length).every((p) => !p.running)).toBe(true);
    expect(fromRunning.map((p) => key(p.stages))).toEqual([
      key(sameFirstStage.slice(0, 2)), // its first stage is an observed prefix already
      key(others[2]!.slice(0, 1)),
      key(others[2]!.slice(0, 2)),
    ]);
    expect(prefixPool(encoding, history, 1, 5)).toHaveLength(pool.length - 3);
    // A running trial's stage costs are not measured yet: its prefixes count no saving.
    expect(fromRunning.every((p) => p.measuredCost === 0)).toBe(true);
  });

  it("pins a suggestion to a running trial's prefix when its stages are expensive (priced at ε)", () => {
    // Stages 1 and 2 cost 50 each, stage 3 costs 1: reusing a two-stage prefix makes a trial
    // ~100× cheaper. No finished post-warm-up trial exists, so only the running one can offer it.
    const expensive = (configs: readonly Configuration[]): Observation[] =>
      observationsFrom(configs).map((obs) => ({ ...obs, stageCosts: [50, 50, 1], chargedCost: 101 }));
    const warm = expensive(designSequence(6));
    const pending = running([others[3]!]);
    const base = { pending, budget: { total: 2000, spent: 606 } };
    const s = suggest(request(mixedSpace, warm, 'eeipu', base));
    expect(s.phase).toBe('bo');
    expect(s.cachedPrefix).toBeGreaterThan(0);
    expect(key(s.config.slice(0, s.cachedPrefix))).toBe(key(others[3]!.slice(0, s.cachedPrefix)));
    expect(s.diagnostics.sharesRunningPrefix).toBe(true);
    expect(s.diagnostics.runningPrefixes).toBe(2);
    expect(s.predictedCost).toBeLessThan(5);
    // Without sharing there is nothing to reuse.
    const alone = suggestWithPendingHandling(request(mixedSpace, warm, 'eeipu', base), {
      ...DEFAULT_PENDING_HANDLING,
      sharePrefixes: 'none',
    });
    expect(alone.cachedPrefix).toBe(0);
    expect(alone.diagnostics.runningPrefixes).toBe(0);
    // Methods without memoization never pin.
    expect(suggest(request(mixedSpace, warm, 'ms-carbo', base)).cachedPrefix).toBe(0);
  });

  it('counts the running warm-up trials: the first min(k, warmup) − finished warm-up ones', () => {
    const obs = (phase: 'warmup' | 'bo'): Observation => ({ ...observationsFrom([others[0]!])[0]!, phase });
    const p = running(others.slice(0, 3));
    expect(runningWarmupCount([], p, 10)).toBe(3);
    expect(runningWarmupCount([obs('warmup'), obs('warmup')], p, 4)).toBe(2);
    expect(runningWarmupCount([obs('warmup'), obs('warmup'), obs('warmup'), obs('bo')], p, 4)).toBe(1);
    expect(runningWarmupCount([obs('warmup'), obs('warmup'), obs('warmup'), obs('warmup')], p, 4)).toBe(0);
    expect(runningWarmupCount([], [], 10)).toBe(0);
  });

  it("takes the running trials' phases when the request gives them, and infers them when it does not", () => {
    const [a, b, c] = running(others.slice(0, 3)) as [PendingTrial, PendingTrial, PendingTrial];
    // Enqueued trials beyond the warm-up (phase warmup) running after a BO trial: counting from the
    // start would take the BO trial for a warm-up one and share the enqueued trials' prefixes.
    const phased = [
      { ...a, phase: 'bo' as const },
      { ...b, phase: 'warmup' as const },
      { ...c, phase: 'warmup' as const },
    ];
    expect(runningBoTrials([], phased, 1)).toEqual([phased[0]]);
    expect(runningBoTrials([], [a, b, c], 1)).toEqual([b, c]);
    expect(runningBoTrials([], [a, b, c], 10)).toEqual([]);
  });

  it("counts the running trials' predicted cost as used in η (committed budget)", () => {
    const spent = history.reduce((sum, obs) => sum + obs.chargedCost, 0);
    const total = spent + 200; // the fixture's budget
    const pending = running(others.slice(0, 2));
    const committed = suggest(request(mixedSpace, history, 'eeipu', { pending }));
    const cost = committed.diagnostics.committedCost as number;
    expect(cost).toBeGreaterThan(0);
    expect(committed.diagnostics.eta).toBe(costExponent(history, total, spent + cost));
    const spentOnly = suggestWithPendingHandling(request(mixedSpace, history, 'eeipu', { pending }), {
      ...DEFAULT_PENDING_HANDLING,
      eta: 'spent',
    });
    expect(spentOnly.diagnostics.eta).toBe(costExponent(history, total, spent));
    expect(committed.diagnostics.eta).toBeLessThan(spentOnly.diagnostics.eta as number);
    // Each running trial is priced like a suggestion of it (same cost models, its own δ).
    const one = suggest(request(mixedSpace, history, 'eeipu', { pending: pending.slice(0, 1) }));
    expect(one.diagnostics.committedCost).toBeLessThan(cost);
    // Nothing running: the sequential η; eips keeps η = 1.
    expect(suggest(request(mixedSpace, history, 'eeipu')).diagnostics.committedCost).toBe(0);
    expect(suggest(request(mixedSpace, history, 'eips', { pending })).diagnostics.eta).toBe(1);
  });
});

describe('pending entries are validated', () => {
  const history = sequential('eeipu', 3);
  const good = history[0]!.config;
  const cases: [string, unknown, RegExp][] = [
    ['wrong stage count', [{ config: good.slice(0, 2), cachedPrefix: 0 }], /^pending\[0\]\.config: .*3 stages/],
    [
      'value out of the space',
      [
        { config: good, cachedPrefix: 0 },
        { config: [{ ...good[0], a: 7 }, good[1], good[2]], cachedPrefix: 0 },
      ],
      /^pending\[1\]\.config: stage "prep" param "a": 7 is outside \[-2, 2\]/,
    ],
    ['unknown stage shape', [{ config: 'x', cachedPrefix: 0 }], /^pending\[0\]\.config must be an array/],
    [
      'cachedPrefix = S',
      [{ config: good, cachedPrefix: 3 }],
      /^pending\[0\]\.cachedPrefix must be an integer in \[0, 2\]/,
    ],
    ['negative cachedPrefix', [{ config: good, cachedPrefix: -1 }], /^pending\[0\]\.cachedPrefix/],
    ['fractional cachedPrefix', [{ config: good, cachedPrefix: 0.5 }], /^pending\[0\]\.cachedPrefix/],
    ['missing cachedPrefix', [{ config: good }], /^pending\[0\]\.cachedPrefix/],
    ['null entry', [null], /^pending\[0\] must be an object/],
    ['not an array', { config: good, cachedPrefix: 0 }, /^pending must be an array/],
  ];
  for (const [name, pending, message] of cases) {
    it(`rejects ${name} with a RangeError naming the entry and field`, () => {
      for (const method of ['eeipu', 'random'] as const) {
        const call = (): Suggestion =>
          suggest(request(mixedSpace, history, method, { pending: pending as PendingTrial[] }));
        expect(call).toThrow(RangeError);
        expect(call).toThrow(message);
      }
    });
  }
});

describe('GaussianProcess.believe (kriging believer)', () => {
  const rng = createRandom(3, 1);
  const point = (): number[] => [rng.next(), rng.next(), rng.next()];
  const xs = Array.from({ length: 40 }, point);
  const ys = xs.map(([a, b, c]) => Math.sin(5 * a!) + b! * b! - c!);
  const gp = GaussianProcess.fit(xs, ys, { seed: 1 });
  const believed = [point(), point(), xs[3]!];
  const kb = gp.believe(believed);

  it('keeps the posterior mean and shrinks the variance at the believed points', () => {
    const queries = [...Array.from({ length: 20 }, point), ...believed];
    const before = gp.predict(queries);
    const after = kb.predict(queries);
    for (let i = 0; i < queries.length; i++) {
      expect(after.mean[i]).toBeCloseTo(before.mean[i]!, 9);
      expect(after.variance[i]).toBeLessThanOrEqual(before.variance[i]! * (1 + 1e-9) + 1e-12);
    }
    for (let i = 20; i < 22; i++) expect(after.variance[i]).toBeLessThan(0.5 * before.variance[i]!);
    expect(kb.size).toBe(43);
    expect(kb.hyperparameters).toEqual(gp.hyperparameters);
    expect([kb.yMean, kb.yStd]).toEqual([gp.yMean, gp.yStd]);
  });

  it('equals conditioning on the points one at a time, and is a no-op for none', () => {
    const stepwise = gp.believe([believed[0]!]).believe([believed[1]!]).believe([believed[2]!]);
    const queries = Array.from({ length: 10 }, point);
    const a = kb.predict(queries);
    const b = stepwise.predict(queries);
    for (let i = 0; i < queries.length; i++) {
      expect(a.mean[i]).toBeCloseTo(b.mean[i]!, 9);
      expect(a.variance[i]).toBeCloseTo(b.variance[i]!, 9);
    }
    expect(gp.believe([])).toBe(gp);
    expect(() => gp.believe([[0.1, 0.2]])).toThrow(RangeError);
  });
});
