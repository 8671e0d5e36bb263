/**
 * Where a study's trial records live in the object store. Workflow-safe (names only, no I/O):
 * the study workflow picks its log's prefix, the activities and the client read and write it.
 *
 *   studies/<first run id>/trials/000000042.json        one record, written when the trial ends
 *   studies/<first run id>/segments/0000000.json        records 0–99 in one object, for fast reads
 *
 * The first run id (not the study id) names the log: a study id can be reused once its study has
 * ended, a run id never is, and raw user strings never reach an object key.
 */

/** Records per segment: a cold read of n trials costs ⌊n/100⌋ + (n mod 100) requests. */
export const trialLogSegmentSize = 100;

export function trialLogPrefix(firstRunId: string): string {
  return `studies/${firstRunId}/`;
}

const trialLogPattern = /^studies\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/$/i;

/** Whether `prefix` has the shape {@link trialLogPrefix} gives: `studies/<a run id (UUID)>/`. */
export function isTrialLogPrefix(prefix: string): boolean {
  return trialLogPattern.test(prefix);
}

export function trialRecordKey(trialLog: string, trialIndex: number): string {
  return `${trialLog}trials/${String(trialIndex).padStart(9, '0')}.json`;
}

export function trialSegmentKey(trialLog: string, segment: number): string {
  return `${trialLog}segments/${String(segment).padStart(7, '0')}.json`;
}
