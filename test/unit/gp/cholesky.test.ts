import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskyAppend,
  createWasmKernels,
  choleskySolveInPlace,
  inverseFromCholesky,
  logDeterminantFromCholesky,
  robustCholesky,
  setWasmEnabled,
  solveLowerInPlace,
  solveLowerRowsInPlace,
  solveLowerTransposeInPlace,
  tryRobustCholesky,
  tryRobustCholeskyWasm,
} from '../../../src/linalg/index.js';
import { KERNELS_WAT_SHA256 } from '../../../src/linalg/wasm-kernels.js';
import { mulberry32 } from '../../../src/random/index.js';

/** B·Bᵀ + ridge·I for a random n×n B: symmetric positive definite. */
function randomSpd(n: number, seed: number, ridge = 0.1): Float64Array {
  const random = mulberry32(seed);
  const b = Float64Array.from({ length: n * n }, () => random() - 0.5);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = i === j ? ridge : 0;
      for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return a;
}

function multiplyLLt(l: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += l[i * n + k]! * l[j * n + k]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function matVec(a: Float64Array, n: number, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k]! * x[k]!;
    out[i] = s;
  }
  return out;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 33, 100];

describe('cholesky', () => {
  it.each(SIZES)('reconstructs A = L·Lᵀ with a lower-triangular L (n = %i)', (n) => {
    const a = randomSpd(n, n);
    const l = cholesky(a, n);
    expect(l).not.toBeNull();
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) expect(l![i * n + j]).toBe(0);
      expect(l![i * n + i]).toBeGreaterThan(0);
    }
    expect(maxAbsDiff(multiplyLLt(l!, n), a)).toBeLessThan(1e-12 * n);
  });

  it('agrees with ml-matrix', () => {
    const n = 23;
    const a = randomSpd(n, 99);
    const rows = Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n)));
    const reference = new CholeskyDecomposition(new Matrix(rows)).lowerTriangularMatrix;
    const l = cholesky(a, n)!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expect(l[i * n + j]).toBeCloseTo(reference.get(i, j), 12);
    }
  });

  it('reads only the lower triangle', () => {
    const n = 9;
    const a = randomSpd(n, 5);
    const lowerOnly = a.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lowerOnly[i * n + j] = Number.NaN;
    expect(Array.from(cholesky(lowerOnly, n)!)).toEqual(Array.from(cholesky(a, n)!));
  });

  it('returns null for an indefinite matrix and for NaN entries', () => {
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
    expect(cholesky(Float64Array.from([1, 0, Number.NaN, 1]), 2)).toBeNull();
  });

  it('adds the shift to the diagonal', () => {
    const n = 6;
    const a = randomSpd(n, 8);
    const shifted = a.slice();
    for (let i = 0; i < n; i++) shifted[i * n + i] = shifted[i * n + i]! + 0.5;
    expect(maxAbsDiff(cholesky(a, n, 0.5)!, cholesky(shifted, n)!)).toBeLessThan(1e-14);
  });

  it('reuses an output buffer', () => {
    const n = 5;
    const out = new Float64Array(n * n).fill(7);
    const l = cholesky(randomSpd(n, 3), n, 0, out);
    expect(l).toBe(out);
    expect(out[1]).toBe(0);
  });
});

describe('robustCholesky', () => {
  it('needs no jitter for a well-conditioned matrix', () => {
    const n = 12;
    const result = robustCholesky(randomSpd(n, 1), n);
    expect(result.jitter).toBe(0);
  });

  it('escalates jitter for a singular matrix and reports it', () => {
    // Rank-1 matrix v·vᵀ: positive semi-definite but singular.
    const n = 8;
    const v = Array.from({ length: n }, (_, i) => 1 + i / n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = v[i]! * v[j]!;
    const { l, jitter } = robustCholesky(a, n);
    let meanDiagonal = 0;
    for (let i = 0; i < n; i++) meanDiagonal += a[i * n + i]! / n;
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThanOrEqual(1e-4 * meanDiagonal);
    const shifted = a.slice();
    for (let i = 0; i < n; i++) shifted[i * n + i] = shifted[i * n + i]! + jitter;
    expect(maxAbsDiff(multiplyLLt(l, n), shifted)).toBeLessThan(1e-12);
  });

  it('throws a RangeError when even the largest jitter fails', () => {
    expect(() => robustCholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(
      new RangeError('matrix is not positive definite (even with jitter 1e-4)'),
    );
    expect(tryRobustCholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });
});

describe('triangular solves', () => {
  const n = 37;
  const a = randomSpd(n, 11);
  const l = cholesky(a, n)!;
  const random = mulberry32(12);
  const b = Float64Array.from({ length: n }, () => random() - 0.5);

  it('solves L·x = b', () => {
    const x = solveLowerInPlace(l, n, b.slice());
    const lx = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) lx[i] = lx[i]! + l[i * n + k]! * x[k]!;
    expect(maxAbsDiff(lx, b)).toBeLessThan(1e-12);
  });

  it.each([36, 37])('solves Lᵀ·x = b (n = %i)', (size) => {
    const m = randomSpd(size, size + 100);
    const f = cholesky(m, size)!;
    const rhs = b.subarray(0, size).slice();
    const x = solveLowerTransposeInPlace(f, size, rhs.slice());
    const ltx = new Float64Array(size);
    for (let i = 0; i < size; i++) for (let k = i; k < size; k++) ltx[i] = ltx[i]! + f[k * size + i]! * x[k]!;
    expect(maxAbsDiff(ltx, rhs)).toBeLessThan(1e-12);
  });

  it('solves A·x = b through the factor', () => {
    const x = choleskySolveInPlace(l, n, b.slice());
    expect(maxAbsDiff(matVec(a, n, x), b)).toBeLessThan(1e-10);
  });

  it.each([1, 3, 4, 5, 8, 11])('solves %i right-hand sides at once, bit-identical to one at a time', (count) => {
    const rhs = Float64Array.from({ length: count * n }, () => random() - 0.5);
    const many = solveLowerRowsInPlace(l, n, rhs.slice(), count);
    for (let p = 0; p < count; p++) {
      const single = solveLowerInPlace(l, n, rhs.slice(p * n, p * n + n));
      expect(Array.from(many.subarray(p * n, p * n + n))).toEqual(Array.from(single));
    }
  });
});

describe('inverseFromCholesky', () => {
  it.each([1, 2, 5, 6, 9, 40])('returns a symmetric A⁻¹ with A·A⁻¹ ≈ I (n = %i)', (n) => {
    const a = randomSpd(n, 40 + n);
    const inv = inverseFromCholesky(cholesky(a, n)!, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        expect(inv[i * n + j]).toBe(inv[j * n + i]);
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-10);
      }
    }
  });
});

describe('choleskyAppend', () => {
  it('grows the factor by one row, matching a full factorization', () => {
    const n = 10;
    const big = randomSpd(n + 1, 77);
    const small = new Float64Array(n * n);
    for (let i = 0; i < n; i++) small.set(big.subarray(i * (n + 1), i * (n + 1) + n), i * n);
    const column = big.subarray(n * (n + 1), n * (n + 1) + n);
    const appended = choleskyAppend(cholesky(small, n)!, n, column, big[n * (n + 1) + n]!);
    expect(appended).not.toBeNull();
    expect(maxAbsDiff(appended!, cholesky(big, n + 1)!)).toBeLessThan(1e-12);
  });

  it('returns null when the new pivot is not positive (an exact duplicate, no noise)', () => {
    const a = Float64Array.from([2, 1, 1, 2]);
    expect(choleskyAppend(cholesky(a, 2)!, 2, [2, 1], 2)).toBeNull();
  });
});

describe('logDeterminantFromCholesky', () => {
  it('equals log det A', () => {
    const a = Float64Array.from([4, 2, 2, 3]);
    expect(logDeterminantFromCholesky(cholesky(a, 2)!, 2)).toBeCloseTo(Math.log(8), 14);
  });
});

describe('WebAssembly kernels', () => {
  it('were built from the current kernels.wat (rebuild with scripts/reference/build-wasm.mjs)', () => {
    const source = readFileSync(new URL('../../../src/linalg/kernels.wat', import.meta.url), 'utf8');
    expect(createHash('sha256').update(source).digest('hex')).toBe(KERNELS_WAT_SHA256);
  });

  it.each([1, 2, 7, 40, 41])('match the JS solves (n = %i)', (n) => {
    const kernels = createWasmKernels(n * n + 9 * n);
    expect(kernels).not.toBeNull();
    const { heap } = kernels!;
    const a = randomSpd(n, 500 + n);
    const l = cholesky(a, n)!;
    heap.set(l, 0);
    const random = mulberry32(n);
    // Four interleaved right-hand sides: bit-identical to the JS forward substitution.
    const rhs = Float64Array.from({ length: 4 * n }, () => random() - 0.5);
    const v = n * n;
    for (let k = 0; k < n; k++) for (let p = 0; p < 4; p++) heap[v + 4 * k + p] = rhs[p * n + k]!;
    kernels!.solve4(0, v, n);
    const js = solveLowerRowsInPlace(l, n, rhs.slice(), 4);
    for (let k = 0; k < n; k++) {
      for (let p = 0; p < 4; p++) expect(heap[v + 4 * k + p]).toBe(js[p * n + k]);
    }
    // Eight interleaved right-hand sides (the first four again, then their negatives).
    const rhs8 = Float64Array.from({ length: 8 * n }, (_, i) => (i < 4 * n ? rhs[i]! : -rhs[i - 4 * n]!));
    for (let k = 0; k < n; k++) for (let p = 0; p < 8; p++) heap[v + 8 * k + p] = rhs8[p * n + k]!;
    kernels!.solve8(0, v, n);
    const js8 = solveLowerRowsInPlace(l, n, rhs8.slice(), 8);
    for (let k = 0; k < n; k++) {
      for (let p = 0; p < 8; p++) expect(heap[v + 8 * k + p]).toBe(js8[p * n + k]);
    }
    // The first m rows alone (odd and even m): the full solve's first m entries, bit for bit, and
    // nothing past them written.
    for (const m of [0, 1, Math.floor(n / 2), n - 1]) {
      for (let k = 0; k < n; k++) for (let p = 0; p < 8; p++) heap[v + 8 * k + p] = rhs8[p * n + k]!;
      kernels!.solve8(0, v, n, m);
      for (let k = 0; k < n; k++) {
        for (let p = 0; p < 8; p++) expect(heap[v + 8 * k + p]).toBe(k < m ? js8[p * n + k] : rhs8[p * n + k]);
      }
    }
    // Two interleaved right-hand sides, forward and back: bit-identical to choleskySolveInPlace.
    for (let k = 0; k < n; k++) for (let p = 0; p < 2; p++) heap[v + 2 * k + p] = rhs[p * n + k]!;
    kernels!.solve2(0, v, n);
    for (let p = 0; p < 2; p++) {
      const js2 = choleskySolveInPlace(l, n, rhs.slice(p * n, (p + 1) * n));
      for (let k = 0; k < n; k++) expect(heap[v + 2 * k + p]).toBe(js2[k]);
    }
    // One right-hand side, forward then back substitution: equal to rounding.
    const b = n * n + 8 * n;
    const single = rhs.subarray(0, n);
    heap.set(single, b);
    kernels!.forward1(0, b, n);
    const forward = solveLowerInPlace(l, n, single.slice());
    expect(maxAbsDiff(heap.subarray(b, b + n), forward)).toBeLessThan(1e-12);
    kernels!.backward1(0, b, n);
    const backward = solveLowerTransposeInPlace(l, n, forward);
    expect(maxAbsDiff(heap.subarray(b, b + n), backward)).toBeLessThan(1e-12);
  });

  it.each([1, 2, 5, 16, 33])('sum the likelihood gradient terms like the JS loop, bit for bit (n = %i)', (n) => {
    const kernels = createWasmKernels(3 * n * n + n + 2)!;
    const { heap } = kernels;
    const random = mulberry32(700 + n);
    const [kinv, k, g, alpha] = [0, n * n, 2 * n * n, 3 * n * n];
    for (let i = 0; i < 3 * n * n + n; i++) heap[i] = random() - 0.3;
    const jsG = heap.slice(g, g + n * n);
    let traceW = 0;
    let sumWK = 0;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < a; b++) {
        const w = heap[alpha + a]! * heap[alpha + b]! - heap[kinv + a * n + b]!;
        sumWK += w * heap[k + a * n + b]!;
        jsG[a * n + b] = w * jsG[a * n + b]!;
      }
      traceW += heap[alpha + a]! * heap[alpha + a]! - heap[kinv + a * n + a]!;
    }
    kernels.gradientTerms(alpha, kinv, k, g, n, alpha + n);
    expect([heap[alpha + n], heap[alpha + n + 1]]).toEqual([traceW, sumWK]);
    expect(heap.slice(g, g + n * n)).toEqual(jsG);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 64, 101, 120])('factorize and invert like the JS code (n = %i)', (n) => {
    const kernels = createWasmKernels(3 * n * n)!;
    const a = randomSpd(n, 900 + n);
    const { heap } = kernels;
    heap.set(a, 0);
    expect(kernels.cholesky(0, n, 0)).toBe(true);
    const l = heap.slice(0, n * n);
    expect(maxAbsDiff(l, cholesky(a, n)!)).toBeLessThan(1e-12 * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    // Only the lower triangle is read: NaN above the diagonal changes nothing.
    heap.set(a, 0);
    for (let i = 0; i < n; i++) heap.fill(Number.NaN, i * n + i + 1, (i + 1) * n);
    expect(kernels.cholesky(0, n, 0)).toBe(true);
    expect(heap.slice(0, n * n)).toEqual(l);
    kernels.inverse(0, n * n, 2 * n * n, n);
    const reference = inverseFromCholesky(cholesky(a, n)!, n);
    let scale = 0;
    for (const v of reference) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        expect(Math.abs(heap[2 * n * n + i * n + j]! - reference[i * n + j]!)).toBeLessThan(1e-11 * scale);
      }
    }
    // The scratch needs no clearing: NaN in it (where the wrapper does not write) changes nothing.
    const inverse = heap.slice(2 * n * n, 3 * n * n);
    heap.fill(Number.NaN, n * n, 3 * n * n);
    kernels.inverse(0, n * n, 2 * n * n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) expect(heap[2 * n * n + i * n + j]).toBe(inverse[i * n + j]);
    }
  });

  it.each([
    [4, 5],
    [8, 13],
    [12, 12],
    [40, 41],
    [96, 101],
    [100, 120],
  ])(
    "continue a factorization from a row: the first rows of an m×m block's factor start the n×n factor, same bits (m = %i, n = %i)",
    (m, n) => {
      // The leading m×m block of a bigger matrix, factorized alone; its first rows (whole blocks of
      // four) then start the factorization of the whole: every row equals the one-call factor's.
      const a = randomSpd(n, 1300 + n);
      const kernels = createWasmKernels(2 * n * n)!;
      const { heap } = kernels;
      heap.set(a, 0);
      expect(kernels.cholesky(0, n, 0)).toBe(true);
      const whole = heap.slice(0, n * n);
      for (let i = 0; i < m; i++) heap.set(a.subarray(i * n, i * n + m), n * n + i * m);
      expect(kernels.cholesky(n * n, m, 0)).toBe(true);
      const from = m & ~3;
      heap.set(a, 0);
      for (let i = 0; i < from; i++) heap.set(heap.subarray(n * n + i * m, n * n + i * m + i + 1), i * n);
      expect(kernels.cholesky(0, n, 0, from)).toBe(true);
      expect(heap.slice(0, n * n)).toEqual(whole);
      expect(() => kernels.cholesky(0, n, 0, 2)).toThrow(/multiple of 4/);
    },
  );

  it('build the rows of K from row `from` only, with the same values', () => {
    const [n, d, from] = [23, 3, 9];
    const kernels = createWasmKernels(3 * n * n + n * d + 2 * n + 2)!;
    const { heap } = kernels;
    const random = mulberry32(77);
    const xt = 2 * n * n;
    for (let i = 0; i < n * d; i++) heap[xt + i] = random();
    const scratch = xt + n * d;
    kernels.pairs(xt, 0, -1, n, d, 1.7, scratch);
    const all = heap.slice(0, n * n);
    heap.fill(Number.NaN, n * n, 2 * n * n);
    kernels.pairs(xt, n * n, -1, n, d, 1.7, scratch, n * n, from);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < a; b++) {
        const value = heap[n * n + a * n + b];
        if (a < from) expect(value).toBeNaN();
        else expect(value).toBe(all[a * n + b]);
      }
    }
  });

  it('escalate jitter like robustCholesky and reject what it rejects', () => {
    const n = 8;
    const v = Array.from({ length: n }, (_, i) => 1 + i / n);
    const rankOne = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rankOne[i * n + j] = v[i]! * v[j]!;
    const kernels = createWasmKernels(n * n)!;
    const result = tryRobustCholeskyWasm(kernels, rankOne, n, 0);
    expect(result).not.toBeNull();
    expect(result!.jitter).toBe(robustCholesky(rankOne, n).jitter);
    expect(maxAbsDiff(result!.l, robustCholesky(rankOne, n).l)).toBeLessThan(1e-9);
    expect(tryRobustCholeskyWasm(kernels, Float64Array.from([1, 2, 2, 1]), 2, 0)).toBeNull();
    expect(tryRobustCholeskyWasm(kernels, Float64Array.from([1, 0, Number.NaN, 1]), 2, 0)).toBeNull();
  });

  it('can be switched off', () => {
    setWasmEnabled(false);
    try {
      expect(createWasmKernels(100)).toBeNull();
    } finally {
      setWasmEnabled(true);
    }
  });
});
