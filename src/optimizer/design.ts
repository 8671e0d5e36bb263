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
 * Warm-up design point `index`: the index-th *distinct* decoded point of a scrambled Sobol
 * sequence whose scramble depends on the seed only. It is therefore a function of
 * (seed, space, index) alone — identical for every method — except that a design point already
 * present in `observed` (a hand-made history) is skipped in favour of the next one.
 *
 * @returns the configuration and whether the space had to repeat an observed point (exhausted).
 */
export function designPoint(
  encoding: SpaceEncoding,
  seed: number,
  index: number,
  observed: ReadonlySet<string>,
): { config: Configuration; exhausted: boolean } {
  const sobol = new SobolSequence(encoding.dimension, { scramble: createRandom(seed, STREAM_WARMUP) });
  const seen = new Set<string>();
  let distinct = 0;
  let first: Configuration | undefined;
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
      if (distinct++ < index) continue;
      if (!observed.has(key)) return { config, exhausted: false };
    }
    if (seen.size >= encoding.cardinality) break;
  }
  // Every distinct design point is already observed: the space is exhausted.
  return { config: first!, exhausted: true };
}

/**
 * A uniformly random configuration (the `random` method), re-drawn while it repeats an observed
 * one; stream keyed by (seed, history length).
 */
export function randomPoint(
  encoding: SpaceEncoding,
  seed: number,
  historyLength: number,
  observed: ReadonlySet<string>,
): { config: Configuration; exhausted: boolean } {
  const rng = createRandom(seed, historyLength, STREAM_RANDOM);
  if (encoding.cardinality <= ENUMERATION_LIMIT) {
    // Small finite space: draw uniformly among the configurations not yet observed.
    const all = encoding.enumerate(ENUMERATION_LIMIT);
    const fresh = all.filter((config) => !observed.has(configKey(config)));
    if (fresh.length === 0) return { config: all[rng.nextInt(all.length)]!, exhausted: true };
    return { config: fresh[rng.nextInt(fresh.length)]!, exhausted: false };
  }
  const u = new Float64Array(encoding.dimension);
  let first: Configuration | undefined;
  for (let attempt = 0; attempt < MAX_SKIPS; attempt++) {
    for (let j = 0; j < u.length; j++) u[j] = rng.next();
    const config = encoding.decode(u);
    first ??= config;
    if (!observed.has(configKey(config))) return { config, exhausted: false };
  }
  return { config: first!, exhausted: true };
}
