/**
 * The optimizer's serializable state: fitted GP hyperparameters, handed back by the caller as
 * `request.state` to warm-start the next fits. Anything malformed or for another space layout is
 * ignored (a cold fit), never an error: the state is an optimization, not an input contract —
 * with one exception, PBGI-D's λ of the methods 'pbgi' and 'pbgi-memo' (see
 * {@link ParsedState.pbgiLambda}).
 */
import type { OptimizerState } from '../core/types.js';
import { curvatureProblem, type GPFitCurvature, type GPHyperparameters } from '../gp/index.js';

export const STATE_VERSION = 1;

export interface ParsedState {
  readonly objective: GPHyperparameters | undefined;
  readonly costs: readonly (GPHyperparameters | null)[] | undefined;
  /** History length at which these hyperparameters were last fitted (0 when unknown). */
  readonly fittedAt: number;
  /**
   * The objective GP's last fit's curvature pairs, for the next refit's `warmCurvature`
   * (./bo-step.ts). Only the objective's: its fit is the O(n³) one that dominates a refit step at
   * large n, while the cost GPs fit on at most 128 points and would add more to every step's
   * payload than they save. Absent in states written before it existed.
   */
  readonly objectiveCurvature: GPFitCurvature | undefined;
  /**
   * PBGI-D's cost weight λ for this step (methods 'pbgi', 'pbgi-memo'; Xie et al. 2024): the
   * schedule halves λ after a step whose winner's index did not beat the incumbent, so it needs
   * the previous step's λ. Undefined when absent: the schedule (re)starts at λ₀. Unlike the
   * hyperparameters this is an input of the decision — a study whose state is lost restarts the
   * schedule and may then choose differently (both study loops hand the state back every step,
   * so runs stay deterministic).
   */
  readonly pbgiLambda: number | undefined;
}

function isHyperparameters(value: unknown, d?: number): value is GPHyperparameters {
  if (value === null || typeof value !== 'object') return false;
  const h = value as Record<string, unknown>;
  const finitePositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return (
    Array.isArray(h.lengthscales) &&
    (d === undefined || h.lengthscales.length === d) &&
    h.lengthscales.every(finitePositive) &&
    finitePositive(h.outputScale) &&
    finitePositive(h.noise) &&
    typeof h.mean === 'number' &&
    Number.isFinite(h.mean)
  );
}

/** Reads a state written by {@link writeState} for the same encoded dimension and cost kind. */
export function readState(state: OptimizerState | undefined, dimension: number, costKind: string): ParsedState {
  if (state === undefined || state.version !== STATE_VERSION || state.dimension !== dimension) {
    return {
      objective: undefined,
      costs: undefined,
      fittedAt: 0,
      objectiveCurvature: undefined,
      pbgiLambda: undefined,
    };
  }
  const objective = isHyperparameters(state.objective, dimension) ? state.objective : undefined;
  const costs =
    state.costKind === costKind && Array.isArray(state.costs)
      ? state.costs.map((c: unknown) => (isHyperparameters(c) ? c : null))
      : undefined;
  const fittedAt =
    typeof state.fittedAt === 'number' && Number.isSafeInteger(state.fittedAt) && state.fittedAt > 0
      ? state.fittedAt
      : 0;
  const pbgiLambda =
    typeof state.pbgiLambda === 'number' && Number.isFinite(state.pbgiLambda) && state.pbgiLambda > 0
      ? state.pbgiLambda
      : undefined;
  const objectiveCurvature =
    objective !== undefined && curvatureProblem(state.objectiveCurvature, dimension) === undefined
      ? (state.objectiveCurvature as GPFitCurvature)
      : undefined;
  return { objective, costs, fittedAt, objectiveCurvature, pbgiLambda };
}

/**
 * Four significant digits: the pairs only shape the search's first steps (rounded to three, they
 * saved as many likelihood evaluations as exact ones over eight refits at n = 1000, d = 20; the
 * minimizer drops a pair that rounding leaves without positive curvature), and every step's state
 * crosses the workflow history. Rounded when written, so a study resumed from its stored state
 * reads exactly what an uninterrupted one does.
 */
function compactCurvature(curvature: GPFitCurvature): GPFitCurvature {
  const round = (v: readonly number[]): number[] => v.map((e) => Number(e.toPrecision(4)));
  return { s: curvature.s.map(round), y: curvature.y.map(round) };
}

/** The JSON state of one step. */
export function writeState(
  dimension: number,
  costKind: string,
  fittedAt: number,
  objective: GPHyperparameters,
  costs: readonly (GPHyperparameters | null)[],
  objectiveCurvature: GPFitCurvature | undefined,
  pbgiLambda: number | null = null,
): OptimizerState {
  const plain = (h: GPHyperparameters): GPHyperparameters => ({
    lengthscales: [...h.lengthscales],
    outputScale: h.outputScale,
    noise: h.noise,
    mean: h.mean,
  });
  return {
    version: STATE_VERSION,
    dimension,
    costKind,
    fittedAt,
    objective: plain(objective),
    costs: costs.map((c) => (c === null ? null : plain(c))),
    ...(objectiveCurvature === undefined ? {} : { objectiveCurvature: compactCurvature(objectiveCurvature) }),
    // Only PBGI's states carry λ: every other method's state is unchanged.
    ...(pbgiLambda === null ? {} : { pbgiLambda }),
  };
}
