import { z } from 'zod';
import type { SearchSpace } from '../core/types.js';
import {
  choiceProblem,
  encodedDimension,
  jsonBytes,
  nameProblem,
  spaceLimitIssues,
  validateSpace,
} from '../space/index.js';
import * as limits from '../space/limits.js';
import { methodNames, resolveSettings } from '../optimizer/settings.js';
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

/** Limits and their reasons: `src/space/limits.ts`; the rules for names and choices: `src/space/validate.ts`. */
const name = z.string({ error: 'is required and must be a string' }).superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const finite = z.number({ error: 'is required and must be a number' }).finite('must be finite');

/** `message` for a value that is not an object; zod's own message for the rest (unknown keys). */
const notAnObject = (message: string) => (issue: { code?: string }) =>
  issue.code === 'invalid_type' ? message : undefined;

/** An integer in [min, max], with the messages every count uses. */
const count = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** A duration in seconds that Temporal can hold: at least 1 ms, at most 30 days. */
const seconds = z
  .number({ error: 'must be a number' })
  .min(limits.minStageSeconds, `must be at least ${limits.minStageSeconds} (1 ms)`)
  .max(limits.maxStageSeconds, `must be at most ${limits.maxStageSeconds} (30 days)`);

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
        choices: z
          .array(paramValue, { error: 'must be a list of choices' })
          .min(1, 'must list at least one choice')
          .max(limits.maxChoices, `must list at most ${limits.maxChoices} choices`),
      }),
    ],
    { error: "must have a 'type' of float, int or categorical" },
  )
  .superRefine((param, ctx) => {
    if (param.type === 'categorical') {
      // Already refused for its length; a hundred thousand duplicates need no line each.
      if (param.choices.length > limits.maxChoices) return;
      const seen = new Set<string>();
      param.choices.forEach((choice, index) => {
        const problem = choiceProblem(choice);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['choices', index], message: problem });
          return;
        }
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

const retrySchema = z.strictObject(
  {
    /** @default 3 */
    maximumAttempts: count(1, limits.maxRetryAttempts).optional(),
    /** @default 1 */
    initialIntervalSeconds: seconds.optional(),
    /** @default 2 */
    backoffCoefficient: z
      .number({ error: 'must be a number' })
      .min(1, 'must be at least 1')
      .max(limits.maxBackoffCoefficient, `must be at most ${limits.maxBackoffCoefficient}`)
      .optional(),
  },
  { error: notAnObject('must be an object') },
);

/** Timeout of one stage attempt when the config gives none (the plan applies it). */
export const defaultTimeoutSeconds = 3600;

const stageSchema = z
  .strictObject(
    {
      name,
      /** Name the worker's stage registry knows the implementation by. @default the stage name */
      implementation: name.optional(),
      /** Bump when the stage's code changes: old cached outputs stop matching. @default '1' */
      version: name.optional(),
      /** @default 'cpu' */
      taskQueue: z
        .string({ error: 'must be a string' })
        .regex(
          taskQueueKindPattern,
          'must be a queue kind: lower-case letters, digits and dashes, starting with a letter (cpu, gpu, python, ...)',
        )
        .refine(
          (kind) => kind !== 'orchestration',
          'is reserved for the study workflows (use cpu, gpu or your own kind)',
        )
        .optional(),
      params: z
        .array(paramSchema, { error: 'is required and must be a list of parameters' })
        .max(limits.maxParamsPerStage, `must have at most ${limits.maxParamsPerStage} parameters`),
      retry: retrySchema.optional(),
      /** Wall-clock limit of one attempt. @default 3600 */
      timeoutSeconds: seconds.optional(),
      /** A running attempt that sends no heartbeat for this long is retried elsewhere. @default 20 (defaultHeartbeatSeconds in plan.ts) */
      heartbeatSeconds: seconds.optional(),
    },
    { error: notAnObject('must be an object') },
  )
  .superRefine((stage, ctx) => {
    const timeout = stage.timeoutSeconds ?? defaultTimeoutSeconds;
    const heartbeat = stage.heartbeatSeconds;
    // Out-of-range values are reported on their own; comparing them would add a second line.
    const inRange = (value: number) => value >= limits.minStageSeconds && value <= limits.maxStageSeconds;
    if (heartbeat !== undefined && inRange(heartbeat) && inRange(timeout) && heartbeat > timeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatSeconds'],
        message: `must be at most timeoutSeconds (${timeout})`,
      });
    }
  });

const optimizerSchema = z.strictObject(
  {
    method: z.enum(methodNames, { error: `must be one of ${methodNames.join(', ')}` }).optional(),
    warmup: count(1, limits.maxWarmup).optional(),
    epsilon: z
      .number({ error: 'must be a number' })
      .min(0, 'must not be negative')
      .max(limits.maxBudget, `must be at most ${limits.maxBudget}`)
      .optional(),
    topQ: count(1, limits.maxPerPrefix).optional(),
    mcSamples: count(1, limits.maxSamples).optional(),
    rawSamples: count(1, limits.maxSamples).optional(),
    restarts: count(1, limits.maxRestarts).optional(),
    startsPerPrefix: count(1, limits.maxPerPrefix).optional(),
    eta: z
      .number({ error: 'must be a number or null' })
      .min(0, 'must be in [0, 1]')
      .max(1, 'must be in [0, 1]')
      .nullable()
      .optional(),
  },
  { error: notAnObject('must be an object') },
);

export const studyConfigSchema = z
  .strictObject(
    {
      name,
      pipeline: z.strictObject(
        {
          /**
           * Namespaces the stage cache: studies of the same pipeline id share cached outputs.
           * @default the study name
           */
          id: name.optional(),
          stages: z
            .array(stageSchema, { error: 'is required and must be a list of stages' })
            .min(1, 'must have at least one stage')
            .max(limits.maxStages, `must have at most ${limits.maxStages} stages`),
        },
        { error: notAnObject('is required and must be an object') },
      ),
      objective: z.strictObject(
        {
          /** Metric reported by the last stage. */
          metric: name,
          /** @default 'maximize' */
          direction: z.enum(['maximize', 'minimize'], { error: "must be 'maximize' or 'minimize'" }).optional(),
        },
        { error: notAnObject('is required and must be an object') },
      ),
      /** Total budget in cost units (seconds unless stages report their own cost). */
      budget: z
        .number({ error: 'is required and must be a number' })
        .positive('must be positive')
        .finite('must be finite')
        .max(limits.maxBudget, `must be at most ${limits.maxBudget}`),
      /**
       * The study fails after this many failed trials in a row (with the last error), instead of
       * spending its budget on a pipeline that does not run; `null` never gives up. @default 5
       */
      maxConsecutiveFailures: count(1, limits.maxTrials).nullable().optional(),
      /**
       * Trials run at once, each a child workflow on the stage queues; the optimizer accounts for the
       * running ones (pending points) and never suggests one again. @default 1 (the paper's setting)
       */
      parallelism: count(1, limits.maxParallelism).optional(),
      /** Hard cap on the number of trials, whatever the budget. */
      maxTrials: count(1, limits.maxTrials).optional(),
      optimizer: optimizerSchema.optional(),
      /** @default 0 */
      seed: z
        .number({ error: 'must be a number' })
        .int('must be an integer')
        .min(0, 'must not be negative')
        .max(limits.maxSeed, `must be at most ${limits.maxSeed}`)
        .optional(),
      /** Configurations evaluated first, before the optimizer is asked (like Optuna's enqueue_trial). */
      enqueue: z
        .array(
          z.array(z.record(z.string(), paramValue, { error: 'must be an object of parameter values' }), {
            error: 'must be a list with one object per stage',
          }),
          { error: 'must be a list of configurations' },
        )
        .max(limits.maxEnqueued, `must list at most ${limits.maxEnqueued} configurations`)
        .optional(),
    },
    { error: notAnObject('must be an object') },
  )
  .superRefine((config, ctx) => {
    // Checks of one field (a bound, a count) do not stop this refinement: the checks across
    // fields below run only on the parts with no issue yet, so nothing is reported twice.
    const clean = (section: string) => !ctx.issues.some((issue) => issue.path?.[0] === section);
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
    } else if (clean('pipeline')) {
      const space = searchSpaceOf(config);
      // The limits, with each issue at its own path: the total ones at pipeline.stages.
      const limitIssues = spaceLimitIssues(space);
      for (const issue of limitIssues) {
        const [stage, ...rest] = issue.path;
        const path = stage === undefined ? ['pipeline', 'stages'] : ['pipeline', 'stages', stage, ...rest];
        ctx.addIssue({ code: 'custom', path, message: issue.message });
      }
      // The optimizer's own checks (the same ones suggest() applies), so nothing it would refuse starts.
      if (limitIssues.length === 0 && clean('optimizer')) {
        try {
          validateSpace(space);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          ctx.addIssue({ code: 'custom', path: ['pipeline', 'stages'], message: error.message });
        }
        const effort = optimizerEffortIssues(config.optimizer ?? {}, space.length, encodedDimension(space));
        for (const issue of effort) ctx.addIssue({ code: 'custom', ...issue });
      }
    }
    if (config.enqueue === undefined || !clean('enqueue')) return;
    const bytes = jsonBytes(config.enqueue);
    if (bytes > limits.maxEnqueueBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['enqueue'],
        message:
          `must be at most ${limits.maxEnqueueBytes} bytes of JSON (is ${bytes}): ` +
          'the plan carries every enqueued configuration',
      });
    } else if (clean('pipeline')) {
      config.enqueue.forEach((candidate, candidateIndex) => {
        const issues = checkConfiguration(config.pipeline.stages, candidate);
        for (const issue of issues) {
          ctx.addIssue({ code: 'custom', path: ['enqueue', candidateIndex, ...issue.path], message: issue.message });
        }
      });
    }
  });

/**
 * What one suggestion would cost with these optimizer settings on a space of `dimension` encoded
 * dimensions, against the limits: Monte-Carlo cost draws, the raw Sobol block, local refinements.
 * The per-field bounds alone would allow suggestions that run for hours or exhaust memory.
 */
function optimizerEffortIssues(
  optimizer: z.output<typeof optimizerSchema>,
  stages: number,
  dimension: number,
): { path: PropertyKey[]; message: string }[] {
  const { method, mcSamples, rawSamples, restarts, startsPerPrefix, topQ } = resolveSettings(optimizer);
  if (method === 'random') return [];
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const draws = mcSamples * rawSamples;
  if (draws > limits.maxMonteCarloDraws) {
    issues.push({
      path: ['optimizer', 'mcSamples'],
      message:
        `mcSamples × rawSamples must be at most ${limits.maxMonteCarloDraws} cost draws per stage and ` +
        `suggestion (is ${draws})`,
    });
  }
  const values = rawSamples * dimension;
  if (values > limits.maxRawSampleValues) {
    issues.push({
      path: ['optimizer', 'rawSamples'],
      message:
        `rawSamples × ${dimension} encoded dimensions must be at most ${limits.maxRawSampleValues} values per ` +
        `suggestion (is ${values}): at most ${Math.floor(limits.maxRawSampleValues / dimension)} raw samples here`,
    });
  }
  // eeipu refines from every pooled prefix: ∅ plus the proper prefixes of the top-Q trials.
  const prefixes = method === 'eeipu' ? 1 + topQ * (stages - 1) : 1;
  const searches = prefixes * startsPerPrefix + restarts;
  if (searches * dimension > limits.maxLocalSearchWork) {
    issues.push({
      path: ['optimizer', 'restarts'],
      message:
        `local searches × ${dimension} encoded dimensions must be at most ${limits.maxLocalSearchWork} per ` +
        `suggestion (is ${searches * dimension}: restarts + startsPerPrefix × up to ${prefixes} prefixes ` +
        'pooled by topQ)',
    });
  }
  return issues;
}

/** A study config as written: accepts `as const` / {@link defineStudy} literals (deeply readonly). */
export type StudyConfigInput = DeepReadonly<z.input<typeof studyConfigSchema>>;
type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
export type StudyConfig = z.output<typeof studyConfigSchema>;
type StageConfig = StudyConfig['pipeline']['stages'][number];

/** Issues the message of a {@link StudyConfigError} lists; `issues` holds them all. */
const maxIssuesInMessage = 100;

/** Raised for an invalid study config; `issues` lists every problem with its path. */
export class StudyConfigError extends Error {
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    const lines = issues.slice(0, maxIssuesInMessage).map((issue) => `  - ${issue.path}: ${issue.message}`);
    if (issues.length > maxIssuesInMessage) lines.push(`  ... and ${issues.length - maxIssuesInMessage} more`);
    super(`invalid study config:\n${lines.join('\n')}`);
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
      // Own keys only: a parameter named "constructor" must not find Object.prototype's.
      const value = Object.hasOwn(values, param.name) ? values[param.name] : undefined;
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
