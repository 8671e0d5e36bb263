/**
 * Every side effect of a study lives here: suggesting (numeric work off the workflow thread),
 * looking up the stage cache, and running stages. Built by a factory that takes its dependencies,
 * so tests pass fakes and nothing connects at import time.
 */
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { closestKey } from '../src/core/closest-key.js';
import { keysOf } from '../src/core/option-keys.js';
import { spentBeforeAttempt } from '../src/core/charge.js';
import type { StageWorker } from '../src/core/study.js';
import { packageVersion } from '../src/package-root.js';
import { FailureType, type StageFailureDetails } from '../src/core/errors.js';
import { clip, preview } from '../src/core/preview.js';
import { reportProblem, shouldPrune, type IntermediateValues, type PruneReference } from '../src/core/pruning.js';
import { stageKeys, type StageIdentity } from '../src/core/keys.js';
import type { Configuration, StageParams, SuggestRequest, Suggestion } from '../src/core/types.js';
import { suggest as defaultSuggest } from '../src/optimizer/index.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import {
  CacheReadError,
  decodeJsonOutput,
  OutputEncodingError,
  prepareOutput,
  StageCache,
  type PreparedOutput,
  type StageOutputMeta,
  type StoredData,
} from '../src/storage/stage-cache.js';
import { SYNTHETIC_IMPLEMENTATION_PREFIX } from '../src/examples/synthetic-stages.js';
import { TrialPruned, versionOf, type StageOutput, type StageRegistry, type StageResult } from '../src/stages/types.js';
import { isStoreFull, isStoreRefusal, OutageClock, retryingStore, type RetrySettings } from '../src/storage/retry.js';
import { TrialLog } from '../src/storage/trial-log.js';
import { createStudyLogActivities } from './study-log.js';

export interface ActivityDependencies {
  /** Where stage outputs live (S3 in production, memory in unit tests). */
  readonly store: ObjectStore;
  /** Stage implementations this worker can run, by implementation name. @default none (orchestration only) */
  readonly stages?: StageRegistry;
  /** Milliseconds since the epoch, used for stage wall time. @default a monotonic clock */
  readonly clock?: () => number;
  /**
   * Computes suggestions: the optimizer in-process, or a thread pool's (`SuggestPool.suggest`,
   * which `createWorkers` uses by default) that stops when `signal`, the activity's cancellation,
   * aborts. @default suggest from src/optimizer, in-process
   */
  readonly suggest?: (request: SuggestRequest, signal?: AbortSignal) => Suggestion | Promise<Suggestion>;
  /**
   * How long `runStage` waits, once its attempt is cancelled (timeout, stopped study, worker
   * shutdown), for the stage's code to settle before it gives up on it and frees the worker's slot.
   * The abandoned code keeps running in the process until it returns by itself: in-process
   * JavaScript cannot be killed (run stages in their own process, e.g. a Python worker, for that).
   * @default {@link defaultCancellationGraceMs} (10 s)
   */
  readonly cancellationGraceMs?: number;
  /**
   * Backoff of `runStage`'s object-store calls during an outage; they are retried until they
   * succeed or the attempt is cancelled. @default 0.5 s doubling to 10 s (src/storage/retry.ts)
   */
  readonly storeRetry?: RetrySettings;
  /**
   * The worker's Temporal identity, recorded with each stage it runs (`stageWorkers` in the trial
   * record). MemotunePlugin sets it from the worker's `identity` option. @default the SDK's own
   * default, `pid@host`
   */
  readonly workerIdentity?: string | (() => string);
}

/** The keys of {@link ActivityDependencies}, for the run-time check of options objects (src/core/option-keys.ts). */
export const activityDependencyKeys = keysOf<ActivityDependencies>()(
  'store',
  'stages',
  'clock',
  'suggest',
  'cancellationGraceMs',
  'storeRetry',
  'workerIdentity',
);

export interface CacheLookupInput {
  readonly pipelineId: string;
  readonly stages: readonly StageIdentity[];
  readonly config: Configuration;
}

/** Chained keys of every stage, and the committed outputs of the longest cached prefix. */
export interface CacheLookup {
  readonly keys: readonly string[];
  /** Metadata of stages 0..δ-1; δ = `cached.length`. */
  readonly cached: readonly StageOutputMeta[];
}

/** An earlier stage of the same trial whose committed output a stage may read. */
export interface AncestorRef {
  readonly stage: string;
  readonly key: string;
}

/** The `runStage` activity's input: plain JSON, the same for TS and Python stage workers (docs/stage-contract.md). */
export interface RunStageInput {
  readonly studyId: string;
  readonly trialIndex: number;
  readonly pipelineId: string;
  readonly stageIndex: number;
  readonly stageName: string;
  readonly implementation: string;
  readonly version: string;
  readonly params: StageParams;
  readonly key: string;
  readonly parentKey: string | null;
  /** Stages 0..stageIndex−1 in order, the parent last; absent in histories recorded before it existed. */
  readonly ancestors?: readonly AncestorRef[];
  /** The stage's seed ({@link stageSeed}); absent in older histories (then 0). */
  readonly seed?: number;
  /** What `shouldPrune()` compares the stage's reports with; absent when nothing can be pruned yet. */
  readonly prune?: PruneReference;
  /** Error class names (the thrown error's or a base class's) that end the stage without a retry. */
  readonly nonRetryableErrors?: readonly string[];
}

export interface RunStageOutput {
  readonly key: string;
  /** The worker that ran (or recovered) this attempt; absent from workers that predate it. */
  readonly worker?: StageWorker;
  /** Full cost of one successful run of the stage (what its cost model learns from). */
  readonly cost: number;
  /** What the trial is charged for this stage: `cost` plus what earlier failed attempts spent. */
  readonly chargedCost: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly bytes: number;
  readonly sha256: string;
  readonly wallSeconds: number;
  /** True when an earlier attempt had already committed this output (the result was lost). */
  readonly recovered: boolean;
  /** The values the stage reported with `report(step, value)`; absent when it reported none. */
  readonly intermediate?: IntermediateValues;
  /**
   * Metrics the stage reported as NaN or ±Infinity, by name (`"NaN"`, `"Infinity"`, `"-Infinity"`):
   * left out of `metrics` (JSON has no such numbers); absent when there were none. The trial fails
   * only when one of them is its objective.
   */
  readonly nonFiniteMetrics?: Readonly<Record<string, string>>;
}

/** Details of a `TrialPruned` failure: what the stage spent, and the values it reported. */
export interface PrunedStageDetails extends StageFailureDetails {
  readonly intermediate: IntermediateValues;
}

/** A `report(step, value)` the stage got wrong: not retried (see runStage). */
class ReportError extends TypeError {}

/** `stage 'train' pruned the trial at step 3`, with the stage's own message when it gave one. */
function prunedMessage(stage: string, lastStep: number | undefined, error: Error): string {
  const own = typeof error.message === 'string' && error.message !== 'trial pruned' ? error.message : '';
  const at = lastStep === undefined ? '' : ` at step ${lastStep}`;
  return clip(`stage '${stage}' pruned the trial${at}${own === '' ? '' : `: ${own}`}`, maxFailureMessageLength);
}

/** A stage's `TrialPruned`, also when thrown by another copy of this package (no shared class). */
function isTrialPruned(error: unknown): boolean {
  return error instanceof TrialPruned || (error instanceof Error && error.name === 'TrialPruned');
}

/**
 * A non-retryable `StoreRefused` failure: the object store refused this worker's request (a
 * rejected key or signature, access denied, a missing bucket), which its settings must fix; the
 * study ends saying so. Only the error's name and message: the SDK's error carries request details.
 */
function storeRefused(
  what: string,
  worker: 'stage' | 'orchestration',
  error: unknown,
  spent?: StageFailureDetails,
): ApplicationFailure {
  const name = error instanceof Error ? error.name : 'Error';
  const advice = isStoreFull(error)
    ? 'the store is full or over its quota: free space (`memotune cache prune`) or raise the quota'
    : 'fix its S3 settings or credentials (MEMOTUNE_S3_*, AWS_*)';
  return ApplicationFailure.create({
    message:
      `${what}: the object store refused this ${worker} worker's request (${name}: ${errorMessage(error)}): ` +
      `${advice}, then \`memotune study continue\` the study`,
    type: FailureType.StoreRefused,
    nonRetryable: true,
    // What the stage spent (it ran, then its output was refused); nothing before it ran.
    ...(spent === undefined ? {} : { details: [spent] }),
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** @see ActivityDependencies.cancellationGraceMs */
export const defaultCancellationGraceMs = 10_000;

/**
 * How long after its start-to-close timeout a running attempt cancels itself. The server times the
 * attempt out first; the worker hears of it only with its next heartbeat's answer, which Temporal
 * throttles to 0.8 × the heartbeat timeout (48 s at the default 60 s). The margin keeps our own
 * deadline behind the server's, so the attempt is always recorded as timed out.
 */
const localDeadlineMarginMs = 1_000;

/**
 * The attempt's cancellation: Temporal's signal (a cancel request, a timeout learned from a
 * heartbeat, worker shutdown) or the attempt's start-to-close deadline passing on this worker.
 */
function attemptSignal(context: Context): { signal: AbortSignal; dispose: () => void } {
  const timeoutMs = context.info.startToCloseTimeoutMs;
  if (!(timeoutMs > 0)) return { signal: context.cancellationSignal, dispose: () => undefined };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new CancelledFailure('TIMED_OUT')), timeoutMs + localDeadlineMarginMs);
  return {
    signal: AbortSignal.any([context.cancellationSignal, deadline.signal]),
    dispose: () => clearTimeout(timer),
  };
}

/**
 * `work`'s outcome; but once `signal` aborts, `work` gets `graceMs` to settle, after which the
 * promise rejects with the signal's reason and `work` is abandoned (its later outcome is ignored).
 */
function settleWithinGrace<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * Most metrics one stage result may report. Metrics travel in the activity's result, in the trial
 * record (a Temporal payload, the study's trial log, `study status`) and in meta.json, and the
 * optimizer reads them: 256 covers any real report (per-class scores, per-epoch curves belong in
 * the output) while a full set of long names stays near 60 kB, far from Temporal's 2 MB payload
 * limit. Beyond it the result is refused (`InvalidStageResult`) rather than silently cut.
 */
export const maxStageMetrics = 256;

/**
 * Longest metric name, in UTF-16 code units: room for any real name (`val/top5_accuracy/class_17`)
 * while {@link maxStageMetrics} names stay small in every record they are copied into.
 */
export const maxMetricNameLength = 200;

/**
 * Longest failure message runStage reports. A stage's error text (or the value it reported) ends
 * up in the trial record, the Temporal failure and `study status`; a 10 MB message must not make
 * any of them too large to store or print. Longer messages are cut, marked with an ellipsis.
 */
export const maxFailureMessageLength = 2000;

/** A stage result that passed validation: the output encoded (or its file checked), metrics and cost copied. */
interface CheckedResult {
  readonly output: PreparedOutput;
  readonly metrics: Readonly<Record<string, number>>;
  /** Metrics reported as NaN or ±Infinity, left out of `metrics` (see {@link RunStageOutput}). */
  readonly nonFiniteMetrics: Readonly<Record<string, string>>;
  readonly cost: number | undefined;
}

/**
 * Whether `error` is an instance of a class named in `names` (its own class or a base class, by
 * name: `TypeError` names a `TypeError` and its subclasses), or its `name` is one of them.
 */
export function isOfErrorClass(error: unknown, names: readonly string[] | undefined): boolean {
  if (names === undefined || names.length === 0 || typeof error !== 'object' || error === null) return false;
  const wanted = new Set(names);
  if (error instanceof Error && wanted.has(error.name)) return true;
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null && proto !== Object.prototype;) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && wanted.has(name)) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/** The message of whatever a stage threw, for `StageFailed`; never throws, never huge. */
function thrownMessage(error: unknown): string {
  try {
    if (error instanceof Error) {
      const { message, name } = error;
      if (typeof message !== 'string' || message === '') return clip(name || 'Error', maxFailureMessageLength);
      // The class, as a Python stage's message has it (`RangeError: ...`); a plain Error, a Temporal
      // failure and memotune's own report() error say nothing more by theirs.
      const plain = error instanceof ApplicationFailure || error instanceof ReportError || name === 'Error';
      const kind = typeof name === 'string' && name !== '' && !plain ? `${name}: ` : '';
      return clip(`${kind}${message}`, maxFailureMessageLength);
    }
    if (typeof error === 'string') return clip(error, maxFailureMessageLength);
    let shown = preview(error);
    if (shown === 'an object') {
      try {
        shown = `an object ${clip(JSON.stringify(error) ?? '', 200)}`;
      } catch {
        // A cycle, a BigInt, a throwing toJSON: the plain description will do.
      }
    }
    return `it threw ${shown}, not an Error`;
  } catch {
    // A revoked proxy, a message getter that throws: nothing about it can be read.
    return 'it threw a value that cannot be inspected';
  }
}

/** What a stage threw, or an Error saying it cannot be inspected (a revoked proxy throws on `instanceof`). */
function inspectable(thrown: unknown): unknown {
  try {
    Object.getPrototypeOf(Object(thrown));
    return thrown;
  } catch {
    return new Error('it threw a value that cannot be inspected');
  }
}

/** An Error to attach as the failure's cause, unless its message is too large to send along. */
function attachableCause(error: unknown): Error | undefined {
  try {
    if (!(error instanceof Error)) return undefined;
    if (typeof error.message !== 'string' || error.message.length > maxFailureMessageLength) return undefined;
    // Its stack from the stage's own frames: memotune's and the SDK's below them say nothing to
    // the stage's author (the trial record keeps it as errorTrace).
    if (typeof error.stack === 'string') {
      const lines = error.stack.split('\n');
      const ours = lines.findIndex((line) => line.includes(ownModulePath) || line.includes(ownModuleUrl));
      if (ours > 0) error.stack = lines.slice(0, ours).join('\n');
    }
    return error;
  } catch {
    return undefined;
  }
}

/** This module, as stack frames name it (a path, or a file: URL under ESM). */
const ownModuleUrl = import.meta.url;
const ownModulePath = fileURLToPath(import.meta.url);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * Checks what a stage returned and encodes its output (docs/stage-contract.md, step 7). Anything
 * unusable — no output, metrics that are not finite numbers or exceed the limits, a bad cost, an
 * output with no encoding (a cycle, a BigInt, a function) or one that throws when read — is a
 * non-retryable `InvalidStageResult` carrying what the stage spent: re-running it would return the
 * same thing and cost as much again.
 */
function checkResult(result: unknown, stageName: string, spent: () => StageFailureDetails): CheckedResult {
  // The stage ran to the end: its failure still carries what it spent, so the trial is charged.
  const invalid = (message: string) =>
    ApplicationFailure.create({
      message: clip(`stage '${stageName}' ${message}`, maxFailureMessageLength),
      type: FailureType.InvalidStageResult,
      nonRetryable: true,
      details: [spent()],
    });
  try {
    if (typeof result !== 'object' || result === null || !('output' in result)) {
      throw invalid(`must return an object with an 'output' field, not ${preview(result)}`);
    }
    const { metrics: rawMetrics, cost: rawCost, output } = result as StageResult;
    const metrics: Record<string, number> = {};
    const nonFiniteMetrics: Record<string, string> = {};
    if (rawMetrics !== undefined && rawMetrics !== null) {
      if (!isPlainObject(rawMetrics)) {
        throw invalid(`reported metrics = ${preview(rawMetrics)}; metrics must be a plain object of numbers`);
      }
      const names = Object.keys(rawMetrics);
      if (names.length > maxStageMetrics) {
        throw invalid(`reported ${names.length} metrics; at most ${maxStageMetrics} metrics are allowed per stage`);
      }
      for (const name of names) {
        if (name.length > maxMetricNameLength) {
          throw invalid(
            `reported a metric name of ${name.length} characters (${preview(name)}); metric names are limited to ${maxMetricNameLength} characters`,
          );
        }
        const value = rawMetrics[name];
        if (typeof value !== 'number') {
          throw invalid(`reported metrics.${name} = ${preview(value)}; metrics must be numbers`);
        }
        // A diverged loss is data, not a bug: the output is kept, the metric left out (only a
        // non-finite objective fails the trial, in the trial workflow).
        if (Number.isFinite(value)) metrics[name] = value;
        else nonFiniteMetrics[name] = String(value);
      }
    }
    // null is "not reported", as Python's None is.
    const cost = rawCost ?? undefined;
    if (cost !== undefined && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)) {
      throw invalid(`reported cost = ${preview(cost)}; cost must be a finite number >= 0`);
    }
    return { output: prepareOutput(output), metrics, nonFiniteMetrics, cost };
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    if (error instanceof OutputEncodingError) {
      throw invalid(`returned an output memotune cannot store: ${error.message}`);
    }
    // A getter or proxy in the result that throws: the result cannot be read, whatever it holds.
    throw invalid(`returned a result memotune cannot read: ${thrownMessage(error)}`);
  }
}

/** A lazy reader of a committed output; a checksum mismatch becomes a non-retryable CacheMiss. */
function outputReader(cache: StageCache, meta: StageOutputMeta, reader: string): StageOutput {
  const cacheMiss = (error: unknown): never => {
    if (error instanceof CacheReadError) {
      throw ApplicationFailure.nonRetryable(
        `stage '${reader}' cannot read the output of stage '${meta.stage}': ${error.message}`,
        FailureType.CacheMiss,
      );
    }
    throw error;
  };
  const bytes = () => cache.readData(meta).catch(cacheMiss);
  return {
    key: meta.key,
    stage: meta.stage,
    metrics: meta.metrics,
    format: meta.format,
    size: meta.bytes,
    bytes,
    json: async <T>() => decodeJsonOutput(await bytes()) as T,
    // A mismatch found at the end of a stream reaches the stage as a CacheReadError, which
    // runStage maps to CacheMiss when the stage lets it propagate.
    stream: () => cache.streamData(meta).catch(cacheMiss),
    toFile: async (path: string) => {
      await cache.downloadData(meta, path).catch(cacheMiss);
      return path;
    },
    toDirectory: async (dest: string) => {
      await cache.extractDirectory(meta, dest).catch(cacheMiss);
      return dest;
    },
  };
}

export function createActivities(dependencies: ActivityDependencies) {
  const cache = new StageCache(dependencies.store);
  const { workerIdentity } = dependencies;
  const worker = (): StageWorker => ({
    identity:
      typeof workerIdentity === 'function' ? workerIdentity() : (workerIdentity ?? `${process.pid}@${hostname()}`),
    sdk: 'typescript',
    memotune: packageVersion,
  });
  // performance.now() never goes backwards (Date.now() can, with NTP), so wall-time costs stay >= 0.
  const clock = dependencies.clock ?? (() => performance.timeOrigin + performance.now());
  const suggestFn = dependencies.suggest ?? defaultSuggest;

  return {
    ...createStudyLogActivities(new TrialLog(dependencies.store), suggestFn),

    /** Chains the stage keys and finds the longest prefix whose outputs are committed. */
    async lookupCache(input: CacheLookupInput): Promise<CacheLookup> {
      const keys = stageKeys(input.pipelineId, input.stages, input.config);
      const cached: StageOutputMeta[] = [];
      for (const key of keys) {
        const meta = await cache.readMeta(key).catch((error: unknown) => {
          // Retried (this activity's policy) when an outage; a refusal would be retried for ever, out of sight.
          throw isStoreRefusal(error) ? storeRefused('the cache lookup', 'orchestration', error) : error;
        });
        // A killed worker is noticed within the heartbeat timeout, not the 1-minute start-to-close.
        // (As a local activity it dies with its workflow task, which is retried elsewhere.)
        if (!Context.current().info.isLocal) Context.current().heartbeat();
        if (meta === null) break;
        cached.push(meta);
      }
      return { keys, cached };
    },

    /**
     * Runs one stage: reads the parent's output, calls the user's implementation, commits the
     * output under the stage's key. Idempotent: an attempt that finds its output already
     * committed (the previous attempt died after writing) returns it instead of re-running.
     *
     * Object-store failures anywhere in here (the metadata reads before the stage, the stage's
     * own reads of earlier outputs, the upload and the commit) are outages, not stage failures:
     * they are retried until they succeed or the attempt is cancelled, while the attempt keeps
     * heartbeating, and they never use up one of the stage's Temporal attempts.
     */
    async runStage(input: RunStageInput): Promise<RunStageOutput> {
      const context = Context.current();
      const { info } = context;
      // Own properties only: 'constructor' or 'toString' must not find Object.prototype's.
      const registry = dependencies.stages ?? {};
      const implementation = Object.hasOwn(registry, input.implementation) ? registry[input.implementation] : undefined;
      if (implementation === undefined) {
        // Naming what this worker does serve shows a queue shared by workers with different stage
        // sets, the usual cause when another worker of the queue has the stage.
        const guess = closestKey(input.implementation, Object.keys(registry));
        throw ApplicationFailure.nonRetryable(
          `no stage implementation named '${input.implementation}' is registered on the worker that took it ` +
            `from task queue '${info.taskQueue}' (it serves ${servedStages(registry)}${guess === undefined ? '' : `; did you mean '${guess}'?`}); every worker of a queue ` +
            'must register the same stages (two projects on one server: give each its own queues with --prefix)',
          FailureType.UnknownStage,
        );
      }
      const declared = versionOf(implementation);
      if (declared !== undefined && declared !== input.version) {
        // Running it would store this code's output as the config's version (or read that
        // version's cached outputs as this code's); every attempt would say the same.
        throw ApplicationFailure.nonRetryable(
          `stage '${input.stageName}': this worker's code is version '${declared}' (versioned()), but the study ` +
            `config gives the stage version '${input.version}'${input.version === '1' ? ' (also what a config without `version` gives)' : ''}: set the config's version to '${declared}' (a new ` +
            `version caches anew), or run the code of version '${input.version}'`,
          FailureType.StageVersionMismatch,
        );
      }
      const { signal, dispose } = attemptSignal(context);

      // Cost already spent by earlier failed attempts travels in the heartbeat details.
      const spentBefore = spentBeforeAttempt(
        info.heartbeatDetails,
        info.startToCloseTimeoutMs / 1000,
        (info.heartbeatTimeoutMs ?? 0) / 1000,
      );
      // The stage clock starts once the earlier outputs' metadata has been read: an outage before
      // the stage runs is not charged. Time spent waiting out an outage after that (a read of an
      // earlier output, the upload, the commit) is not charged either (docs/stage-contract.md).
      const outages = new OutageClock(clock);
      let started: number | null = null;
      const stageSeconds = () =>
        started === null ? 0 : Math.max(0, (clock() - started - outages.msBetween(started)) / 1000);
      const spent = (): StageFailureDetails => ({ spentCost: spentBefore + stageSeconds(), attempt: info.attempt });
      let progress: unknown = null;
      // This attempt's report(step, value)s (each attempt is its own runStage call: a retried
      // attempt reports afresh).
      const curve: { steps: number[]; values: number[] } = { steps: [], values: [] };
      // spentBefore lets the workflow charge a start-to-close timeout as earlier attempts plus the
      // whole timeout (src/core/charge.ts), whatever this attempt last reported.
      // `stage`: what `memotune study status` shows a running trial computing.
      // `reported`: the stage's last report(step, value), also shown by `study status`.
      // An object-store outage the attempt is waiting out: when it began and the last error, for
      // `study status` (a review saw a 1-second stage "running 27.6 s" with no word of S3).
      let storeOutage: { since: number; error: string } | null = null;
      const heartbeat = () => {
        const at = curve.steps.length - 1;
        const reported = at < 0 ? {} : { reported: { step: curve.steps[at], value: curve.values[at] } };
        if (storeOutage !== null && !outages.waiting) {
          context.log.warn(`stage '${input.stageName}': the object store answers again`, {
            outageSeconds: (clock() - storeOutage.since) / 1000,
          });
          storeOutage = null;
        }
        const waitingOnStore =
          storeOutage === null
            ? {}
            : { waitingOnStore: { seconds: (clock() - storeOutage.since) / 1000, error: storeOutage.error } };
        context.heartbeat({
          ...spent(),
          spentBefore,
          details: progress,
          stage: input.stageName,
          ...reported,
          ...waitingOnStore,
        });
      };
      const onStoreWait = (wait: { readonly error: unknown }) => {
        const error = errorMessage(wait.error).slice(0, 300);
        if (storeOutage === null) {
          storeOutage = { since: clock(), error };
          context.log.warn(`stage '${input.stageName}': the object store is unreachable; waiting it out`, { error });
        } else storeOutage.error = error;
        heartbeat();
      };
      // Store calls wait out an outage until the attempt is cancelled or over (a read the stage left
      // running when it returned must not retry forever).
      const attemptOver = new AbortController();
      const storeSignal = AbortSignal.any([signal, attemptOver.signal]);
      const cache = new StageCache(
        retryingStore(dependencies.store, {
          ...dependencies.storeRetry,
          signal: storeSignal,
          outages,
          onWait: onStoreWait,
        }),
      );
      // Heartbeat for the whole attempt — while it waits out an outage too, and after a cancellation
      // until the stage settles or its grace period ends — so a killed worker is noticed within the
      // heartbeat timeout and a timeout on the server is noticed here with the next heartbeat's answer.
      const intervalMs = Math.max(200, Math.min(10_000, (info.heartbeatTimeoutMs ?? 30_000) / 3));
      const timer = setInterval(heartbeat, intervalMs);
      // One at once too: `study status` names a running stage from its heartbeat, so it can from
      // the attempt's start rather than one interval later.
      heartbeat();
      // A cancelled attempt commits nothing; the last heartbeat carries what it spent.
      const cancelled = () => {
        heartbeat();
        const reason = signal.reason as unknown;
        // A worker shutting down is not the stage's failure: reported as such and not retried
        // here, so it uses up none of the stage's attempts; the trial runs the stage again on
        // another worker and charges what this attempt spent (workflows/trial.ts).
        if (reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN') {
          return ApplicationFailure.create({
            message: `stage '${input.stageName}' was interrupted: its worker shut down`,
            type: FailureType.WorkerShutdown,
            nonRetryable: true,
            details: [spent()],
          });
        }
        return reason;
      };
      // The attempt's own scratch folder (as Python stages' ctx.workdir): an outputFile or
      // outputDirectory written there is uploaded before the folder goes with the attempt.
      let workdir: string | null = null;
      try {
        const ancestorRefs =
          input.ancestors ?? (input.parentKey === null ? [] : [{ stage: 'parent', key: input.parentKey }]);
        // One round trip for all of them: the ancestors' markers are needed unless this output is
        // already committed, which is rare (a retried attempt that died after its commit).
        const [committed, ancestorMetas] = await Promise.all([
          cache.readMeta(input.key),
          Promise.all(ancestorRefs.map((ref) => cache.readMeta(ref.key))),
        ]).catch((error: unknown) => {
          throw isStoreRefusal(error) ? storeRefused(`stage '${input.stageName}'`, 'stage', error) : error;
        });
        if (committed !== null) {
          return {
            key: input.key,
            worker: worker(),
            cost: committed.cost,
            chargedCost: committed.cost,
            metrics: committed.metrics,
            bytes: committed.bytes,
            sha256: committed.sha256,
            wallSeconds: 0,
            recovered: true,
          };
        }

        // Earlier outputs are read lazily, but their commit markers are checked now: a missing one
        // will not heal by retrying, and the stage should not start only to fail on its first read.
        const ancestors: Record<string, StageOutput> = {};
        let parent: StageOutput | null = null;
        for (const [at, ref] of ancestorRefs.entries()) {
          const meta = ancestorMetas[at]!;
          if (meta === null) {
            throw ApplicationFailure.nonRetryable(
              `stage '${input.stageName}' cannot read the output of stage '${ref.stage}': stage output ${ref.key} is not cached`,
              FailureType.CacheMiss,
            );
          }
          parent = outputReader(cache, meta, input.stageName);
          ancestors[meta.stage] = parent;
        }

        const attemptDir = await mkdtemp(
          join(tmpdir(), `memotune-${input.stageName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}-`),
        );
        workdir = attemptDir;
        started = clock();
        let raw: unknown;
        try {
          raw = await settleWithinGrace(
            Promise.resolve().then(() =>
              implementation({
                params: input.params,
                seed: input.seed ?? 0,
                parent,
                ancestors,
                stage: { name: input.stageName, index: input.stageIndex, version: input.version },
                workdir: attemptDir,
                trial: { studyId: input.studyId, trialIndex: input.trialIndex, attempt: info.attempt },
                heartbeat: (details?: unknown) => {
                  progress = details ?? null;
                  heartbeat();
                },
                report: (step: number, value: number) => {
                  const problem = reportProblem(curve, step, value);
                  if (problem !== undefined) throw new ReportError(problem);
                  curve.steps.push(step);
                  curve.values.push(value);
                },
                shouldPrune: () => shouldPrune(curve, input.prune),
                signal,
              }),
            ),
            signal,
            dependencies.cancellationGraceMs ?? defaultCancellationGraceMs,
          );
          if (signal.aborted) throw cancelled();
        } catch (thrown) {
          if (signal.aborted) throw cancelled();
          const error = inspectable(thrown);
          if (error instanceof ApplicationFailure && error.type === FailureType.CacheMiss) throw error;
          if (error instanceof CacheReadError) {
            throw ApplicationFailure.nonRetryable(
              `stage '${input.stageName}' read a damaged output: ${error.message}`,
              FailureType.CacheMiss,
            );
          }
          if (isTrialPruned(error)) {
            // Not a failure: nothing to retry, nothing committed; the trial ends as pruned.
            const last = curve.steps[curve.steps.length - 1];
            const details: PrunedStageDetails = { ...spent(), intermediate: curve };
            throw ApplicationFailure.create({
              message: prunedMessage(input.stageName, last, error as Error),
              type: FailureType.TrialPruned,
              nonRetryable: true,
              // Pruning is an outcome, not an error: the SDK logs it at debug and counts no failure.
              category: ApplicationFailureCategory.BENIGN,
              details: [details],
            });
          }
          const details = spent();
          // The failure is the stage's own: the next attempt carries this attempt's cost over.
          context.heartbeat({ ...details, spentBefore, charged: true });
          throw ApplicationFailure.create({
            message: `stage '${input.stageName}' failed: ${thrownMessage(error)}`,
            type: FailureType.StageFailed,
            // A bad report() is a bug in the stage's code: another attempt would repeat it, at full cost.
            nonRetryable:
              (error instanceof ApplicationFailure && error.nonRetryable === true) ||
              error instanceof ReportError ||
              isOfErrorClass(error, input.nonRetryableErrors),
            details: [details],
            cause: attachableCause(error),
          });
        }
        // Outside the stage's try: an invalid result is the result's fault, never a retryable failure.
        const result = checkResult(raw, input.stageName, spent);
        const nonFinite = Object.keys(result.nonFiniteMetrics);
        if (nonFinite.length > 0)
          Context.current().log.warn(`stage '${input.stageName}' reported non-finite metrics, left out of its record`, {
            metrics: result.nonFiniteMetrics,
          });

        // The stage's work is done: the store retries a failing write itself (until the attempt is
        // cancelled) rather than letting Temporal re-run the whole, expensive stage.
        let wallSeconds: number;
        let meta: StageOutputMeta;
        try {
          // A file, directory or stream is streamed up; an outage restarts the upload from its start.
          const data: StoredData = await cache.writePrepared(input.key, result.output, { signal: storeSignal });
          // Without a reported cost, the cost is the stage's time up to the commit: the upload is part
          // of what running this stage occupies its worker for (waiting out an outage is not).
          wallSeconds = stageSeconds();
          // Field order matters only to bytes: the Python worker writes meta.json in this same order.
          const fields = { pipelineId: input.pipelineId, stage: input.stageName, version: input.version };
          meta = await cache.commit(
            data,
            { ...fields, cost: result.cost ?? wallSeconds, metrics: result.metrics },
            new Date(clock()),
          );
        } catch (error) {
          if (signal.aborted) throw cancelled();
          if (isStoreRefusal(error))
            throw storeRefused(`stage '${input.stageName}' ran, but storing its output`, 'stage', error, spent());
          // Not an outage (those are retried above): the server refused the write. (An output that
          // cannot be encoded was refused by checkResult before anything was written.)
          throw ApplicationFailure.create({
            message: `stage '${input.stageName}' ran but its output could not be stored: ${errorMessage(error)}`,
            type: FailureType.StageFailed,
            details: [spent()],
            cause: error instanceof Error ? error : undefined,
          });
        }
        return {
          key: input.key,
          worker: worker(),
          cost: meta.cost,
          chargedCost: spentBefore + meta.cost,
          metrics: meta.metrics,
          bytes: meta.bytes,
          sha256: meta.sha256,
          wallSeconds,
          recovered: false,
          ...(curve.steps.length === 0 ? {} : { intermediate: curve }),
          ...(nonFinite.length === 0 ? {} : { nonFiniteMetrics: result.nonFiniteMetrics }),
        };
      } finally {
        clearInterval(timer);
        dispose();
        attemptOver.abort(new Error('the stage attempt is over'));
        // Whatever the attempt left there (its output is uploaded by now, or was never to be).
        if (workdir !== null) await rm(workdir, { recursive: true, force: true }).catch(() => {});
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * A worker's stage names for an error message: the user's own first (the first few, sorted, and
 * how many more), then how many built-in synthetic stages it also serves, which would otherwise
 * bury them.
 */
function servedStages(registry: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(registry);
  const own = names.filter((name) => !name.startsWith(SYNTHETIC_IMPLEMENTATION_PREFIX)).sort();
  const builtIn = names.length - own.length;
  const shown = own.slice(0, 12).map((name) => `'${name}'`);
  const parts = own.length > shown.length ? [`${shown.join(', ')} and ${own.length - shown.length} more`] : shown;
  if (builtIn > 0) parts.push(`${builtIn} built-in synthetic stage${builtIn === 1 ? '' : 's'}`);
  return parts.length === 0 ? 'no stage' : parts.join(', ');
}
