/**
 * Dense symmetric positive-definite linear algebra on row-major `Float64Array`s.
 *
 * Notation: `a` is an n×n symmetric matrix stored row-major (`a[i * n + j]`), only its lower
 * triangle is read. `l` is its lower Cholesky factor, A = L·Lᵀ, stored row-major n×n with the
 * strict upper triangle zero. Every routine walks rows of `l` (contiguous memory) in its inner
 * loop: the textbook column-oriented loops stride by n and are several times slower in JS.
 */

/**
 * Cholesky factorization without pivoting (Cholesky–Banachiewicz, row by row, four rows at a
 * time so each row of L already computed is loaded once per four dot products).
 *
 * @param a - n×n symmetric matrix, row-major; only the lower triangle (j ≤ i) is read.
 * @param n - order of the matrix.
 * @param shift - added to every diagonal element of `a` before factorizing (jitter).
 * @param out - optional n×n output buffer (may not alias `a`).
 * @returns the factor L, or `null` when a pivot is not positive and finite (A + shift·I is not
 *   numerically positive definite).
 */
export function cholesky(
  a: Float64Array,
  n: number,
  shift = 0,
  out?: Float64Array,
): Float64Array | null {
  const l = out ?? new Float64Array(n * n);
  if (out !== undefined) l.fill(0);
  let i0 = 0;
  for (; i0 + 4 <= n; i0 += 4) {
    const r0 = i0 * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    // Columns left of the 4×4 diagonal block: four dot products share each row j of L.
    for (let j = 0; j < i0; j++) {
      const rj = j * n;
      let s0 = a[r0 + j]!;
      let s1 = a[r1 + j]!;
      let s2 = a[r2 + j]!;
      let s3 = a[r3 + j]!;
      for (let k = 0; k < j; k++) {
        const ljk = l[rj + k]!;
        s0 -= l[r0 + k]! * ljk;
        s1 -= l[r1 + k]! * ljk;
        s2 -= l[r2 + k]! * ljk;
        s3 -= l[r3 + k]! * ljk;
      }
      const inv = 1 / l[rj + j]!;
      l[r0 + j] = s0 * inv;
      l[r1 + j] = s1 * inv;
      l[r2 + j] = s2 * inv;
      l[r3 + j] = s3 * inv;
    }
    if (!diagonalBlock(a, l, n, i0, 4, shift)) return null;
  }
  if (i0 < n) {
    for (let i = i0; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j < i0; j++) {
        const rj = j * n;
        let s = a[ri + j]!;
        for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
        l[ri + j] = s / l[rj + j]!;
      }
    }
    if (!diagonalBlock(a, l, n, i0, n - i0, shift)) return null;
  }
  return l;
}

/** Finishes rows i0..i0+size-1 inside their diagonal block (columns i0..i). */
function diagonalBlock(
  a: Float64Array,
  l: Float64Array,
  n: number,
  i0: number,
  size: number,
  shift: number,
): boolean {
  for (let i = i0; i < i0 + size; i++) {
    const ri = i * n;
    for (let j = i0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      if (j === i) {
        s += shift;
        // `!(s > 0)` also rejects NaN.
        if (!(s > 0) || !Number.isFinite(s)) return false;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j]!;
      }
    }
  }
  return true;
}

/** Result of {@link robustCholesky}. */
export interface CholeskyResult {
  /** Lower factor of A + jitter·I, row-major n×n. */
  readonly l: Float64Array;
  /** Absolute amount added to the diagonal (0 when the plain factorization succeeded). */
  readonly jitter: number;
}

/** Relative jitter levels tried in order (times the mean absolute diagonal). */
const JITTER_LEVELS = [1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4] as const;

/**
 * Cholesky with jitter escalation: tries A, then A + τ·mean|diag(A)|·I for
 * τ = 1e-10, 1e-9, …, 1e-4 until the factorization succeeds.
 *
 * @returns the factor and the absolute jitter used, or `null` if every level failed (only for
 *   non-finite entries or a matrix far from positive definite).
 */
export function tryRobustCholesky(a: Float64Array, n: number): CholeskyResult | null {
  const out = new Float64Array(n * n);
  if (cholesky(a, n, 0, out) !== null) return { l: out, jitter: 0 };
  let scale = 0;
  for (let i = 0; i < n; i++) scale += Math.abs(a[i * n + i]!);
  scale = n > 0 ? scale / n : 0;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  for (const tau of JITTER_LEVELS) {
    const jitter = tau * scale;
    if (cholesky(a, n, jitter, out) !== null) return { l: out, jitter };
  }
  return null;
}

/**
 * {@link tryRobustCholesky} that throws instead of returning `null`.
 *
 * @throws {RangeError} 'matrix is not positive definite (even with jitter 1e-4)'
 */
export function robustCholesky(a: Float64Array, n: number): CholeskyResult {
  const result = tryRobustCholesky(a, n);
  if (result === null) throw new RangeError('matrix is not positive definite (even with jitter 1e-4)');
  return result;
}

/**
 * Solves L·x = b in place (forward substitution); `b` becomes x.
 * @param l - lower factor, row-major n×n.
 */
export function solveLowerInPlace(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[ri + k]! * b[k]!;
    b[i] = s / l[ri + i]!;
  }
  return b;
}

/**
 * Solves Lᵀ·x = b in place (back substitution); `b` becomes x. Column-oriented so that the
 * inner loop walks a row of `l`.
 */
export function solveLowerTransposeInPlace(
  l: Float64Array,
  n: number,
  b: Float64Array,
): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const xi = b[i]! / l[ri + i]!;
    b[i] = xi;
    for (let k = 0; k < i; k++) b[k] = b[k]! - l[ri + k]! * xi;
  }
  return b;
}

/** Solves A·x = b with A = L·Lᵀ in place. */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): Float64Array {
  solveLowerInPlace(l, n, b);
  return solveLowerTransposeInPlace(l, n, b);
}

/**
 * Forward substitution for many right-hand sides at once: solves L·V = B where B is n×m stored
 * row-major (`b[i * m + p]`, one column per right-hand side); B is overwritten by V.
 * Loading each row of L once per block of m right-hand sides turns the memory-bound
 * vector solve into an arithmetic-bound one.
 */
export function solveLowerManyInPlace(
  l: Float64Array,
  n: number,
  b: Float64Array,
  m: number,
): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const bi = i * m;
    let k = 0;
    // Four rows of V per sweep over the accumulator row: a quarter of the loads and stores.
    for (; k + 4 <= i; k += 4) {
      const l0 = l[ri + k]!;
      const l1 = l[ri + k + 1]!;
      const l2 = l[ri + k + 2]!;
      const l3 = l[ri + k + 3]!;
      const b0 = k * m;
      const b1 = b0 + m;
      const b2 = b1 + m;
      const b3 = b2 + m;
      for (let p = 0; p < m; p++) {
        b[bi + p] = b[bi + p]! - (l0 * b[b0 + p]! + l1 * b[b1 + p]! + l2 * b[b2 + p]! + l3 * b[b3 + p]!);
      }
    }
    for (; k < i; k++) {
      const lk = l[ri + k]!;
      const bk = k * m;
      for (let p = 0; p < m; p++) b[bi + p] = b[bi + p]! - lk * b[bk + p]!;
    }
    const inv = 1 / l[ri + i]!;
    for (let p = 0; p < m; p++) b[bi + p] = b[bi + p]! * inv;
  }
  return b;
}

/**
 * A⁻¹ from its Cholesky factor: M = L⁻¹ row by row, then A⁻¹ = Mᵀ·M accumulated as a sum of
 * outer products of the rows of M (every inner loop contiguous). Returns the full symmetric
 * n×n matrix, both halves filled from the same value.
 */
export function inverseFromCholesky(l: Float64Array, n: number, out?: Float64Array): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    // Row i of L⁻¹: (e_i − Σ_{k<i} L_ik · M_k) / L_ii, and M_k is zero right of column k.
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k]!;
      if (lik === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) m[ri + j] = m[ri + j]! - lik * m[rk + j]!;
    }
    const inv = 1 / l[ri + i]!;
    for (let j = 0; j < i; j++) m[ri + j] = m[ri + j]! * inv;
    m[ri + i] = inv;
  }
  const a = out ?? new Float64Array(n * n);
  a.fill(0);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = m[rk + i]!;
      if (mki === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) a[ri + j] = a[ri + j]! + mki * m[rk + j]!;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
  }
  return a;
}

/**
 * Appends one row/column to a Cholesky factor in O(n²): given L with A = L·Lᵀ (n×n), the new
 * matrix [[A, c], [cᵀ, d]] has factor [[L, 0], [wᵀ, √(d − wᵀw)]] with L·w = c.
 *
 * @returns the (n+1)×(n+1) factor, or `null` when d − wᵀw is not positive (the new point is
 *   numerically a duplicate without enough noise); the caller then refactorizes with jitter.
 */
export function choleskyAppend(
  l: Float64Array,
  n: number,
  c: ArrayLike<number>,
  d: number,
): Float64Array | null {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = c[i]!;
  solveLowerInPlace(l, n, w);
  let s = d;
  for (let i = 0; i < n; i++) s -= w[i]! * w[i]!;
  if (!(s > 0) || !Number.isFinite(s)) return null;
  const n1 = n + 1;
  const out = new Float64Array(n1 * n1);
  for (let i = 0; i < n; i++) out.set(l.subarray(i * n, i * n + i + 1), i * n1);
  out.set(w, n * n1);
  out[n * n1 + n] = Math.sqrt(s);
  return out;
}

/** log det(A) = 2·Σ log L_ii. */
export function logDeterminantFromCholesky(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}
