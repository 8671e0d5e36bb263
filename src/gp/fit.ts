/**
 * The MAP hyperparameter search: maximizes the MAP objective (./map-objective.ts) over
 * θ = (log ℓ, log s, log σ²) by {@link minimizeBounded} from several starts, on at most
 * `maxFitPoints` points (a seeded uniform subset).
 */
import { minimizeBounded } from '../bounded-lbfgs/index.js';
import { mulberry32 } from '../random/index.js';
import type { Data, Standardized } from './data.js';
import type { GPHyperparameters } from './hyperparameters.js';
import { checkHyperparameters, fromTheta, toTheta } from './hyperparameters.js';
import { LikelihoodEvaluator } from './likelihood.js';
import { MapObjective } from './map-objective.js';

/** Options of {@link GaussianProcess.fit}. */
export interface GPFitOptions {
  /** Random restarts in addition to the default/warm start. @default 4 */
  readonly restarts?: number;
  /** Seed for restart points (and for the fitting subset when n > `maxFitPoints`). @default 0 */
  readonly seed?: number;
  /**
   * Start (and favour) the previous fit's hyperparameters: the warm start is optimized first;
   * the default and random starts are then only optimized when their starting objective already
   * beats the warm optimum (otherwise they are just evaluated once).
   */
  readonly warmStart?: GPHyperparameters;
  /**
   * The previous fit's {@link GPFitInfo.curvature}, to go with `warmStart`: the warm start's
   * search starts with that curvature instead of a steepest-descent probe. After one new point
   * the optimum moves little and the curvature hardly at all, so a warm refit then takes about
   * half the likelihood evaluations (each O(n³)). It only changes how fast the search gets there.
   */
  readonly warmCurvature?: GPFitCurvature;
  /** Lower bound on noise variance. @default 1e-6 */
  readonly minNoise?: number;
  /** Max optimizer iterations per start. @default 100, or 30 with `warmStart` */
  readonly maxIterations?: number;
  /**
   * Fit the hyperparameters on at most this many points (a seeded uniform subset) and then
   * condition on all points. One likelihood evaluation costs O(n³); beyond a few hundred points
   * the hyperparameters hardly move while the fit time grows cubically. @default 256
   */
  readonly maxFitPoints?: number;
}

/** Diagnostics of {@link GaussianProcess.fit}. */
export interface GPFitInfo {
  /** MAP objective reached: log p(z | θ) + log priors on the fitting points (NaN if all starts failed). */
  readonly logPosterior: number;
  /** Objective evaluations over all starts. */
  readonly evaluations: number;
  /** Starts that were run through the optimizer. */
  readonly startsOptimized: number;
  /** Points the hyperparameters were fitted on (≤ `maxFitPoints`). */
  readonly fitPoints: number;
  /** The winning search's final curvature pairs, for the next refit's `warmCurvature`. */
  readonly curvature: GPFitCurvature;
}

/**
 * L-BFGS curvature pairs (steps s and gradient changes y, oldest first) in the fit's coordinates
 * θ = (log ℓ_1..log ℓ_d, log s, log σ²): d + 2 numbers per vector, at most 10 pairs. Plain JSON.
 */
export interface GPFitCurvature {
  readonly s: readonly (readonly number[])[];
  readonly y: readonly (readonly number[])[];
}

/** Log-space box for the MAP search (ℓ in the unit cube, s and σ² in z units). */
const LOG_LENGTHSCALE_BOUNDS = [Math.log(1e-2), Math.log(1e2)] as const;
const LOG_OUTPUT_SCALE_BOUNDS = [Math.log(1e-3), Math.log(1e2)] as const;
const MAX_NOISE = 10;
/**
 * Stopping rule of the MAP search: a projected gradient of 1e-4 in log-parameters, or a relative
 * objective decrease below 1e-9, moves the hyperparameters far less than their posterior spread.
 */
const FIT_GRADIENT_TOLERANCE = 1e-4;
const FIT_FUNCTION_TOLERANCE = 1e-9;
/** L-BFGS memory of the MAP search (the minimizer's default), and so the most pairs a curvature holds. */
const CURVATURE_PAIRS = 10;

interface ResolvedFitOptions {
  readonly restarts: number;
  readonly seed: number;
  readonly warmStart: GPHyperparameters | undefined;
  readonly warmCurvature: GPFitCurvature | undefined;
  readonly minNoise: number;
  readonly maxIterations: number;
  readonly maxFitPoints: number;
}

function resolveFitOptions(options: GPFitOptions, d: number): ResolvedFitOptions {
  const resolved: ResolvedFitOptions = {
    restarts: options.restarts ?? 4,
    seed: options.seed ?? 0,
    warmStart: options.warmStart,
    warmCurvature: options.warmCurvature,
    minNoise: options.minNoise ?? 1e-6,
    maxIterations: options.maxIterations ?? (options.warmStart === undefined ? 100 : 30),
    maxFitPoints: options.maxFitPoints ?? 256,
  };
  if (!Number.isInteger(resolved.restarts) || resolved.restarts < 0) {
    throw new RangeError('restarts must be a non-negative integer');
  }
  if (!Number.isFinite(resolved.seed)) throw new RangeError('seed must be finite');
  if (!(resolved.minNoise > 0) || !Number.isFinite(resolved.minNoise)) {
    throw new RangeError('minNoise must be positive');
  }
  if (!Number.isInteger(resolved.maxIterations) || resolved.maxIterations < 0) {
    throw new RangeError('maxIterations must be a non-negative integer');
  }
  if (!Number.isInteger(resolved.maxFitPoints) || resolved.maxFitPoints < 1) {
    throw new RangeError('maxFitPoints must be a positive integer');
  }
  if (resolved.warmStart !== undefined) checkHyperparameters(resolved.warmStart, d);
  if (resolved.warmCurvature !== undefined) checkCurvature(resolved.warmCurvature, resolved.warmStart, d);
  return resolved;
}

/**
 * MAP hyperparameters for standardized data (see {@link GaussianProcess.fit} for the starts, the
 * priors and the search box). Deterministic: the same inputs and options give bit-identical
 * results.
 *
 * @throws {RangeError} on bad options.
 */
export function fitHyperparameters(
  data: Data,
  std: Standardized,
  options: GPFitOptions,
): { hyperparameters: GPHyperparameters; fitInfo: GPFitInfo } {
  const { n, d } = data;
  const opts = resolveFitOptions(options, d);

  let fitX = data.x;
  let fitZ = std.z;
  let fitN = n;
  if (n > opts.maxFitPoints) {
    const subset = subsetIndices(n, opts.maxFitPoints, opts.seed);
    fitN = subset.length;
    fitX = new Float64Array(fitN * d);
    fitZ = new Float64Array(fitN);
    subset.forEach((index, row) => {
      fitX.set(data.x.subarray(index * d, index * d + d), row * d);
      fitZ[row] = std.z[index]!;
    });
  }
  const evaluator = new LikelihoodEvaluator(fitX, fitZ, fitN, d);
  const dim = d + 2;
  const lower = new Float64Array(dim);
  const upper = new Float64Array(dim);
  for (let i = 0; i < d; i++) {
    lower[i] = LOG_LENGTHSCALE_BOUNDS[0];
    upper[i] = LOG_LENGTHSCALE_BOUNDS[1];
  }
  lower[d] = LOG_OUTPUT_SCALE_BOUNDS[0];
  upper[d] = LOG_OUTPUT_SCALE_BOUNDS[1];
  lower[d + 1] = Math.log(opts.minNoise);
  upper[d + 1] = Math.log(Math.max(MAX_NOISE, opts.minNoise));

  const map = new MapObjective(evaluator);
  // The profiled mean at every θ the minimizer evaluated: the winner is one of them, so its mean
  // needs no further O(n³) evaluation.
  const evaluated: { theta: Float64Array; mean: number }[] = [];
  const fg = (theta: Float64Array, gradient: Float64Array): number => {
    const value = map.negativeLogPosterior(theta, gradient);
    if (Number.isFinite(value)) evaluated.push({ theta: theta.slice(), mean: map.lastMean });
    return value;
  };
  const clip = (theta: Float64Array): Float64Array => {
    for (let i = 0; i < dim; i++) theta[i] = Math.min(upper[i]!, Math.max(lower[i]!, theta[i]!));
    return theta;
  };

  const starts: Float64Array[] = [];
  const defaultStart = new Float64Array(dim);
  defaultStart.fill(Math.log(0.5), 0, d);
  defaultStart[d] = 0;
  defaultStart[d + 1] = Math.log(Math.max(1e-3, opts.minNoise));
  const random = mulberry32(Math.floor(opts.seed) ^ 0x5f3759df);
  const randomStarts: Float64Array[] = [];
  for (let r = 0; r < opts.restarts; r++) {
    const theta = new Float64Array(dim);
    for (let i = 0; i < d; i++) theta[i] = logUniform(random, 0.05, 2);
    theta[d] = logUniform(random, 0.1, 10);
    theta[d + 1] = logUniform(random, Math.max(opts.minNoise, 1e-6), 1);
    randomStarts.push(clip(theta));
  }
  starts.push(clip(defaultStart), ...randomStarts);

  const minimizeOptions = {
    maxIterations: opts.maxIterations,
    tolerance: FIT_GRADIENT_TOLERANCE,
    functionTolerance: FIT_FUNCTION_TOLERANCE,
    memory: CURVATURE_PAIRS,
  };
  let bestTheta: Float64Array | null = null;
  let bestValue = Number.POSITIVE_INFINITY;
  let bestCurvature: GPFitCurvature = { s: [], y: [] };
  let evaluations = 0;
  let startsOptimized = 0;
  const optimize = (start: Float64Array, curvature?: GPFitCurvature): void => {
    const result = minimizeBounded(fg, start, lower, upper, {
      ...minimizeOptions,
      ...(curvature === undefined ? {} : { curvature }),
    });
    evaluations += result.evaluations;
    startsOptimized++;
    if (Number.isFinite(result.value) && result.value < bestValue) {
      bestValue = result.value;
      bestTheta = result.x;
      bestCurvature = { s: result.curvature.s.map((v) => [...v]), y: result.curvature.y.map((v) => [...v]) };
    }
  };
  if (opts.warmStart !== undefined) {
    optimize(clip(toTheta(opts.warmStart)), opts.warmCurvature);
    for (const start of starts) {
      evaluations++;
      if (map.negativeLogPosterior(start, null) < bestValue) optimize(start);
    }
  } else {
    for (const start of starts) optimize(start);
  }
  // Every start failing means K was singular everywhere we looked: fall back to the default.
  const theta: Float64Array = bestTheta ?? defaultStart;
  let mean: number | undefined;
  for (let e = evaluated.length - 1; e >= 0 && mean === undefined; e--) {
    const entry = evaluated[e]!;
    if (entry.theta.every((v, i) => Object.is(v, theta[i]))) mean = entry.mean;
  }
  mean ??= evaluator.evaluate(theta, null, null).mean;
  return {
    hyperparameters: fromTheta(theta, d, mean),
    fitInfo: {
      logPosterior: Number.isFinite(bestValue) ? -bestValue : Number.NaN,
      evaluations,
      startsOptimized,
      fitPoints: fitN,
      curvature: bestCurvature,
    },
  };
}

function checkCurvature(curvature: GPFitCurvature, warmStart: GPHyperparameters | undefined, d: number): void {
  if (warmStart === undefined) throw new RangeError('warmCurvature needs warmStart');
  const problem = curvatureProblem(curvature, d);
  if (problem !== undefined) throw new RangeError(`warmCurvature ${problem}`);
}

/**
 * What makes `value` unusable as a {@link GPFitCurvature} for inputs of dimension d (undefined when
 * it is one): the shape check of `warmCurvature` and of a stored optimizer state alike.
 */
export function curvatureProblem(value: unknown, d: number): string | undefined {
  if (value === null || typeof value !== 'object') return 'must be an object with s and y';
  const { s, y } = value as Record<string, unknown>;
  if (!Array.isArray(s) || !Array.isArray(y) || s.length !== y.length || s.length > CURVATURE_PAIRS) {
    return `must have equally many s and y vectors, at most ${CURVATURE_PAIRS}`;
  }
  for (const v of [...s, ...y] as unknown[]) {
    if (!Array.isArray(v) || v.length !== d + 2 || !v.every((e) => typeof e === 'number' && Number.isFinite(e))) {
      return `vectors must be ${d + 2} finite numbers (d + 2)`;
    }
  }
  return undefined;
}

function logUniform(random: () => number, low: number, high: number): number {
  return Math.log(low) + random() * (Math.log(high) - Math.log(low));
}

/** `count` distinct indices of 0..n−1 (seeded partial Fisher–Yates), in increasing order. */
function subsetIndices(n: number, count: number, seed: number): number[] {
  const random = mulberry32(Math.floor(seed) ^ 0x2545f491);
  const indices = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = indices[i]!;
    indices[i] = indices[j]!;
    indices[j] = t;
  }
  return indices.slice(0, count).sort((a, b) => a - b);
}
