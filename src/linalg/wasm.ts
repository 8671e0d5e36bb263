/**
 * WebAssembly SIMD (f64x2) versions of the triangular solves that dominate GP prediction
 * (source: kernels.wat; about 3× faster than the plain-JS loops in V8). A model owns a
 * {@link WasmKernels} with its own linear memory, so its Cholesky factor is copied in once and
 * stays there; callers that keep nothing in the heap between calls (the likelihood evaluators)
 * share one ({@link sharedWasmKernels}). When WebAssembly SIMD is unavailable,
 * {@link createWasmKernels} returns `null` and callers use the JS loops of ./cholesky.ts.
 */
import { KERNELS_WASM_BASE64 } from './wasm-kernels.js';

/** Kernels bound to one linear memory; all offsets are in doubles (8-byte units). */
export interface WasmKernels {
  /** The whole linear memory as doubles. */
  readonly heap: Float64Array;
  /**
   * Forward substitution for 4 right-hand sides stored interleaved at `v` (element k of
   * right-hand side p at v + 4k + p), L row-major n×n at `l`. Bit-identical to
   * `solveLowerRowsInPlace` for each right-hand side.
   */
  solve4(l: number, v: number, n: number): void;
  /**
   * {@link solve4} for 8 interleaved right-hand sides (v + 8k + p); also bit-identical. With
   * `rows` < n only the first `rows` entries are solved: the same values as the full solve's.
   */
  solve8(l: number, v: number, n: number, rows?: number): void;
  /**
   * A·x = b with A = L·Lᵀ in place for 2 right-hand sides stored interleaved at `v` (element k of
   * right-hand side p at v + 2k + p). Bit-identical to `choleskySolveInPlace` for each.
   */
  solve2(l: number, v: number, n: number): void;
  /** L·x = b in place for one right-hand side at `b` (agrees with the JS loop to rounding). */
  forward1(l: number, b: number, n: number): void;
  /** Lᵀ·x = b in place for one right-hand side at `b`. */
  backward1(l: number, b: number, n: number): void;
  /**
   * Matérn-5/2 covariances of 8 query points against n training points: `q` holds the queries
   * dimension-major (q + 8i + p), `x` the training points row-major (x + d·j + i), both divided by
   * the lengthscales; out + 8j + p receives s·(1 + √5·r + 5r²/3)·e^(−√5·r). The exponential is a
   * polynomial within a few ulp of `Math.exp` (not bit-identical). `e`: scratch of 8n doubles.
   */
  cross8(q: number, x: number, out: number, n: number, d: number, s: number, e: number): void;
  /**
   * For all pairs a > b of n points stored dimension-major at `xt` (xt + n·i + a, divided by the
   * lengthscales): k + n·a + b ← s·(1 + √5·r + 5r²/3)·e^(−√5·r) and, when `g` ≥ 0,
   * g + n·a + b ← (5/3)·s·(1 + √5·r)·e^(−√5·r). Other entries are not written. `e`: scratch of
   * 2n + 2 doubles. `copy` (default: none) receives the same covariances as `k` (cheaper than
   * copying K afterwards, e.g. into the region a Cholesky factorizes in place). With `from`, only
   * the rows a ≥ from are written (each row's values are the same either way).
   */
  pairs(
    xt: number,
    k: number,
    g: number,
    n: number,
    d: number,
    s: number,
    e: number,
    copy?: number,
    from?: number,
  ): void;
  /** out + i ← Σ_{a>b} c[n·a + b]·(xt[n·i + a] − xt[n·i + b])² for i < d. */
  lengthGrad(xt: number, c: number, n: number, d: number, out: number): void;
  /**
   * In-place Cholesky of the n×n matrix at `a` (lower triangle read; L written there, strict upper
   * triangle zeroed) with `shift` added to the diagonal. False when a pivot is not finite or
   * ≤ 1e-14 times its diagonal entry (the matrix is then partly overwritten). With `from` (a
   * multiple of 4, default 0) rows 0..from−1 must already hold their rows of L, as a factor of a
   * matrix whose leading from×from block is this one's left them: only the rows from `from` on
   * are computed, and they are the same bits as a call from row 0 computes (rows depend only on
   * the rows above them; the four-row blocks start at 0 either way).
   */
  cholesky(a: number, n: number, shift: number, from?: number): boolean;
  /**
   * Lower triangle of A⁻¹ at `out` from the factor at `l`, using `t` (n×n, needs no clearing) as
   * scratch; the strict upper triangle of `out` is not written.
   */
  inverse(l: number, t: number, out: number, n: number): void;
  /**
   * The likelihood gradient's sums over the pairs a > b of n points, w_ab = α_a·α_b − (K⁻¹)_ab:
   * out ← [Σ_a (α_a² − (K⁻¹)_aa), Σ_{a>b} w_ab·K_ab] and g + n·a + b ← w_ab·g_ab. Bit-identical to
   * the JS loop of the likelihood (same order).
   */
  gradientTerms(alpha: number, kinv: number, k: number, g: number, n: number, out: number): void;
  /**
   * Posterior pieces at ONE query `q` (d doubles divided by the lengthscales, and one more
   * readable) against the training inputs dimension-major at `xt` (xt + n·i + j, and one more
   * readable double), with α at `alpha` and L at `l`; `k` and `e` are scratch of n + 1 doubles.
   * out ← [k*ᵀα, |L⁻¹k*|²], bit-identical to that query's lane of cross8, dot8, solve8 and sumsq8.
   */
  predict1(
    q: number,
    xt: number,
    alpha: number,
    l: number,
    n: number,
    d: number,
    s: number,
    k: number,
    e: number,
    out: number,
  ): void;
  /** out + p ← Σ_j w[j]·v[v + 8j + p] for p < 8 (posterior means of an interleaved k* block). */
  dot8(w: number, v: number, n: number, out: number): void;
  /** out + p ← Σ_j v[v + 8j + p]² for p < 8 (|L⁻¹k*|² of a solved block). */
  sumsq8(v: number, n: number, out: number): void;
  /**
   * Posterior pieces at one query `q` (d doubles, divided by the lengthscales, and one more
   * readable) against training inputs `x` (row-major n×d, likewise) and their dimension-major copy
   * `xt` (xt + n·i + j, and one more readable double), with α at `alpha` and L at `l`; `k` and `c`
   * are scratch of n + 1 doubles. out ← [k*ᵀα, |L⁻¹k*|², Σ_j α_j·c_j·t_j (d), Σ_j −2·w_j·c_j·t_j
   * (d)] with t_j = q − x_j, w = K⁻¹k*, c_j = ∂k_j/∂r / r.
   */
  gradPoint(
    q: number,
    x: number,
    xt: number,
    alpha: number,
    l: number,
    n: number,
    d: number,
    s: number,
    k: number,
    c: number,
    out: number,
  ): void;
  /**
   * Monte-Carlo E[1/C] over `m` draws at `z` (followed by one 0) with C = fixed + Σ_s e^(a_s + b_s·z)
   * for `ns` stages; `acc` is scratch of {@link costScratchSize}(ns, m) doubles.
   * out ← [E[1/C], E[C], ∂/∂a (ns), ∂/∂b (ns)].
   */
  invCostGrad(a: number, b: number, ns: number, fixed: number, z: number, m: number, acc: number, out: number): void;
  /**
   * E[1/C_δ] (at out + δ) and E[C_δ] (at mean + δ) for every δ < ns, C_δ = δ·eps + Σ_{s≥δ} e^(a_s + b_s·z);
   * `acc` is scratch of {@link costScratchSize}(ns, m) doubles.
   */
  invCostPrefix(
    a: number,
    b: number,
    ns: number,
    eps: number,
    z: number,
    m: number,
    acc: number,
    out: number,
    mean: number,
  ): void;
}

/**
 * Scratch doubles of `invCostGrad` and `invCostPrefix` for `stages` stages and `m` draws: one row of
 * every draw's cost per stage (all exponentials of a call are taken in one batch) and one more row.
 */
export function costScratchSize(stages: number, m: number): number {
  return (stages + 1) * (m + (m % 2));
}

/** Names of the functions kernels.wat exports. */
type KernelExport =
  | 'solve4'
  | 'solve8'
  | 'solve2'
  | 'gradientTerms'
  | 'forward1'
  | 'backward1'
  | 'chol'
  | 'cross8'
  | 'inv'
  | 'pairs'
  | 'lengthGrad'
  | 'dot8'
  | 'sumsq8'
  | 'gradPoint'
  | 'predict1'
  | 'invCostGrad'
  | 'invCostPrefix';

/** The part of the WebAssembly JS API used here (the project's `lib` has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;
let enabled = true;

function kernelsModule(): object | null {
  if (compiled === undefined) {
    compiled = null;
    if (wasmApi !== undefined) {
      try {
        const binary = atob(KERNELS_WASM_BASE64);
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        compiled = new wasmApi.Module(bytes);
      } catch {
        // No SIMD support: the JS loops take over.
        compiled = null;
      }
    }
  }
  return compiled;
}

/**
 * Kernels with a private linear memory of at least `doubles` doubles, or `null` when WebAssembly
 * SIMD is not available (or has been switched off by {@link setWasmEnabled}).
 */
export function createWasmKernels(doubles: number): WasmKernels | null {
  const module = enabled ? kernelsModule() : null;
  if (module === null || wasmApi === undefined) return null;
  const pages = Math.max(1, Math.ceil((doubles * 8) / 65536));
  if (pages > 65536) return null;
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new wasmApi.Memory({ initial: pages });
  } catch {
    return null;
  }
  const instance = new wasmApi.Instance(module, { env: { memory } });
  // Every export takes and returns plain numbers (byte offsets, sizes, scalars); the typed
  // wrappers below (offsets in doubles) are the interface.
  const exports = instance.exports as Record<KernelExport, (...args: number[]) => number>;
  const heap = new Float64Array(memory.buffer);
  return {
    heap,
    solve4: (l, v, n) => exports.solve4(l * 8, v * 8, n),
    solve8: (l, v, n, rows = n) => exports.solve8(l * 8, v * 8, n, rows),
    solve2: (l, v, n) => exports.solve2(l * 8, v * 8, n),
    forward1: (l, b, n) => exports.forward1(l * 8, b * 8, n),
    backward1: (l, b, n) => exports.backward1(l * 8, b * 8, n),
    cross8: (q, x, out, n, d, s, e) => exports.cross8(q * 8, x * 8, out * 8, n, d, s, e * 8),
    pairs: (xt, k, g, n, d, s, e, copy = k, from = 0) =>
      exports.pairs(xt * 8, k * 8, copy * 8, Math.max(0, g) * 8, n, d, s, g >= 0 ? 1 : 0, e * 8, from),
    lengthGrad: (xt, c, n, d, out) => exports.lengthGrad(xt * 8, c * 8, n, d, out * 8),
    cholesky: (a, n, shift, from = 0) => {
      if (from % 4 !== 0 || from < 0 || from > n) throw new RangeError('from must be a multiple of 4 in 0..n');
      return exports.chol(a * 8, n, shift, from) === 1;
    },
    gradientTerms: (alpha, kinv, k, g, n, out) => exports.gradientTerms(alpha * 8, kinv * 8, k * 8, g * 8, n, out * 8),
    dot8: (w, v, n, out) => exports.dot8(w * 8, v * 8, n, out * 8),
    sumsq8: (v, n, out) => exports.sumsq8(v * 8, n, out * 8),
    gradPoint: (q, x, xt, alpha, l, n, d, s, k, c, out) =>
      exports.gradPoint(q * 8, x * 8, xt * 8, alpha * 8, l * 8, n, d, s, k * 8, c * 8, out * 8),
    predict1: (q, xt, alpha, l, n, d, s, k, e, out) =>
      exports.predict1(q * 8, xt * 8, alpha * 8, l * 8, n, d, s, k * 8, e * 8, out * 8),
    invCostGrad: (a, b, ns, fixed, z, m, acc, out) =>
      exports.invCostGrad(a * 8, b * 8, ns, fixed, z * 8, m, acc * 8, out * 8),
    invCostPrefix: (a, b, ns, eps, z, m, acc, out, mean) =>
      exports.invCostPrefix(a * 8, b * 8, ns, eps, z * 8, m, acc * 8, out * 8, mean * 8),
    inverse: (l, t, out, n) => {
      // The kernel writes every entry of T = L⁻ᵀ it reads except the strict lower triangles of the
      // 4×4 diagonal blocks, which it reads as zeros (up to three per row): only those are cleared,
      // not all n² doubles (test/unit/gp/cholesky.test.ts checks this with the rest NaN).
      for (let r = 0; r < n; r++) for (let k = r & ~3; k < r; k++) heap[t + r * n + k] = 0;
      exports.inv(l * 8, t * 8, out * 8, n);
    },
  };
}

/** Largest heap {@link sharedWasmKernels} keeps for reuse (32 MB); larger requests get their own. */
const SHARED_MAX_DOUBLES = 1 << 22;
let shared: WasmKernels | null = null;

/**
 * Kernels whose heap is shared by every caller of this function, for callers that keep nothing in
 * the heap between two of their calls (they rewrite whatever they read) and run synchronously, so
 * that two of them never interleave: the likelihood evaluators of the hyperparameter fits. A fit
 * then neither instantiates the module nor maps a fresh memory (0.6 MB at n = 120, several fits
 * per BO step, and the discarded memories made V8 run full garbage collections). The heap is NOT
 * zeroed; it only grows (up to 32 MB; a larger request gets a private heap, as from
 * {@link createWasmKernels}).
 */
export function sharedWasmKernels(doubles: number): WasmKernels | null {
  if (!enabled) return null;
  if (doubles > SHARED_MAX_DOUBLES) return createWasmKernels(doubles);
  if (shared === null || shared.heap.length < doubles) shared = createWasmKernels(doubles);
  return shared;
}

/**
 * Switches the WebAssembly kernels on or off for models created afterwards (for tests and
 * benchmarks comparing both paths). @default true
 */
export function setWasmEnabled(value: boolean): void {
  enabled = value;
}

/** Relative jitter levels tried in order (as in ./cholesky.ts). */
const JITTER_LEVELS = [1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4] as const;

/**
 * `tryRobustCholesky` on WebAssembly kernels: copies the n×n matrix `a` to `offset` of the heap
 * (or lets the function `a` write it there) and factorizes it in place, escalating jitter
 * τ·mean|diag(A)| for τ = 1e-10 … 1e-4 on failure.
 *
 * @returns the factor (a view into the heap, valid while `kernels` lives) and the absolute
 *   jitter, or `null` when every level failed.
 */
export function tryRobustCholeskyWasm(
  kernels: WasmKernels,
  a: Float64Array | (() => void),
  n: number,
  offset: number,
): { l: Float64Array; jitter: number } | null {
  const l = kernels.heap.subarray(offset, offset + n * n);
  // A function (re)writes the matrix into the region itself: no n×n copy has to be kept.
  const load = typeof a === 'function' ? a : () => l.set(a);
  load();
  let scale = 0;
  for (let i = 0; i < n; i++) scale += Math.abs(l[i * n + i]!);
  scale = n > 0 ? scale / n : 0;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  if (kernels.cholesky(offset, n, 0)) return { l, jitter: 0 };
  for (const tau of JITTER_LEVELS) {
    load();
    if (kernels.cholesky(offset, n, tau * scale)) return { l, jitter: tau * scale };
  }
  return null;
}
