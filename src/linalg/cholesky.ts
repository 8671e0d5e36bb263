/**
 * Dense symmetric positive-definite linear algebra on row-major `Float64Array`s.
 *
 * Notation: `a` is an n×n symmetric matrix stored row-major (`a[i * n + j]`), only its lower
 * triangle is read. `l` is its lower Cholesky factor, A = L·Lᵀ, stored row-major n×n with the
 * strict upper triangle zero. Every routine walks rows of `l` (contiguous memory) in its inner
 * loop: the textbook column-oriented loops stride by n and are several times slower in JS.
 */

/**
 * Cholesky factorization without pivoting (Cholesky–Banachiewicz, row by row). Register-blocked:
 * four rows of L against two earlier rows at a time, so each loaded element feeds two or four
 * multiply-adds (about 3× faster than the one-row loop in V8).
 *
 * @param a - n×n symmetric matrix, row-major; only the lower triangle (j ≤ i) is read.
 * @param n - order of the matrix.
 * @param shift - added to every diagonal element of `a` before factorizing (jitter).
 * @param out - optional n×n output buffer (may not alias `a`).
 * @returns the factor L, or `null` when a pivot is not finite or ≤ 1e-14 times its diagonal
 *   entry (A + shift·I is not numerically positive definite).
 */
export function cholesky(a: Float64Array, n: number, shift = 0, out?: Float64Array): Float64Array | null {
  const l = out ?? new Float64Array(n * n);
  if (out !== undefined) l.fill(0);
  for (let i0 = 0; i0 < n; i0 += 4) {
    if (i0 + 4 <= n) {
      const r0 = i0 * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      let j = 0;
      // Columns left of the 4×4 diagonal block, two at a time.
      for (; j + 2 <= i0; j += 2) {
        const rj = j * n;
        const rk = rj + n;
        let s00 = a[r0 + j]!;
        let s10 = a[r1 + j]!;
        let s20 = a[r2 + j]!;
        let s30 = a[r3 + j]!;
        let s01 = a[r0 + j + 1]!;
        let s11 = a[r1 + j + 1]!;
        let s21 = a[r2 + j + 1]!;
        let s31 = a[r3 + j + 1]!;
        for (let k = 0; k < j; k++) {
          const x0 = l[rj + k]!;
          const x1 = l[rk + k]!;
          const a0 = l[r0 + k]!;
          const a1 = l[r1 + k]!;
          const a2 = l[r2 + k]!;
          const a3 = l[r3 + k]!;
          s00 -= a0 * x0;
          s01 -= a0 * x1;
          s10 -= a1 * x0;
          s11 -= a1 * x1;
          s20 -= a2 * x0;
          s21 -= a2 * x1;
          s30 -= a3 * x0;
          s31 -= a3 * x1;
        }
        const inv0 = 1 / l[rj + j]!;
        const v0 = s00 * inv0;
        const v1 = s10 * inv0;
        const v2 = s20 * inv0;
        const v3 = s30 * inv0;
        l[r0 + j] = v0;
        l[r1 + j] = v1;
        l[r2 + j] = v2;
        l[r3 + j] = v3;
        // Column j + 1 still lacks the k = j term.
        const x1 = l[rk + j]!;
        const inv1 = 1 / l[rk + j + 1]!;
        l[r0 + j + 1] = (s01 - v0 * x1) * inv1;
        l[r1 + j + 1] = (s11 - v1 * x1) * inv1;
        l[r2 + j + 1] = (s21 - v2 * x1) * inv1;
        l[r3 + j + 1] = (s31 - v3 * x1) * inv1;
      }
      for (; j < i0; j++) {
        const rj = j * n;
        let s0 = a[r0 + j]!;
        let s1 = a[r1 + j]!;
        let s2 = a[r2 + j]!;
        let s3 = a[r3 + j]!;
        for (let k = 0; k < j; k++) {
          const x = l[rj + k]!;
          s0 -= l[r0 + k]! * x;
          s1 -= l[r1 + k]! * x;
          s2 -= l[r2 + k]! * x;
          s3 -= l[r3 + k]! * x;
        }
        const inv = 1 / l[rj + j]!;
        l[r0 + j] = s0 * inv;
        l[r1 + j] = s1 * inv;
        l[r2 + j] = s2 * inv;
        l[r3 + j] = s3 * inv;
      }
      if (!diagonalBlock(a, l, n, i0, 4, shift)) return null;
    } else {
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
  }
  return l;
}

/** Smallest accepted pivot, relative to its diagonal entry (the matrix's condition ≲ 1e14). */
const MIN_RELATIVE_PIVOT = 1e-14;

/** Finishes rows i0..i0+size-1 inside their diagonal block (columns i0..i). */
function diagonalBlock(a: Float64Array, l: Float64Array, n: number, i0: number, size: number, shift: number): boolean {
  for (let i = i0; i < i0 + size; i++) {
    const ri = i * n;
    for (let j = i0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      if (j === i) {
        s += shift;
        // A pivot at rounding level of its diagonal entry means a numerically singular matrix:
        // accepting it would give a wildly ill-conditioned factor. `!(…)` also rejects NaN.
        if (!(s > MIN_RELATIVE_PIVOT * (a[ri + i]! + shift)) || !Number.isFinite(s)) return false;
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
 * @param out - optional n×n buffer for the factor.
 * @returns the factor and the absolute jitter used, or `null` if every level failed (only for
 *   non-finite entries or a matrix far from positive definite).
 */
export function tryRobustCholesky(
  a: Float64Array,
  n: number,
  out: Float64Array = new Float64Array(n * n),
): CholeskyResult | null {
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
 * Solves L·x = b in place (forward substitution); `b` becomes x. Same arithmetic as one row of
 * {@link solveLowerRowsInPlace}.
 * @param l - lower factor, row-major n×n.
 */
export function solveLowerInPlace(l: Float64Array, n: number, b: Float64Array): Float64Array {
  return solveLowerRowsInPlace(l, n, b, 1);
}

/**
 * Solves Lᵀ·x = b in place (back substitution); `b` becomes x. Column-oriented so that the
 * inner loop walks a row of `l`.
 */
export function solveLowerTransposeInPlace(l: Float64Array, n: number, b: Float64Array): Float64Array {
  let i = n - 1;
  // Two rows of L per sweep over b: half the loads and stores of b.
  for (; i >= 1; i -= 2) {
    const ri = i * n;
    const rh = ri - n;
    const xi = b[i]! / l[ri + i]!;
    b[i] = xi;
    const xh = (b[i - 1]! - l[ri + i - 1]! * xi) / l[rh + i - 1]!;
    b[i - 1] = xh;
    for (let k = 0; k < i - 1; k++) b[k] = b[k]! - (l[ri + k]! * xi + l[rh + k]! * xh);
  }
  if (i === 0) b[0] = b[0]! / l[0]!;
  return b;
}

/** Solves A·x = b with A = L·Lᵀ in place. */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): Float64Array {
  solveLowerInPlace(l, n, b);
  return solveLowerTransposeInPlace(l, n, b);
}

/**
 * Forward substitution for many right-hand sides at once: solves L·vₚ = bₚ for every row p of the
 * count×n row-major matrix `b` (one right-hand side per row), in place. Works on four right-hand
 * sides × two rows of L at a time, so each loaded element of L feeds four multiply-adds and each
 * loaded element of b feeds two, with eight independent accumulators and no store in the inner
 * loop. Every right-hand side gets bit-identical results whatever `count` is (same summation
 * order on every path).
 */
export function solveLowerRowsInPlace(l: Float64Array, n: number, b: Float64Array, count: number): Float64Array {
  let p = 0;
  for (; p + 4 <= count; p += 4) {
    const v0 = p * n;
    const v1 = v0 + n;
    const v2 = v1 + n;
    const v3 = v2 + n;
    let i = 0;
    for (; i + 2 <= n; i += 2) {
      const ri = i * n;
      const rj = ri + n;
      let a0 = b[v0 + i]!;
      let a1 = b[v1 + i]!;
      let a2 = b[v2 + i]!;
      let a3 = b[v3 + i]!;
      let c0 = b[v0 + i + 1]!;
      let c1 = b[v1 + i + 1]!;
      let c2 = b[v2 + i + 1]!;
      let c3 = b[v3 + i + 1]!;
      for (let k = 0; k < i; k++) {
        const x = l[ri + k]!;
        const y = l[rj + k]!;
        const w0 = b[v0 + k]!;
        const w1 = b[v1 + k]!;
        const w2 = b[v2 + k]!;
        const w3 = b[v3 + k]!;
        a0 -= x * w0;
        a1 -= x * w1;
        a2 -= x * w2;
        a3 -= x * w3;
        c0 -= y * w0;
        c1 -= y * w1;
        c2 -= y * w2;
        c3 -= y * w3;
      }
      const inv0 = 1 / l[ri + i]!;
      a0 *= inv0;
      a1 *= inv0;
      a2 *= inv0;
      a3 *= inv0;
      b[v0 + i] = a0;
      b[v1 + i] = a1;
      b[v2 + i] = a2;
      b[v3 + i] = a3;
      // Row i + 1 still lacks the k = i term.
      const y = l[rj + i]!;
      const inv1 = 1 / l[rj + i + 1]!;
      b[v0 + i + 1] = (c0 - y * a0) * inv1;
      b[v1 + i + 1] = (c1 - y * a1) * inv1;
      b[v2 + i + 1] = (c2 - y * a2) * inv1;
      b[v3 + i + 1] = (c3 - y * a3) * inv1;
    }
    if (i < n) {
      lastRow(l, n, b, v0, i);
      lastRow(l, n, b, v1, i);
      lastRow(l, n, b, v2, i);
      lastRow(l, n, b, v3, i);
    }
  }
  for (; p < count; p++) {
    const v0 = p * n;
    let i = 0;
    for (; i + 2 <= n; i += 2) {
      const ri = i * n;
      const rj = ri + n;
      let a0 = b[v0 + i]!;
      let c0 = b[v0 + i + 1]!;
      for (let k = 0; k < i; k++) {
        const w0 = b[v0 + k]!;
        a0 -= l[ri + k]! * w0;
        c0 -= l[rj + k]! * w0;
      }
      a0 *= 1 / l[ri + i]!;
      b[v0 + i] = a0;
      b[v0 + i + 1] = (c0 - l[rj + i]! * a0) * (1 / l[rj + i + 1]!);
    }
    if (i < n) lastRow(l, n, b, v0, i);
  }
  return b;
}

/** Row i (the last, when n is odd) of the forward substitution for the right-hand side at v. */
function lastRow(l: Float64Array, n: number, b: Float64Array, v: number, i: number): void {
  const ri = i * n;
  let s = b[v + i]!;
  for (let k = 0; k < i; k++) s -= l[ri + k]! * b[v + k]!;
  b[v + i] = s * (1 / l[ri + i]!);
}

/**
 * A⁻¹ from its Cholesky factor, in two dot-product passes (register-blocked, contiguous):
 * 1. T = L⁻ᵀ (upper triangular, row j = column j of L⁻¹):
 *    T_jj = 1/L_jj,  T_ji = −(Σ_{k=j}^{i−1} L_ik·T_jk)/L_ii for i > j;
 * 2. (A⁻¹)_ab = Σ_{k ≥ a} T_ak·T_bk for a ≥ b (A⁻¹ = L⁻ᵀL⁻¹).
 * Returns the full symmetric n×n matrix, both halves filled from the same value (pass
 * `lowerOnly` to skip the mirror when only the lower triangle is read).
 */
export function inverseFromCholesky(
  l: Float64Array,
  n: number,
  out?: Float64Array,
  lowerOnly = false,
  work?: Float64Array,
): Float64Array {
  const t = work ?? new Float64Array(n * n);
  if (work !== undefined) t.fill(0);
  // Pass 1, four rows j0..j0+3 of T at a time: all four dot products run from k = j0 because
  // T_jk = 0 for k < j.
  for (let j0 = 0; j0 < n; j0 += 4) {
    const jb = Math.min(4, n - j0);
    // Triangle i < j0 + jb first (i ≥ j), one entry at a time.
    for (let r = 0; r < jb; r++) {
      const j = j0 + r;
      const rj = j * n;
      t[rj + j] = 1 / l[j * n + j]!;
      for (let i = j + 1; i < j0 + jb; i++) {
        const ri = i * n;
        let s = 0;
        for (let k = j; k < i; k++) s += l[ri + k]! * t[rj + k]!;
        t[rj + i] = -s / l[ri + i]!;
      }
    }
    if (jb < 4) continue;
    const t0 = j0 * n;
    const t1 = t0 + n;
    const t2 = t1 + n;
    const t3 = t2 + n;
    for (let i = j0 + 4; i < n; i++) {
      const ri = i * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = j0; k < i; k++) {
        const lik = l[ri + k]!;
        s0 += lik * t[t0 + k]!;
        s1 += lik * t[t1 + k]!;
        s2 += lik * t[t2 + k]!;
        s3 += lik * t[t3 + k]!;
      }
      const inv = -1 / l[ri + i]!;
      t[t0 + i] = s0 * inv;
      t[t1 + i] = s1 * inv;
      t[t2 + i] = s2 * inv;
      t[t3 + i] = s3 * inv;
    }
  }
  // Pass 2: lower triangle of Σ_k T_ak·T_bk, two rows a against four rows b at a time.
  const a = out ?? new Float64Array(n * n);
  let a0 = 0;
  for (; a0 + 2 <= n; a0 += 2) {
    const ra = a0 * n;
    const rb = ra + n;
    let b = 0;
    for (; b + 4 <= a0; b += 4) {
      const q0 = b * n;
      const q1 = q0 + n;
      const q2 = q1 + n;
      const q3 = q2 + n;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      // T_{a0+1, a0} = 0, so both rows can start at k = a0.
      for (let k = a0; k < n; k++) {
        const x0 = t[ra + k]!;
        const x1 = t[rb + k]!;
        const y0 = t[q0 + k]!;
        const y1 = t[q1 + k]!;
        const y2 = t[q2 + k]!;
        const y3 = t[q3 + k]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      a[ra + b] = s00;
      a[ra + b + 1] = s01;
      a[ra + b + 2] = s02;
      a[ra + b + 3] = s03;
      a[rb + b] = s10;
      a[rb + b + 1] = s11;
      a[rb + b + 2] = s12;
      a[rb + b + 3] = s13;
    }
    for (let row = a0; row < a0 + 2; row++) {
      const rr = row * n;
      for (let c = b; c <= row; c++) {
        const rc = c * n;
        let s = 0;
        for (let k = row; k < n; k++) s += t[rr + k]! * t[rc + k]!;
        a[rr + c] = s;
      }
    }
  }
  for (let row = a0; row < n; row++) {
    const rr = row * n;
    for (let c = 0; c <= row; c++) {
      const rc = c * n;
      let s = 0;
      for (let k = row; k < n; k++) s += t[rr + k]! * t[rc + k]!;
      a[rr + c] = s;
    }
  }
  if (!lowerOnly) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
    }
  }
  return a;
}

/**
 * Appends one row/column to a Cholesky factor in O(n²): given L with A = L·Lᵀ (n×n), the new
 * matrix [[A, c], [cᵀ, d]] has factor [[L, 0], [wᵀ, √(d − wᵀw)]] with L·w = c.
 *
 * @returns the (n+1)×(n+1) factor, or `null` when d − wᵀw ≤ 1e-14·d (the new point is
 *   numerically a duplicate without enough noise); the caller then refactorizes with jitter.
 */
export function choleskyAppend(l: Float64Array, n: number, c: ArrayLike<number>, d: number): Float64Array | null {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = c[i]!;
  solveLowerInPlace(l, n, w);
  let s = d;
  for (let i = 0; i < n; i++) s -= w[i]! * w[i]!;
  if (!(s > MIN_RELATIVE_PIVOT * d) || !Number.isFinite(s)) return null;
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
