import { z } from 'zod';
import { settingProblem } from '../optimizer/settings.js';
import { nameProblem, type SpaceIssue } from '../space/index.js';

/**
 * The rules of `src/space/validate.ts` and `src/optimizer/settings.ts` as zod pieces, for the two
 * schemas a user writes: the study config and the synthetic pipeline spec. Both then report the
 * issues the optimizer would raise, each at its own path.
 */

/** Reports a rule's issues on the value being refined (paths relative to it). */
export function reportIssues(ctx: z.RefinementCtx, issues: readonly SpaceIssue[]): void {
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
}

/** A name (study, stage, parameter, metric, ...): {@link nameProblem}. */
export const nameSchema = z.string({ error: 'is required and must be a string' }).superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** A numeric optimizer setting, checked by its one rule ({@link settingProblem}). */
export function settingSchema(
  key:
    | 'warmup'
    | 'epsilon'
    | 'topQ'
    | 'mcSamples'
    | 'rawSamples'
    | 'restarts'
    | 'startsPerPrefix'
    | 'eta'
    | 'refitGrowth'
    | 'stoppingCostWeight',
  error = 'must be a number',
) {
  return z.number({ error }).superRefine((value, ctx) => {
    const problem = settingProblem(key, value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}
