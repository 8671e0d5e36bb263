/**
 * The benchmark harness's generator (bootstrap resampling and test sampling): the project's
 * {@link mulberry32} from src/random with an integer helper. Not for cryptography; same seed →
 * same stream.
 */
import { mulberry32 } from '../random/index.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Creates a seeded generator; seeds are taken modulo 2³². */
export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  return { next, int: (n) => Math.floor(next() * n) };
}
