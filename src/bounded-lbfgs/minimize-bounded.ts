/**
 * Bounded quasi-Newton minimization: projected L-BFGS.
 *
 * Each iteration (Nocedal & Wright, "Numerical Optimization", 2nd ed., §7.2 and §16.7):
 * 1. the free set F = variables not held at a bound by the gradient
 *    (x_i = lower_i with g_i > 0, or x_i = upper_i with g_i < 0, are fixed);
 * 2. d = −H·g on F by the L-BFGS two-loop recursion (Alg. 7.4) over the stored pairs (s, y)
 *    restricted to F, d_i = 0 off F; steepest descent −g when that is not a descent direction;
 * 3. backtracking (Armijo, safeguarded quadratic interpolation) along the projected path
 *    x(t) = P(x + t·d), where P clips to the box — so no point outside the box is ever evaluated.
 * Stops when the projected gradient's largest component is ≤ `tolerance`, when the relative
 * decrease of f falls below `functionTolerance`, or after `maxIterations`.
 *
 * The pairs a run ends with are returned as {@link CurvaturePairs}; handed to the next run on a
 * slightly changed f (`curvature`), they make its first step a quasi-Newton one instead of a
 * steepest-descent probe, which is what a warm restart near the old minimum needs.
 */

/**
 * L-BFGS curvature pairs: steps s_j = x_{j+1} − x_j and gradient changes y_j = ∇f_{j+1} − ∇f_j,
 * oldest first. Their two-loop recursion approximates the inverse Hessian.
 */
export interface CurvaturePairs {
  readonly s: readonly ArrayLike<number>[];
  readonly y: readonly ArrayLike<number>[];
}

/** Outcome of {@link minimizeBounded}. */
export interface MinimizeResult {
  /** Best point found (inside the box). */
  readonly x: Float64Array;
  /** f at `x`. */
  readonly value: number;
  /** Quasi-Newton iterations performed. */
  readonly iterations: number;
  /** True when a stopping tolerance was met (false: iteration cap, or no further progress possible). */
  readonly converged: boolean;
  /** Number of calls to `fg`. */
  readonly evaluations: number;
  /** The pairs held at the end (at most `memory`), for a warm restart on a similar f. */
  readonly curvature: { readonly s: Float64Array[]; readonly y: Float64Array[] };
}

/** Options of {@link minimizeBounded}. */
export interface MinimizeOptions {
  /** Maximum quasi-Newton iterations. @default 200 */
  readonly maxIterations?: number;
  /** Stop when max_i |projected gradient_i| ≤ tolerance. @default 1e-6 */
  readonly tolerance?: number;
  /** Number of (s, y) pairs kept by L-BFGS. @default 10 */
  readonly memory?: number;
  /** Stop when (f_old − f_new) ≤ functionTolerance · max(|f_old|, |f_new|, 1). @default 1e-12 */
  readonly functionTolerance?: number;
  /** Maximum function evaluations in one line search. @default 30 */
  readonly maxLineSearchSteps?: number;
  /**
   * Pairs to start from, e.g. a previous run's {@link MinimizeResult.curvature} on a similar f
   * (the newest `memory` are kept; pairs without positive curvature are dropped). A pair that
   * misleads costs at most one failed line search: the minimizer then forgets all pairs, as it
   * does with its own.
   */
  readonly curvature?: CurvaturePairs;
}

interface ResolvedOptions {
  readonly maxIterations: number;
  readonly tolerance: number;
  readonly memory: number;
  readonly functionTolerance: number;
  readonly maxLineSearchSteps: number;
}

function resolveOptions(options: MinimizeOptions): ResolvedOptions {
  const resolved = {
    maxIterations: options.maxIterations ?? 200,
    tolerance: options.tolerance ?? 1e-6,
    memory: options.memory ?? 10,
    functionTolerance: options.functionTolerance ?? 1e-12,
    maxLineSearchSteps: options.maxLineSearchSteps ?? 30,
  };
  if (!(resolved.maxIterations >= 0)) throw new RangeError('maxIterations must be non-negative');
  if (!(resolved.tolerance >= 0)) throw new RangeError('tolerance must be non-negative');
  if (!(resolved.memory >= 1)) throw new RangeError('memory must be at least 1');
  if (!(resolved.functionTolerance >= 0)) {
    throw new RangeError('functionTolerance must be non-negative');
  }
  if (!(resolved.maxLineSearchSteps >= 1)) {
    throw new RangeError('maxLineSearchSteps must be at least 1');
  }
  return resolved;
}

/** Armijo sufficient-decrease constant. */
const ARMIJO = 1e-4;

/**
 * Minimizes f over the box [lower, upper] (projected L-BFGS, L-BFGS-B style).
 *
 * `fg(x, gradient)` returns f(x) and writes ∇f(x) into `gradient` (zeroed before each call); it
 * must not keep references to either array. A non-finite value or gradient counts as a failed
 * trial step (the line search backtracks); it is never thrown. If f(x0) itself is not finite the
 * result is x0 (clipped) with `converged: false`.
 *
 * @param x0 - start; clipped into the box (a non-finite component starts at the box midpoint).
 * @throws {RangeError} when the bounds have different lengths from x0, are NaN, or lower > upper.
 */
export function minimizeBounded(
  fg: (x: Float64Array, gradient: Float64Array) => number,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const opts = resolveOptions(options);
  const n = x0.length;
  if (lower.length !== n || upper.length !== n) {
    throw new RangeError('bounds must have the same length as x0');
  }
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  if (options.curvature !== undefined) readPairs(options.curvature, n, opts.memory, sHist, yHist);
  const lo = Float64Array.from(lower);
  const hi = Float64Array.from(upper);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(lo[i]) || Number.isNaN(hi[i])) throw new RangeError('bounds must not be NaN');
    if (lo[i]! > hi[i]!) throw new RangeError('lower bound must not exceed upper bound');
  }

  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x0[i]!;
    if (Number.isFinite(v)) {
      x[i] = Math.min(hi[i]!, Math.max(lo[i]!, v));
    } else {
      const mid = 0.5 * (lo[i]! + hi[i]!);
      x[i] = Number.isFinite(mid) ? mid : Math.min(hi[i]!, Math.max(lo[i]!, 0));
    }
  }

  let evaluations = 0;
  const trialX = new Float64Array(n);
  const evaluate = (point: Float64Array, gradient: Float64Array): number => {
    evaluations++;
    gradient.fill(0);
    trialX.set(point);
    const value = fg(trialX, gradient);
    if (!Number.isFinite(value)) return Number.NaN;
    for (let i = 0; i < n; i++) if (!Number.isFinite(gradient[i]!)) return Number.NaN;
    return value;
  };

  const g = new Float64Array(n);
  let f = evaluate(x, g);
  if (Number.isNaN(f)) {
    return { x, value: Number.NaN, iterations: 0, converged: false, evaluations, curvature: { s: sHist, y: yHist } };
  }

  const m = opts.memory;
  const free = new Uint8Array(n);
  const d = new Float64Array(n);
  const alpha = new Float64Array(m);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);

  let iterations = 0;
  let converged = false;
  while (iterations < opts.maxIterations) {
    // Free set and projected-gradient norm.
    let pgNorm = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const fixed = (x[i]! <= lo[i]! && gi > 0) || (x[i]! >= hi[i]! && gi < 0);
      free[i] = fixed ? 0 : 1;
      if (!fixed) pgNorm = Math.max(pgNorm, Math.abs(gi));
    }
    if (pgNorm <= opts.tolerance) {
      converged = true;
      break;
    }

    let quasiNewton = sHist.length > 0 && twoLoop(g, free, sHist, yHist, alpha, d);
    if (quasiNewton) {
      let slope = 0;
      for (let i = 0; i < n; i++) slope += d[i]! * g[i]!;
      if (!(slope < 0)) quasiNewton = false;
    }
    if (!quasiNewton) {
      sHist.length = 0;
      yHist.length = 0;
      for (let i = 0; i < n; i++) d[i] = free[i] === 1 ? -g[i]! : 0;
    }

    // First trial step: the full quasi-Newton step, or a unit-length steepest-descent step.
    let t = 1;
    if (!quasiNewton) {
      let dMax = 0;
      for (let i = 0; i < n; i++) dMax = Math.max(dMax, Math.abs(d[i]!));
      t = Math.min(1, 1 / dMax);
    }

    let accepted = false;
    let ft = Number.NaN;
    for (let step = 0; step < opts.maxLineSearchSteps; step++) {
      let slope = 0;
      let moved = false;
      for (let i = 0; i < n; i++) {
        const v = Math.min(hi[i]!, Math.max(lo[i]!, x[i]! + t * d[i]!));
        xt[i] = v;
        const dx = v - x[i]!;
        if (dx !== 0) moved = true;
        slope += g[i]! * dx;
      }
      if (!moved) break;
      ft = evaluate(xt, gt);
      if (!Number.isNaN(ft) && ft <= f + ARMIJO * slope) {
        accepted = true;
        break;
      }
      if (Number.isNaN(ft)) {
        t *= 0.1;
      } else {
        // Minimizer of the quadratic through f, the slope and ft, kept within [0.1t, 0.5t].
        const denom = 2 * (ft - f - slope);
        const tq = denom > 0 ? (-slope * t) / denom : 0.5 * t;
        t = Math.min(0.5 * t, Math.max(0.1 * t, tq));
      }
    }
    iterations++;

    if (!accepted) {
      if (quasiNewton) {
        // The curvature model misled us: forget it and retry along the steepest descent.
        sHist.length = 0;
        yHist.length = 0;
        continue;
      }
      break;
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xt[i]! - x[i]!;
      y[i] = gt[i]! - g[i]!;
      sy += s[i]! * y[i]!;
      yy += y[i]! * y[i]!;
    }
    if (positiveCurvature(sy, yy)) {
      if (sHist.length === m) {
        sHist.shift();
        yHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
    }

    const fOld = f;
    x.set(xt);
    g.set(gt);
    f = ft;
    if (fOld - f <= opts.functionTolerance * Math.max(Math.abs(fOld), Math.abs(f), 1)) {
      converged = true;
      break;
    }
  }

  return { x, value: f, iterations, converged, evaluations, curvature: { s: sHist, y: yHist } };
}

/** Keep only pairs with safely positive curvature (the update stays positive definite). */
function positiveCurvature(sy: number, yy: number): boolean {
  return sy > 1e-10 * yy && sy > 0;
}

/** Copies the newest `memory` usable pairs of `pairs` into sHist / yHist. */
function readPairs(
  pairs: CurvaturePairs,
  n: number,
  memory: number,
  sHist: Float64Array[],
  yHist: Float64Array[],
): void {
  if (pairs.s.length !== pairs.y.length) {
    throw new RangeError('curvature must have as many s as y vectors');
  }
  pairs.s.forEach((sj, j) => {
    const yj = pairs.y[j]!;
    if (sj.length !== n || yj.length !== n) {
      throw new RangeError('curvature vectors must have the same length as x0');
    }
    const s = Float64Array.from(sj);
    const y = Float64Array.from(yj);
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      sy += s[i]! * y[i]!;
      yy += y[i]! * y[i]!;
    }
    if (!Number.isFinite(sy) || !Number.isFinite(yy) || !positiveCurvature(sy, yy)) return;
    sHist.push(s);
    yHist.push(y);
  });
  sHist.splice(0, Math.max(0, sHist.length - memory));
  yHist.splice(0, Math.max(0, yHist.length - memory));
}

/**
 * L-BFGS two-loop recursion restricted to the free variables: writes d = −H·g (0 off the free
 * set). Returns false when the stored pairs carry no usable curvature on the free set.
 */
function twoLoop(
  g: Float64Array,
  free: Uint8Array,
  sHist: readonly Float64Array[],
  yHist: readonly Float64Array[],
  alpha: Float64Array,
  d: Float64Array,
): boolean {
  const n = g.length;
  const k = sHist.length;
  for (let i = 0; i < n; i++) d[i] = free[i] === 1 ? g[i]! : 0;
  const rho = new Float64Array(k);
  for (let j = k - 1; j >= 0; j--) {
    const s = sHist[j]!;
    const y = yHist[j]!;
    let sy = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      if (free[i] === 0) continue;
      sy += s[i]! * y[i]!;
      sq += s[i]! * d[i]!;
    }
    if (!(sy > 0)) {
      rho[j] = 0;
      alpha[j] = 0;
      continue;
    }
    rho[j] = 1 / sy;
    const a = sq / sy;
    alpha[j] = a;
    for (let i = 0; i < n; i++) if (free[i] === 1) d[i] = d[i]! - a * y[i]!;
  }
  // Initial Hessian scaling γ = sᵀy / yᵀy of the newest pair with curvature on the free set.
  let gamma = 0;
  for (let j = k - 1; j >= 0 && gamma === 0; j--) {
    if (rho[j] === 0) continue;
    const y = yHist[j]!;
    let yy = 0;
    for (let i = 0; i < n; i++) if (free[i] === 1) yy += y[i]! * y[i]!;
    if (yy > 0) gamma = 1 / (rho[j]! * yy);
  }
  if (!(gamma > 0) || !Number.isFinite(gamma)) return false;
  for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
  for (let j = 0; j < k; j++) {
    if (rho[j] === 0) continue;
    const s = sHist[j]!;
    const y = yHist[j]!;
    let yr = 0;
    for (let i = 0; i < n; i++) if (free[i] === 1) yr += y[i]! * d[i]!;
    const b = rho[j]! * yr;
    const a = alpha[j]!;
    for (let i = 0; i < n; i++) if (free[i] === 1) d[i] = d[i]! + (a - b) * s[i]!;
  }
  let finite = true;
  for (let i = 0; i < n; i++) {
    d[i] = -d[i]!;
    if (!Number.isFinite(d[i]!)) finite = false;
  }
  return finite;
}
