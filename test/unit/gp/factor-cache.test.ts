import { afterEach, describe, expect, it } from 'vitest';
import { FACTOR_CACHE_MIN_POINTS, FactorCache, factorCache } from '../../../src/gp/factor-cache.js';
import { GaussianProcess } from '../../../src/gp/index.js';
import { mulberry32 } from '../../../src/random/index.js';

const d = 3;
const hyperparameters = { lengthscales: [0.3, 0.6, 1.2], outputScale: 1.4, noise: 1e-3, mean: 0.1 };

function points(count: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: d }, () => random()));
}

function targets(x: number[][]): number[] {
  return x.map((p) => Math.sin(6 * p[0]!) + p[1]! * p[2]!);
}

/** Predictions (means and variances) of a GP on x at the query points. */
function predictions(x: number[][], queries: number[][]): number[] {
  const { mean, variance } = GaussianProcess.fromHyperparameters(x, targets(x), hyperparameters).predict(queries);
  return [...mean, ...variance];
}

afterEach(() => {
  factorCache.clear();
  factorCache.setLimit(1024 * 1024 * 1024);
});

describe('the GP factor cache', () => {
  const n = FACTOR_CACHE_MIN_POINTS;
  const x = points(n + 80, 1);
  const queries = points(24, 2);

  it('changes no bit of a prediction: growing histories, and one with a trial changed', () => {
    // Each history conditioned with the factors of the ones before it kept, then alone.
    const histories = [
      x.slice(0, n),
      x.slice(0, n + 1),
      x.slice(0, n + 3),
      x.slice(0, n + 7),
      // Trial 500 changed: the rows before it are reused, the rest recomputed.
      [...x.slice(0, 500), [0.5, 0.5, 0.5], ...x.slice(501, n + 9)],
      x.slice(0, n + 80),
    ];
    const kept = histories.map((history) => predictions(history, queries));
    expect(factorCache.bytes).toBeGreaterThan(0);
    factorCache.setLimit(0);
    expect(factorCache.bytes).toBe(0);
    histories.forEach((history, k) => expect(predictions(history, queries)).toEqual(kept[k]));
  });

  it('believes running trials in a large model by continuing its factor: the same bits without the cache, the mean kept', () => {
    const history = x.slice(0, n + 2);
    const running = x.slice(n + 2, n + 7);
    const believe = () => {
      const model = GaussianProcess.fromHyperparameters(history, targets(history), hyperparameters);
      const believed = model.believe(running);
      return { model: model.predict(queries), believed: believed.predict(queries), at: believed.predict(running) };
    };
    const kept = believe();
    factorCache.setLimit(0);
    const anew = believe();
    expect(kept.believed).toEqual(anew.believed);
    for (let i = 0; i < queries.length; i++) {
      expect(kept.believed.mean[i]).toBeCloseTo(kept.model.mean[i]!, 9);
      expect(kept.believed.variance[i]).toBeLessThanOrEqual(kept.model.variance[i]! + 1e-12);
    }
    // As if observed: the variance at a running trial is down to about the noise.
    for (const variance of kept.at.variance) expect(variance).toBeLessThan(1e-2);
  });

  it('keeps nothing below its size threshold, or for a factor that needed jitter', () => {
    predictions(x.slice(0, n - 1), queries);
    expect(factorCache.bytes).toBe(0);
    // Every point twice and no noise: K is singular, the factor needs jitter.
    const twice = x.slice(0, n / 2).flatMap((p) => [p, p]);
    const model = GaussianProcess.fromHyperparameters(twice, targets(twice), { ...hyperparameters, noise: 1e-16 });
    expect(model.predict(queries).mean.every(Number.isFinite)).toBe(true);
    expect(factorCache.bytes).toBe(0);
  });
});

describe('FactorCache', () => {
  const kernel = { d: 2, outputScale: 1, noise: 0.01 };
  const n = FACTOR_CACHE_MIN_POINTS + 6;
  const xs = Float64Array.from({ length: (n + 40) * 2 }, (_, i) => i / 7);
  /** A stand-in n×n factor whose entry (r, c) is r + c / 10_000 (only the copies are checked). */
  function factor(size: number): Float64Array {
    const l = new Float64Array(size * size);
    for (let r = 0; r < size; r++) for (let c = 0; c <= r; c++) l[r * size + c] = r + c / 10_000;
    return l;
  }

  /** Raw inputs standing for another history (their first rows differ). */
  const otherRaw = xs.map((value) => value + 1);

  it('finds the rows, in blocks of four, up to where the inputs first differ', () => {
    const cache = new FactorCache();
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    expect(cache.find(xs, n + 40, kernel)?.rows).toBe(n & ~3);
    const changed = xs.slice();
    changed[2 * 601 + 1] = -1;
    expect(cache.find(changed, n + 40, kernel)?.rows).toBe(600);
    expect(cache.find(xs, n + 40, { ...kernel, noise: 0.02 })).toBeNull();
    expect(cache.find(xs, n + 40, { ...kernel, outputScale: 2 })).toBeNull();
    const rows = cache.find(xs, n + 40, kernel)!;
    const target = new Float64Array((n + 40) * (n + 40));
    rows.copyInto(target, n + 40);
    expect(target[(n + 40) * 700 + 699]).toBe(700 + 699 / 10_000);
    expect(target[(n + 40) * 700 + 701]).toBe(0);
  });

  it('grows an entry it extends in place, and drops the least recently used beyond its bound', () => {
    const cache = new FactorCache();
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    const one = cache.bytes;
    const hit = cache.find(xs, n + 4, kernel);
    cache.keep(xs.subarray(0, (n + 4) * 2), xs, n + 4, kernel, factor(n + 4), hit);
    // Still one entry, with room for more rows: a second entry would double the bytes.
    expect(cache.bytes).toBeGreaterThan(one);
    expect(cache.bytes).toBeLessThan(1.7 * one);
    expect(cache.find(xs, n + 40, kernel)?.rows).toBe((n + 4) & ~3);
    const other = { ...kernel, noise: 0.5 };
    cache.keep(xs.subarray(0, n * 2), otherRaw, n, other, factor(n), null);
    cache.setLimit(cache.bytes - 1);
    expect(cache.find(xs, n, kernel)).toBeNull();
    expect(cache.find(xs, n, other)?.rows).toBe(n & ~3);
    cache.setLimit(0);
    expect(cache.bytes).toBe(0);
    expect(() => cache.setLimit(-1)).toThrow(/bytes/);
  });

  it('turns an entry it continued from part-way into the new factor, instead of adding one', () => {
    // Failed trials after the successes: each new success changes the rows from there on.
    const cache = new FactorCache();
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    const one = cache.bytes;
    const changed = xs.slice();
    changed[2 * 601] = -1;
    for (let step = 0; step < 5; step++) {
      const hit = cache.find(changed, n, kernel);
      expect(hit?.rows).toBe(step === 0 ? 600 : n & ~3);
      cache.keep(changed.subarray(0, n * 2), xs, n, kernel, factor(n), hit);
      expect(cache.bytes).toBe(one);
    }
    // The rows past 600 are the new matrix's now.
    expect(cache.find(xs, n, kernel)?.rows).toBe(600);
  });

  it('drops the factor of the same history under the hyperparameters before a refit', () => {
    const cache = new FactorCache();
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    cache.keep(xs.subarray(0, n * 2), otherRaw, n, { ...kernel, noise: 0.5 }, factor(n), null);
    const refitted = { ...kernel, outputScale: 3 };
    cache.keep(xs.subarray(0, n * 2), xs, n, refitted, factor(n), null);
    expect(cache.find(xs, n, kernel)).toBeNull();
    expect(cache.find(xs, n, refitted)?.rows).toBe(n & ~3);
    expect(cache.find(xs, n, { ...kernel, noise: 0.5 })?.rows).toBe(n & ~3);
  });

  it('keeps the factor of another study that only shares the warm-up (same space, same seed)', () => {
    const cache = new FactorCache();
    const sharedWarmup = xs.map((value, i) => (i < 10 * 2 ? value : value + 2));
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    const theirs = { ...kernel, outputScale: 3 };
    cache.keep(sharedWarmup.subarray(0, n * 2), sharedWarmup, n, theirs, factor(n), null);
    expect(cache.find(xs, n, kernel)?.rows).toBe(n & ~3);
    expect(cache.find(sharedWarmup, n, theirs)?.rows).toBe(n & ~3);
  });

  it('says which factor it could not keep because that factor alone is over the bound', () => {
    const cache = new FactorCache(1024 * 1024);
    expect(cache.takeTooLarge()).toBeNull();
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    expect(cache.bytes).toBe(0);
    const tooLarge = cache.takeTooLarge();
    expect(tooLarge).toMatchObject({ points: n, limitBytes: 1024 * 1024 });
    expect(tooLarge!.bytes).toBeGreaterThan(1024 * 1024);
    expect(cache.takeTooLarge()).toBeNull();
  });

  it('grows an entry only as far as its bound, so that it is not dropped for its own room', () => {
    const cache = new FactorCache();
    cache.keep(xs.subarray(0, n * 2), xs, n, kernel, factor(n), null);
    cache.setLimit(Math.ceil(cache.bytes * 1.02));
    const hit = cache.find(xs, n + 8, kernel);
    cache.keep(xs.subarray(0, (n + 8) * 2), xs, n + 8, kernel, factor(n + 8), hit);
    expect(cache.find(xs, n + 8, kernel)?.rows).toBe(n + 8 - ((n + 8) % 4));
  });
});
