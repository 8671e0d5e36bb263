/**
 * Pass 1 (raw-scoring.ts) scores exactly only the pairs that can still matter: the outcome must be
 * that of scoring every pair exactly, for every way pass 2 shares its starts.
 */
import { describe, expect, it } from 'vitest';
import { Acquisition } from '../../../src/acquisition/index.js';
import type { UnpinnedSearch } from '../../../src/core/types.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { CandidateOrder } from '../../../src/optimizer/candidate-order.js';
import { GaussianProcessCostModel } from '../../../src/optimizer/models.js';
import { unpinnedPrefix, type Prefix } from '../../../src/optimizer/prefix-pool.js';
import { BOUND_MIN_POINTS, boundRows, scoreRawPairs, type ScoredPrefix } from '../../../src/optimizer/raw-scoring.js';
import { refineStarts } from '../../../src/optimizer/refinement.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';
import { createRandom, mulberry32, quasiNormals } from '../../../src/random/index.js';
import { SpaceEncoding } from '../../../src/space/index.js';

/** Two stages of two floats each. */
const encoding = new SpaceEncoding([
  {
    name: 'a',
    params: [
      { name: 'x0', type: 'float', low: 0, high: 1 },
      { name: 'x1', type: 'float', low: 0, high: 1 },
    ],
  },
  {
    name: 'b',
    params: [
      { name: 'x2', type: 'float', low: 0, high: 1 },
      { name: 'x3', type: 'float', low: 0, high: 1 },
    ],
  },
]);

function uniform(count: number, d: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: d }, random));
}

const f = (p: readonly number[]): number =>
  Math.sin(4 * p[0]!) + Math.cos(3 * p[1]!) - (p[2]! - 0.4) ** 2 + 0.5 * p[3]! * p[0]!;

/** The objective GP, on more observations than the bound needs. */
function objectiveModel(n: number): GaussianProcess {
  const x = uniform(n, 4, 11);
  return GaussianProcess.fromHyperparameters(x, x.map(f), {
    lengthscales: [0.4, 0.5, 0.6, 0.8],
    outputScale: 1,
    noise: 1e-3,
    mean: 0,
  });
}

/** A stage's log-cost model on its two dims: `level` ± a slope. */
function costModel(start: number, level: number): GaussianProcessCostModel {
  const x = uniform(12, 2, 20 + start);
  const gp = GaussianProcess.fromHyperparameters(
    x,
    x.map((p) => level + 0.5 * p[0]! - 0.3 * p[1]!),
    { lengthscales: [0.7, 0.7], outputScale: 0.2, noise: 1e-3, mean: level },
  );
  return new GaussianProcessCostModel(start, start + 2, gp);
}

/** A cached first stage; what it cost only counts with `keepReuseSaving`. */
function pinned(x0: number, x1: number, measuredCost: number): Prefix {
  return {
    delta: 1,
    stages: [{ x0, x1 }],
    encoded: Float64Array.of(x0, x1),
    pinnedEnd: 2,
    running: false,
    measuredCost,
  };
}

const pool: Prefix[] = [unpinnedPrefix(), pinned(0.35, 0.1, 4.5), pinned(0.4, 0.9, 0.5), pinned(0.8, 0.5, 9)];
const raw = uniform(256, 4, 5).map((p) => Float64Array.from(p));

function acquisitionOn(objective: GaussianProcess, eta: number, keepsReuseSaving = false): Acquisition {
  const best = Math.max(...uniform(objective.size, 4, 11).map(f));
  return new Acquisition(
    objective,
    objective,
    best,
    [costModel(0, 1.5), costModel(2, 0.5)],
    'stage',
    eta,
    0.1,
    quasiNormals(256, createRandom(4)),
    keepsReuseSaving,
  );
}

/** Every pair scored exactly, independently of pass 1 (one point at a time). */
function exactly(acquisition: Acquisition, scored: readonly ScoredPrefix[]): ScoredPrefix[] {
  return scored.map((entry) => ({
    ...entry,
    scores: Float64Array.from(entry.points, (x) => {
      const table = acquisition.usesCost ? acquisition.costTable([x]) : null;
      return acquisition.score([x], entry.prefix, table, acquisition.screen)[0]!;
    }),
    exact: new Uint8Array(entry.points.length).fill(1),
  }));
}

describe('scoreRawPairs', () => {
  const objective = objectiveModel(BOUND_MIN_POINTS + 16);

  it('screens with the variance bound from BOUND_MIN_POINTS observations on, on a quarter of them', () => {
    expect(boundRows(BOUND_MIN_POINTS - 1)).toBe(BOUND_MIN_POINTS - 1);
    expect(boundRows(objective.size)).toBe(Math.ceil(objective.size / 4));
  });

  const variants = [false, true].flatMap((keep) =>
    [1, 0.4, 0].flatMap((eta) =>
      (['shared', 'full', 'auto'] as UnpinnedSearch[]).map((unpinnedSearch) => ({ keep, eta, unpinnedSearch })),
    ),
  );
  for (const { keep, eta, unpinnedSearch } of variants) {
    const name = `η = ${eta}, unpinnedSearch '${unpinnedSearch}'${keep ? ', keepReuseSaving' : ''}`;
    it(`gives the outcome of scoring every pair exactly (${name})`, () => {
      const acquisition = acquisitionOn(objective, eta, keep);
      const settings = resolveSettings({ restarts: 6, startsPerPrefix: 2, unpinnedSearch });
      const { scored, costRows } = scoreRawPairs(acquisition, objective, pool, raw, false, settings);
      const reference = exactly(acquisition, scored);
      let inexact = 0;
      scored.forEach((entry, e) => {
        const truth = reference[e]!.scores;
        for (let r = 0; r < entry.scores.length; r++) {
          if (entry.exact[r] === 1) {
            expect(entry.scores[r]).toBe(truth[r]);
          } else {
            inexact++;
            // An inexact pair carries an upper bound of its α.
            expect(entry.scores[r]! + 1e-9 * Math.max(1, Math.abs(truth[r]!))).toBeGreaterThanOrEqual(truth[r]!);
          }
        }
      });
      // Many pairs were never scored exactly, and some raw points' cost terms never computed
      // (in 4 dimensions a quarter of 400 observations bounds the variance loosely; at n = 1000,
      // d = 20 nine pairs in ten are left out: docs/optimizer.md, "Speed").
      expect(inexact).toBeGreaterThan(pool.length * raw.length * 0.3);
      if (acquisition.usesCost) expect(costRows).toBeLessThan(raw.length);
      // Pass 2 starts from the same pairs, and the best candidate is the same.
      const fromPass1 = refineStarts(acquisition, encoding, scored, false, settings);
      const fromExact = refineStarts(acquisition, encoding, reference, false, settings);
      expect(fromPass1.refined.map((c) => [c.prefix.delta, ...c.x])).toEqual(
        fromExact.refined.map((c) => [c.prefix.delta, ...c.x]),
      );
      const first = new CandidateOrder(scored, fromPass1.refined, true).next()!;
      const firstExact = new CandidateOrder(reference, fromExact.refined, true).next()!;
      expect([first.prefix.delta, first.value, ...first.x]).toEqual([
        firstExact.prefix.delta,
        firstExact.value,
        ...firstExact.x,
      ]);
    });
  }

  it('scores every pair exactly below BOUND_MIN_POINTS when α has no cost term (plain EI)', () => {
    const small = objectiveModel(100);
    const acquisition = acquisitionOn(small, 0);
    const settings = resolveSettings({ restarts: 6, startsPerPrefix: 2 });
    const { scored } = scoreRawPairs(acquisition, small, pool, raw, false, settings);
    const reference = exactly(acquisition, scored);
    scored.forEach((entry, e) => {
      expect(Array.from(entry.scores)).toEqual(Array.from(reference[e]!.scores));
    });
  });
});
