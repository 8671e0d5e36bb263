import { z } from 'zod';
import { COST_SHAPE_NAMES } from './cost.js';
import { SYNTHETIC_FUNCTIONS, SYNTHETIC_FUNCTION_NAMES } from './functions.js';
import { formatIssuePath } from '../core/issue-path.js';
import { nameProblem, textProblem } from '../space/validate.js';
import { maxBudget, maxParamsPerStage, maxStages, maxTrials } from '../space/limits.js';

/**
 * The JSON file format of a synthetic pipeline (see `benchmarks/*.json`): stages in order, each
 * with float params, a test function read from its leading params and one cost term per param.
 */

/**
 * Largest |bound|, |scale| and |shift|: the test functions and the squared cost terms stay finite
 * (well below 1e300) on every box within it, so no trial reports an infinite objective or cost.
 */
export const maxSyntheticMagnitude = 1e6;

/** Stage and param names: the same rules as a study config's names (they become its names). */
const name = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const magnitude = z
  .number()
  .min(-maxSyntheticMagnitude, `must be at least -${maxSyntheticMagnitude}`)
  .max(maxSyntheticMagnitude, `must be at most ${maxSyntheticMagnitude}`);

const paramSchema = z
  .strictObject({
    name,
    low: magnitude,
    high: magnitude,
  })
  .refine((param) => param.low < param.high, {
    message: 'low must be below high',
    path: ['low'],
  });

const costTermSchema = z.strictObject({
  f: z.enum(COST_SHAPE_NAMES),
  scale: magnitude,
  shift: magnitude,
});

const stageSchema = z
  .strictObject({
    name,
    params: z.array(paramSchema).min(1).max(maxParamsPerStage),
    objective: z.enum(SYNTHETIC_FUNCTION_NAMES),
    cost: z.array(costTermSchema).max(maxParamsPerStage),
  })
  .superRefine((stage, ctx) => {
    const fn = SYNTHETIC_FUNCTIONS[stage.objective];
    if (stage.params.length < fn.minDims) {
      ctx.addIssue({
        code: 'custom',
        message: `${stage.objective} needs at least ${fn.minDims} params, got ${stage.params.length}`,
        path: ['params'],
      });
    }
    if (stage.cost.length !== stage.params.length) {
      ctx.addIssue({
        code: 'custom',
        message: `cost needs one term per param (${stage.params.length}), got ${stage.cost.length}`,
        path: ['cost'],
      });
    }
    const seen = new Set<string>();
    stage.params.forEach((param, index) => {
      if (seen.has(param.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate param name "${param.name}"`,
          path: ['params', index, 'name'],
        });
      }
      seen.add(param.name);
    });
  });

const pipelineSchema = z
  .strictObject({
    name,
    description: z
      .string()
      .superRefine((value, ctx) => {
        const problem = value === '' ? undefined : textProblem(value, 2000);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** Total budget in cost units. */
    budget: z.number().positive().max(maxBudget),
    /** Retrieval cost charged per cached stage. @default 0.1 */
    epsilon: z.number().nonnegative().max(maxBudget).default(0.1),
    /** Warm-up configurations per study. @default 10 */
    warmup: z.int().positive().max(maxTrials).default(10),
    stages: z.array(stageSchema).min(1).max(maxStages),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.stages.forEach((stage, index) => {
      if (seen.has(stage.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate stage name "${stage.name}"`,
          path: ['stages', index, 'name'],
        });
      }
      seen.add(stage.name);
    });
  });

/** A validated synthetic pipeline spec (defaults filled in). */
export type SyntheticPipelineSpec = z.output<typeof pipelineSchema>;

/** One validated stage of a synthetic pipeline. */
export type SyntheticStageSpec = SyntheticPipelineSpec['stages'][number];

export { formatIssuePath };

/**
 * Validates a parsed JSON value as a synthetic pipeline spec.
 *
 * @throws Error whose message lists every issue, one per line, as `path: message`
 *   (e.g. `stages[1].params[0].low: low must be below high`).
 */
export function parseSyntheticSpec(input: unknown): SyntheticPipelineSpec {
  const result = pipelineSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${formatIssuePath(issue.path)}: ${issue.message}`);
  throw new Error(`invalid synthetic pipeline spec:\n${lines.join('\n')}`);
}
