/**
 * Every side effect of a study lives here: suggesting (numeric work off the workflow thread),
 * looking up the stage cache, and running stages. Built by a factory that takes its dependencies,
 * so tests pass fakes and nothing connects at import time.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType, type StageFailureDetails } from '../src/core/errors.js';
import { stageKeys, type StageIdentity } from '../src/core/keys.js';
import type { Configuration, StageParams, SuggestRequest, Suggestion } from '../src/core/types.js';
import { suggest as defaultSuggest } from '../src/optimizer/index.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import {
  CacheReadError,
  decodeJsonOutput,
  StageCache,
  type StageOutputMeta,
  type StoredData,
} from '../src/storage/stage-cache.js';
import type { StageOutput, StageRegistry, StageResult } from '../src/stages/types.js';
import { TrialLog } from '../src/storage/trial-log.js';
import { createStudyLogActivities } from './study-log.js';

export interface ActivityDependencies {
  /** Where stage outputs live (S3 in production, memory in unit tests). */
  readonly store: ObjectStore;
  /** Stage implementations this worker can run, by implementation name. @default none (orchestration only) */
  readonly stages?: StageRegistry;
  /** Milliseconds since the epoch, used for stage wall time. @default a monotonic clock */
  readonly clock?: () => number;
  /** The optimizer entry point. @default suggest from src/optimizer */
  readonly suggest?: (request: SuggestRequest) => Suggestion;
}

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
}

export interface RunStageOutput {
  readonly key: string;
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
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Attempts at storing a finished stage's output before giving up. */
const writeAttempts = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkResult(result: unknown, stageName: string, spent: () => StageFailureDetails): StageResult {
  // The stage ran to the end: its failure still carries what it spent, so the trial is charged.
  const invalid = (message: string) =>
    ApplicationFailure.create({
      message,
      type: FailureType.InvalidStageResult,
      nonRetryable: true,
      details: [spent()],
    });
  if (typeof result !== 'object' || result === null || !('output' in result)) {
    throw invalid(`stage '${stageName}' must return an object with an 'output' field`);
  }
  const { metrics, cost } = result as StageResult;
  for (const [name, value] of Object.entries(metrics ?? {})) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalid(`stage '${stageName}' reported metrics.${name} = ${String(value)}; metrics must be finite numbers`);
    }
  }
  if (cost !== undefined && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)) {
    throw invalid(`stage '${stageName}' reported cost = ${String(cost)}; cost must be a finite number >= 0`);
  }
  return result as StageResult;
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
  };
}

export function createActivities(dependencies: ActivityDependencies) {
  const cache = new StageCache(dependencies.store);
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
        const meta = await cache.readMeta(key);
        // A killed worker is noticed within the heartbeat timeout, not the 1-minute start-to-close.
        Context.current().heartbeat();
        if (meta === null) break;
        cached.push(meta);
      }
      return { keys, cached };
    },

    /**
     * Runs one stage: reads the parent's output, calls the user's implementation, commits the
     * output under the stage's key. Idempotent: an attempt that finds its output already
     * committed (the previous attempt died after writing) returns it instead of re-running.
     */
    async runStage(input: RunStageInput): Promise<RunStageOutput> {
      const context = Context.current();
      const implementation = dependencies.stages?.[input.implementation];
      if (implementation === undefined) {
        throw ApplicationFailure.nonRetryable(
          `no stage implementation named '${input.implementation}' is registered on task queue '${context.info.taskQueue}'`,
          FailureType.UnknownStage,
        );
      }
      const committed = await cache.readMeta(input.key);
      if (committed !== null) {
        return {
          key: input.key,
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
      const ancestorRefs =
        input.ancestors ??
        (input.parentKey === null ? [] : [{ stage: 'parent', key: input.parentKey }]);
      const ancestors: Record<string, StageOutput> = {};
      let parent: StageOutput | null = null;
      for (const ref of ancestorRefs) {
        const meta = await cache.readMeta(ref.key);
        if (meta === null) {
          throw ApplicationFailure.nonRetryable(
            `stage '${input.stageName}' cannot read the output of stage '${ref.stage}': stage output ${ref.key} is not cached`,
            FailureType.CacheMiss,
          );
        }
        parent = outputReader(cache, meta, input.stageName);
        ancestors[meta.stage] = parent;
      }

      // Cost already spent by earlier failed attempts travels in the heartbeat details.
      const previous = context.info.heartbeatDetails as Partial<StageFailureDetails> | undefined;
      const spentBefore = typeof previous?.spentCost === 'number' ? previous.spentCost : 0;
      const started = clock();
      const elapsedSeconds = () => Math.max(0, (clock() - started) / 1000);
      const heartbeat = (details?: unknown) =>
        context.heartbeat({ spentCost: spentBefore + elapsedSeconds(), attempt: context.info.attempt, details });
      // Keep heartbeating while the stage runs, so a killed worker is noticed within the heartbeat timeout.
      const intervalMs = Math.max(200, Math.min(10_000, (context.info.heartbeatTimeoutMs ?? 30_000) / 3));
      const timer = setInterval(() => heartbeat(), intervalMs);
      let result: StageResult;
      try {
        const raw = await implementation({
          params: input.params,
          seed: input.seed ?? 0,
          parent,
          ancestors,
          stage: { name: input.stageName, index: input.stageIndex, version: input.version },
          trial: { studyId: input.studyId, trialIndex: input.trialIndex, attempt: context.info.attempt },
          heartbeat,
          signal: context.cancellationSignal,
        });
        result = checkResult(raw, input.stageName, () => ({
          spentCost: spentBefore + elapsedSeconds(),
          attempt: context.info.attempt,
        }));
      } catch (error) {
        if (
          error instanceof ApplicationFailure &&
          (error.type === FailureType.InvalidStageResult || error.type === FailureType.CacheMiss)
        ) {
          throw error;
        }
        if (error instanceof CacheReadError) {
          throw ApplicationFailure.nonRetryable(
            `stage '${input.stageName}' read a damaged output: ${error.message}`,
            FailureType.CacheMiss,
          );
        }
        const details: StageFailureDetails = {
          spentCost: spentBefore + elapsedSeconds(),
          attempt: context.info.attempt,
        };
        context.heartbeat(details);
        throw ApplicationFailure.create({
          message: `stage '${input.stageName}' failed: ${errorMessage(error)}`,
          type: FailureType.StageFailed,
          nonRetryable: error instanceof ApplicationFailure && error.nonRetryable === true,
          details: [details],
          cause: error instanceof Error ? error : undefined,
        });
      } finally {
        clearInterval(timer);
      }
      // Field order matters only to bytes: the Python worker writes meta.json in this same order.
      const identity = { pipelineId: input.pipelineId, stage: input.stageName, version: input.version };
      // The stage's work is done: retry a failing write here rather than letting Temporal re-run
      // the whole (expensive) stage.
      let data: StoredData | undefined;
      let wallSeconds = 0;
      let meta: StageOutputMeta | undefined;
      for (let attempt = 1; meta === undefined; attempt++) {
        try {
          data ??= await cache.writeData(input.key, result.output);
          // Without a reported cost, the cost is the attempt's wall time up to the commit: the
          // upload is part of what running this stage occupies its worker for.
          wallSeconds = elapsedSeconds();
          meta = await cache.commit(
            data,
            { ...identity, cost: result.cost ?? wallSeconds, metrics: result.metrics ?? {} },
            new Date(clock()),
          );
        } catch (error) {
          if (attempt >= writeAttempts) {
            throw ApplicationFailure.create({
              message: `stage '${input.stageName}' ran but its output could not be stored: ${errorMessage(error)}`,
              type: FailureType.StageFailed,
              details: [
                {
                  spentCost: spentBefore + elapsedSeconds(),
                  attempt: context.info.attempt,
                } satisfies StageFailureDetails,
              ],
            });
          }
          heartbeat();
          await sleep(250 * 2 ** attempt);
        }
      }
      return {
        key: input.key,
        cost: meta.cost,
        chargedCost: spentBefore + meta.cost,
        metrics: meta.metrics,
        bytes: meta.bytes,
        sha256: meta.sha256,
        wallSeconds,
        recovered: false,
      };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
