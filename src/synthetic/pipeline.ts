import { canonicalJson } from '../core/canonical-json.js';
import type { IntermediateValues } from '../core/pruning.js';
import { stageSeed } from '../core/seed.js';
import type { Configuration, SearchSpace, StageParams } from '../core/types.js';
import { syntheticStageCost } from './cost.js';
import { evaluateSyntheticFunction } from './functions.js';
import type { SyntheticPipelineSpec, SyntheticStageSpec } from './spec.js';

function stageAt(spec: SyntheticPipelineSpec, stageIndex: number): SyntheticStageSpec {
  const stage = spec.stages[stageIndex];
  if (stage === undefined) {
    throw new RangeError(`stage index ${stageIndex} out of range (pipeline has ${spec.stages.length})`);
  }
  return stage;
}

// Param values in the stage's declared order, read by name.
function stageValues(stage: SyntheticStageSpec, params: StageParams): number[] {
  return stage.params.map((param) => {
    const value = params[param.name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`stage ${stage.name}: param ${param.name} must be a finite number`);
    }
    return value;
  });
}

/** The search space of a synthetic pipeline: one float param per declared param. */
export function syntheticSearchSpace(spec: SyntheticPipelineSpec): SearchSpace {
  return spec.stages.map((stage) => ({
    name: stage.name,
    params: stage.params.map((param) => ({
      name: param.name,
      type: 'float' as const,
      low: param.low,
      high: param.high,
    })),
  }));
}

/**
 * A stage's contribution to the pipeline objective: the negated test-function value of its
 * leading params (the study maximizes). The pipeline objective is the sum over stages.
 *
 * @throws RangeError for a stage index out of range; TypeError for a missing or non-numeric param.
 */
export function stageObjective(spec: SyntheticPipelineSpec, stageIndex: number, params: StageParams): number {
  const stage = stageAt(spec, stageIndex);
  return -evaluateSyntheticFunction(stage.objective, stageValues(stage, params));
}

/**
 * A stage's synthetic cost in cost units: Σ_d (scale_d·f_d(x_d) + shift_d)² / (500·dims).
 *
 * @throws RangeError for a stage index out of range; TypeError for a missing or non-numeric param.
 */
export function stageCost(spec: SyntheticPipelineSpec, stageIndex: number, params: StageParams): number {
  const stage = stageAt(spec, stageIndex);
  return syntheticStageCost(stage.cost, stageValues(stage, params));
}

/** Objective and per-stage (uncached) costs of one full configuration. */
export interface SyntheticEvaluation {
  /** `null` when a stage failed. */
  readonly objective: number | null;
  /** Full cost of each stage (a failing stage's attempt costs as much as a run; later stages too). */
  readonly stageCosts: readonly number[];
  /** The stage whose `fails` rule the configuration meets (it ran, failed, and nothing after it ran), or null. */
  readonly failedAt: number | null;
}

/**
 * Runs a whole configuration through the synthetic pipeline.
 *
 * @throws RangeError when the configuration's stage count differs from the pipeline's.
 */
export function evaluateSynthetic(spec: SyntheticPipelineSpec, config: Configuration): SyntheticEvaluation {
  if (config.length !== spec.stages.length) {
    throw new RangeError(`config has ${config.length} stages, pipeline has ${spec.stages.length}`);
  }
  let objective = 0;
  const stageCosts = config.map((params, index) => {
    objective += stageObjective(spec, index, params);
    return stageCost(spec, index, params);
  });
  const failedAt = spec.stages.findIndex((stage, index) => {
    const rule = stage.fails;
    return rule !== undefined && (config[index]![rule.param] as number) > rule.above;
  });
  return failedAt < 0 ? { objective, stageCosts, failedAt: null } : { objective: null, stageCosts, failedAt };
}

/**
 * What the last stage reports epoch by epoch when the spec has `curves`: its final objective from
 * below, `gap·u·(1 − (k+1)/epochs)` short of it at epoch k, where `u` ∈ [0.5, 1.5) is drawn per
 * configuration and seed. A slow starter can overtake a fast one, so an early value ranks trials
 * only roughly, as a real training curve does. `null` without curves or for a failed trial.
 */
export function syntheticCurve(
  spec: SyntheticPipelineSpec,
  config: Configuration,
  objective: number | null,
  seed: number,
): IntermediateValues | null {
  if (spec.curves === undefined || objective === null) return null;
  const { epochs, gap } = spec.curves;
  const u = 0.5 + stageSeed(seed, canonicalJson(config)) / 2 ** 32;
  const steps = Array.from({ length: epochs }, (_, k) => k);
  return { steps, values: steps.map((k) => objective - gap * u * (1 - (k + 1) / epochs)) };
}
