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
 *
 * This file is the public class: conditioning, updates (extend, believe) and the choice of
 * prediction path. The rest is one concept per file: ./kernel.ts (the Matérn-5/2 kernel, once),
 * ./likelihood.ts (log p(z | θ) and its gradient), ./map-objective.ts (likelihood + priors),
 * ./fit.ts (the multi-start MAP search), ./data.ts (input reading, standardization),
 * ./hyperparameters.ts (validation, θ packing), ./js-model.ts and ./wasm-model.ts (the two
 * prediction paths), ./model-state.ts (what they share).
 */
import { choleskyAppend, robustCholesky, solveLowerInPlace, solveLowerTransposeInPlace } from '../linalg/index.js';
import type { WasmKernels } from '../linalg/index.js';
import type { Data, PointsInput, Standardized } from './data.js';
import { copyPoints, readData, standardize, toPoints } from './data.js';
import type { GPFitInfo, GPFitOptions } from './fit.js';
import { fitHyperparameters } from './fit.js';
import type { GPHyperparameters } from './hyperparameters.js';
import { checkHyperparameters, copyHyperparameters } from './hyperparameters.js';
import { predictJs, predictWithGradientJs } from './js-model.js';
import { kernelColumn, kernelMatrix, scaleInputs } from './kernel.js';
import { logLikelihoodFromFactor } from './likelihood.js';
import type { ModelState } from './model-state.js';
import { FACTOR_CACHE_MIN_POINTS } from './factor-cache.js';
import { createModelKernels, factorizeInHeap, WasmModel } from './wasm-model.js';

/**
 * Exact GP posterior conditioned on (X, y) with fixed hyperparameters. Immutable.
 *
 * Targets are z-scored with the sample standard deviation; when all targets are equal (or n = 1)
 * yStd is 1, so z = 0 and the posterior mean is yMean + yStd·m away from the data.
 * Fewer points than dimensions and duplicate points are fine: the noise variance (≥ `minNoise`)
 * and, when needed, jitter keep K positive definite.
 * Inputs are rows of arrays, or the rows of a matrix such as an ml-matrix `Matrix` (see
 * {@link PointsInput}); the results are the same.
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
  readonly #state: ModelState;
  #logMarginalLikelihood: number | undefined;
  #wasmModel: WasmModel | null | undefined;

  private constructor(state: ModelState) {
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
   * log σ²) with analytic gradients, by the bounded quasi-Newton minimizer from several starts: the warm
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
  static fit(x: PointsInput, y: readonly number[], options: GPFitOptions = {}): GaussianProcess {
    const data = readData(x, y);
    const std = standardize(data.y);
    const { hyperparameters, fitInfo } = fitHyperparameters(data, std, options);
    return GaussianProcess.#condition(data, std, hyperparameters, fitInfo);
  }

  /**
   * Conditions on (x, y) with fixed hyperparameters (no fitting): one O(n³) Cholesky.
   *
   * @throws {RangeError} on empty data, ragged or non-finite inputs, non-finite targets, invalid
   *   hyperparameters, or when K is not positive definite even with jitter.
   */
  static fromHyperparameters(
    x: PointsInput,
    y: readonly number[],
    hyperparameters: GPHyperparameters,
  ): GaussianProcess {
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
    const kernels = createModelKernels(n, d);
    const chol =
      kernels === null
        ? robustCholesky(kernelMatrix(xs, n, d, s, noise), n)
        : factorizeInHeap(kernels, data.x, xs, n, d, s, noise);
    if (chol === null) throw new RangeError('matrix is not positive definite (even with jitter 1e-4)');
    const model = GaussianProcess.#fromFactor(data, xs, std, hyperparameters, invLengthscales, chol, fitInfo, kernels);
    if (kernels !== null) model.#wasmModel = new WasmModel(kernels, model.#state);
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
    kernels: WasmKernels | null = null,
  ): GaussianProcess {
    const { n, d, x, y } = data;
    const { l, jitter } = factor;
    const alpha = residualWeights(l, n, std.z, hyperparameters.mean, kernels);
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
   * The WebAssembly model holding a copy of L, created on the first prediction (null: use the JS
   * loops — small models, or no WebAssembly SIMD).
   */
  #wasm(): WasmModel | null {
    if (this.#wasmModel === undefined) this.#wasmModel = WasmModel.fromState(this.#state);
    return this.#wasmModel;
  }

  /** Log marginal likelihood of the standardized targets, log p(z | θ), without priors. */
  logMarginalLikelihood(): number {
    if (this.#logMarginalLikelihood === undefined) {
      const { n, z, alpha, l, hyperparameters } = this.#state;
      this.#logMarginalLikelihood = logLikelihoodFromFactor(l, n, z, hyperparameters.mean, alpha);
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
  predict(xs: PointsInput): { mean: Float64Array; variance: Float64Array } {
    const points = toPoints(xs);
    const wasm = this.#wasm();
    return wasm === null ? predictJs(this.#state, points) : wasm.predict(points);
  }

  /**
   * The latent posterior mean alone at many points, in ORIGINAL y units: the n·d covariances and
   * one dot product per point, without {@link predict}'s O(n²) triangular solve.
   *
   * @throws {RangeError} when a point does not have `dimension` coordinates.
   */
  predictMean(xs: PointsInput): Float64Array {
    return this.predictWithVarianceBound(xs, 0).mean;
  }

  /**
   * The exact posterior mean and an upper bound of the posterior variance at many points, for a
   * fraction of {@link predict}'s work: the variance given only the first `rows` observations
   * (conditioning on fewer observations never lowers a Gaussian posterior's variance). It is read
   * off the first `rows` entries of the full solve L⁻¹k*, whose squares the full variance
   * subtracts too, in the same order; so the bound holds in floating point, not only in exact
   * arithmetic. Costs rows²/2 instead of n²/2 multiply-adds per point (plus the n·d of the
   * covariances). Models on the JS loops (fewer than 32 observations, or no WebAssembly SIMD)
   * return the exact variance, which is its own bound.
   *
   * @throws {RangeError} when a point does not have `dimension` coordinates, or `rows` is not an
   *   integer in [0, size].
   */
  predictWithVarianceBound(xs: PointsInput, rows: number): { mean: Float64Array; varianceBound: Float64Array } {
    if (!Number.isInteger(rows) || rows < 0 || rows > this.size)
      throw new RangeError(`rows must be an integer in [0, ${this.size}]`);
    const points = toPoints(xs);
    const wasm = this.#wasm();
    const { mean, variance } = wasm === null ? predictJs(this.#state, points) : wasm.predict(points, rows);
    return { mean, varianceBound: variance };
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
    if (x.length !== this.#state.d) throw new RangeError('point must have the model dimension');
    const wasm = this.#wasm();
    return wasm === null ? predictWithGradientJs(this.#state, x) : wasm.predictWithGradient(x);
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
    const n1 = n + 1;
    const rawX = new Float64Array(n1 * d);
    rawX.set(old.x);
    copyPoints([x], d, rawX, n, 'point must have the model dimension');
    if (!Number.isFinite(y)) throw new RangeError('y must be finite (filter failed trials first)');
    const rawY = new Float64Array(n1);
    rawY.set(old.y);
    rawY[n] = y;
    const xs = new Float64Array(n1 * d);
    xs.set(old.xs);
    for (let i = 0; i < d; i++) xs[n * d + i] = rawX[n * d + i]! * invLengthscales[i]!;
    const s = hyperparameters.outputScale;
    const column = kernelColumn(xs, n, d, s);
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
  believe(pointsInput: PointsInput): GaussianProcess {
    const points = toPoints(pointsInput);
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
    copyPoints(points, d, rawX, n, 'points must have the model dimension');
    for (let a = n * d; a < n1 * d; a++) xs[a] = rawX[a]! * invLengthscales[a % d]!;
    const { mean } = this.predict(points);
    const rawY = new Float64Array(n1);
    const z = new Float64Array(n1);
    rawY.set(old.y);
    z.set(old.z);
    for (let q = 0; q < count; q++) {
      rawY[n + q] = mean[q]!;
      z[n + q] = (mean[q]! - yMean) / yStd;
    }
    const data: Data = { n: n1, d, x: rawX, y: rawY };
    const std = { yMean, yStd, z };
    // (A factor that needed jitter was not kept: appending rows in JS is then the cheaper way.)
    if (n1 >= FACTOR_CACHE_MIN_POINTS && old.jitter === 0) {
      // A large model: factorized in WebAssembly, continuing the factor this model kept
      // (./factor-cache.ts) — O(count·n²) without the n² copies of L that appending a row in JS
      // makes per point (at 8,000 trials, 5 running trials took 5 s a suggestion that way).
      const kernels = createModelKernels(n1, d);
      const factor = kernels === null ? null : factorizeInHeap(kernels, rawX, xs, n1, d, s, noise);
      if (kernels !== null && factor !== null) {
        const model = GaussianProcess.#fromFactor(
          data,
          xs,
          std,
          hyperparameters,
          invLengthscales,
          factor,
          undefined,
          kernels,
        );
        model.#wasmModel = new WasmModel(kernels, model.#state);
        return model;
      }
    }
    let l: Float64Array | null = old.l;
    for (let m = n; m < n1 && l !== null; m++) {
      const column = kernelColumn(xs, m, d, s);
      l = choleskyAppend(l, m, column, s + noise + old.jitter);
    }
    const factor = l === null ? robustCholesky(kernelMatrix(xs, n1, d, s, noise), n1) : { l, jitter: old.jitter };
    return GaussianProcess.#fromFactor(data, xs, std, hyperparameters, invLengthscales, factor);
  }
}

/**
 * α = K⁻¹(z − m) by forward and back substitution: in the model's heap when it has one (L at
 * offset 0, the space after it still free; solve2 has the JS loops' arithmetic, so α is the same).
 */
function residualWeights(
  l: Float64Array,
  n: number,
  z: Float64Array,
  m: number,
  kernels: WasmKernels | null,
): Float64Array {
  const alpha = new Float64Array(n);
  for (let a = 0; a < n; a++) alpha[a] = z[a]! - m;
  if (kernels === null) {
    solveLowerInPlace(l, n, alpha);
    solveLowerTransposeInPlace(l, n, alpha);
    return alpha;
  }
  // The right-hand side in lane 0 of solve2's interleaved pair, zeros in lane 1.
  const heap = kernels.heap;
  const v = n * n;
  for (let a = 0; a < n; a++) {
    heap[v + 2 * a] = alpha[a]!;
    heap[v + 2 * a + 1] = 0;
  }
  kernels.solve2(0, v, n);
  for (let a = 0; a < n; a++) alpha[a] = heap[v + 2 * a]!;
  return alpha;
}
