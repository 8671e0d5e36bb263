import { z } from 'zod';
import { settingProblem } from '../optimizer/settings.js';
import { closestKey } from '../core/closest-key.js';
import { formatIssuePath } from '../core/issue-path.js';
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

/** One validation problem as the user reads it: where, and what is wrong. */
export interface ReadableIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * zod's issues in the user's terms: an unknown key is reported at its own path with the known key
 * it most resembles (`budjet: unknown field (did you mean "budget"?)`, not zod's
 * `(root): Unrecognized key: "budjet"`), and a value of the wrong type says what it was
 * (`budget: must be a number (got string)`, not "is required", which it is not).
 */
export function readableIssues(schema: z.ZodType, input: unknown, error: z.ZodError): ReadableIssue[] {
  return error.issues.flatMap((issue): ReadableIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      return issue.keys.map((key) => {
        const near = closestKey(key, known);
        // A key of another variant of a union (`startupTrials` on `{"type": "none"}`).
        const message =
          near === key
            ? 'not allowed with this type (another type of this setting takes it)'
            : `unknown field${near === undefined ? '' : ` (did you mean "${near}"?)`}`;
        return { path: formatIssuePath([...issue.path, key]), message };
      });
    }
    let message = issue.message;
    if (issue.code === 'invalid_type') {
      const value = valueAt(input, issue.path);
      // JSON's 1e999 parses to Infinity, which zod calls no number at all.
      if (issue.expected === 'number' && typeof value === 'number' && !Number.isFinite(value))
        message = `must be a finite number (got ${value})`;
      // A number that is not an integer: the number, not its type ("got number" said nothing).
      else if ((issue.expected as string) === 'int' && typeof value === 'number') message = `${message} (got ${value})`;
      // zod's own wording already says what it received.
      else if (value !== undefined && !message.includes('received'))
        message = `${message.replace(/^is required and /, '')} (got ${kindOf(value)})`;
    }
    return [{ path: formatIssuePath(issue.path), message }];
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** The keys the schema's object at `path` accepts (of every option of a union; none found: empty). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let nodes: z.core.$ZodType[] = [unwrap(schema)];
  for (const part of path) {
    nodes = nodes.flatMap((node) => {
      const def = node._zod.def;
      if (def.type === 'array') return [unwrap((def as z.core.$ZodArrayDef).element)];
      return shapesOf(node).flatMap((shape) =>
        shape[String(part)] === undefined ? [] : [unwrap(shape[String(part)]!)],
      );
    });
  }
  return [...new Set(nodes.flatMap((node) => shapesOf(node).flatMap((shape) => Object.keys(shape))))];
}

/** The object shapes a schema accepts: its own, or each object option of a union. */
function shapesOf(node: z.core.$ZodType): Record<string, z.core.$ZodType>[] {
  const def = node._zod.def;
  if (def.type === 'object') return [(def as z.core.$ZodObjectDef).shape];
  if (def.type === 'union') return (def as z.core.$ZodUnionDef).options.flatMap((option) => shapesOf(unwrap(option)));
  return [];
}

/** Through optional, nullable, default and pipe wrappers to the schema that holds the shape. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let node = schema;
  for (;;) {
    const def = node._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType !== undefined) node = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) node = def.in;
    else return node;
  }
}
