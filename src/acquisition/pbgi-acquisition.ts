/**
 * PBGI as the acquisition of one BO step (methods 'pbgi' and 'pbgi-memo'; pbgi.ts has the index):
 *
 *   α(x; δ) = g  with  EI(x; g) = w·E[C_δ(x)],   E[C_δ] = δ·ε + Σ_{s≥δ} exp(a_s + b_s²/2),
 *
 * EI under the objective GP (y' = ±objective, maximized), E[C_δ] the closed-form expected cost of
 * the step's log-normal cost models (one per stage for 'pbgi-memo', whose candidates may reuse a
 * cached prefix of δ stages at ε each — EEIPU's accounting; one of the total cost for 'pbgi',
 * δ = 0), and w the cost weight in objective units per cost unit (PBGI-D's λ times the study's
 * exchange rate, bo-step.ts). It is the EEIPU acquisition with another α: the cost models,
 * their predictions, prefix columns and the local optimizer's interface are inherited; the
 * additive η·log E[1/C] term is never used (`usesCost` is false), and the predicted cost of a
 * candidate is the E[C_δ] it was priced at.
 */
import type { GaussianProcess } from '../gp/index.js';
import { Acquisition, type CostKind, type LogCostModel, type Reuse } from './eeipu.js';
import { logExpectedImprovement } from './log-ei.js';
import { expectedCost, expectedCostsByPrefix, gittinsIndexFromLogCost } from './pbgi.js';

/**
 * E[C_δ] of every point for every prefix length under the acquisition's cost models, row-major
 * count × S' (S' = number of cost models; δ = 0 only for a total-cost model). As in EEIPU's cost
 * table, one row serves every prefix whose pinned stages precede the stages that run. Used by PBGI
 * and by the evidence of cost-aware stopping (optimizer/stopping-evidence.ts).
 */
export function expectedCostTable(acquisition: Acquisition, points: readonly Float64Array[]): Float64Array {
  const s = acquisition.costs.length;
  const epsilon = acquisition.kind === 'stage' ? acquisition.epsilon : 0;
  const { a, b } = acquisition.stagePredictions(points);
  const out = new Float64Array(points.length * s);
  for (let j = 0; j < points.length; j++) {
    const row = j * s;
    expectedCostsByPrefix(a.subarray(row, row + s), b.subarray(row, row + s), epsilon, out.subarray(row, row + s));
  }
  return out;
}

export class GittinsAcquisition extends Acquisition {
  /** log w: the cost weight in objective units per cost unit. */
  private readonly logCostWeight: number;
  private readonly means: Float64Array;
  private readonly sds: Float64Array;
  private readonly dMeans: Float64Array;
  private readonly dSds: Float64Array;
  private readonly predictions: ReturnType<LogCostModel['predictWithGradient']>[] = [];

  /**
   * @param costWeight - w > 0, objective units per cost unit.
   * @param kind - 'stage' or 'total' (PBGI needs a cost model).
   */
  constructor(
    objective: GaussianProcess,
    screen: GaussianProcess,
    best: number,
    costs: readonly LogCostModel[],
    kind: Exclude<CostKind, 'none'>,
    epsilon: number,
    z: Float64Array,
    readonly costWeight: number,
  ) {
    // η = 1 and the Monte-Carlo draws z only serve the inherited pricing of running trials.
    super(objective, screen, best, costs, kind, 1, epsilon, z);
    this.logCostWeight = Math.log(costWeight);
    this.means = new Float64Array(costs.length);
    this.sds = new Float64Array(costs.length);
    this.dMeans = new Float64Array(costs.length);
    this.dSds = new Float64Array(costs.length);
  }

  /** The cost enters α through the index, never as EEIPU's additive term. */
  override get usesCost(): boolean {
    return false;
  }

  /**
   * −α and its gradient with respect to the free dims, for the local optimizer: the implicit
   * function theorem through μ, σ² (pbgi.ts) and E[C_δ], whose stage terms read their own dims.
   */
  override negativeWithGradient(x: Float64Array, reuse: Reuse, free: Int32Array, gradient: Float64Array): number {
    const delta = reuse.delta;
    const p = this.screen.predictWithGradient(x);
    const first = this.column(delta);
    const count = this.costs.length - first;
    this.predictRunningCosts(x, first, count, this.predictions, this.means, this.sds);
    const cost = expectedCost(
      this.means.subarray(0, count),
      this.sds.subarray(0, count),
      this.fixedCost(delta),
      this.dMeans,
      this.dSds,
    );
    const index = gittinsIndexFromLogCost(p.mean, p.variance, this.logCostWeight + Math.log(cost));
    if (!Number.isFinite(index.value)) return Number.NaN;
    // ∂g/∂E[C] = (∂g/∂log c)/E[C]: w cancels.
    const perCost = index.dLogCost / cost;
    for (let k = 0; k < free.length; k++) {
      const i = free[k]!;
      const g = this.costChainGradient(i, first, count, this.predictions, this.dMeans, this.dSds);
      gradient[k] = -(index.dMean * p.meanGradient[i]! + index.dVariance * p.varianceGradient[i]! + perCost * g);
    }
    return -index.value;
  }

  /**
   * α of points with posterior means and variances and expected costs E[C_δ] (cost units);
   * NaN → −∞. With `logEI`, also fills log EI(x; f*) of each point (the stopping evidence).
   */
  indexScores(
    mean: ArrayLike<number>,
    variance: ArrayLike<number>,
    costs: ArrayLike<number>,
    logEI?: Float64Array,
  ): Float64Array {
    const out = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      const value = gittinsIndexFromLogCost(mean[j]!, variance[j]!, this.logCostWeight + Math.log(costs[j]!)).value;
      out[j] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
      if (logEI !== undefined) {
        const ei = logExpectedImprovement(mean[j]!, Math.sqrt(Math.max(variance[j]!, 0)), this.best);
        logEI[j] = Number.isNaN(ei) ? Number.NEGATIVE_INFINITY : ei;
      }
    }
    return out;
  }

  /** α at many points with the same prefix length δ (the cost table argument is not used). */
  override score(
    points: readonly Float64Array[],
    { delta }: Reuse,
    _table: { logInverse: Float64Array } | null = null,
    model: GaussianProcess = this.objective,
  ): Float64Array {
    const { mean, variance } = model.predict(points);
    const s = this.costs.length;
    const column = this.column(delta);
    const table = expectedCostTable(this, points);
    return this.indexScores(
      mean,
      variance,
      Float64Array.from(points, (_, j) => table[j * s + column]!),
    );
  }

  /** E[C_δ] of running a candidate with prefix length δ: the cost α priced it at. */
  override predictedCost(x: Float64Array, delta: number): number {
    return expectedCostTable(this, [x])[this.column(delta)]!;
  }
}
