import { z } from 'zod';
import type { SearchSpace } from '../core/types.js';
import {
  configurationProblems,
  encodedDimension,
  jsonBytes,
  paramIssues,
  spaceLimitIssues,
  spaceStructureIssues,
} from '../space/index.js';
import * as limits from '../space/limits.js';
import {
  effortIssues,
  failedTrialPolicies,
  prunedTrialPolicies,
  methodNames,
  resolveSettings,
  unknownMethodMessage,
  unpinnedCheckMessage,
  unpinnedSearchMessage,
  unpinnedSearchValues,
} from '../optimizer/settings.js';
import { nameSchema, readableIssues, reportIssues, settingSchema } from './zod-rules.js';
import { formatIssuePath } from '../core/issue-path.js';
import { maxIntermediateStep } from '../core/pruning.js';

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

/**
 * Limits and their reasons: `src/space/limits.ts`; the rules of a search space (names, bounds,
 * choices, uniqueness): `src/space/validate.ts`; of the optimizer settings:
 * `src/optimizer/settings.ts`. This schema checks the JSON types and reports those rules' issues at
 * their config paths.
 */
const name = nameSchema;

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
    // A positive number; how it fits the bounds (a whole number of steps, no log) is paramIssues'.
    step: z.number({ error: 'must be a number' }).finite('must be finite').optional(),
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
          .max(limits.maxChoices, `must list at most ${limits.maxChoices} choices`),
      }),
    ],
    { error: "must have a 'type' of float, int or categorical" },
  )
  .superRefine((param, ctx) => reportIssues(ctx, paramIssues(param)));

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
    /**
     * Names of error classes the stage may throw that no retry fixes (`KeyError`,
     * `ModuleNotFoundError`, `RangeError`): such a failure ends the trial at its first attempt.
     * Matched against the thrown error's class and its base classes. @default none
     */
    nonRetryableErrors: z
      .array(
        z
          .string({ error: 'must be an error class name' })
          // The class's own name (Python's __name__, JavaScript's name): no module path.
          .regex(/^[A-Za-z_$][\w$]{0,199}$/, 'must be an error class name without its module, e.g. KeyError'),
        { error: 'must be a list of error class names' },
      )
      .max(50, 'must name at most 50 error classes')
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
      /** The stage's hyperparameters; none (an evaluation stage) when left out. */
      params: z
        .array(paramSchema, { error: 'must be a list of parameters' })
        .max(limits.maxParamsPerStage, `must have at most ${limits.maxParamsPerStage} parameters`)
        .default([]),
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
    method: z.enum(methodNames, { error: unknownMethodMessage }).optional(),
    warmup: settingSchema('warmup').optional(),
    epsilon: settingSchema('epsilon').optional(),
    topQ: settingSchema('topQ').optional(),
    mcSamples: settingSchema('mcSamples').optional(),
    rawSamples: settingSchema('rawSamples').optional(),
    restarts: settingSchema('restarts').optional(),
    startsPerPrefix: settingSchema('startsPerPrefix').optional(),
    eta: settingSchema('eta', 'must be a number or null').nullable().optional(),
    refitGrowth: settingSchema('refitGrowth').optional(),
    /** A reused prefix must beat one unpinned local run from its point ('guarded': only a point expected as good replaces it). @default 'guarded' */
    unpinnedCheck: z.union([z.boolean(), z.literal('guarded')], { error: unpinnedCheckMessage }).optional(),
    /** Local refinement runs: shared with the pinned prefixes, as many for fresh candidates as ms-carbo's ('full'), or 'full' only where no reuse saves half a trial ('auto'). @default 'auto' */
    unpinnedSearch: z.enum(unpinnedSearchValues, { error: unpinnedSearchMessage }).optional(),
    /** One more local search each step, from next to the best observed configuration. @default true */
    localSearchFromBest: z.boolean({ error: 'must be true or false' }).optional(),
    /** A reused prefix keeps its cost saving in α as the cost-awareness η cools. @default false */
    keepReuseSaving: z.boolean({ error: 'must be true or false' }).optional(),
    /** Failed trials in the objective model: at the worst value seen, or left out. @default 'worst' */
    failedTrials: z.enum(failedTrialPolicies, { error: `must be one of ${failedTrialPolicies.join(', ')}` }).optional(),
    prunedTrials: z.enum(prunedTrialPolicies, { error: `must be one of ${prunedTrialPolicies.join(', ')}` }).optional(),
    /**
     * End the study before its budget once no candidate's expected improvement is worth its
     * expected cost (Xie et al., ICML 2026). @default false
     */
    costAwareStopping: z.boolean({ error: 'must be true or false' }).optional(),
    /** Objective units one cost unit must be expected to gain; null = scaled to the study. @default null */
    stoppingCostWeight: settingSchema('stoppingCostWeight', 'must be a number or null').nullable().optional(),
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
            .max(limits.maxStages, `must have at most ${limits.maxStages} stages`)
            .superRefine((stages, ctx) => reportIssues(ctx, spaceStructureIssues(stages))),
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
      /**
       * End the study before its budget (what Optuna users write a callback for, Ray's stoppers):
       * once a trial's objective reaches `bestReaches` (≥ when maximizing, ≤ when minimizing), or
       * once `trialsWithoutImprovement` trials in a row have not improved the best. Running trials
       * finish; the study completes, saying why.
       */
      stopWhen: z
        .strictObject(
          {
            bestReaches: z.number({ error: 'must be a number' }).finite('must be finite').optional(),
            trialsWithoutImprovement: count(1, limits.maxTrials).optional(),
            /** Wall-clock seconds from the study's start (or its `study continue`), as Optuna's `timeout`. */
            afterSeconds: z
              .number({ error: 'must be a number of seconds' })
              .positive('must be greater than 0')
              .max(10 * 365 * 24 * 3600, 'must be at most ten years')
              .optional(),
          },
          {
            error: notAnObject(
              'must be an object: { "bestReaches"?: number, "trialsWithoutImprovement"?: integer, "afterSeconds"?: number }',
            ),
          },
        )
        .refine(
          (stop) =>
            stop.bestReaches !== undefined ||
            stop.trialsWithoutImprovement !== undefined ||
            stop.afterSeconds !== undefined,
          { error: 'give bestReaches, trialsWithoutImprovement, afterSeconds or a mix' },
        )
        .optional(),
      /**
       * When a stage's `shouldPrune()` says stop (src/core/pruning.ts): `median` (Optuna's
       * MedianPruner), `percentile`, `successiveHalving` (Optuna's SuccessiveHalvingPruner) or `none`. @default { type: 'median', startupTrials: 5, warmupSteps: 0 }
       */
      pruner: z
        .discriminatedUnion(
          'type',
          [
            z.strictObject({
              type: z.literal('median'),
              /** Completed trials that must have reported a step before a trial is pruned at it. @default 5 */
              startupTrials: count(1, limits.maxTrials).optional(),
              /** Steps before this one never prune. @default 0 */
              warmupSteps: count(0, maxIntermediateStep).optional(),
            }),
            z.strictObject({
              type: z.literal('percentile'),
              /** Keep trials within the best this-many percent of the completed trials' values (50: the median). */
              percentile: z
                .number({ error: 'is required and must be a number' })
                .gt(0, 'must be greater than 0')
                .max(100, 'must be at most 100'),
              startupTrials: count(1, limits.maxTrials).optional(),
              warmupSteps: count(0, maxIntermediateStep).optional(),
            }),
            z.strictObject({
              type: z.literal('successiveHalving'),
              /** The first rung: the step a trial is first judged at. @default 1 */
              minResource: count(1, maxIntermediateStep).optional(),
              /** Rungs at minResource × reductionFactor^k; a trial must be in the best 1/reductionFactor. @default 4 */
              reductionFactor: z
                .number({ error: 'must be an integer from 2 to 100' })
                .int('must be an integer from 2 to 100')
                .min(2, 'must be an integer from 2 to 100')
                .max(100, 'must be an integer from 2 to 100')
                .optional(),
              /** Completed trials that must have reported a rung before a trial is pruned there. @default 1 */
              startupTrials: count(1, limits.maxTrials).optional(),
            }),
            z.strictObject({ type: z.literal('none') }),
          ],
          {
            error: (issue: { code?: string }) =>
              issue.code === 'invalid_type'
                ? "must be an object with a type: 'median', 'percentile', 'successiveHalving' or 'none'"
                : "must be 'median', 'percentile', 'successiveHalving' or 'none'",
          },
        )
        .optional(),
      optimizer: optimizerSchema.optional(),
      /** @default a hash of the study id (src/core/seed.ts, defaultStudySeed) */
      seed: z
        .number({ error: 'must be a number' })
        .int('must be an integer')
        .min(0, 'must not be negative')
        .max(limits.maxSeed, `must be at most ${limits.maxSeed}`)
        .optional(),
      /**
       * Configurations evaluated first, before the optimizer is asked (like Optuna's enqueue_trial).
       * One may leave parameters out: its trial's suggestion gives them.
       */
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
    // Stage and parameter rules are reported where they apply (paramIssues, spaceStructureIssues);
    // the limits of the whole space need a space without such issues.
    if (clean('pipeline')) {
      const space = searchSpaceOf(config);
      // The limits, with each issue at its own path: the total ones at pipeline.stages.
      const limitIssues = spaceLimitIssues(space);
      for (const issue of limitIssues) {
        const [stage, ...rest] = issue.path;
        const path = stage === undefined ? ['pipeline', 'stages'] : ['pipeline', 'stages', stage, ...rest];
        ctx.addIssue({ code: 'custom', path, message: issue.message });
      }
      // What one suggestion would cost on this space, so nothing suggest() would refuse starts.
      if (limitIssues.length === 0 && clean('optimizer')) {
        const settings = resolveSettings(config.optimizer ?? {});
        for (const issue of effortIssues(settings, space.length, encodedDimension(space))) {
          ctx.addIssue({ code: 'custom', path: ['optimizer', issue.key], message: issue.message });
        }
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
      const space = searchSpaceOf(config);
      config.enqueue.forEach((candidate, candidateIndex) => {
        const { problems } = configurationProblems(space, candidate, Number.POSITIVE_INFINITY, { partial: true });
        for (const { stage, key, message } of problems) {
          const path = [
            'enqueue',
            candidateIndex,
            ...(stage === undefined ? [] : [stage]),
            ...(key === undefined ? [] : [key]),
          ];
          ctx.addIssue({ code: 'custom', path, message });
        }
      });
    }
  });

/** A study config as written: accepts `as const` / {@link defineStudy} literals (deeply readonly). */
export type StudyConfigInput = DeepReadonly<z.input<typeof studyConfigSchema>>;
type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
export type StudyConfig = z.output<typeof studyConfigSchema>;

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
  if (!result.success) throw new StudyConfigError(readableIssues(studyConfigSchema, input, result.error));
  return result.data;
}

/** The search space the optimizer sees: stages in order with their parameters. */
export function searchSpaceOf(config: StudyConfig): SearchSpace {
  return config.pipeline.stages.map((stage) => ({ name: stage.name, params: stage.params }));
}
