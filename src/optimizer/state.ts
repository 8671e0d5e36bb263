/**
 * The optimizer's serializable state: fitted GP hyperparameters, handed back by the caller as
 * `request.state` to warm-start the next fits. Anything malformed or for another space layout is
 * ignored (a cold fit), never an error: the state is an optimization, not an input contract —
 * with one exception, PBGI-D's λ of the methods 'pbgi' and 'pbgi-memo' (see
 * {@link ParsedState.pbgiLambda}).
 */
import type { OptimizerState } from '../core/types.js';
import type { GPHyperparameters } from '../gp/index.js';

export const STATE_VERSION = 1;

export interface ParsedState {
  readonly objective: GPHyperparameters | undefined;
  readonly costs: readonly (GPHyperparameters | null)[] | undefined;
  /** History length at which these hyperparameters were last fitted (0 when unknown). */
  readonly fittedAt: number;
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
    return { objective: undefined, costs: undefined, fittedAt: 0, pbgiLambda: undefined };
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
  return { objective, costs, fittedAt, pbgiLambda };
}

/** The JSON state of one step. */
export function writeState(
  dimension: number,
  costKind: string,
  fittedAt: number,
  objective: GPHyperparameters,
  costs: readonly (GPHyperparameters | null)[],
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
    // Only PBGI's states carry λ: every other method's state is unchanged.
    ...(pbgiLambda === null ? {} : { pbgiLambda }),
  };
}
