/**
 * Surrogate models of one BO step: the objective GP and the cost models (one GP per stage on
 * log stage cost over that stage's own inputs, or one GP on log total cost over all inputs).
 * Notation: x ∈ [0,1]^D encoded configuration; x_s its stage-s block; y' = ±objective
 * (minimization is negated so that every model maximizes).
 */
import type { Observation } from '../core/types.js';
import { GaussianProcess } from '../gp/index.js';
import type { GPHyperparameters } from '../gp/index.js';
import type { SpaceEncoding } from '../space/index.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { LogCostModel } from '../acquisition/eeipu.js';

/** A model of log cost: mean a(x) and standard deviation b(x) in raw log-cost units. */
/** A fitted cost model: what the acquisition reads ({@link LogCostModel}) plus what the state stores. */
export interface CostModel extends LogCostModel {
  /** Fitted hyperparameters (null for a constant model), stored in the state for warm starts. */
  readonly hyperparameters: GPHyperparameters | null;
  /** Diagonal jitter the GP needed (0 for constant models). */
  readonly jitter: number;
}

/** A cost model that ignores its inputs (stage without hyperparameters, or no cost data). */
export class ConstantCostModel implements CostModel {
  readonly hyperparameters = null;
  readonly jitter = 0;
  constructor(
    readonly start: number,
    readonly end: number,
    private readonly mean: number,
    private readonly sd: number,
  ) {}
  predict(points: readonly Float64Array[]): { mean: Float64Array; sd: Float64Array } {
    return { mean: new Float64Array(points.length).fill(this.mean), sd: new Float64Array(points.length).fill(this.sd) };
  }
  predictWithGradient(): { mean: number; sd: number; meanGradient: Float64Array; sdGradient: Float64Array } {
    const width = this.end - this.start;
    return { mean: this.mean, sd: this.sd, meanGradient: new Float64Array(width), sdGradient: new Float64Array(width) };
  }
}

export class GaussianProcessCostModel implements CostModel {
  readonly hyperparameters: GPHyperparameters;
  readonly jitter: number;
  constructor(
    readonly start: number,
    readonly end: number,
    private readonly gp: GaussianProcess,
  ) {
    this.hyperparameters = gp.hyperparameters;
    this.jitter = gp.jitter;
  }
  predict(points: readonly Float64Array[]): { mean: Float64Array; sd: Float64Array } {
    const { mean, variance } = this.gp.predict(points);
    const sd = new Float64Array(variance.length);
    for (let i = 0; i < sd.length; i++) sd[i] = Math.sqrt(Math.max(variance[i]!, 0));
    return { mean, sd };
  }
  predictWithGradient(x: Float64Array): {
    mean: number;
    sd: number;
    meanGradient: Float64Array;
    sdGradient: Float64Array;
  } {
    const p = this.gp.predictWithGradient(x);
    const sd = Math.sqrt(Math.max(p.variance, 0));
    const sdGradient = new Float64Array(p.varianceGradient.length);
    if (sd > 0) for (let i = 0; i < sdGradient.length; i++) sdGradient[i] = p.varianceGradient[i]! / (2 * sd);
    return { mean: p.mean, sd, meanGradient: p.meanGradient, sdGradient };
  }
}

/** Relative floor for non-positive costs: 1e-3 × the median positive cost of the same model. */
const COST_FLOOR_FRACTION = 1e-3;
/** Absolute floor when no positive cost was ever measured. */
const COST_FLOOR_ABSOLUTE = 1e-6;

/**
 * log of costs after flooring: zero, negative (clock skew, bad reports) or tiny costs would give
 * −∞ or wild outliers in log space, so every cost is raised to at least 1e-3 × the median
 * positive cost of the same series (1e-6 when there is none).
 */
export function flooredLogCosts(costs: readonly number[]): number[] {
  const positive = costs.filter((c) => c > 0).sort((p, q) => p - q);
  const median = positive.length === 0 ? 0 : positive[Math.floor((positive.length - 1) / 2)]!;
  const floor = median > 0 ? median * COST_FLOOR_FRACTION : COST_FLOOR_ABSOLUTE;
  return costs.map((c) => Math.log(Math.max(c, floor)));
}

/**
 * Cost GPs are conditioned on at most this many observations (evenly spaced over the history when
 * there are more). Stage costs live on a few dims and are smooth; beyond a few hundred points
 * extra data hardly moves the posterior, while every prediction costs O(n²) and the acquisition
 * optimizer makes thousands of them.
 */
export const COST_MODEL_MAX_POINTS = 128;

/** Random restarts of a cost-GP fit (besides the default and warm starts). */
const COST_FIT_RESTARTS = 2;
/** Cost GPs fit their hyperparameters on at most this many points (then condition on all kept). */
const COST_FIT_MAX_POINTS = 128;

/** Indices 0..count−1, or an evenly spaced subset of `limit` of them (always including the last). */
export function evenSubset(count: number, limit: number): number[] {
  if (count <= limit) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: limit }, (_, k) => Math.floor(((k + 1) * count) / limit) - 1);
}

export interface FitContext {
  readonly seed: number;
  readonly warmStart: GPHyperparameters | null | undefined;
  /** Reuse `warmStart` as is (condition only, no hyperparameter search) when it fits the inputs. */
  readonly reuse: boolean;
}

function fitCostModel(
  start: number,
  end: number,
  x: Float64Array[],
  logCosts: number[],
  fallbackMean: number,
  context: FitContext,
): CostModel {
  if (logCosts.length === 0) return new ConstantCostModel(start, end, fallbackMean, 0);
  const keep = evenSubset(logCosts.length, COST_MODEL_MAX_POINTS);
  if (keep.length < logCosts.length) {
    x = keep.map((i) => x[i]!);
    logCosts = keep.map((i) => logCosts[i]!);
  }
  if (end === start) {
    // No inputs: the cost is one number; use its sample mean.
    const mean = logCosts.reduce((p, q) => p + q, 0) / logCosts.length;
    return new ConstantCostModel(start, end, mean, 0);
  }
  const warmStart = context.warmStart?.lengthscales.length === end - start ? context.warmStart : undefined;
  if (context.reuse && warmStart !== undefined) {
    return new GaussianProcessCostModel(start, end, GaussianProcess.fromHyperparameters(x, logCosts, warmStart));
  }
  const gp = GaussianProcess.fit(x, logCosts, {
    seed: context.seed,
    restarts: COST_FIT_RESTARTS,
    maxFitPoints: COST_FIT_MAX_POINTS,
    ...(warmStart ? { warmStart } : {}),
  });
  return new GaussianProcessCostModel(start, end, gp);
}

/**
 * One cost GP per stage, trained on every observation whose stage cost is known (failed trials
 * included: a stage that completed has a valid full cost), inputs = that stage's own dims.
 */
export function fitStageCostModels(
  encoding: SpaceEncoding,
  history: readonly Observation[],
  encoded: readonly Float64Array[],
  seed: number,
  warmStarts: readonly (GPHyperparameters | null)[] | undefined,
  reuse: boolean,
): CostModel[] {
  const all: number[] = [];
  for (const obs of history) for (const c of obs.stageCosts) if (c !== null && Number.isFinite(c)) all.push(c);
  const allLog = flooredLogCosts(all);
  const fallbackMean = allLog.length === 0 ? 0 : allLog.reduce((p, q) => p + q, 0) / allLog.length;
  // prefixIds[i] ends up as a number naming trial i's stages 0..s (equal numbers ⇔ equal raw
  // values of every stage up to s), extended by one stage per model: one small serialization per
  // (trial, stage), and short map keys instead of whole serialized prefixes.
  const prefixIds = new Int32Array(history.length);
  return encoding.stageRanges.map((range, s) => {
    const x: Float64Array[] = [];
    const costs: number[] = [];
    // One row per computed stage output: a trial that reused stage s reports the cost measured
    // when that output was first computed, so its row would only repeat an earlier one (and, with
    // EEIPU reusing most of the time, crowd the subset the cost GP is fitted on).
    const ids = new Map<string, number>();
    const seen = new Set<number>();
    history.forEach((obs, i) => {
      const key = `${prefixIds[i]!}:${canonicalJson(obs.config[s] ?? null)}`;
      let prefix = ids.get(key);
      if (prefix === undefined) {
        prefix = ids.size;
        ids.set(key, prefix);
      }
      prefixIds[i] = prefix;
      const c = obs.stageCosts[s];
      if (c === null || c === undefined || !Number.isFinite(c)) return;
      if (seen.has(prefix)) return;
      seen.add(prefix);
      x.push(encoded[i]!.subarray(range.start, range.end));
      costs.push(c);
    });
    return fitCostModel(range.start, range.end, x, flooredLogCosts(costs), fallbackMean, {
      seed: seed + s + 1,
      warmStart: warmStarts?.[s],
      reuse,
    });
  });
}

/** One GP on log total cost over all inputs (CArBO / EIPS), from trials whose every stage cost is known. */
export function fitTotalCostModel(
  encoding: SpaceEncoding,
  history: readonly Observation[],
  encoded: readonly Float64Array[],
  seed: number,
  warmStart: GPHyperparameters | null | undefined,
  reuse: boolean,
): CostModel {
  const x: Float64Array[] = [];
  const costs: number[] = [];
  history.forEach((obs, i) => {
    if (obs.stageCosts.some((c) => c === null || !Number.isFinite(c))) return;
    x.push(encoded[i]!);
    costs.push((obs.stageCosts as number[]).reduce((p, q) => p + q, 0));
  });
  return fitCostModel(0, encoding.dimension, x, flooredLogCosts(costs), 0, { seed: seed + 1, warmStart, reuse });
}
