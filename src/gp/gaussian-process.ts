/**
 * Exact Gaussian-process regression with a Matérn-5/2 ARD kernel, constant mean and Gaussian
 * noise — the surrogate model of EEIPU (shared/docs/eeipu.md, "Models").
 *
 * Notation (see ./likelihood.ts for the equations):
 *   X   n×d inputs in the unit cube; y raw targets; z = (y − ȳ)/s_y standardized targets;
 *   ℓ, s, σ², m  lengthscales, output scale, noise variance, constant mean (all in z units);
 *   K   = k(X, X) + (σ² + jitter)·I,  L = chol(K),  α = K⁻¹(z − m).
 * Latent posterior at x*, with k* = k(X, x*) and v = L⁻¹k* (R&W eq. 2.25–2.26):
 *   μ(x*) = m + k*ᵀα,   var(x*) = s − vᵀv   (clamped at 0);
 * both are reported back in raw y units: ȳ + s_y·μ and s_y²·var.
 *
 * Cost and what was done about it (n observations, d dims):
 * - A MAP likelihood evaluation is O(n³) (Cholesky n³/3 flops + K⁻¹ for the trace terms 2n³/3).
 *   The fit therefore uses at most `maxFitPoints` (256) points — a seeded uniform subset — and
 *   conditions on all n afterwards; warm-started fits default to 30 iterations per start and
 *   only optimize other starts that already beat the warm optimum. At n = 1000, d = 20 this keeps
 *   a warm fit to about 0.2 s and a cold one (5 starts) to about 0.8 s of CPU
 *   (scripts/reference/gp-speed.ts).
 * - The kernel matrices, Cholesky, inverse, covariances and triangular solves run as WebAssembly
 *   SIMD kernels (src/linalg/kernels.wat, about 3× the plain-JS loops) from n ≥ 16 in the fit and
 *   n ≥ 32 in a model; each model keeps L in its own wasm memory. Batch prediction solves eight
 *   query points per sweep over L.
 * - Determinism: the same inputs and options give bit-identical results in the same runtime.
 *   The WebAssembly and JS paths (the latter used only where WebAssembly SIMD is unavailable)
 *   agree to rounding (~1e-15 relative), not bit for bit.
 */
import {
  choleskyAppend,
  createWasmKernels,
  robustCholesky,
  solveLowerInPlace,
  solveLowerRowsInPlace,
  solveLowerTransposeInPlace,
  tryRobustCholeskyWasm,
} from '../linalg/index.js';
import type { WasmKernels } from '../linalg/index.js';
import { minimizeBounded } from '../optim/index.js';
import { LikelihoodEvaluator } from './likelihood.js';
import { mulberry32 } from '../random/index.js';
import {
  gammaLogDensity,
  gammaLogDensityDerivative,
  LENGTHSCALE_PRIOR,
  NOISE_PRIOR,
  OUTPUT_SCALE_PRIOR,
} from './priors.js';

const SQRT5 = Math.sqrt(5);
const LOG_2PI = Math.log(2 * Math.PI);
/** Query points per block in `predict` (block × n doubles of work space; a multiple of 8). */
const PREDICT_BLOCK = 32;
/** Below this many observations the JS loops are as fast as the WebAssembly kernels. */
const WASM_MIN_POINTS = 32;

/**
 * Heap doubles a model needs: L, a block of k* rows, scaled inputs, a query block, α,
 * the two scratch vectors and output of a gradient query, and the 8 means / 8 squared norms of a
 * prediction group (everything after L also holds X/ℓ dimension-major while K is built: ≥ n·d
 * doubles).
 */
function wasmHeapSize(n: number, d: number): number {
  return n * n + n * PREDICT_BLOCK + n * d + d * PREDICT_BLOCK + n + 2 * (n + 2) + (2 + 2 * d) + 16;
}

/** Lays out a model's heap (L is already at 0 or copied there by the caller); copies X/ℓ and α in. */
function wasmSlot(kernels: WasmKernels, n: number, d: number, xs: Float64Array, alpha: Float64Array): WasmSlot {
  const v = n * n;
  const x = v + n * PREDICT_BLOCK;
  const q = x + n * d;
  const a = q + d * PREDICT_BLOCK;
  const k = a + n;
  const c = k + n + 2;
  const out = c + n + 2;
  const moments = out + 2 + 2 * d;
  kernels.heap.set(xs, x);
  kernels.heap.set(alpha, a);
  return { kernels, l: 0, v, x, q, alpha: a, k, c, out, moments };
}

/** A model's WebAssembly kernels and the offsets (in doubles) of its heap regions. */
interface WasmSlot {
  readonly kernels: WasmKernels;
  /** Cholesky factor, n×n. */
  readonly l: number;
  /** k* rows of a prediction block, groups of eight interleaved (PREDICT_BLOCK × n). */
  readonly v: number;
  /** Training inputs divided by the lengthscales, n×d. */
  readonly x: number;
  /** Query block, groups of eight stored dimension-major (PREDICT_BLOCK × d). */
  readonly q: number;
  /** α = K⁻¹(z − m), n. */
  readonly alpha: number;
  /** Scratch of a gradient query: k* then K⁻¹k* (n + 2), and c (n + 2). */
  readonly k: number;
  readonly c: number;
  /** Output of a gradient query: k*ᵀα, |L⁻¹k*|², d mean-gradient sums, d variance-gradient sums. */
  readonly out: number;
  /** Means (8) then squared norms (8) of one prediction group. */
  readonly moments: number;
}

/** Kernel and likelihood hyperparameters, all in standardized-target units. */
export interface GPHyperparameters {
  /** One per input dimension; inputs live in the unit cube. */
  readonly lengthscales: readonly number[];
  /** Signal variance s. */
  readonly outputScale: number;
  /** Noise variance σ². */
  readonly noise: number;
  /** Constant mean m. */
  readonly mean: number;
}

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
}

/** Rows are points, each of length d. */
export type Points = readonly ArrayLike<number>[];

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

interface ResolvedFitOptions {
  readonly restarts: number;
  readonly seed: number;
  readonly warmStart: GPHyperparameters | undefined;
  readonly minNoise: number;
  readonly maxIterations: number;
  readonly maxFitPoints: number;
}

function resolveFitOptions(options: GPFitOptions, d: number): ResolvedFitOptions {
  const resolved: ResolvedFitOptions = {
    restarts: options.restarts ?? 4,
    seed: options.seed ?? 0,
    warmStart: options.warmStart,
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
  return resolved;
}

/** Internal state; arrays are never mutated after construction. */
interface State {
  readonly n: number;
  readonly d: number;
  /** Raw inputs, n×d row-major. */
  readonly x: Float64Array;
  /** Inputs divided by the lengthscales, n×d row-major. */
  readonly xs: Float64Array;
  readonly y: Float64Array;
  readonly yMean: number;
  readonly yStd: number;
  readonly z: Float64Array;
  readonly hyperparameters: GPHyperparameters;
  readonly invLengthscales: Float64Array;
  readonly l: Float64Array;
  readonly jitter: number;
  readonly alpha: Float64Array;
  readonly fitInfo?: GPFitInfo | undefined;
}

/**
 * Exact GP posterior conditioned on (X, y) with fixed hyperparameters. Immutable.
 *
 * Targets are z-scored with the sample standard deviation; when all targets are equal (or n = 1)
 * yStd is 1, so z = 0 and the posterior mean is yMean + yStd·m away from the data.
 * Fewer points than dimensions and duplicate points are fine: the noise variance (≥ `minNoise`)
 * and, when needed, jitter keep K positive definite.
 */
export class GaussianProcess {
  /** Hyperparameters in standardized-target units. */
  readonly hyperparameters: GPHyperparameters;
  /** d: input dimension. */
  readonly dimension: number;
  /** n: number of observations. */
  readonly size: number;
  /** Standardization z = (y − yMean)/yStd. */
  readonly yMean: number;
  readonly yStd: number;
  /** Jitter added to the diagonal to make the Cholesky succeed (0 when none was needed). */
  readonly jitter: number;
  /** How the hyperparameters were found; `undefined` unless this model came from {@link fit}. */
  readonly fitInfo: GPFitInfo | undefined;
  readonly #state: State;
  #logMarginalLikelihood: number | undefined;
  #kernels: WasmSlot | null | undefined;

  private constructor(state: State) {
    this.#state = state;
    this.hyperparameters = state.hyperparameters;
    this.dimension = state.d;
    this.size = state.n;
    this.yMean = state.yMean;
    this.yStd = state.yStd;
    this.jitter = state.jitter;
    this.fitInfo = state.fitInfo;
  }

  /**
   * MAP fit: maximizes log p(z | θ) + log priors (lengthscale ~ Gamma(3, 6), output scale ~
   * Gamma(2, 0.15), noise ~ Gamma(1.1, 0.05), rate parametrization) over θ = (log ℓ, log s,
   * log σ²) with analytic gradients, by {@link minimizeBounded} from several starts: the warm
   * start (if any), the default point (ℓ = 0.5, s = 1, σ² = max(1e-3, minNoise)) and `restarts`
   * seeded random points; the lowest objective wins (ties: the earlier start). The constant mean
   * is profiled out in closed form (generalized least squares). Search box: ℓ ∈ [0.01, 100],
   * s ∈ [1e-3, 100], σ² ∈ [minNoise, max(10, minNoise)].
   *
   * Deterministic: the same inputs and options give bit-identical hyperparameters.
   *
   * @throws {RangeError} on empty data, ragged or non-finite inputs, non-finite targets, or bad
   *   options.
   */
  static fit(x: Points, y: readonly number[], options: GPFitOptions = {}): GaussianProcess {
    const data = readData(x, y);
    const { n, d } = data;
    const opts = resolveFitOptions(options, d);
    const std = standardize(data.y);

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

    const likelihoodGradient = new Float64Array(d + 3);
    const objective = (theta: Float64Array, gradient: Float64Array | null): number => {
      const terms = evaluator.evaluate(theta, null, gradient === null ? null : likelihoodGradient);
      if (Number.isNaN(terms.value)) return Number.NaN;
      let logPrior = gammaLogDensity(OUTPUT_SCALE_PRIOR, theta[d]!);
      logPrior += gammaLogDensity(NOISE_PRIOR, theta[d + 1]!);
      for (let i = 0; i < d; i++) logPrior += gammaLogDensity(LENGTHSCALE_PRIOR, theta[i]!);
      if (gradient !== null) {
        for (let i = 0; i < d; i++) {
          gradient[i] = -likelihoodGradient[i]! - gammaLogDensityDerivative(LENGTHSCALE_PRIOR, theta[i]!);
        }
        gradient[d] = -likelihoodGradient[d]! - gammaLogDensityDerivative(OUTPUT_SCALE_PRIOR, theta[d]!);
        gradient[d + 1] = -likelihoodGradient[d + 1]! - gammaLogDensityDerivative(NOISE_PRIOR, theta[d + 1]!);
      }
      return -(terms.value + logPrior);
    };
    const fg = (theta: Float64Array, gradient: Float64Array): number => objective(theta, gradient);
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
    };
    let bestTheta: Float64Array | null = null;
    let bestValue = Number.POSITIVE_INFINITY;
    let evaluations = 0;
    let startsOptimized = 0;
    const optimize = (start: Float64Array): void => {
      const result = minimizeBounded(fg, start, lower, upper, minimizeOptions);
      evaluations += result.evaluations;
      startsOptimized++;
      if (Number.isFinite(result.value) && result.value < bestValue) {
        bestValue = result.value;
        bestTheta = result.x;
      }
    };
    if (opts.warmStart !== undefined) {
      optimize(clip(toTheta(opts.warmStart)));
      for (const start of starts) {
        evaluations++;
        if (objective(start, null) < bestValue) optimize(start);
      }
    } else {
      for (const start of starts) optimize(start);
    }
    // Every start failing means K was singular everywhere we looked: fall back to the default.
    const theta: Float64Array = bestTheta ?? defaultStart;
    const mean = evaluator.evaluate(theta, null, null).mean;
    const hyperparameters = fromTheta(theta, d, mean);
    return GaussianProcess.#condition(data, std, hyperparameters, {
      logPosterior: Number.isFinite(bestValue) ? -bestValue : Number.NaN,
      evaluations,
      startsOptimized,
      fitPoints: fitN,
    });
  }

  /**
   * Conditions on (x, y) with fixed hyperparameters (no fitting): one O(n³) Cholesky.
   *
   * @throws {RangeError} on empty data, ragged or non-finite inputs, non-finite targets, invalid
   *   hyperparameters, or when K is not positive definite even with jitter.
   */
  static fromHyperparameters(x: Points, y: readonly number[], hyperparameters: GPHyperparameters): GaussianProcess {
    const data = readData(x, y);
    checkHyperparameters(hyperparameters, data.d);
    return GaussianProcess.#condition(data, standardize(data.y), copyHyperparameters(hyperparameters));
  }

  static #condition(
    data: Data,
    std: Standardized,
    hyperparameters: GPHyperparameters,
    fitInfo?: GPFitInfo,
  ): GaussianProcess {
    const { n, d } = data;
    const invLengthscales = Float64Array.from(hyperparameters.lengthscales, (v) => 1 / v);
    const xs = scaleInputs(data.x, n, d, invLengthscales);
    const { outputScale: s, noise } = hyperparameters;
    // Large models build K and factorize it straight in their WebAssembly heap, where
    // predictions read L; X/ℓ dimension-major sits in the (not yet used) space after L meanwhile.
    const kernels = n >= WASM_MIN_POINTS ? createWasmKernels(wasmHeapSize(n, d)) : null;
    let chol: { l: Float64Array; jitter: number } | null;
    if (kernels === null) {
      chol = robustCholesky(kernelMatrix(xs, n, d, s, noise), n);
    } else {
      const heap = kernels.heap;
      const xt = n * n;
      for (let a = 0; a < n; a++) for (let i = 0; i < d; i++) heap[xt + i * n + a] = xs[a * d + i]!;
      chol = tryRobustCholeskyWasm(
        kernels,
        () => {
          kernels.pairs(xt, 0, -1, n, d, s);
          for (let a = 0; a < n; a++) heap[a * n + a] = s + noise;
        },
        n,
        0,
      );
    }
    if (chol === null) throw new RangeError('matrix is not positive definite (even with jitter 1e-4)');
    const model = GaussianProcess.#fromFactor(data, xs, std, hyperparameters, invLengthscales, chol, fitInfo);
    if (kernels !== null) model.#kernels = wasmSlot(kernels, n, d, xs, model.#state.alpha);
    return model;
  }

  /** The model once K = L Lᵀ is factorized: solves for the residual weights α = K⁻¹(z − mean). */
  static #fromFactor(
    data: Data,
    xs: Float64Array,
    std: Standardized,
    hyperparameters: GPHyperparameters,
    invLengthscales: Float64Array,
    factor: { l: Float64Array; jitter: number },
    fitInfo?: GPFitInfo,
  ): GaussianProcess {
    const { n, d, x, y } = data;
    const { l, jitter } = factor;
    const alpha = residualWeights(l, n, std.z, hyperparameters.mean);
    return new GaussianProcess({
      n,
      d,
      x,
      xs,
      y,
      yMean: std.yMean,
      yStd: std.yStd,
      z: std.z,
      hyperparameters,
      invLengthscales,
      l,
      jitter,
      alpha,
      fitInfo,
    });
  }

  /**
   * WebAssembly kernels holding a copy of L, created on the first prediction (null: use the JS
   * loops — small models, or no WebAssembly SIMD).
   */
  #wasm(): WasmSlot | null {
    if (this.#kernels === undefined) {
      const { n, d, l, xs } = this.#state;
      const kernels = n >= WASM_MIN_POINTS ? createWasmKernels(wasmHeapSize(n, d)) : null;
      if (kernels === null) {
        this.#kernels = null;
      } else {
        kernels.heap.set(l, 0);
        this.#kernels = wasmSlot(kernels, n, d, xs, this.#state.alpha);
      }
    }
    return this.#kernels;
  }

  /** Log marginal likelihood of the standardized targets, log p(z | θ), without priors. */
  logMarginalLikelihood(): number {
    if (this.#logMarginalLikelihood === undefined) {
      const { n, z, alpha, l, hyperparameters } = this.#state;
      let quad = 0;
      let logDet = 0;
      for (let a = 0; a < n; a++) {
        quad += (z[a]! - hyperparameters.mean) * alpha[a]!;
        logDet += Math.log(l[a * n + a]!);
      }
      this.#logMarginalLikelihood = -0.5 * quad - logDet - 0.5 * n * LOG_2PI;
    }
    return this.#logMarginalLikelihood;
  }

  /**
   * Latent posterior (no observation noise) at many points, in ORIGINAL y units. Points are
   * processed in blocks so that each row of L is loaded once per block (eight at a time on the
   * WebAssembly kernels). A point with a
   * non-finite coordinate gets NaN.
   *
   * @throws {RangeError} when a point does not have `dimension` coordinates.
   */
  predict(xs: Points): { mean: Float64Array; variance: Float64Array } {
    const { n, d, xs: train, invLengthscales, l, alpha, yMean, yStd, hyperparameters } = this.#state;
    const s = hyperparameters.outputScale;
    const m = hyperparameters.mean;
    const count = xs.length;
    const wasm = this.#wasm();
    if (wasm !== null) return this.#predictWasm(xs, wasm);
    const mean = new Float64Array(count);
    const variance = new Float64Array(count);
    const block = Math.min(PREDICT_BLOCK, count);
    // k* rows (one per query point), then v = L⁻¹k* in place.
    const kv = new Float64Array(n * block);
    const query = new Float64Array(d * block);
    const variance2 = yStd * yStd;
    for (let start = 0; start < count; start += block) {
      const b = Math.min(block, count - start);
      for (let q = 0; q < b; q++) {
        const point = xs[start + q]!;
        if (point.length !== d) throw new RangeError('points must have the model dimension');
        for (let i = 0; i < d; i++) query[q * d + i] = point[i]! * invLengthscales[i]!;
      }
      crossKernel(query, b, train, n, d, s, kv);
      for (let q = 0; q < b; q++) {
        let mu = 0;
        for (let j = 0; j < n; j++) mu += alpha[j]! * kv[q * n + j]!;
        mean[start + q] = yMean + yStd * (m + mu);
      }
      solveLowerRowsInPlace(l, n, kv, b);
      for (let q = 0; q < b; q++) {
        let vv = 0;
        for (let j = 0; j < n; j++) {
          const v = kv[q * n + j]!;
          vv += v * v;
        }
        const latent = s - vv;
        variance[start + q] = latent > 0 ? variance2 * latent : Number.isNaN(latent) ? Number.NaN : 0;
      }
    }
    return { mean, variance };
  }

  /**
   * {@link predict} on the WebAssembly kernels, eight queries at a time: covariances, means (k*ᵀα),
   * the triangular solve and |L⁻¹k*|² all run in the heap (same arithmetic, same order as the JS
   * loops; only the exponential differs, by a few ulp).
   */
  #predictWasm(xs: Points, wasm: WasmSlot): { mean: Float64Array; variance: Float64Array } {
    const { n, d, invLengthscales, yMean, yStd, hyperparameters } = this.#state;
    const s = hyperparameters.outputScale;
    const m = hyperparameters.mean;
    const count = xs.length;
    const mean = new Float64Array(count);
    const variance = new Float64Array(count);
    const { kernels, q, x, v, l, alpha } = wasm;
    const heap = kernels.heap;
    const means = wasm.moments;
    const norms = wasm.moments + 8;
    const variance2 = yStd * yStd;
    for (let g = 0; g < count; g += 8) {
      const width = Math.min(8, count - g);
      // Queries dimension-major (q + 8i + p); unused lanes 0.
      for (let p = 0; p < 8; p++) {
        if (p < width) {
          const point = xs[g + p]!;
          if (point.length !== d) throw new RangeError('points must have the model dimension');
          for (let i = 0; i < d; i++) heap[q + 8 * i + p] = point[i]! * invLengthscales[i]!;
        } else {
          for (let i = 0; i < d; i++) heap[q + 8 * i + p] = 0;
        }
      }
      kernels.cross8(q, x, v, n, d, s);
      kernels.dot8(alpha, v, n, means);
      kernels.solve8(l, v, n);
      kernels.sumsq8(v, n, norms);
      for (let p = 0; p < width; p++) {
        mean[g + p] = yMean + yStd * (m + heap[means + p]!);
        const latent = s - heap[norms + p]!;
        variance[g + p] = latent > 0 ? variance2 * latent : Number.isNaN(latent) ? Number.NaN : 0;
      }
    }
    return { mean, variance };
  }

  /**
   * Latent posterior and its gradient with respect to the input point, in ORIGINAL y units.
   * Where the variance is clamped at 0 its gradient is 0.
   *
   * @throws {RangeError} when the point does not have `dimension` coordinates.
   */
  predictWithGradient(x: ArrayLike<number>): {
    mean: number;
    variance: number;
    meanGradient: Float64Array;
    varianceGradient: Float64Array;
  } {
    const { n, d, xs: train, invLengthscales, l, alpha, yMean, yStd, hyperparameters } = this.#state;
    if (x.length !== d) throw new RangeError('point must have the model dimension');
    const s = hyperparameters.outputScale;
    const wasm = this.#wasm();
    if (wasm !== null) return this.#predictWithGradientWasm(x, wasm);
    const query = new Float64Array(d);
    for (let i = 0; i < d; i++) query[i] = x[i]! * invLengthscales[i]!;
    const kv = new Float64Array(n);
    // c_j = ∂k/∂r / r = −(5/3)·s·(1 + √5 r)·e^(−√5 r); ∂k_j/∂x_i = c_j·(x*_i − x_ji)/ℓ_i².
    const c = new Float64Array(n);
    let mu = 0;
    for (let j = 0; j < n; j++) {
      const xj = j * d;
      let r2 = 0;
      for (let i = 0; i < d; i++) {
        const t = query[i]! - train[xj + i]!;
        r2 += t * t;
      }
      const r = Math.sqrt(r2);
      const e = Math.exp(-SQRT5 * r);
      const kj = s * (1 + SQRT5 * r + (5 / 3) * r2) * e;
      kv[j] = kj;
      c[j] = -(5 / 3) * s * (1 + SQRT5 * r) * e;
      mu += alpha[j]! * kj;
    }
    let vv = 0;
    solveLowerInPlace(l, n, kv);
    for (let j = 0; j < n; j++) vv += kv[j]! * kv[j]!;
    // w = K⁻¹k*: ∂var/∂x = −2·wᵀ·∂k*/∂x.
    solveLowerTransposeInPlace(l, n, kv);
    const latent = s - vv;
    const meanGradient = new Float64Array(d);
    const varianceGradient = new Float64Array(d);
    for (let j = 0; j < n; j++) {
      const xj = j * d;
      const cm = alpha[j]! * c[j]!;
      const cv = -2 * kv[j]! * c[j]!;
      for (let i = 0; i < d; i++) {
        const t = query[i]! - train[xj + i]!;
        meanGradient[i] = meanGradient[i]! + cm * t;
        varianceGradient[i] = varianceGradient[i]! + cv * t;
      }
    }
    const variance2 = yStd * yStd;
    const clamped = !(latent > 0);
    for (let i = 0; i < d; i++) {
      // t above is in scaled units: one more 1/ℓ_i turns (x*_i − x_ji)/ℓ_i into (x*_i − x_ji)/ℓ_i².
      meanGradient[i] = yStd * meanGradient[i]! * invLengthscales[i]!;
      varianceGradient[i] = clamped ? 0 : variance2 * varianceGradient[i]! * invLengthscales[i]!;
    }
    return {
      mean: yMean + yStd * (hyperparameters.mean + mu),
      variance: clamped ? (Number.isNaN(latent) ? Number.NaN : 0) : variance2 * latent,
      meanGradient,
      varianceGradient,
    };
  }

  /** {@link predictWithGradient} on the WebAssembly kernels (one `gradPoint` call). */
  #predictWithGradientWasm(
    x: ArrayLike<number>,
    wasm: WasmSlot,
  ): { mean: number; variance: number; meanGradient: Float64Array; varianceGradient: Float64Array } {
    const { n, d, invLengthscales, yMean, yStd, hyperparameters } = this.#state;
    const s = hyperparameters.outputScale;
    const { kernels, q, out } = wasm;
    const heap = kernels.heap;
    for (let i = 0; i < d; i++) heap[q + i] = x[i]! * invLengthscales[i]!;
    kernels.gradPoint(q, wasm.x, wasm.alpha, wasm.l, n, d, s, wasm.k, wasm.c, out);
    const latent = s - heap[out + 1]!;
    const clamped = !(latent > 0);
    const variance2 = yStd * yStd;
    const meanGradient = new Float64Array(d);
    const varianceGradient = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      meanGradient[i] = yStd * heap[out + 2 + i]! * invLengthscales[i]!;
      varianceGradient[i] = clamped ? 0 : variance2 * heap[out + 2 + d + i]! * invLengthscales[i]!;
    }
    return {
      mean: yMean + yStd * (hyperparameters.mean + heap[out]!),
      variance: clamped ? (Number.isNaN(latent) ? Number.NaN : 0) : variance2 * latent,
      meanGradient,
      varianceGradient,
    };
  }

  /**
   * Same hyperparameters, one more observation: the Cholesky factor grows by one row in O(n²)
   * instead of being recomputed in O(n³). Targets are re-standardized over all n + 1 values (K in
   * standardized units does not depend on y), so the result equals
   * `fromHyperparameters([...x, newX], [...y, newY], hyperparameters)` up to rounding (and up to
   * jitter: the new diagonal entry gets the same jitter as the others; if the appended pivot is
   * not positive the whole factor is recomputed with jitter escalation).
   *
   * @throws {RangeError} when x has the wrong dimension or x / y are not finite.
   */
  extend(x: ArrayLike<number>, y: number): GaussianProcess {
    const old = this.#state;
    const { n, d, invLengthscales, hyperparameters } = old;
    if (x.length !== d) throw new RangeError('point must have the model dimension');
    if (!Number.isFinite(y)) throw new RangeError('y must be finite (filter failed trials first)');
    const n1 = n + 1;
    const rawX = new Float64Array(n1 * d);
    rawX.set(old.x);
    for (let i = 0; i < d; i++) {
      const v = x[i]!;
      if (!Number.isFinite(v)) throw new RangeError('x must be finite');
      rawX[n * d + i] = v;
    }
    const rawY = new Float64Array(n1);
    rawY.set(old.y);
    rawY[n] = y;
    const xs = new Float64Array(n1 * d);
    xs.set(old.xs);
    for (let i = 0; i < d; i++) xs[n * d + i] = rawX[n * d + i]! * invLengthscales[i]!;
    const s = hyperparameters.outputScale;
    const column = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let r2 = 0;
      for (let i = 0; i < d; i++) {
        const t = xs[n * d + i]! - xs[j * d + i]!;
        r2 += t * t;
      }
      const r = Math.sqrt(r2);
      column[j] = s * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
    }
    const appended = choleskyAppend(old.l, n, column, s + hyperparameters.noise + old.jitter);
    const factor =
      appended === null
        ? robustCholesky(kernelMatrix(xs, n1, d, s, hyperparameters.noise), n1)
        : { l: appended, jitter: old.jitter };
    const data: Data = { n: n1, d, x: rawX, y: rawY };
    return GaussianProcess.#fromFactor(data, xs, standardize(rawY), hyperparameters, invLengthscales, factor);
  }

  /**
   * The kriging believer (asynchronous BO): this model conditioned on extra inputs whose targets
   * are its own posterior means there, with the same hyperparameters AND the same standardization
   * (unlike {@link extend}, which re-standardizes). Each new target is exactly what the model
   * expects, so the posterior mean is unchanged everywhere (to rounding); the variance shrinks
   * around the new inputs as if they had been observed — what a configuration that is still
   * being evaluated will contribute whatever its result. Conditioning on several points at once
   * equals conditioning on them one by one. The factor grows by one row per point, O(n²) each
   * (recomputed with jitter escalation when a pivot fails, e.g. for a repeated input).
   *
   * @throws {RangeError} when a point has the wrong dimension or a non-finite coordinate.
   */
  believe(points: Points): GaussianProcess {
    if (points.length === 0) return this;
    const old = this.#state;
    const { n, d, invLengthscales, hyperparameters, yMean, yStd } = old;
    const { outputScale: s, noise } = hyperparameters;
    const count = points.length;
    const n1 = n + count;
    const rawX = new Float64Array(n1 * d);
    const xs = new Float64Array(n1 * d);
    rawX.set(old.x);
    xs.set(old.xs);
    for (let q = 0; q < count; q++) {
      const point = points[q]!;
      if (point.length !== d) throw new RangeError('points must have the model dimension');
      for (let i = 0; i < d; i++) {
        const v = point[i]!;
        if (!Number.isFinite(v)) throw new RangeError('x must be finite');
        rawX[(n + q) * d + i] = v;
        xs[(n + q) * d + i] = v * invLengthscales[i]!;
      }
    }
    const { mean } = this.predict(points);
    const rawY = new Float64Array(n1);
    const z = new Float64Array(n1);
    rawY.set(old.y);
    z.set(old.z);
    for (let q = 0; q < count; q++) {
      rawY[n + q] = mean[q]!;
      z[n + q] = (mean[q]! - yMean) / yStd;
    }
    let l: Float64Array | null = old.l;
    for (let m = n; m < n1 && l !== null; m++) {
      const column = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        let r2 = 0;
        for (let i = 0; i < d; i++) {
          const t = xs[m * d + i]! - xs[j * d + i]!;
          r2 += t * t;
        }
        const r = Math.sqrt(r2);
        column[j] = s * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      }
      l = choleskyAppend(l, m, column, s + noise + old.jitter);
    }
    const factor = l === null ? robustCholesky(kernelMatrix(xs, n1, d, s, noise), n1) : { l, jitter: old.jitter };
    const data: Data = { n: n1, d, x: rawX, y: rawY };
    return GaussianProcess.#fromFactor(data, xs, { yMean, yStd, z }, hyperparameters, invLengthscales, factor);
  }
}

interface Data {
  readonly n: number;
  readonly d: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

interface Standardized {
  readonly yMean: number;
  readonly yStd: number;
  readonly z: Float64Array;
}

function readData(x: Points, y: readonly number[]): Data {
  const n = x.length;
  if (n === 0) throw new RangeError('at least one observation is required');
  if (y.length !== n) throw new RangeError('x and y must have the same length');
  const d = x[0]!.length;
  const flat = new Float64Array(n * d);
  for (let a = 0; a < n; a++) {
    const row = x[a]!;
    if (row.length !== d) throw new RangeError('all points must have the same dimension');
    for (let i = 0; i < d; i++) {
      const v = row[i]!;
      if (!Number.isFinite(v)) throw new RangeError('x must be finite');
      flat[a * d + i] = v;
    }
  }
  const values = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const v = y[a]!;
    if (!Number.isFinite(v)) throw new RangeError('y must be finite (filter failed trials first)');
    values[a] = v;
  }
  return { n, d, x: flat, y: values };
}

/**
 * z-scores with the sample standard deviation (n − 1). n = 1 or (numerically) constant targets
 * give yStd = 1, so z = y − ȳ = 0 instead of a division by zero.
 */
function standardize(y: Float64Array): Standardized {
  const n = y.length;
  let sum = 0;
  let maxAbs = 0;
  for (let a = 0; a < n; a++) {
    sum += y[a]!;
    maxAbs = Math.max(maxAbs, Math.abs(y[a]!));
  }
  const yMean = sum / n;
  let ss = 0;
  for (let a = 0; a < n; a++) ss += (y[a]! - yMean) ** 2;
  let yStd = n > 1 ? Math.sqrt(ss / (n - 1)) : 1;
  // Spread at rounding level is not signal: treat it as constant.
  if (!(yStd > 1e-13 * maxAbs) || !Number.isFinite(yStd)) yStd = 1;
  const z = new Float64Array(n);
  for (let a = 0; a < n; a++) z[a] = (y[a]! - yMean) / yStd;
  return { yMean, yStd, z };
}

function checkHyperparameters(h: GPHyperparameters, d: number): void {
  if (h.lengthscales.length !== d) {
    throw new RangeError('lengthscales must have one entry per dimension');
  }
  for (const v of h.lengthscales) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError('lengthscales must be positive');
  }
  if (!(h.outputScale > 0) || !Number.isFinite(h.outputScale)) {
    throw new RangeError('outputScale must be positive');
  }
  if (!(h.noise >= 0) || !Number.isFinite(h.noise)) throw new RangeError('noise must be non-negative');
  if (!Number.isFinite(h.mean)) throw new RangeError('mean must be finite');
}

function copyHyperparameters(h: GPHyperparameters): GPHyperparameters {
  return Object.freeze({
    lengthscales: Object.freeze([...h.lengthscales]),
    outputScale: h.outputScale,
    noise: h.noise,
    mean: h.mean,
  });
}

function toTheta(h: GPHyperparameters): Float64Array {
  const d = h.lengthscales.length;
  const theta = new Float64Array(d + 2);
  for (let i = 0; i < d; i++) theta[i] = Math.log(h.lengthscales[i]!);
  theta[d] = Math.log(h.outputScale);
  // A zero noise from a hand-made warm start becomes -Infinity and is clipped to minNoise.
  theta[d + 1] = Math.log(h.noise);
  return theta;
}

function fromTheta(theta: Float64Array, d: number, mean: number): GPHyperparameters {
  const lengthscales: number[] = [];
  for (let i = 0; i < d; i++) lengthscales.push(Math.exp(theta[i]!));
  return copyHyperparameters({
    lengthscales,
    outputScale: Math.exp(theta[d]!),
    noise: Math.exp(theta[d + 1]!),
    mean,
  });
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

function scaleInputs(x: Float64Array, n: number, d: number, inv: Float64Array): Float64Array {
  const xs = new Float64Array(n * d);
  for (let a = 0; a < n; a++) {
    for (let i = 0; i < d; i++) xs[a * d + i] = x[a * d + i]! * inv[i]!;
  }
  return xs;
}

/** K = k(X, X) + σ²·I from pre-scaled inputs; both halves written from the same value. */
function kernelMatrix(xs: Float64Array, n: number, d: number, s: number, noise: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    const xa = a * d;
    for (let b = 0; b < a; b++) {
      const xb = b * d;
      let r2 = 0;
      for (let i = 0; i < d; i++) {
        const t = xs[xa + i]! - xs[xb + i]!;
        r2 += t * t;
      }
      const r = Math.sqrt(r2);
      const v = s * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      k[a * n + b] = v;
      k[b * n + a] = v;
    }
    k[a * n + a] = s + noise;
  }
  return k;
}

/**
 * out[q·n + j] = k(x*_q, x_j) for `count` scaled query points (row-major count×d) against n
 * scaled training points. Four query points share each training point, giving four independent
 * accumulation chains; each r² is summed over i in the same order on every path, so a point's
 * kernel row does not depend on how many points are predicted with it.
 */
function crossKernel(
  query: Float64Array,
  count: number,
  train: Float64Array,
  n: number,
  d: number,
  s: number,
  out: Float64Array,
): void {
  let q = 0;
  for (; q + 4 <= count; q += 4) {
    const q0 = q * d;
    const q1 = q0 + d;
    const q2 = q1 + d;
    const q3 = q2 + d;
    const o0 = q * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let j = 0; j < n; j++) {
      const xj = j * d;
      let r0 = 0;
      let r1 = 0;
      let r2 = 0;
      let r3 = 0;
      for (let i = 0; i < d; i++) {
        const x = train[xj + i]!;
        const t0 = query[q0 + i]! - x;
        const t1 = query[q1 + i]! - x;
        const t2 = query[q2 + i]! - x;
        const t3 = query[q3 + i]! - x;
        r0 += t0 * t0;
        r1 += t1 * t1;
        r2 += t2 * t2;
        r3 += t3 * t3;
      }
      out[o0 + j] = matern52(s, r0);
      out[o1 + j] = matern52(s, r1);
      out[o2 + j] = matern52(s, r2);
      out[o3 + j] = matern52(s, r3);
    }
  }
  for (; q < count; q++) {
    const q0 = q * d;
    const o0 = q * n;
    for (let j = 0; j < n; j++) {
      const xj = j * d;
      let r0 = 0;
      for (let i = 0; i < d; i++) {
        const t0 = query[q0 + i]! - train[xj + i]!;
        r0 += t0 * t0;
      }
      out[o0 + j] = matern52(s, r0);
    }
  }
}

/** Matérn-5/2 covariance s·(1 + √5·r + 5r²/3)·e^(−√5·r) from r². */
function matern52(s: number, r2: number): number {
  const r = Math.sqrt(r2);
  return s * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** α = K⁻¹(z − m) by forward and back substitution. */
function residualWeights(l: Float64Array, n: number, z: Float64Array, m: number): Float64Array {
  const alpha = new Float64Array(n);
  for (let a = 0; a < n; a++) alpha[a] = z[a]! - m;
  solveLowerInPlace(l, n, alpha);
  solveLowerTransposeInPlace(l, n, alpha);
  return alpha;
}

/**
 * log p(z | θ) of standardized targets `z` (no standardization, no priors) and its gradient with
 * respect to (log ℓ_1..log ℓ_d, log s, log σ², m): the quantity the MAP fit climbs, exposed for
 * diagnostics and tests.
 *
 * @throws {RangeError} on invalid data or hyperparameters, or when K is not positive definite
 *   even with jitter.
 */
export function logMarginalLikelihoodWithGradient(
  x: Points,
  z: readonly number[],
  hyperparameters: GPHyperparameters,
): { value: number; gradient: Float64Array; jitter: number } {
  const data = readData(x, z);
  checkHyperparameters(hyperparameters, data.d);
  const evaluator = new LikelihoodEvaluator(data.x, data.y, data.n, data.d);
  const theta = toTheta(hyperparameters);
  const gradient = new Float64Array(data.d + 3);
  const terms = evaluator.evaluate(theta, hyperparameters.mean, gradient);
  if (Number.isNaN(terms.value)) {
    throw new RangeError('matrix is not positive definite (even with jitter 1e-4)');
  }
  return { value: terms.value, gradient, jitter: terms.jitter };
}

/**
 * The MAP objective the fit maximizes: log p(z | θ) with the mean profiled out, plus the log
 * Gamma priors, for standardized targets `z`.
 */
export function logPosteriorObjective(
  x: Points,
  z: readonly number[],
  hyperparameters: Omit<GPHyperparameters, 'mean'>,
): number {
  const data = readData(x, z);
  checkHyperparameters({ ...hyperparameters, mean: 0 }, data.d);
  const evaluator = new LikelihoodEvaluator(data.x, data.y, data.n, data.d);
  const theta = toTheta({ ...hyperparameters, mean: 0 });
  const { d } = data;
  const terms = evaluator.evaluate(theta, null, null);
  let logPrior = gammaLogDensity(OUTPUT_SCALE_PRIOR, theta[d]!);
  logPrior += gammaLogDensity(NOISE_PRIOR, theta[d + 1]!);
  for (let i = 0; i < d; i++) logPrior += gammaLogDensity(LENGTHSCALE_PRIOR, theta[i]!);
  return terms.value + logPrior;
}

/**
 * The covariance matrix K = k(X, X) + σ²·I of the model (n×n, row-major, both halves filled),
 * in standardized-target units, without jitter.
 *
 * @throws {RangeError} on invalid inputs or hyperparameters.
 */
export function covarianceMatrix(x: Points, hyperparameters: GPHyperparameters): Float64Array {
  const n = x.length;
  const data = readData(x, new Array<number>(n).fill(0));
  checkHyperparameters(hyperparameters, data.d);
  const inv = Float64Array.from(hyperparameters.lengthscales, (v) => 1 / v);
  const xs = scaleInputs(data.x, n, data.d, inv);
  return kernelMatrix(xs, n, data.d, hyperparameters.outputScale, hyperparameters.noise);
}
