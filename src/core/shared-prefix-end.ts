/**
 * What becomes of trials waiting for a prefix (single flight, ./study-loop.ts) when the trial
 * computing it ends without committing it. Workflow-safe and pure.
 *
 * - Its own stage failed or pruned it within the shared stages (the stage's code raised, returned
 *   something unusable, or stopped the trial): running the same stage on the same inputs again
 *   would end the same way, so each waiting trial is recorded with that end at no cost, naming the
 *   trial it repeats. A review saw three trials run one pruned teacher prefix (two at once on two
 *   GPUs) and a failing one run 3 × 3 attempts instead of 3.
 * - It ended for another reason (a timeout, a missing cache entry, a worker gone): one waiting
 *   trial computes the prefix and those after it wait for that one, as for any running trial.
 */
import { FailureType } from './errors.js';
import type { TrialRecord } from './study.js';

/** Ends of a stage's own code: the same stage on the same inputs would end alike. */
const repeatableEnds: ReadonlySet<string> = new Set([
  FailureType.StageFailed,
  FailureType.InvalidStageResult,
  FailureType.TrialPruned,
  FailureType.StageParamsMismatch,
]);

/**
 * Leading stages a finished trial left in the cache: all of them when it completed, else those
 * before the stage it ended in (the ones it reused or ran to the end).
 */
export function committedStages(record: TrialRecord): number {
  if (record.status === 'completed') return record.config.length;
  return record.stagesRun.at(-1) ?? record.cachedPrefix;
}

/**
 * The stage (index) whose own failure or pruning ended `owner` within the first `shared` stages,
 * or null when a trial sharing them could end otherwise (it completed them, or ended for a reason
 * outside the stage's code).
 */
export function repeatableEndStage(owner: TrialRecord, shared: number): number | null {
  if (owner.status === 'completed' || owner.failureType === undefined) return null;
  if (!repeatableEnds.has(owner.failureType)) return null;
  const stage = owner.stagesRun.at(-1);
  return stage !== undefined && stage < shared ? stage : null;
}

/** The waiting trial's own part of its record: what it was started with. */
export type WaitingTrial = Pick<
  TrialRecord,
  | 'trialIndex'
  | 'config'
  | 'phase'
  | 'source'
  | 'optimizerFilled'
  | 'acquisition'
  | 'predictedCost'
  | 'suggestedPrefix'
  | 'optimizerSeconds'
>;

/**
 * The record of a waiting trial that takes its owner's end at stage `stage` without running: the
 * owner's status, failure type and message (naming the owner), nothing run, nothing charged.
 */
export function inheritedEndRecord(owner: TrialRecord, waiter: WaitingTrial, stage: number, now: string): TrialRecord {
  const stages = waiter.config.length;
  return {
    ...waiter,
    objective: null,
    // Nothing ran: no cost for the stages' cost models to learn twice (the owner's record has them).
    stageCosts: Array.from({ length: stages }, () => null),
    stageCharges: Array.from({ length: stages }, () => null),
    cachedPrefix: 0,
    chargedCost: 0,
    status: owner.status,
    error: `${owner.error ?? 'the stage ended the trial'} (in trial ${owner.trialIndex}, whose first ${stage === 0 ? 'stage' : `${stage + 1} stages`} this trial shares: not run again)`,
    ...(owner.failureType === undefined ? {} : { failureType: owner.failureType }),
    keys: owner.keys.slice(0, stage + 1),
    metrics: {},
    stageMetrics: Array.from({ length: stages }, () => null),
    // A pruned stage's values so far: `prunedTrials: 'reported'` reads them.
    ...(owner.stageIntermediate?.[stage] == null
      ? {}
      : {
          stageIntermediate: Array.from({ length: stages }, (_, index) =>
            index === stage ? owner.stageIntermediate![stage]! : null,
          ),
        }),
    stagesRun: [],
    repeatOf: owner.trialIndex,
    startedAt: now,
    finishedAt: now,
  };
}
