import { z } from 'zod';
import { COST_SHAPE_NAMES } from './cost.js';
import { SYNTHETIC_FUNCTIONS, SYNTHETIC_FUNCTION_NAMES } from './functions.js';
import { formatIssuePath } from '../core/issue-path.js';
import { nameSchema, readableIssues, reportIssues, settingSchema } from '../config/zod-rules.js';
import { syntheticSearchSpace } from './pipeline.js';
import { paramIssues, spaceLimitIssues, spaceStructureIssues, textProblem } from '../space/validate.js';
import { maxBudget, maxParamsPerStage, maxStages } from '../space/limits.js';
import { maxIntermediateStep } from '../core/pruning.js';

/**
 * The JSON file format of a synthetic pipeline (see `benchmarks/*.json`): stages in order, each
 * with float params, a test function read from its leading params and one cost term per param.
 */

/**
 * Largest |bound|, |scale| and |shift|: the test functions and the squared cost terms stay finite
 * (well below 1e300) on every box within it, so no trial reports an infinite objective or cost.
 */
export const maxSyntheticMagnitude = 1e6;

/**
 * Names, bounds, uniqueness and the space's limits follow a study config's rules
 * (`src/config/zod-rules.ts`): a spec's stages become a study's search space.
 */
const name = nameSchema;

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
  .superRefine((param, ctx) => reportIssues(ctx, paramIssues({ ...param, type: 'float' })));

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
    /**
     * A failing region (a learning rate that diverges): the stage fails, after costing as much as a
     * run, whenever `param` is above `above`; the trial fails and no later stage runs.
     */
    fails: z.strictObject({ param: name, above: magnitude }).optional(),
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
    if (stage.fails !== undefined) {
      const param = stage.params.find((p) => p.name === stage.fails!.param);
      if (param === undefined)
        ctx.addIssue({ code: 'custom', message: 'is not a param of this stage', path: ['fails', 'param'] });
      else if (!(stage.fails.above >= param.low && stage.fails.above < param.high))
        ctx.addIssue({
          code: 'custom',
          message: `must be in [${param.low}, ${param.high}) (the param's range)`,
          path: ['fails', 'above'],
        });
    }
    if (stage.cost.length !== stage.params.length) {
      ctx.addIssue({
        code: 'custom',
        message: `cost needs one term per param (${stage.params.length}), got ${stage.cost.length}`,
        path: ['cost'],
      });
    }
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
    epsilon: settingSchema('epsilon').default(0.1),
    /** Warm-up configurations per study. @default 10 */
    warmup: settingSchema('warmup').default(10),
    stages: z
      .array(stageSchema)
      .max(maxStages)
      .superRefine((stages, ctx) => reportIssues(ctx, spaceStructureIssues(stages))),
    /**
     * The last stage trains for `epochs` epochs and reports its objective after each (pruning):
     * at epoch k (0-based) it stands `gap·u·(1 − (k+1)/epochs)` below its final value, `u` in
     * [0.5, 1.5) drawn per configuration, so early values rank trials only roughly (src/synthetic/pipeline.ts).
     */
    curves: z
      .strictObject({
        epochs: z.number().int().min(2).max(1000),
        gap: z.number().positive().max(maxSyntheticMagnitude),
      })
      .optional(),
    /** The study's pruner when the spec has `curves` (as a study config's `pruner`). @default median, 5 startup trials */
    pruner: z
      .discriminatedUnion('type', [
        z.strictObject({
          type: z.literal('median'),
          startupTrials: z.number().int().min(1).max(1_000_000),
          warmupSteps: z.number().int().min(0).max(maxIntermediateStep),
        }),
        z.strictObject({
          type: z.literal('successiveHalving'),
          minResource: z.number().int().min(1).max(maxIntermediateStep),
          reductionFactor: z.number().int().min(2).max(100),
          startupTrials: z.number().int().min(1).max(1_000_000),
        }),
        z.strictObject({ type: z.literal('none') }),
      ])
      .optional(),
  })
  .superRefine((spec, ctx) => {
    // The limits of the whole space (parameter count, names, sizes), once its stages are valid.
    if (ctx.issues.some((issue) => issue.path?.[0] === 'stages')) return;
    const issues = spaceLimitIssues(syntheticSearchSpace(spec));
    reportIssues(
      ctx,
      issues.map((issue) => ({ path: ['stages', ...issue.path], message: issue.message })),
    );
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
  const lines = readableIssues(pipelineSchema, input, result.error).map((issue) => `  ${issue.path}: ${issue.message}`);
  throw new Error(`invalid synthetic pipeline spec:\n${lines.join('\n')}`);
}
