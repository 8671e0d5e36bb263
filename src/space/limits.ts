/**
 * Every size and range limit of a study, in one place. The config schema
 * (`src/config/study-config.ts`), the plan (`src/config/plan.ts`), the synthetic pipeline spec and
 * the optimizer's own space check (`validateSpace`) all read these, so a config the schema accepts
 * is one the optimizer, Temporal (2 MB payloads, finite durations) and the stage workers accept.
 *
 * Sizes are UTF-8 bytes of JSON, which is what crosses Temporal: a resolved plan stays below
 * {@link maxPlanBytes} and one configuration below {@link maxConfigurationBytes}.
 */
import { MAX_SOBOL_DIMENSION } from '../random/index.js';

/** Stages of a pipeline: each adds a cost model, a prefix length and a block to every trial record. */
export const maxStages = 32;

/** Parameters of one stage: the stage receives them as one record in every activity input. */
export const maxParamsPerStage = 256;

/** Parameters of the whole space: each is at least one GP input dimension of every suggestion. */
export const maxParams = 1024;

/** Choices of one categorical parameter: encoded one-hot, so each choice is a GP input dimension. */
export const maxChoices = 256;

/** Encoded dimensions (1 per float or int, 1 per choice): the warm-up and raw samples' Sobol tables have 1,024. */
export const maxDimensions = MAX_SOBOL_DIMENSION;

/** UTF-8 bytes of one choice's JSON: the chosen value travels in every configuration, record and stage input. */
export const maxChoiceBytes = 256;

/** Characters of a name (study, pipeline, stage, parameter, implementation, metric, version): in logs, UI, records. */
export const maxNameLength = 200;

/** UTF-8 bytes of the search space's JSON: it travels in the plan, every trial input and every suggest request. */
export const maxSpaceBytes = 64 * 1024;

/** UTF-8 bytes of the largest JSON a configuration can take (< 32 KB): trial inputs and records carry one. */
export const maxConfigurationBytes = 32_000;

/** Enqueued configurations: each runs before the optimizer is asked, and the plan carries them all. */
export const maxEnqueued = 1000;

/** UTF-8 bytes of all enqueued configurations' JSON together: the plan carries them. */
export const maxEnqueueBytes = 32 * 1024;

/** UTF-8 bytes of the resolved plan's JSON, the input of every study workflow run: below 128 KiB with room. */
export const maxPlanBytes = 120 * 1024;

/** Characters of a study id or task-queue prefix: they become workflow ids and task queue names. */
export const maxIdLength = 200;

/** Seconds of a stage timeout, heartbeat or retry interval (30 days): Temporal needs finite milliseconds. */
export const maxStageSeconds = 30 * 24 * 3600;

/** Shortest duration in seconds: Temporal counts milliseconds, and a duration rounded to 0 means "unset". */
export const minStageSeconds = 0.001;

/** Attempts of one stage: beyond this a failing stage only burns worker time and history events. */
export const maxRetryAttempts = 100;

/** Backoff coefficient of stage retries: larger ones hit the interval cap within a few attempts anyway. */
export const maxBackoffCoefficient = 100;

/** Budget and ε in cost units (1e9 ≈ 32 years of seconds): sums of stage costs stay exact far below one unit. */
export const maxBudget = 1e9;

/**
 * Trials (maxTrials, warmup, maxConsecutiveFailures). The study's state and payloads do not grow
 * with the trial count (the records live in the trial log), but every suggestion reads the whole
 * log into memory (~1 KB a trial): a million trials is ~1 GB in the suggest worker.
 */
export const maxTrials = 1_000_000;

/**
 * Trials running at once (`parallelism`): each is a child workflow the study awaits in one run and
 * a pending point in every suggestion; a fleet wider than this is better served by several studies.
 */
export const maxParallelism = 64;

/** Warm-up trials: a design that long is a random search; 10,000 keeps the design's generation instant. */
export const maxWarmup = 10_000;

/** Largest study seed (2³¹ − 1): stage seeds and optimizer streams hash it; it suits every language's RNG. */
export const maxSeed = 2 ** 31 - 1;

/** Monte-Carlo samples of a cost estimate (`mcSamples`), raw acquisition samples (`rawSamples`). */
export const maxSamples = 100_000;

/** Local acquisition refinements per suggestion (`restarts`). */
export const maxRestarts = 1000;

/** Refinement starts per cached prefix (`startsPerPrefix`) and trials whose prefixes are pooled (`topQ`). */
export const maxPerPrefix = 100;

/** mcSamples × rawSamples, the cost draws per stage of one suggestion (2^24: ≈ 5 s at 32 stages). */
export const maxMonteCarloDraws = 2 ** 24;

/** rawSamples × encoded dimensions, the raw Sobol block one suggestion holds (2^22 doubles = 32 MiB). */
export const maxRawSampleValues = 2 ** 22;

/** Local refinements (≤ prefixes × startsPerPrefix + restarts) × encoded dimensions: ≈ 30 s per suggestion. */
export const maxLocalSearchWork = 2 ** 21;

/**
 * `refitGrowth`: hyperparameters are reused until the history has grown by this factor. Beyond
 * 1000 they would never be refitted within `maxTrials`; 0 refits every step.
 */
export const maxRefitGrowth = 1000;
