import { z } from 'zod';
import { COST_SHAPE_NAMES } from './cost.js';
import { SYNTHETIC_FUNCTIONS, SYNTHETIC_FUNCTION_NAMES } from './functions.js';
import { formatIssuePath } from '../core/issue-path.js';

/**
 * The JSON file format of a synthetic pipeline (see `benchmarks/*.json`): stages in order, each
 * with float params, a test function read from its leading params and one cost term per param.
 */

const paramSchema = z
  .strictObject({
    name: z.string().min(1),
    low: z.number(),
    high: z.number(),
  })
  .refine((param) => param.low < param.high, {
    message: 'low must be below high',
    path: ['low'],
  });

const costTermSchema = z.strictObject({
  f: z.enum(COST_SHAPE_NAMES),
  scale: z.number(),
  shift: z.number(),
});

const stageSchema = z
  .strictObject({
    name: z.string().min(1),
    params: z.array(paramSchema).min(1),
    objective: z.enum(SYNTHETIC_FUNCTION_NAMES),
    cost: z.array(costTermSchema),
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
    name: z.string().min(1),
    description: z.string().optional(),
    /** Total budget in cost units. */
    budget: z.number().positive(),
    /** Retrieval cost charged per cached stage. @default 0.1 */
    epsilon: z.number().nonnegative().default(0.1),
    /** Warm-up configurations per study. @default 10 */
    warmup: z.int().positive().default(10),
    stages: z.array(stageSchema).min(1),
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
