import { canonicalJson } from '../core/canonical-json.js';
import type { Configuration } from '../core/types.js';
import { createRandom, SobolSequence } from '../random/index.js';
import type { SpaceEncoding } from '../space/index.js';
import { STREAM_RANDOM, STREAM_WARMUP } from './streams.js';

/** How many extra Sobol points to try when decoded points collide (small discrete spaces). */
const MAX_SKIPS = 4096;

/** Finite spaces up to this many configurations are enumerated instead of sampled. */
export const ENUMERATION_LIMIT = 4096;

/** Canonical key of a configuration: equal keys ⇔ exactly equal raw values. */
export function configKey(config: Configuration): string {
  return canonicalJson(config);
}

/**
 * Configurations a suggestion must not repeat, by {@link configKey}: those of finished trials and
 * those of trials still running. They are told apart because a space whose remaining
 * configurations are all running is not exhausted: the study should wait for them.
 */
export interface Exclusions {
  readonly observed: ReadonlySet<string>;
  readonly pending: ReadonlySet<string>;
  /**
   * The running configurations in the unit cube, for {@link nearPending}: the BO step treats a
   * candidate next to one of them as that running configuration. Absent: exact keys only.
   */
  readonly pendingPoints?: readonly Float64Array[];
}

/**
 * Half-width of the box around a running configuration (in the unit cube, every dimension) inside
 * which a candidate counts as that configuration. The believer lowers the acquisition at a running
 * point only to its noise level, so without it the search can settle a hair's breadth away — a
 * learning rate 2e-6 apart, run again at full cost — trial after trial while the first still runs.
 * 1e-3 of a log-scaled range of three decades is a factor of 1.007: no configuration worth running
 * apart from the running one.
 */
export const PENDING_RADIUS = 1e-3;

/**
 * Whether `config` lies within {@link PENDING_RADIUS} of a running configuration in every dimension
 * of the unit cube. Encodes it only when trials are running (a sequential step pays nothing).
 */
export function nearPending(encoding: SpaceEncoding, config: Configuration, excluded: Exclusions): boolean {
  const points = excluded.pendingPoints;
  if (points === undefined) return false;
  const x = encoding.encode(config);
  outer: for (const point of points) {
    for (let i = 0; i < point.length; i++) if (Math.abs(point[i]! - x[i]!) > PENDING_RADIUS) continue outer;
    return true;
  }
  return false;
}

/**
 * A configuration found by a search, with what it means: a fresh configuration (both flags false);
 * `exhausted` — every configuration the search could reach was observed, so `config` repeats one;
 * `waitForPending` — every reachable one is observed or running and `config` is a running one,
 * NOT to be run again (the study should wait for a running trial to finish and ask again).
 */
export interface Pick {
  readonly config: Configuration;
  readonly exhausted: boolean;
  readonly waitForPending: boolean;
}

/**
 * Warm-up design point `index`: the index-th *distinct* decoded point of a scrambled Sobol
 * sequence whose scramble depends on the seed only. It is therefore a function of
 * (seed, space, index) alone — identical for every method — except that a design point already
 * observed or running (a hand-made history, or a study whose trials run in parallel) is skipped in
 * favour of the next one. When none is left after `index` (a small finite space), an earlier
 * design point neither observed nor running is taken, else a running one with `waitForPending`.
 */
export function designPoint(encoding: SpaceEncoding, seed: number, index: number, excluded: Exclusions): Pick {
  const sobol = new SobolSequence(encoding.dimension, { scramble: createRandom(seed, STREAM_WARMUP) });
  const seen = new Set<string>();
  let distinct = 0;
  let first: Configuration | undefined;
  // Fallbacks when no fresh point follows `index`: a fresh earlier one (a hand-made history that
  // skipped it), else a running one (wait for it).
  let freshEarlier: Configuration | undefined;
  let firstRunning: Configuration | undefined;
  const limit = index + 1 + MAX_SKIPS;
  const batch = 64;
  for (let start = 0; start < limit; start += batch) {
    const count = Math.min(batch, limit - start);
    const points = sobol.points(count, start);
    for (let i = 0; i < count; i++) {
      const config = encoding.decode(points.subarray(i * encoding.dimension, (i + 1) * encoding.dimension));
      const key = configKey(config);
      if (seen.has(key)) continue;
      seen.add(key);
      first ??= config;
      const before = distinct++ < index;
      if (excluded.observed.has(key)) continue;
      if (excluded.pending.has(key)) firstRunning ??= config;
      else if (!before) return { config, exhausted: false, waitForPending: false };
      else freshEarlier ??= config;
    }
    if (seen.size >= encoding.cardinality) break;
  }
  if (freshEarlier !== undefined) return { config: freshEarlier, exhausted: false, waitForPending: false };
  if (firstRunning !== undefined) return { config: firstRunning, exhausted: false, waitForPending: true };
  // Every distinct design point is already observed: the space is exhausted.
  return { config: first!, exhausted: true, waitForPending: false };
}

/**
 * A uniformly random configuration (the `random` method), re-drawn while it repeats an observed
 * or running one; stream keyed by (seed, index of the trial being suggested).
 */
export function randomPoint(encoding: SpaceEncoding, seed: number, trialIndex: number, excluded: Exclusions): Pick {
  const rng = createRandom(seed, trialIndex, STREAM_RANDOM);
  const isFresh = (key: string): boolean => !excluded.observed.has(key) && !excluded.pending.has(key);
  if (encoding.cardinality <= ENUMERATION_LIMIT) {
    // Small finite space: draw uniformly among the configurations neither observed nor running.
    const all = encoding.enumerate(ENUMERATION_LIMIT);
    const fresh = all.filter((config) => isFresh(configKey(config)));
    if (fresh.length > 0) return { config: fresh[rng.nextInt(fresh.length)]!, exhausted: false, waitForPending: false };
    const running = all.find((config) => !excluded.observed.has(configKey(config)));
    if (running !== undefined) return { config: running, exhausted: false, waitForPending: true };
    return { config: all[rng.nextInt(all.length)]!, exhausted: true, waitForPending: false };
  }
  const u = new Float64Array(encoding.dimension);
  let first: Configuration | undefined;
  let firstRunning: Configuration | undefined;
  for (let attempt = 0; attempt < MAX_SKIPS; attempt++) {
    for (let j = 0; j < u.length; j++) u[j] = rng.next();
    const config = encoding.decode(u);
    first ??= config;
    const key = configKey(config);
    if (isFresh(key)) return { config, exhausted: false, waitForPending: false };
    if (!excluded.observed.has(key)) firstRunning ??= config;
  }
  if (firstRunning !== undefined) return { config: firstRunning, exhausted: false, waitForPending: true };
  return { config: first!, exhausted: true, waitForPending: false };
}
