/**
 * The acquisition of the EEIPU family (shared/docs/eeipu.md, "Acquisition"), fixed for one BO step:
 *
 *   α(x; δ) = log EI(x) + η·log E[1/C_δ(x)],   C_δ = δ·ε + Σ_{s≥δ} c_s   (stages 0-based)
 *
 * x ∈ [0,1]^D is an encoded configuration whose first δ stages are pinned to a cached prefix;
 * EI is taken under the objective GP (y' = ±objective, maximized) against the incumbent f*;
 * log c_s = a_s(x_s) + b_s(x_s)·z_m with (a_s, b_s) a cost model's mean and standard deviation
 * of log cost on stage s's own dims, and z_1..z_M one shared vector of quasi-random normals
 * (common random numbers, see cost.ts). The cost kind selects the family member: one model per
 * stage (`'stage'`: eeipu, ms-carbo; δ > 0 only for eeipu), one model of total cost (`'total'`:
 * carbo, eips; δ is ignored), or none (`'none'`: ei; α = log EI). The cost term is dropped when
 * η = 0 (unless a kept reuse saving, below, still needs it).
 *
 * With `keepsReuseSaving` (setting `keepReuseSaving`) a pinned candidate's cost term is
 *
 *   η·log E[1/C_δ] + (1 − η)·log(1 + s·E[1/C_δ]),   s = the pinned stages' measured cost − δ·ε,
 *
 * so that only the preference for cheap regions cools: 1 + s·E[1/C_δ] ≈ (C_δ + s)/C_δ is what
 * running the same configuration from scratch would cost over what the reuse costs. Both terms
 * grow with E[1/C_δ], so bounds on it bound the term (raw-scoring.ts). δ = 0 scores as before.
 */
import type { GaussianProcess } from '../gp/index.js';
import { InverseCostEstimator, stageCost } from './cost.js';
import { logExpectedImprovementWithGradient, logH } from './log-ei.js';

/** Which cost models enter α: one per stage, one of the total cost, or none. */
export type CostKind = 'stage' | 'total' | 'none';

/** How a candidate reuses the cache: its pinned prefix length δ and what those stages cost when computed. */
export interface Reuse {
  readonly delta: number;
  /** Measured cost of the δ pinned stages (0 when unknown: no saving is counted). */
  readonly measuredCost: number;
}

/** A candidate that reuses nothing. */
export const NO_REUSE: Reuse = { delta: 0, measuredCost: 0 };

/** A model of log cost: mean a(x) and standard deviation b(x) in raw log-cost units. */
export interface LogCostModel {
  /** Encoded dims [start, end) of the full vector this model reads. */
  readonly start: number;
  readonly end: number;
  /** a and b at many inputs (each of length end − start). */
  predict(points: readonly Float64Array[]): { mean: Float64Array; sd: Float64Array };
  /** a, b and their gradients with respect to the model's own inputs. */
  predictWithGradient(x: Float64Array): {
    mean: number;
    sd: number;
    meanGradient: Float64Array;
    sdGradient: Float64Array;
  };
}

export class Acquisition {
  private readonly stageCount: number;
  private readonly aBuf: Float64Array;
  private readonly bBuf: Float64Array;
  private readonly dA: Float64Array;
  private readonly dB: Float64Array;
  private readonly estimator: InverseCostEstimator;
  /** Cost-model predictions of the current point (reused across calls). */
  private readonly costPreds: ReturnType<LogCostModel['predictWithGradient']>[] = [];

  constructor(
    readonly objective: GaussianProcess,
    readonly screen: GaussianProcess,
    readonly best: number,
    readonly costs: readonly LogCostModel[],
    readonly kind: CostKind,
    readonly eta: number,
    readonly epsilon: number,
    readonly z: Float64Array,
    readonly keepsReuseSaving = false,
  ) {
    this.stageCount = costs.length;
    this.aBuf = new Float64Array(this.stageCount);
    this.bBuf = new Float64Array(this.stageCount);
    this.dA = new Float64Array(this.stageCount);
    this.dB = new Float64Array(this.stageCount);
    this.estimator = new InverseCostEstimator(z, this.stageCount);
  }

  /** Whether the cost term enters α: a cost model exists and η > 0, or a kept reuse saving needs it. */
  get usesCost(): boolean {
    return this.kind !== 'none' && (this.eta > 0 || (this.keepsReuseSaving && this.kind === 'stage'));
  }

  /** s of the kept reuse saving (class comment): 0 unless `keepsReuseSaving` and a pinned prefix. */
  reuseSaving(reuse: Reuse): number {
    if (!this.keepsReuseSaving || this.kind !== 'stage' || reuse.delta === 0) return 0;
    return Math.max(0, reuse.measuredCost - this.fixedCost(reuse.delta));
  }

  /**
   * The cost term of α given log E[1/C_δ] (`logInverse`): η·log E[1/C_δ], plus the kept reuse
   * saving's (1 − η)·log(1 + s·E[1/C_δ]). Increasing in logInverse.
   */
  costTerm(logInverse: number, reuse: Reuse): number {
    const saving = this.reuseSaving(reuse);
    return saving === 0 ? this.eta * logInverse : this.#keptTerm(logInverse, Math.exp(logInverse), saving);
  }

  /** The cost term with a kept saving s > 0, from E[1/C_δ] and its log (whichever the caller has exactly). */
  #keptTerm(logInverse: number, inverse: number, saving: number): number {
    return this.eta * logInverse + (1 - this.eta) * Math.log1p(saving * inverse);
  }

  /** First model index that runs for prefix length δ (total-cost models ignore δ). */
  private firstRun(delta: number): number {
    return this.kind === 'stage' ? delta : 0;
  }

  /** What the δ reused stages cost: ε each (total-cost models ignore δ). */
  protected fixedCost(delta: number): number {
    return this.kind === 'stage' ? delta * this.epsilon : 0;
  }

  /**
   * The cost models that run after a prefix (from model `first`, `count` of them) at x: their
   * predictions with gradients into `predictions`, a and b into `a` and `b`.
   */
  protected predictRunningCosts(
    x: Float64Array,
    first: number,
    count: number,
    predictions: ReturnType<LogCostModel['predictWithGradient']>[],
    a: Float64Array,
    b: Float64Array,
  ): void {
    for (let s = 0; s < count; s++) {
      const m = this.costs[first + s]!;
      const q = m.predictWithGradient(x.subarray(m.start, m.end));
      predictions[s] = q;
      a[s] = q.mean;
      b[s] = q.sd;
    }
  }

  /**
   * ∂/∂x_i of a cost term whose partials are dA (∂/∂a_s) and dB (∂/∂b_s): the chain rule through
   * the models that read dim i (each free dim belongs to one stage's model; a total-cost model
   * reads every dim).
   */
  protected costChainGradient(
    i: number,
    first: number,
    count: number,
    predictions: readonly ReturnType<LogCostModel['predictWithGradient']>[],
    dA: Float64Array,
    dB: Float64Array,
  ): number {
    let g = 0;
    for (let s = 0; s < count; s++) {
      const m = this.costs[first + s]!;
      if (i < m.start || i >= m.end) continue;
      const q = predictions[s]!;
      const j = i - m.start;
      g += dA[s]! * q.meanGradient[j]! + dB[s]! * q.sdGradient[j]!;
    }
    return g;
  }

  /**
   * −α and its gradient with respect to the free dims (`free` lists their indices in x);
   * for the local optimizer.
   */
  negativeWithGradient(x: Float64Array, reuse: Reuse, free: Int32Array, gradient: Float64Array): number {
    const delta = reuse.delta;
    const p = this.screen.predictWithGradient(x);
    const ei = logExpectedImprovementWithGradient(p.mean, p.variance, this.best);
    if (!Number.isFinite(ei.value)) return Number.NaN;
    let value = ei.value;
    for (let k = 0; k < free.length; k++) {
      const i = free[k]!;
      gradient[k] = ei.dMean * p.meanGradient[i]! + ei.dVariance * p.varianceGradient[i]!;
    }
    if (this.usesCost) {
      const first = this.firstRun(delta);
      const count = this.stageCount - first;
      this.predictRunningCosts(x, first, count, this.costPreds, this.aBuf, this.bBuf);
      const cost = this.estimator.withGradient(
        this.aBuf.subarray(0, count),
        this.bBuf.subarray(0, count),
        this.fixedCost(delta),
        this.dA,
        this.dB,
      );
      const saving = this.reuseSaving(reuse);
      let scale: number;
      if (saving === 0) {
        value += this.eta * Math.log(cost.value);
        scale = this.eta / cost.value;
      } else {
        value += this.#keptTerm(Math.log(cost.value), cost.value, saving);
        scale = this.eta / cost.value + ((1 - this.eta) * saving) / (1 + saving * cost.value);
      }
      for (let k = 0; k < free.length; k++) {
        const g = this.costChainGradient(free[k]!, first, count, this.costPreds, this.dA, this.dB);
        gradient[k] = gradient[k]! + scale * g;
      }
    }
    for (let k = 0; k < free.length; k++) gradient[k] = -gradient[k]!;
    return -value;
  }

  /** Cost-model means a and standard deviations b at many points, row-major count × S'. */
  stagePredictions(points: readonly Float64Array[]): { a: Float64Array; b: Float64Array } {
    const count = points.length;
    const s = this.stageCount;
    const a = new Float64Array(count * s);
    const b = new Float64Array(count * s);
    this.costs.forEach((model, k) => {
      const pred = model.predict(points.map((x) => x.subarray(model.start, model.end)));
      for (let j = 0; j < count; j++) {
        a[j * s + k] = pred.mean[j]!;
        b[j * s + k] = pred.sd[j]!;
      }
    });
    return { a, b };
  }

  /**
   * Exact MC terms of the given rows: logInverse[j·S' + δ] = log E[1/C_δ(x_j)] for every δ
   * (S' = number of cost models), and the MC mean cost likewise. Costs of stages ≥ δ only read the
   * stage's own dims, so one row serves every prefix whose pinned stages precede them.
   */
  fillCostRows(
    predictions: { a: Float64Array; b: Float64Array },
    rows: Iterable<number>,
    logInverse: Float64Array,
    meanCost: Float64Array,
  ): void {
    const s = this.stageCount;
    const eps = this.kind === 'stage' ? this.epsilon : 0;
    for (const j of rows) {
      const out = logInverse.subarray(j * s, (j + 1) * s);
      const { a, b } = predictions;
      this.estimator.byPrefix(
        a.subarray(j * s, (j + 1) * s),
        b.subarray(j * s, (j + 1) * s),
        eps,
        out,
        meanCost.subarray(j * s, (j + 1) * s),
      );
      for (let k = 0; k < s; k++) out[k] = Math.log(out[k]!);
    }
  }

  /**
   * Bounds on every row's log E[1/C_δ] from the extreme draws: with b ≥ 0 every draw's cost lies
   * between the costs at z_min and z_max, and so does the MC mean of 1/C. Cheap (S' exps per
   * bound) and rigorous for the MC estimate itself, not just its expectation.
   */
  costBounds(
    predictions: { a: Float64Array; b: Float64Array },
    count: number,
  ): { lower: Float64Array; upper: Float64Array } {
    const s = this.stageCount;
    let zMin = Number.POSITIVE_INFINITY;
    let zMax = Number.NEGATIVE_INFINITY;
    for (const v of this.z) {
      zMin = Math.min(zMin, v);
      zMax = Math.max(zMax, v);
    }
    const eps = this.kind === 'stage' ? this.epsilon : 0;
    const lower = new Float64Array(count * s);
    const upper = new Float64Array(count * s);
    const { a, b } = predictions;
    for (let j = 0; j < count; j++) {
      let cheap = 0;
      let dear = 0;
      for (let k = s - 1; k >= 0; k--) {
        cheap += stageCost(a[j * s + k]! + b[j * s + k]! * zMin);
        dear += stageCost(a[j * s + k]! + b[j * s + k]! * zMax);
        upper[j * s + k] = -Math.log(k * eps + cheap);
        lower[j * s + k] = -Math.log(k * eps + dear);
      }
    }
    return { lower, upper };
  }

  /** Exact cost table of every point (small batches: refined candidates, predictions). */
  costTable(points: readonly Float64Array[]): { logInverse: Float64Array; meanCost: Float64Array } {
    const s = this.stageCount;
    const logInverse = new Float64Array(points.length * s);
    const meanCost = new Float64Array(points.length * s);
    this.fillCostRows(this.stagePredictions(points), points.keys(), logInverse, meanCost);
    return { logInverse, meanCost };
  }

  /** log EI at many points under `model`. */
  logEI(points: readonly Float64Array[], model: GaussianProcess): Float64Array {
    const { mean, variance } = model.predict(points);
    return this.#logEIOf(mean, variance);
  }

  /**
   * An upper bound of log EI at many points under `model`, for a fraction of the work: log EI at
   * the exact mean and the variance given the model's first `rows` observations
   * (GaussianProcess.predictWithVarianceBound); EI grows with the variance at a fixed mean.
   */
  logEIBound(points: readonly Float64Array[], model: GaussianProcess, rows: number): Float64Array {
    const { mean, varianceBound } = model.predictWithVarianceBound(points, rows);
    return this.#logEIOf(mean, varianceBound);
  }

  /** log EI from posterior means and variances (NaN: −∞). */
  #logEIOf(mean: Float64Array, variance: Float64Array): Float64Array {
    const out = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      const sd = Math.sqrt(Math.max(variance[j]!, 0));
      const value =
        sd > 0 ? Math.log(sd) + logH((mean[j]! - this.best) / sd).value : Math.log(Math.max(0, mean[j]! - this.best));
      out[j] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
    }
    return out;
  }

  /** Column of the cost table that prefix length δ reads. */
  column(delta: number): number {
    return this.firstRun(delta);
  }

  /** α at many points (all with the same reuse) given their cost table rows. */
  score(
    points: readonly Float64Array[],
    reuse: Reuse,
    table: { logInverse: Float64Array } | null,
    model: GaussianProcess = this.objective,
  ): Float64Array {
    const out = this.logEI(points, model);
    if (!this.usesCost || table === null) return out;
    const s = this.stageCount;
    const column = this.firstRun(reuse.delta);
    for (let j = 0; j < points.length; j++) {
      const value = out[j]! + this.costTerm(table.logInverse[j * s + column]!, reuse);
      out[j] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
    }
    return out;
  }

  /** MC mean cost of running a candidate with prefix length δ (null without a cost model). */
  predictedCost(x: Float64Array, delta: number): number | null {
    if (this.kind === 'none') return null;
    const table = this.costTable([x]);
    return table.meanCost[this.firstRun(delta)]!;
  }
}
