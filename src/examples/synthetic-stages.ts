import type { StudyConfigInput } from '../config/study-config.js';
import { stageCost, stageObjective, type SyntheticPipelineSpec } from '../synthetic/index.js';
import type { StageImplementation, StageRegistry } from '../stages/types.js';

/** Output each synthetic stage writes to S3; the next stage reads it. */
export interface SyntheticStageOutput {
  readonly stage: string;
  /** Sum of the stage objectives so far (the pipeline objective after the last stage). */
  readonly partialObjective: number;
}

/** What every synthetic stage's implementation name starts with. */
export const SYNTHETIC_IMPLEMENTATION_PREFIX = 'synthetic/';

/** Implementation name of a synthetic stage in the registry. */
export function syntheticImplementationName(spec: SyntheticPipelineSpec, stageIndex: number): string {
  return `${SYNTHETIC_IMPLEMENTATION_PREFIX}${spec.name}/${spec.stages[stageIndex]?.name ?? stageIndex}`;
}

/**
 * Real stage implementations for a synthetic pipeline: stage k reads stage k−1's output object,
 * adds its own (negated test-function) objective, writes its output, and reports the synthetic
 * cost formula as its cost — reported, not slept, so a study finishes in seconds.
 */
export function syntheticStages(spec: SyntheticPipelineSpec): StageRegistry {
  const registry: Record<string, StageImplementation> = {};
  spec.stages.forEach((stage, index) => {
    registry[syntheticImplementationName(spec, index)] = async ({ params, parent }) => {
      const before = parent === null ? 0 : (await parent.json<SyntheticStageOutput>()).partialObjective;
      const partialObjective = before + stageObjective(spec, index, params);
      const output: SyntheticStageOutput = { stage: stage.name, partialObjective };
      return {
        output,
        metrics: { objective: partialObjective, stageObjective: partialObjective - before },
        cost: stageCost(spec, index, params),
      };
    };
  });
  return registry;
}

/** A study config that tunes a synthetic pipeline through the real stack. */
export function syntheticStudyConfig(
  spec: SyntheticPipelineSpec,
  overrides: Partial<StudyConfigInput> = {},
): StudyConfigInput {
  return {
    name: spec.name,
    pipeline: {
      stages: spec.stages.map((stage, index) => ({
        name: stage.name,
        implementation: syntheticImplementationName(spec, index),
        // Stands in for a training stage: the middle stages ask for the GPU queue.
        taskQueue: index === 0 ? 'cpu' : 'gpu',
        params: stage.params.map((param) => ({
          name: param.name,
          type: 'float' as const,
          low: param.low,
          high: param.high,
        })),
      })),
    },
    objective: { metric: 'objective', direction: 'maximize' },
    budget: spec.budget,
    optimizer: { method: 'eeipu', warmup: spec.warmup, epsilon: spec.epsilon },
    seed: 0,
    ...overrides,
  };
}
