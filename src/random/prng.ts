/**
 * The project's seeded pseudo-random numbers — every random choice in src/ draws from here.
 *
 * {@link createRandom}: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47, 2021) on 32-bit integer arithmetic, seeded by hashing a list of safe
 * integers with the SplitMix32-style finalizer of MurmurHash3. Streams are named by integers, not
 * by consuming a parent generator, so that a caller can derive an independent stream for (seed,
 * iteration, purpose) without any hidden order dependence: `createRandom(seed, historyLength,
 * STREAM_SOBOL)` is the same generator in every process.
 *
 * {@link mulberry32}: a one-word generator on a single 32-bit seed, for the few places that only
 * need a short reproducible stream (the GP's restart points and fitting subset, the benchmark
 * harness's bootstrap and sampling). It is kept beside xoshiro128** rather than replaced by it
 * because those streams are part of every fitted GP, hence of every recorded benchmark trial.
 */

/** A seeded source of uniform random numbers. Not cryptographic. */
export interface Random {
  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number;
  /**
   * Uniform integer in [0, n).
   * @throws {RangeError} when n is not a positive safe integer.
   */
  nextInt(n: number): number;
}

/** Finalizer of MurmurHash3 (fmix32): a bijection on uint32 with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a list of safe integers into `count` well-mixed uint32 words (never all zero).
 * @throws {RangeError} when a part is not a safe integer.
 */
export function hashIntegers(parts: readonly number[], count: number): Uint32Array {
  const words: number[] = [parts.length];
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new RangeError('seed must be a safe integer');
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    words.push(lo, hi);
  }
  const out = new Uint32Array(count);
  let h = 0x9e3779b9;
  for (const word of words) h = fmix32((h ^ word) + 0x9e3779b9);
  for (let i = 0; i < count; i++) {
    h = fmix32(h + 0x9e3779b9 * (i + 1));
    out[i] = h;
  }
  if (out.every((w) => w === 0)) out[0] = 1;
  return out;
}

class Xoshiro128 implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: Uint32Array) {
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  nextInt(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError('n must be a positive integer');
    return Math.floor(this.next() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates an independent generator for the stream named by `parts` (e.g. seed, iteration,
 * purpose). Equal parts give equal sequences in every process and platform.
 *
 * @throws {RangeError} when a part is not a safe integer.
 */
export function createRandom(...parts: number[]): Random {
  return new Xoshiro128(hashIntegers(parts, 4));
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): uniform doubles in [0, 1) with 32 random bits
 * from a single seed, taken modulo 2³². Same seed → same stream in every process.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
