/**
 * Sobol low-discrepancy sequences in base 2 with 32-bit direction numbers (Joe & Kuo table
 * new-joe-kuo-6.21201, see `sobol-directions.ts`), generated in Gray-code order (Antonov &
 * Saleev), optionally scrambled by a random linear matrix scramble plus a random digital shift
 * (Matoušek, "On the L2-discrepancy for anchored boxes", J. Complexity 14, 1998; the same
 * scheme as SciPy's `qmc.Sobol(scramble=True)`). Both the matrix scramble and the shift keep the
 * (t, m, s)-net structure, so every block of 2^k consecutive points starting at a multiple of 2^k
 * stays balanced in each dimension.
 *
 * Notation: v_{j,k} is the k-th direction integer of dimension j (bit 31 = first binary digit);
 * point i in dimension j is x_{i,j} = ⊕_k g_k(i)·v_{j,k} / 2^32 with g(i) = i ⊕ (i >> 1).
 */
import type { Random } from './prng.js';
import { SOBOL_DIMENSIONS, SOBOL_INITIAL, SOBOL_POLYNOMIALS } from './sobol-directions.js';

const BITS = 32;
const TWO_POW_32 = 4294967296;

/** Largest supported dimension of {@link SobolSequence}. */
export const MAX_SOBOL_DIMENSION = SOBOL_DIMENSIONS;

/** Unscrambled 32-bit direction integers of dimension j (v[k] for k = 0..31). */
function directionIntegers(j: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (j === 0) {
    for (let k = 0; k < BITS; k++) v[k] = 2 ** (BITS - 1 - k);
    return v;
  }
  const poly = SOBOL_POLYNOMIALS[j]!;
  const m = SOBOL_INITIAL[j]!;
  const s = Math.floor(Math.log2(poly));
  const mk = new Array<number>(BITS);
  for (let k = 0; k < s && k < BITS; k++) mk[k] = m[k]!;
  // m_k = 2a_1 m_{k−1} ⊕ 2²a_2 m_{k−2} ⊕ … ⊕ 2^s m_{k−s} ⊕ m_{k−s}, with a_i the interior bits of
  // the primitive polynomial (Bratley & Fox, ACM TOMS 14, 1988, eq. 2).
  for (let k = s; k < BITS; k++) {
    let value = mk[k - s]! ^ (mk[k - s]! * 2 ** s);
    for (let i = 1; i < s; i++) {
      const ai = Math.floor(poly / 2 ** (s - i)) & 1;
      if (ai === 1) value ^= mk[k - i]! * 2 ** i;
    }
    mk[k] = value;
  }
  // m_k has at most k+1 bits; v_k = m_k · 2^(31−k).
  for (let k = 0; k < BITS; k++) v[k] = (mk[k]! * 2 ** (BITS - 1 - k)) >>> 0;
  return v;
}

function parity32(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** Options of {@link SobolSequence}. */
export interface SobolOptions {
  /** Generator for the scramble; omitted → the plain (unscrambled) Sobol sequence. */
  readonly scramble?: Random;
}

/** A (scrambled) Sobol sequence in [0, 1)^dimension with random access by index. */
export class SobolSequence {
  readonly dimension: number;
  /** Direction integers, dimension-major: v[j * 32 + k]. */
  private readonly v: Uint32Array;
  private readonly shift: Uint32Array;

  /**
   * @throws {RangeError} when dimension is not an integer in [1, MAX_SOBOL_DIMENSION].
   */
  constructor(dimension: number, options: SobolOptions = {}) {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_SOBOL_DIMENSION) {
      throw new RangeError(`sobol dimension must be in 1..${MAX_SOBOL_DIMENSION}`);
    }
    this.dimension = dimension;
    this.v = new Uint32Array(dimension * BITS);
    this.shift = new Uint32Array(dimension);
    const rng = options.scramble;
    for (let j = 0; j < dimension; j++) {
      const base = directionIntegers(j);
      if (rng === undefined) {
        this.v.set(base, j * BITS);
        continue;
      }
      // Lower-triangular binary matrix L with unit diagonal: output digit r (bit 31−r) is the
      // parity of (row_r & input), row_r = own digit + random digits of the leading r digits.
      const rows = new Uint32Array(BITS);
      for (let r = 0; r < BITS; r++) {
        const own = 2 ** (BITS - 1 - r);
        const higher = r === 0 ? 0 : (TWO_POW_32 - 2 * own) >>> 0; // bits above `own`
        rows[r] = ((rng.nextUint32() & higher) | own) >>> 0;
      }
      for (let k = 0; k < BITS; k++) {
        const input = base[k]!;
        let out = 0;
        for (let r = 0; r < BITS; r++) {
          if (parity32(rows[r]! & input) === 1) out += 2 ** (BITS - 1 - r);
        }
        this.v[j * BITS + k] = out >>> 0;
      }
      this.shift[j] = rng.nextUint32();
    }
  }

  /**
   * Points start, …, start+count−1 as rows of a count×dimension row-major array.
   * @throws {RangeError} when the range leaves [0, 2^32).
   */
  points(count: number, start = 0): Float64Array {
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(start) || start < 0) {
      throw new RangeError('count and start must be non-negative integers');
    }
    if (start + count > TWO_POW_32) throw new RangeError('sobol index must be below 2^32');
    const d = this.dimension;
    const out = new Float64Array(count * d);
    if (count === 0) return out;
    // State of point `start` directly from its Gray code, then one XOR per further point.
    const state = new Uint32Array(d);
    const gray = (start ^ Math.floor(start / 2)) >>> 0;
    for (let j = 0; j < d; j++) {
      let x = this.shift[j]!;
      for (let k = 0; k < BITS; k++) {
        if (((gray >>> k) & 1) === 1) x ^= this.v[j * BITS + k]!;
      }
      state[j] = x >>> 0;
    }
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        // Gray code of index changes in the bit of the lowest zero bit of index − 1.
        const prev = start + i - 1;
        const k = lowestZeroBit(prev);
        for (let j = 0; j < d; j++) state[j] = (state[j]! ^ this.v[j * BITS + k]!) >>> 0;
      }
      for (let j = 0; j < d; j++) out[i * d + j] = state[j]! / TWO_POW_32;
    }
    return out;
  }

  /** Point `index` as a fresh array. */
  point(index: number): Float64Array {
    return this.points(1, index);
  }
}

function lowestZeroBit(n: number): number {
  let k = 0;
  while (n % 2 === 1) {
    n = (n - 1) / 2;
    k++;
  }
  return k;
}
