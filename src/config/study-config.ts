import { z } from 'zod';
import type { SearchSpace } from '../core/types.js';
import { validateSpace } from '../space/index.js';
import { methodNames } from '../optimizer/settings.js';
import { formatIssuePath } from '../core/issue-path.js';

/**
 * The study configuration a user writes (JSON file or TS object), validated before anything
 * starts. Every issue is reported with its path (`pipeline.stages[1].params[0].low`), all at once.
 */

/**
 * Kinds of task queue a stage can ask for; each maps to the Temporal task queue `<prefix>-<kind>`.
 * `cpu` and `gpu` are served by `memotune worker`; any other kind (`python`, `a100`, ...) is
 * served by whatever worker polls that queue, e.g. a Python stage worker.
 */
export const taskQueueKinds = ['cpu', 'gpu'] as const;
export type TaskQueueKind = string;
/** Lower-case letters, digits and dashes: queue kinds become part of task queue names. */
export const taskQueueKindPattern = /^[a-z][a-z0-9-]{0,39}$/;

export { methodNames };

const name = z
  .string({ error: 'is required and must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  // Names become keys of plain records (configurations, stage maps).
  .refine((value) => value !== '__proto__', 'is reserved ("__proto__")');

const finite = z.number({ error: 'is required and must be a number' }).finite('must be finite');

const paramValue = z.union([z.number().finite(), z.string(), z.boolean()], {
  error: 'must be a number, string or boolean',
});

const rangeParam = <T extends 'float' | 'int'>(type: T) =>
  z.strictObject({
    name,
    type: z.literal(type),
    low: finite,
    high: finite,
    log: z.boolean({ error: 'must be a boolean' }).optional(),
  });

const paramSchema = z
  .discriminatedUnion(
    'type',
    [
      rangeParam('float'),
      rangeParam('int'),
      z.strictObject({
        name,
        type: z.literal('categorical'),
        choices: z.array(paramValue).min(1, 'must list at least one choice'),
      }),
    ],
    { error: "must have a 'type' of float, int or categorical" },
  )
  .superRefine((param, ctx) => {
    if (param.type === 'categorical') {
      const seen = new Set<string>();
      param.choices.forEach((choice, index) => {
        const key = JSON.stringify(choice);
        if (seen.has(key))
          ctx.addIssue({ code: 'custom', path: ['choices', index], message: `duplicate choice ${key}` });
        seen.add(key);
      });
      return;
    }
    if (param.low >= param.high) {
      ctx.addIssue({
        code: 'custom',
        path: ['low'],
        message: `must be less than high (${param.low} >= ${param.high})`,
      });
    }
    if (param.type === 'int' && (!Number.isSafeInteger(param.low) || !Number.isSafeInteger(param.high))) {
      ctx.addIssue({ code: 'custom', path: ['low'], message: 'int bounds must be safe integers' });
    }
    if (!Number.isFinite(param.high - param.low)) {
      ctx.addIssue({ code: 'custom', path: ['high'], message: 'high - low must be a finite number' });
    }
    if (param.log === true && param.low <= 0) {
      ctx.addIssue({ code: 'custom', path: ['low'], message: 'must be positive for a log-scale parameter' });
    }
  });

const retrySchema = z.strictObject({
  /** @default 3 */
  maximumAttempts: z.number().int().min(1, 'must be at least 1').optional(),
  /** @default 1 */
  initialIntervalSeconds: z.number().positive('must be positive').optional(),
  /** @default 2 */
  backoffCoefficient: z.number().min(1, 'must be at least 1').optional(),
});

const stageSchema = z.strictObject({
  name,
  /** Name the worker's stage registry knows the implementation by. @default the stage name */
  implementation: name.optional(),
  /** Bump when the stage's code changes: old cached outputs stop matching. @default '1' */
  version: z.string().min(1, 'must not be empty').optional(),
  /** @default 'cpu' */
  taskQueue: z
    .string({ error: 'must be a string' })
    .regex(
      taskQueueKindPattern,
      'must be a queue kind: lower-case letters, digits and dashes, starting with a letter (cpu, gpu, python, ...)',
    )
    .refine((kind) => kind !== 'orchestration', 'is reserved for the study workflows (use cpu, gpu or your own kind)')
    .optional(),
  params: z.array(paramSchema, { error: 'is required and must be a list of parameters' }),
  retry: retrySchema.optional(),
  /** Wall-clock limit of one attempt. @default 3600 */
  timeoutSeconds: z.number().positive('must be positive').optional(),
  /** A running attempt that sends no heartbeat for this long is retried elsewhere. @default 60 */
  heartbeatSeconds: z.number().positive('must be positive').optional(),
});

const optimizerSchema = z.strictObject({
  method: z.enum(methodNames, { error: `must be one of ${methodNames.join(', ')}` }).optional(),
  warmup: z.number().int().min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional(),
  epsilon: z.number().min(0, 'must not be negative').optional(),
  topQ: z.number().int().min(1, 'must be at least 1').optional(),
  mcSamples: z.number().int().min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional(),
  rawSamples: z.number().int().min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional(),
  restarts: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
  startsPerPrefix: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
  eta: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').nullable().optional(),
});

export const studyConfigSchema = z
  .strictObject({
    name,
    pipeline: z.strictObject({
      /** Namespaces the stage cache: studies of the same pipeline id share cached outputs. @default the study name */
      id: name.optional(),
      stages: z
        .array(stageSchema, { error: 'is required and must be a list of stages' })
        .min(1, 'must have at least one stage'),
    }),
    objective: z.strictObject({
      /** Metric reported by the last stage. */
      metric: name,
      /** @default 'maximize' */
      direction: z.enum(['maximize', 'minimize'], { error: "must be 'maximize' or 'minimize'" }).optional(),
    }),
    /** Total budget in cost units (seconds unless stages report their own cost). */
    budget: z
      .number({ error: 'is required and must be a number' })
      .positive('must be positive')
      .finite('must be finite'),
    /**
     * The study fails after this many failed trials in a row (with the last error), instead of
     * spending its budget on a pipeline that does not run; `null` never gives up. @default 5
     */
    maxConsecutiveFailures: z.number().int().min(1, 'must be at least 1').nullable().optional(),
    /** Hard cap on the number of trials, whatever the budget. */
    maxTrials: z.number().int().min(1, 'must be at least 1').optional(),
    optimizer: optimizerSchema.optional(),
    /** @default 0 */
    seed: z
      .number()
      .int('must be an integer')
      .min(0, 'must not be negative')
      .max(2 ** 31 - 1)
      .optional(),
    /** Configurations evaluated first, before the optimizer is asked (like Optuna's enqueue_trial). */
    enqueue: z.array(z.array(z.record(z.string(), paramValue))).optional(),
  })
  .superRefine((config, ctx) => {
    const stageNames = new Map<string, number>();
    config.pipeline.stages.forEach((stage, index) => {
      const first = stageNames.get(stage.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipeline', 'stages', index, 'name'],
          message: `duplicate stage name '${stage.name}' (also stages[${first}])`,
        });
      } else stageNames.set(stage.name, index);
      const paramNames = new Set<string>();
      stage.params.forEach((param, paramIndex) => {
        if (paramNames.has(param.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pipeline', 'stages', index, 'params', paramIndex, 'name'],
            message: `duplicate parameter name '${param.name}'`,
          });
        }
        paramNames.add(param.name);
      });
    });
    if (config.pipeline.stages.length === 0) {
      // Already reported by the stages' own minimum.
    } else if (!config.pipeline.stages.some((stage) => stage.params.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['pipeline', 'stages'],
        message: 'at least one stage must have a parameter to tune',
      });
    } else {
      // The optimizer's own checks (the same ones suggest() applies), so nothing it would refuse starts.
      try {
        validateSpace(searchSpaceOf(config));
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        ctx.addIssue({ code: 'custom', path: ['pipeline', 'stages'], message: error.message });
      }
    }
    config.enqueue?.forEach((candidate, candidateIndex) => {
      const issues = checkConfiguration(config.pipeline.stages, candidate);
      for (const issue of issues) {
        ctx.addIssue({ code: 'custom', path: ['enqueue', candidateIndex, ...issue.path], message: issue.message });
      }
    });
  });

/** A study config as written: accepts `as const` / {@link defineStudy} literals (deeply readonly). */
export type StudyConfigInput = DeepReadonly<z.input<typeof studyConfigSchema>>;
type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
export type StudyConfig = z.output<typeof studyConfigSchema>;
type StageConfig = StudyConfig['pipeline']['stages'][number];

/** Raised for an invalid study config; `issues` lists every problem with its path. */
export class StudyConfigError extends Error {
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(`invalid study config:\n${issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n')}`);
    this.name = 'StudyConfigError';
  }
}

/** `['pipeline', 'stages', 1, 'low']` → `pipeline.stages[1].low` */
export const formatPath = formatIssuePath;

/**
 * Validates a study config.
 * @throws StudyConfigError listing every issue with its path.
 */
export function parseStudyConfig(input: unknown): StudyConfig {
  const result = studyConfigSchema.safeParse(input);
  if (!result.success) {
    throw new StudyConfigError(
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  return result.data;
}

/** The search space the optimizer sees: stages in order with their parameters. */
export function searchSpaceOf(config: StudyConfig): SearchSpace {
  return config.pipeline.stages.map((stage) => ({ name: stage.name, params: stage.params }));
}

/** Checks a candidate configuration (one record per stage) against the pipeline's parameters. */
function checkConfiguration(
  stages: readonly StageConfig[],
  candidate: readonly Readonly<Record<string, unknown>>[],
): { path: PropertyKey[]; message: string }[] {
  const issues: { path: PropertyKey[]; message: string }[] = [];
  if (candidate.length !== stages.length) {
    issues.push({ path: [], message: `must have ${stages.length} stages, got ${candidate.length}` });
    return issues;
  }
  stages.forEach((stage, stageIndex) => {
    const values = candidate[stageIndex] ?? {};
    for (const key of Object.keys(values)) {
      if (!stage.params.some((param) => param.name === key)) {
        issues.push({ path: [stageIndex, key], message: `unknown parameter of stage '${stage.name}'` });
      }
    }
    for (const param of stage.params) {
      const value = values[param.name];
      const path = [stageIndex, param.name];
      if (value === undefined) {
        issues.push({ path, message: 'is missing' });
      } else if (param.type === 'categorical') {
        if (!param.choices.some((choice) => choice === value))
          issues.push({ path, message: 'is not one of the choices' });
      } else if (typeof value !== 'number' || value < param.low || value > param.high) {
        issues.push({ path, message: `must be a number in [${param.low}, ${param.high}]` });
      } else if (param.type === 'int' && !Number.isInteger(value)) {
        issues.push({ path, message: 'must be an integer' });
      }
    }
  });
  return issues;
}
