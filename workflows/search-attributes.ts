/**
 * memotune's typed search attributes: what makes studies and their trials filterable in the
 * Temporal UI and `temporal workflow list --query`. Definitions only (clients, workers and the CLI
 * import them too). Within the SQL-backed visibility limits (10 Keyword, 3 Int, 3 Double, 3 Bool
 * per namespace): 5 Keyword, 1 Int, 2 Double.
 *
 *   MemotuneKind = 'study' | 'trial'         "studies only": MemotuneKind = 'study'
 *   MemotuneStudy      the study's name      "trials of X":  MemotuneKind = 'trial' AND MemotuneStudy = 'X'
 *   MemotunePipeline   the pipeline id
 *   MemotuneMethod     eeipu, ms-carbo, ...
 *   MemotuneStatus     running | paused | completed | stopped | exhausted | failed (a study);
 *                      running | completed | failed | pruned (a trial: whether it produced an objective)
 *   MemotuneTrials     trials recorded (Int)
 *   MemotuneBest       best objective so far (Double; absent until a trial completes)
 *   MemotuneSpent      fraction of the budget spent, 0..1+ (Double)
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
} from '@temporalio/common';
import type { StudyPlan, StudyProgress, TrialStatus } from '../src/core/study.js';

export const memotuneKind = defineSearchAttributeKey('MemotuneKind', SearchAttributeType.KEYWORD);
export const memotuneStudy = defineSearchAttributeKey('MemotuneStudy', SearchAttributeType.KEYWORD);
export const memotunePipeline = defineSearchAttributeKey('MemotunePipeline', SearchAttributeType.KEYWORD);
export const memotuneMethod = defineSearchAttributeKey('MemotuneMethod', SearchAttributeType.KEYWORD);
export const memotuneStatus = defineSearchAttributeKey('MemotuneStatus', SearchAttributeType.KEYWORD);
export const memotuneTrials = defineSearchAttributeKey('MemotuneTrials', SearchAttributeType.INT);
export const memotuneBest = defineSearchAttributeKey('MemotuneBest', SearchAttributeType.DOUBLE);
export const memotuneSpent = defineSearchAttributeKey('MemotuneSpent', SearchAttributeType.DOUBLE);

/** Every key, for registering them on a namespace (`memotune dev`, `memotune cluster setup`). */
export const memotuneSearchAttributes = [
  memotuneKind,
  memotuneStudy,
  memotunePipeline,
  memotuneMethod,
  memotuneStatus,
  memotuneTrials,
  memotuneBest,
  memotuneSpent,
] as const;

/** A study's attributes when it starts (the client sets them, so it is searchable at once). */
export function studySearchAttributes(plan: StudyPlan): SearchAttributePair[] {
  return [
    { key: memotuneKind, value: 'study' },
    { key: memotuneStudy, value: plan.name },
    { key: memotunePipeline, value: plan.pipelineId },
    { key: memotuneMethod, value: plan.optimizer.method ?? 'eeipu' },
    { key: memotuneStatus, value: 'running' },
    { key: memotuneTrials, value: 0 },
    { key: memotuneSpent, value: 0 },
  ];
}

/** What changes as a study runs; `status` may be `paused`, which progress does not know. */
export function progressSearchAttributes(progress: StudyProgress, status: string): SearchAttributeUpdatePair[] {
  return [
    { key: memotuneStatus, value: status },
    { key: memotuneTrials, value: progress.trials },
    { key: memotuneSpent, value: progress.budget > 0 ? progress.spent / progress.budget : 0 },
    { key: memotuneBest, value: progress.best?.objective ?? null },
  ];
}

/**
 * A trial's attributes when it starts: which study it belongs to, so "trials of X" is one query,
 * and `running` until it ends ({@link trialEndSearchAttributes}).
 */
export function trialSearchAttributes(plan: StudyPlan): SearchAttributePair[] {
  return [
    { key: memotuneKind, value: 'trial' },
    { key: memotuneStudy, value: plan.name },
    { key: memotunePipeline, value: plan.pipelineId },
    { key: memotuneMethod, value: plan.optimizer.method ?? 'eeipu' },
    { key: memotuneStatus, value: 'running' },
  ];
}

/**
 * A finished trial's status: the UI shows every trial workflow as Completed, failed trials too
 * (a failed trial is a record, not a workflow failure), so "failed trials of X" is a query on this.
 */
export function trialEndSearchAttributes(status: TrialStatus): SearchAttributeUpdatePair[] {
  return [{ key: memotuneStatus, value: status }];
}
