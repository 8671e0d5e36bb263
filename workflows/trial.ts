import {
  ActivityFailure,
  ApplicationFailure,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  TemporalFailure,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, PrunedStageDetails, RunStageOutput } from '../activities/index.js';
import { spentCostOf, timedOutStageCharge } from '../src/core/charge.js';
import { FailureType } from '../src/core/errors.js';
import {
  maxErrorTraceChars,
  trialCharge,
  type StagePlan,
  type StageWorker,
  type TrialRecord,
} from '../src/core/study.js';
import { closestKey } from '../src/core/closest-key.js';
import type { IntermediateValues, PruneReference } from '../src/core/pruning.js';
import { stageSeed } from '../src/core/seed.js';
import type { Configuration, Phase } from '../src/core/types.js';
import { memotuneKind, trialEndSearchAttributes } from './search-attributes.js';

/** What the study hands one trial. Plain JSON. */
export interface TrialInput {
  readonly studyId: string;
  readonly pipelineId: string;
  readonly trialIndex: number;
  readonly stages: readonly StagePlan[];
  readonly objectiveMetric: string;
  readonly epsilon: number;
  readonly config: Configuration;
  readonly phase: Phase;
  readonly source: TrialRecord['source'];
  /** See {@link TrialRecord.optimizerFilled}; absent in older histories. */
  readonly optimizerFilled?: true;
  readonly acquisition: number | null;
  readonly predictedCost: number | null;
  /** δ the optimizer planned for; absent in histories recorded before it existed. */
  readonly suggestedPrefix?: number;
  /** Wall time of the suggestion; absent in older histories. */
  readonly optimizerSeconds?: number;
  readonly orchestrationQueue: string;
  /** The study seed stages derive theirs from; absent in older histories (then no seed is passed). */
  readonly seed?: number;
  /**
   * Signal the study ({@link stagesSettledSignal}) each time more leading stages are in the cache,
   * so trials sharing them can start (parallel studies only; absent in older histories).
   */
  readonly reportSettledStages?: boolean;
  /**
   * By stage index, what the stage's `shouldPrune()` compares its reports with (the study's
   * pruner); absent while nothing can be pruned, and in older histories.
   */
  readonly prune?: readonly (PruneReference | null)[];
  /**
   * Set once a trial of the study has completed every stage: a worker of the queue ran each stage's
   * implementation and version then, so a worker that lacks one is a fleet mid-deploy (or a busy
   * queue with a stray worker), and the stage waits for another (absent in older histories).
   */
  readonly stagesRanBefore?: true;
}

/** How many leading stages of a running trial are now in the cache (reused or committed). */
export interface StagesSettled {
  readonly trialIndex: number;
  readonly stages: number;
}

/** Sent by a trial to its study: a trial waiting for that prefix may start. */
export const stagesSettledSignal = defineSignal<[StagesSettled]>('memotune.stagesSettled');

/** The failure's type (`StageFailed`, `UnknownStage`, ..., or `Timeout`), for the study to branch on. */
function failureTypeOf(error: unknown): string | null {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof ApplicationFailure) return cause.type ?? null;
  if (cause instanceof TimeoutFailure) return 'Timeout';
  return null;
}

/**
 * The stack trace of what the stage's own code threw: below memotune's `StageFailed` (whose own
 * stack is the activity's), the deepest cause that has one — the SDKs carry the stage's error's
 * trace, a Python traceback included. Null for any other failure (a timeout, a pruned trial, an
 * unknown stage or version) and for a stage error without a trace.
 */
function failureTrace(error: unknown): string | null {
  if (!(error instanceof ActivityFailure) || failureTypeOf(error) !== FailureType.StageFailed) return null;
  let trace: string | null = null;
  for (let cause: unknown = error.cause?.cause; cause instanceof TemporalFailure; cause = cause.cause) {
    const stack = (cause.stack ?? '').trim();
    // A failure from another process carries its trace as its stack; one without keeps only its message line.
    if (stack !== '' && stack.includes('\n')) trace = stack;
  }
  if (trace === null || trace.length <= maxErrorTraceChars) return trace;
  // Both ends: a JavaScript stack names where it was thrown first, a Python traceback last.
  const end = Math.floor(maxErrorTraceChars * 0.7);
  return `${trace.slice(0, maxErrorTraceChars - end - 5)}\n...\n${trace.slice(trace.length - end)}`;
}

function failureMessage(error: unknown, stage: StagePlan): string {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof TimeoutFailure) {
    const attempts = stage.retry.maximumAttempts;
    // Unlimited attempts (0) never end in a timeout failure: only a limit above 1 is worth saying.
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    switch (cause.timeoutType) {
      case 'START_TO_CLOSE':
        return `stage '${stage.name}' timed out: no result within its timeoutSeconds (${stage.timeoutSeconds} s)${tries}`;
      case 'HEARTBEAT':
        return (
          `stage '${stage.name}' timed out: no heartbeat within its heartbeatSeconds (${stage.heartbeatSeconds} s)${tries}; ` +
          "a stage that blocks its worker (a synchronous sleep in an async stage, a long call holding Python's GIL) cannot heartbeat"
        );
      default:
        return `stage '${stage.name}' timed out (${cause.message})${tries}`;
    }
  }
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  // Stage failures name their stage already ("stage 'train' failed: ..."); a worker's do not.
  return message.startsWith('stage ') ? message : `stage '${stage.name}': ${message}`;
}

/**
 * Marks histories whose timed-out stages are charged by {@link timedOutStageCharge} (a
 * start-to-close timeout costs the whole `timeoutSeconds`). Histories recorded before it charged
 * the last heartbeat's `spentCost` and must replay doing so.
 */
const timeoutChargePatch = 'memotune-timeout-charge';

/**
 * Marks histories whose cache lookup (here) and trial-log write (in the study) are local
 * activities; earlier histories scheduled them as regular activities on the orchestration queue.
 */
export const localOrchestrationPatch = 'memotune-local-orchestration-activities';

/**
 * Marks histories whose trials schedule their next stage without waiting for the study to have
 * received the settled-stages signal; earlier histories waited one workflow task for it.
 */
const settledSignalInFlightPatch = 'memotune-settled-signal-in-flight';

/**
 * Cost the failed stage spent over all its attempts: from the failure's details when the stage
 * threw or returned an invalid result; when the last attempt timed out, per
 * {@link timedOutStageCharge} (earlier attempts' spending plus the stage's timeout for a
 * start-to-close timeout, the last heartbeat's figure for a heartbeat timeout).
 */
function spentByFailedStage(error: unknown, stage: StagePlan): number {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof TimeoutFailure) {
    if (!patched(timeoutChargePatch)) return spentCostOf(cause.lastHeartbeatDetails);
    return timedOutStageCharge({
      timeoutType: cause.timeoutType,
      lastHeartbeat: cause.lastHeartbeatDetails,
      timeoutSeconds: stage.timeoutSeconds,
      lastAttempt:
        error instanceof ActivityFailure && error.retryState === 'MAXIMUM_ATTEMPTS_REACHED'
          ? stage.retry.maximumAttempts
          : null,
    });
  }
  if (
    cause instanceof ApplicationFailure &&
    (cause.type === FailureType.StageFailed ||
      cause.type === FailureType.InvalidStageResult ||
      cause.type === FailureType.WorkerShutdown ||
      cause.type === FailureType.TrialPruned ||
      // A stage that ran and whose output the store then refused spent its time all the same.
      (cause.type === FailureType.StoreRefused && patched(storeRefusedChargePatch)))
  ) {
    return spentCostOf(cause.details?.[0]);
  }
  return 0;
}

/** Marks histories in which a `StoreRefused` stage is charged what it spent (before: nothing). */
const storeRefusedChargePatch = 'memotune-store-refused-charge';

/**
 * Marks histories whose trials run a stage again when its worker shut down under it
 * ({@link FailureType.WorkerShutdown}); before, that failure failed the trial.
 */
const workerShutdownPatch = 'memotune-rerun-after-worker-shutdown';

/**
 * Marks histories in which an attempt interrupted by its worker's shutdown is not charged (a
 * review saw a SIGTERM'd 14 s stage charged twice while a SIGKILL'd one was charged once).
 */
const shutdownFreePatch = 'memotune-shutdown-free';

/** Marks histories whose finished trials set their `MemotuneStatus` search attribute. */
const trialStatusPatch = 'memotune-trial-status-attribute';

/**
 * How many times one stage of a trial is run again after its worker shut down under it. A fleet
 * being redeployed or reclaimed interrupts a stage a few times at most; past this something keeps
 * stopping the workers that take it, and the trial fails with the interruption as its error.
 */
export const maxWorkerShutdownReruns = 20;

/**
 * How many times a stage is scheduled again after the worker that took it had no implementation of
 * it: a mixed fleet mid-deploy finds a worker that has it well within this; a stage no worker has
 * fails after it, in about as many task round trips.
 */
export const maxUnknownStageReruns = 10;

/** Marks histories in which a stage a worker lacked is scheduled again; earlier ones failed the trial. */
const unknownStageRerunPatch = 'memotune-unknown-stage-rerun';

/**
 * Marks histories in which a stage a worker lacked (or had at another version), in a study whose
 * trials have run every stage before, waits ever longer between reruns for up to
 * {@link unknownStageWaitSeconds}: ten reruns at once ended a study mid rolling deploy in about a
 * second, its one-slot GPU workers of the right version busy and the new one taking every task.
 */
const unknownStageBackoffPatch = 'memotune-unknown-stage-backoff';

/**
 * How long a stage that ran before waits, in all, for a worker that has it (at its version): an
 * hour, or the stage's own timeout when longer (the right worker may be busy with a run that long).
 */
export const unknownStageWaitSeconds = 3600;

/** The wait before rerun `k` (1, 2, …) of such a stage: 1 s doubling up to a minute. */
export function unknownStageDelaySeconds(rerun: number): number {
  return Math.min(60, 2 ** (rerun - 1));
}

type StageRun =
  | { readonly output: RunStageOutput; readonly failure?: undefined; readonly interruptedSpent: number }
  | { readonly output?: undefined; readonly failure: ActivityFailure; readonly interruptedSpent: number };

/**
 * Runs a stage's activity, scheduling it again each time it fails because its worker shut down:
 * that failure is not retried by Temporal (it would use up one of the stage's attempts, and with
 * `maximumAttempts: 1` fail the trial), so a new activity, with all its attempts, waits for the
 * next worker of the queue. The interrupted attempts are not charged (histories from before
 * `memotune-shutdown-free` charged what they spent: returned as `interruptedSpent`).
 */
async function runThroughWorkerShutdowns(
  stage: StagePlan,
  runStage: (interruptions: number, unknownAt: number) => Promise<RunStageOutput>,
  stagesRanBefore: boolean,
  details: string,
): Promise<StageRun> {
  let interruptedSpent = 0;
  let unknownAt = 0;
  let waitedSeconds = 0;
  const maxWaitSeconds = Math.max(unknownStageWaitSeconds, stage.timeoutSeconds);
  for (let interruptions = 0; ;) {
    try {
      return { output: await runStage(interruptions, unknownAt), interruptedSpent };
    } catch (failure) {
      if (!(failure instanceof ActivityFailure)) throw failure;
      // A fleet in the middle of a deploy that adds the stage: the worker that took the task lacks
      // it, another of the queue may have it. Scheduled again a few times before the stage counts
      // as unknown (which ends the study: no configuration could run it).
      // So is a worker with the stage's code of another version (a rolling deploy of a new
      // version): the queue's other workers may have the version the config gives.
      const type = failureTypeOf(failure);
      const misrouted = type === FailureType.UnknownStage || type === FailureType.StageVersionMismatch;
      // A stage every trial has run so far waits for the queue's other workers, ever longer (one
      // no trial has run yet is more likely missing everywhere: it fails fast, as before).
      if (misrouted && stagesRanBefore && patched(unknownStageBackoffPatch)) {
        const delay = unknownStageDelaySeconds(unknownAt + 1);
        if (waitedSeconds + delay <= maxWaitSeconds) {
          unknownAt++;
          waitedSeconds += delay;
          if (unknownAt === 1 || unknownAt % 10 === 0)
            log.warn(
              `stage '${stage.name}' taken by a worker that lacks it or its version: waiting for another worker of ${stage.taskQueue}`,
              { unknownAt, waitedSeconds, error: failure.cause?.message ?? failure.message },
            );
          setCurrentDetails(
            `Waiting for a worker of \`${stage.taskQueue}\` with stage \`${stage.name}\` (version ${stage.version}): ` +
              `the last one that took it lacks it or runs another version (${unknownAt} tries, ${waitedSeconds} s).`,
          );
          await sleep(delay * 1000);
          // Scheduled again: the details say the trial's plan until a worker refuses it once more.
          setCurrentDetails(details);
          continue;
        }
      } else if (misrouted && unknownAt < maxUnknownStageReruns && patched(unknownStageRerunPatch)) {
        unknownAt++;
        log.info(
          "stage taken by a worker that lacks it (or its version): scheduling it again for the queue's other workers",
          {
            unknownAt,
          },
        );
        continue;
      }
      const rerun =
        failureTypeOf(failure) === FailureType.WorkerShutdown &&
        interruptions < maxWorkerShutdownReruns &&
        patched(workerShutdownPatch);
      if (!rerun) return { failure, interruptedSpent };
      interruptions++;
      // A redeploy costs the trial nothing, as a crash does (a heartbeat timeout charges nothing):
      // the trial log is the same with or without it. Earlier histories charged the attempt.
      if (!patched(shutdownFreePatch)) interruptedSpent += spentByFailedStage(failure, stage);
      log.info('stage interrupted by its worker shutting down: scheduling it again', { interruptions });
    }
  }
}

/**
 * One candidate configuration through the pipeline: reuse the longest cached prefix, run the
 * remaining stages in order on their own task queues, read the objective from the last stage.
 * Runs as a child workflow of the study so its stage activities are grouped in the Temporal UI.
 * A stage that keeps failing fails the trial (recorded and charged), never the study.
 */
export async function trialWorkflow(input: TrialInput): Promise<TrialRecord> {
  const startedAt = workflowInfo().startTime.toISOString();
  // The study to tell when more leading stages are in the cache (parallel studies only).
  const study = input.reportSettledStages === true ? workflowInfo().parent : undefined;
  const signalSettled = async (stages: number): Promise<void> => {
    if (study === undefined) return;
    try {
      await getExternalWorkflowHandle(study.workflowId, study.runId).signal(stagesSettledSignal, {
        trialIndex: input.trialIndex,
        stages,
      });
    } catch (failure) {
      // The study has ended (it only ends once its trials are recorded, so only if terminated):
      // nobody is left waiting for this prefix.
      log.warn('could not tell the study about settled stages', { error: String(failure) });
    }
  };
  // The next stage is scheduled in the same workflow task as the signal instead of one round trip
  // after it. Histories recorded before waited for the signal to be delivered first.
  const signalInFlight = study !== undefined && patched(settledSignalInFlightPatch);
  const signalsInFlight: Promise<void>[] = [];
  const reportSettled = async (stages: number): Promise<void> => {
    if (signalInFlight) signalsInFlight.push(signalSettled(stages));
    else await signalSettled(stages);
  };
  // Run in the workflow's own worker (no task-queue round trip, no extra workflow task): ~60-90 ms
  // a trial. Histories recorded before it scheduled a regular activity and replay doing so.
  const lookupOptions = {
    startToCloseTimeout: '1 minute',
    // An S3 outage pauses the trial (visible as a retrying activity in the UI) instead of failing it.
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  } as const;
  const { lookupCache } = patched(localOrchestrationPatch)
    ? proxyLocalActivities<Activities>({ ...lookupOptions, summary: 'cache lookup: the longest cached prefix' })
    : proxyActivities<Activities>({
        ...lookupOptions,
        summary: 'cache lookup: the longest cached prefix',
        taskQueue: input.orchestrationQueue,
        heartbeatTimeout: '10 seconds',
      });
  const lookup = await lookupCache({ pipelineId: input.pipelineId, stages: input.stages, config: input.config });
  // The last stage is never reused (the spec's accounting): an exact repeat is charged its full
  // last-stage cost, and its committed output is returned by runStage without re-running.
  const cachedPrefix = Math.min(lookup.cached.length, input.stages.length - 1);
  const stageCosts: (number | null)[] = input.stages.map((_, index) =>
    index < cachedPrefix ? lookup.cached[index]!.cost : null,
  );
  const ranCosts: number[] = [];
  const stagesRun: number[] = [];
  const stageWorkers: (StageWorker | null)[] = input.stages.map(() => null);
  // What the trial paid for each stage: ε for a reused one; for a run one its cost plus what its
  // failed attempts spent (a failed or pruned stage: what it spent); null for one not reached.
  const stageCharges: (number | null)[] = input.stages.map((_, index) => (index < cachedPrefix ? input.epsilon : null));
  let metrics: Readonly<Record<string, number>> = {};
  // The last stage's metrics that were NaN or ±Infinity (left out of `metrics`), for the message.
  let nonFiniteMetrics: Readonly<Record<string, string>> = {};
  // The last stage's output was already committed (an exact repeat, or a retried trial): runStage
  // returned it without running the stage's code.
  let lastFromCache = false;
  // Every stage's metrics, a reused stage's as it reported them when it ran.
  const stageMetrics: (Readonly<Record<string, number>> | null)[] = input.stages.map((_, index) =>
    index < cachedPrefix ? (lookup.cached[index]!.metrics ?? {}) : null,
  );
  let error: string | null = null;
  let failureType: string | null = null;
  let errorTrace: string | null = null;
  // Values each stage reported with report(step, value): the ran stages', a pruned one's so far.
  const stageIntermediate: (IntermediateValues | null)[] = input.stages.map(() => null);
  upsertMemo({ memotune: { study: input.studyId, trial: input.trialIndex, reusedStages: cachedPrefix } });
  const plan =
    cachedPrefix === 0
      ? 'Runs every stage (no cached prefix).'
      : `Reuses ${input.stages
          .slice(0, cachedPrefix)
          .map((stage) => `\`${stage.name}\``)
          .join(', ')} from the cache (ε each); runs the rest.`;
  setCurrentDetails(plan);
  if (cachedPrefix > 0) await reportSettled(cachedPrefix);

  for (let index = cachedPrefix; index < input.stages.length; index++) {
    const stage = input.stages[index]!;
    const runStage = (interruptions: number, unknownAt: number) =>
      proxyActivities<Activities>({
        // The UI labels each stage run by its stage instead of "runStage".
        summary:
          `${stage.name} (stage ${index + 1}/${input.stages.length})` +
          (interruptions === 0 ? '' : `, again after its worker shut down (${interruptions})`) +
          (unknownAt === 0 ? '' : `, again: a worker without it took it (${unknownAt})`),
        taskQueue: stage.taskQueue,
        startToCloseTimeout: stage.timeoutSeconds * 1000,
        heartbeatTimeout: stage.heartbeatSeconds * 1000,
        retry: {
          maximumAttempts: stage.retry.maximumAttempts,
          initialInterval: stage.retry.initialIntervalSeconds * 1000,
          backoffCoefficient: stage.retry.backoffCoefficient,
          nonRetryableErrorTypes: [FailureType.UnknownStage, FailureType.InvalidStageResult, FailureType.CacheMiss],
        },
      }).runStage({
        studyId: input.studyId,
        trialIndex: input.trialIndex,
        pipelineId: input.pipelineId,
        stageIndex: index,
        stageName: stage.name,
        implementation: stage.implementation,
        version: stage.version,
        params: input.config[index]!,
        key: lookup.keys[index]!,
        parentKey: index === 0 ? null : lookup.keys[index - 1]!,
        ancestors: input.stages
          .slice(0, index)
          .map((ancestor, at) => ({ stage: ancestor.name, key: lookup.keys[at]! })),
        ...(input.seed === undefined ? {} : { seed: stageSeed(input.seed, lookup.keys[index]!) }),
        ...(input.prune?.[index] ? { prune: input.prune[index]! } : {}),
        ...(stage.retry.nonRetryableErrors === undefined ? {} : { nonRetryableErrors: stage.retry.nonRetryableErrors }),
      });
    const run = await runThroughWorkerShutdowns(stage, runStage, input.stagesRanBefore === true, plan);
    if (run.failure !== undefined) {
      ranCosts.push(run.interruptedSpent + spentByFailedStage(run.failure, stage));
      stageCharges[index] = ranCosts.at(-1)!;
      stagesRun.push(index);
      error = failureMessage(run.failure, stage);
      // The worker of the failed attempt, as the server has it: where to look for a broken machine.
      if (run.failure.identity) stageWorkers[index] = { identity: run.failure.identity };
      failureType = failureTypeOf(run.failure);
      if (failureType === FailureType.TrialPruned) stageIntermediate[index] = prunedCurve(run.failure);
      else errorTrace = failureTrace(run.failure);
      break;
    }
    const output = run.output;
    stageCosts[index] = output.cost;
    stageWorkers[index] = output.worker ?? null;
    // Histories recorded before chargedCost existed carry only cost.
    ranCosts.push(run.interruptedSpent + (output.chargedCost ?? output.cost));
    stageCharges[index] = ranCosts.at(-1)!;
    stagesRun.push(index);
    metrics = output.metrics;
    nonFiniteMetrics = output.nonFiniteMetrics ?? {};
    stageMetrics[index] = output.metrics;
    if (output.intermediate !== undefined) stageIntermediate[index] = output.intermediate;
    lastFromCache = output.recovered === true;
    // The last stage is never reused: only proper prefixes interest a waiting trial.
    if (index < input.stages.length - 1) await reportSettled(index + 1);
  }

  await Promise.all(signalsInFlight);

  const pruned = failureType === FailureType.TrialPruned;
  let objective: number | null = null;
  if (error === null) {
    const value = metrics[input.objectiveMetric] ?? nonFiniteMetrics[input.objectiveMetric];
    if (typeof value === 'number' && Number.isFinite(value)) objective = value;
    else {
      error = missingObjectiveMessage(input.objectiveMetric, value, metrics);
      // Data only (the study reads it from the record): histories recorded before replay as they ran.
      // A recovered output's non-finite metrics are not in its meta.json: a missing metric there
      // may have been a NaN, not a misnamed one.
      if (value === undefined && !lastFromCache) failureType = FailureType.ObjectiveNotReported;
      // Changed code under the same stage version would otherwise fail here on every rerun.
      if (lastFromCache) {
        const last = input.stages[input.stages.length - 1]!;
        error +=
          `; that output of stage '${last.name}' was cached by an earlier run of this configuration ` +
          `(stage version '${last.version}'): bump the stage's version to run its current code`;
      }
    }
  }
  // The UI shows a finished trial workflow as Completed either way: its details say how it went,
  // and its status attribute lets a list be filtered by it. Only a trial started with memotune's
  // attributes sets one (they may not be registered on the namespace otherwise).
  if (workflowInfo().typedSearchAttributes.get(memotuneKind) === 'trial' && patched(trialStatusPatch))
    upsertSearchAttributes(trialEndSearchAttributes(error === null ? 'completed' : pruned ? 'pruned' : 'failed'));
  // (Current details are answered by a query, not recorded as a command: replay is unaffected.)
  setCurrentDetails(
    error === null
      ? `**Completed**: ${input.objectiveMetric} = ${objective}. ${plan}`
      : `**${pruned ? 'Pruned' : 'Failed'}**: ${error.replace(/\s+/g, ' ').slice(0, 500)}. ${plan}`,
  );
  return {
    trialIndex: input.trialIndex,
    config: input.config,
    objective,
    stageCosts,
    cachedPrefix,
    chargedCost: trialCharge(cachedPrefix, input.epsilon, ranCosts),
    phase: input.phase,
    status: error === null ? 'completed' : pruned ? 'pruned' : 'failed',
    error,
    ...(failureType === null ? {} : { failureType }),
    ...(errorTrace === null ? {} : { errorTrace }),
    keys: lookup.keys,
    metrics,
    stageMetrics,
    ...(stageIntermediate.some((curve) => curve !== null) ? { stageIntermediate } : {}),
    stagesRun,
    // Data only (no command depends on it): histories recorded before it replay as they ran.
    ...(stageWorkers.some((worker) => worker !== null) ? { stageWorkers } : {}),
    stageCharges,
    source: input.source,
    // Data only, as stageWorkers.
    ...(input.optimizerFilled === true ? { optimizerFilled: true } : {}),
    acquisition: input.acquisition,
    predictedCost: input.predictedCost,
    suggestedPrefix: input.suggestedPrefix ?? 0,
    optimizerSeconds: input.optimizerSeconds ?? 0,
    startedAt,
    // The sandbox's Date is the current workflow task's time, from history: replay gives the same.
    // eslint-disable-next-line no-restricted-globals
    finishedAt: new Date().toISOString(),
  };
}

/** The values a pruned stage had reported, from its failure's details (empty when unreadable). */
function prunedCurve(failure: ActivityFailure): IntermediateValues {
  const cause = failure.cause;
  const details =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<PrunedStageDetails> | undefined) : undefined;
  const curve = details?.intermediate;
  return curve !== undefined &&
    Array.isArray(curve.steps) &&
    Array.isArray(curve.values) &&
    curve.steps.length === curve.values.length
    ? { steps: curve.steps, values: curve.values }
    : { steps: [], values: [] };
}

/** Most reported metric names a missing-objective message lists. */
const maxListedMetrics = 10;

/**
 * Why a finished last stage gives no objective: the metric missing (with what it did report and
 * the name it most likely meant) or not a finite number.
 */
function missingObjectiveMessage(metric: string, value: unknown, reported: Readonly<Record<string, number>>): string {
  const names = Object.keys(reported);
  if (value !== undefined)
    return `the last stage reported the objective metric '${metric}' = ${String(value)}, not a finite number`;
  if (names.length === 0)
    return `the last stage did not report the objective metric '${metric}' (it reported no metrics)`;
  const near = closestKey(metric, names);
  const listed = names.slice(0, maxListedMetrics).join(', ') + (names.length > maxListedMetrics ? ', ...' : '');
  return (
    `the last stage did not report the objective metric '${metric}' (it reported ${listed}` +
    `${near === undefined ? '' : `; did you mean '${near}'?`})`
  );
}
