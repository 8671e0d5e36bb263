/**
 * The study's own side effects: suggesting the next candidate (numeric work off the workflow
 * thread, reading the history it needs from the trial log) and keeping the trial log.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../src/core/errors.js';
import { modelObjective, type TrialRecord } from '../src/core/study.js';
import type { Direction, Observation, PrunedTrialPolicy, SuggestRequest, Suggestion } from '../src/core/types.js';
import { resolveSettings } from '../src/optimizer/settings.js';
import { TrialLog } from '../src/storage/trial-log.js';

/** What the study workflow sends to `suggestFromLog`: the request minus the history, plus where it is. */
export interface SuggestFromLogInput extends Omit<SuggestRequest, 'history'> {
  /** The study's trial-log prefix. */
  readonly trialLog: string;
  /** How many trials the history has (records 0..trials−1). */
  readonly trials: number;
}

export interface RecordTrialInput {
  readonly trialLog: string;
  readonly record: TrialRecord;
}

export interface ImportTrialLogInput {
  readonly trialLog: string;
  readonly records: readonly TrialRecord[];
}

/** Only what the optimizer reads; a pruned trial's objective per `prunedTrials` ({@link modelObjective}). */
function observationOf(trial: TrialRecord, direction: Direction, prunedTrials: PrunedTrialPolicy): Observation {
  return {
    config: trial.config,
    objective: modelObjective(trial, direction, prunedTrials),
    stageCosts: trial.stageCosts,
    cachedPrefix: trial.cachedPrefix,
    chargedCost: trial.chargedCost,
    phase: trial.phase,
    ...(trial.source === 'enqueued' && trial.optimizerFilled !== true ? { enqueued: true } : {}),
  };
}

/**
 * Computes a suggestion: the optimizer itself (synchronous, in-process) or a `SuggestPool`'s
 * `suggest` (src/worker/suggest-pool.ts), which computes it on a thread and stops when `signal`
 * (the activity's cancellation) aborts.
 */
export type SuggestFunction = (request: SuggestRequest, signal?: AbortSignal) => Suggestion | Promise<Suggestion>;

/** The running activity's context; undefined when called directly (unit tests). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats when running as an activity; a no-op when called directly (unit tests). */
function heartbeat(): void {
  activityContext()?.heartbeat();
}

export function createStudyLogActivities(trialLog: TrialLog, suggest: SuggestFunction) {
  const suggestOrRefuse = async (request: SuggestRequest): Promise<Suggestion> => {
    const context = activityContext();
    // While a thread computes, this event loop is free: heartbeats keep the attempt alive (and
    // bring cancellations in) however long the suggestion takes. Every third of the timeout, as
    // runStage does; Temporal throttles what it sends.
    const intervalMs = Math.max(200, Math.min(10_000, (context?.info.heartbeatTimeoutMs ?? 30_000) / 3));
    const timer = context === undefined ? undefined : setInterval(() => context.heartbeat(), intervalMs);
    try {
      return await suggest(request, context?.cancellationSignal);
    } catch (error) {
      // The optimizer throws RangeError/TypeError for requests that can never succeed.
      if (error instanceof RangeError || error instanceof TypeError) {
        throw ApplicationFailure.nonRetryable(error.message, FailureType.InvalidSuggestRequest);
      }
      throw error;
    } finally {
      clearInterval(timer);
    }
  };

  return {
    /** Computes the next candidate from a history sent inline (studies started before the trial log). */
    async suggestNext(request: SuggestRequest): Promise<Suggestion> {
      return suggestOrRefuse(request);
    },

    /** Computes the next candidate from the first `trials` records of the study's trial log. */
    async suggestFromLog(input: SuggestFromLogInput): Promise<Suggestion> {
      const { trialLog: prefix, trials, ...request } = input;
      heartbeat();
      const records = await trialLog.read(prefix, trials, { onProgress: heartbeat });
      heartbeat();
      const policy = resolveSettings(request.settings).prunedTrials;
      const observe = (record: TrialRecord) => observationOf(record, request.direction, policy);
      return suggestOrRefuse({ ...request, history: records.map(observe) });
    },

    /** Appends a finished trial to the study's trial log. */
    async recordTrial(input: RecordTrialInput): Promise<void> {
      await trialLog.append(input.trialLog, input.record);
    },

    /** Writes the inline records of a study started before the trial log into its log. */
    async importTrialLog(input: ImportTrialLogInput): Promise<void> {
      await trialLog.appendAll(input.trialLog, input.records);
    },
  };
}
