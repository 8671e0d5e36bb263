import type { Random } from './prng.js';
import { normalQuantile } from './normal.js';
import { SobolSequence } from './sobol.js';

/**
 * `count` quasi-random standard normal draws: the first `count` points of a one-dimensional
 * scrambled Sobol sequence pushed through Φ⁻¹ (each point is moved to the centre of its 2^−32
 * cell first, so no draw is infinite). Used as common random numbers for Monte-Carlo means.
 */
export function quasiNormals(count: number, rng: Random): Float64Array {
  const u = new SobolSequence(1, { scramble: rng }).points(count);
  const z = new Float64Array(count);
  for (let i = 0; i < count; i++) z[i] = normalQuantile(u[i]! + 2 ** -33);
  return z;
}

/** One pseudo-random standard normal draw (inverse-CDF method, so one uniform per draw). */
export function sampleNormal(rng: Random): number {
  return normalQuantile(rng.next() + 2 ** -54);
}
