/**
 * What a trial is charged for a stage that failed (docs/stage-contract.md, "Failure types").
 * Pure functions of what Temporal reported about the stage's activity, so the trial workflow can
 * call them and tests need no server.
 *
 * runStage sends `{spentCost, spentBefore, attempt, details}` in its heartbeats and
 * `{spentCost, attempt}` in its failures: `spentBefore` is what earlier attempts of the stage
 * spent, `spentCost` that plus the current attempt's time so far. Either may come from an older
 * worker (no `spentBefore`) or a foreign one (anything at all), hence the defensive reads.
 */
import type { TrialRecord } from './study.js';

/** The Temporal timeout types (`TimeoutFailure.timeoutType`) this module tells apart. */
export type StageTimeoutType = 'START_TO_CLOSE' | 'HEARTBEAT' | 'SCHEDULE_TO_START' | 'SCHEDULE_TO_CLOSE';

/** What is known about a stage whose last attempt timed out. */
export interface TimedOutStage {
  /** Which timeout ended the last attempt (`undefined` when Temporal did not say). */
  readonly timeoutType: StageTimeoutType | undefined;
  /**
   * The last heartbeat details Temporal kept for the activity: from the attempt that timed out,
   * or from an earlier attempt when that one never heartbeated (details survive retries).
   */
  readonly lastHeartbeat: unknown;
  /** The stage's start-to-close timeout: how long an attempt that hit it ran. */
  readonly timeoutSeconds: number;
  /**
   * The number of the attempt that timed out, when known: the retry policy's `maximumAttempts`
   * when Temporal reports it was reached. `null` when unknown: then the heartbeat's attempt is
   * taken as the last one.
   */
  readonly lastAttempt: number | null;
}

function field(details: unknown, name: string): unknown {
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>)[name] : undefined;
}

function nonNegative(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function positiveInteger(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : null;
}

/**
 * The `spentCost` in failure or heartbeat details when it is a finite number ≥ 0, else 0 (a
 * worker that sent nothing usable is charged nothing rather than NaN).
 */
export function spentCostOf(details: unknown): number {
  return nonNegative(field(details, 'spentCost')) ?? 0;
}

/**
 * What the earlier attempts of a stage spent, as the next attempt of `runStage` reads it from the
 * last heartbeat Temporal kept (docs/stage-contract.md, cost rule). Only time on the stage's own
 * account is charged:
 * - the previous attempt failed and said so in its final heartbeat (`charged: true`): its `spentCost`;
 * - it left no such word but had run close to its start-to-close timeout (within one heartbeat
 *   timeout, the most a recorded heartbeat can lag): it timed out, and ran `timeoutSeconds`;
 * - otherwise its worker died or was cut off (a crash, a redeploy, a network split): that is not
 *   the stage's doing, so only what the attempts before it spent (`spentBefore`) carries over —
 *   which keeps a study's trial log the same whether or not a worker was killed;
 * - a heartbeat without `spentBefore` (workers before it existed): its `spentCost`, as they did.
 */
export function spentBeforeAttempt(previous: unknown, timeoutSeconds: number, heartbeatTimeoutSeconds: number): number {
  const spent = nonNegative(field(previous, 'spentCost'));
  if (spent === null) return 0;
  if (field(previous, 'charged') === true) return spent;
  const before = nonNegative(field(previous, 'spentBefore'));
  if (before === null) return spent;
  const ran = spent - before;
  const timedOut = timeoutSeconds > 0 && ran >= timeoutSeconds - Math.max(0, heartbeatTimeoutSeconds);
  return timedOut ? before + timeoutSeconds : before;
}

/**
 * What a stage whose last attempt timed out spent over all its attempts.
 *
 * - **Start-to-close timeout**: that attempt ran for exactly `timeoutSeconds` (the server timed it
 *   out then, whatever the worker last reported), so the charge is what earlier attempts spent plus
 *   `timeoutSeconds`. Earlier attempts' spending comes from the last heartbeat: its `spentBefore`
 *   when it is the timed-out attempt's own heartbeat; its `spentCost` when it is an earlier
 *   attempt's (the timed-out attempt started from that figure), plus `timeoutSeconds` for every
 *   attempt in between that left no heartbeat at all (an attempt that fails or heartbeats leaves
 *   one, so one that left none timed out before its first heartbeat). A heartbeat of the timed-out
 *   attempt from a worker that predates `spentBefore` gives the larger of its `spentCost` and
 *   `timeoutSeconds`. Never less than the heartbeat's `spentCost`. (An earlier attempt that timed
 *   out too is in `spentBefore` with what its last recorded heartbeat said: the attempt after it
 *   cannot tell a timeout from a dead worker.)
 * - **Heartbeat timeout** (the worker died or hung without heartbeating) and any other timeout:
 *   what the attempts before it spent (the last heartbeat's `spentBefore`; its `spentCost` from
 *   workers that predate it): a dead worker's time is not the stage's (see {@link spentBeforeAttempt}).
 */
export function timedOutStageCharge(stage: TimedOutStage): number {
  const { lastHeartbeat, timeoutSeconds } = stage;
  const spent = spentCostOf(lastHeartbeat);
  if (stage.timeoutType !== 'START_TO_CLOSE' || !(timeoutSeconds >= 0)) {
    return field(lastHeartbeat, 'charged') === true
      ? spent
      : (nonNegative(field(lastHeartbeat, 'spentBefore')) ?? spent);
  }
  const beatAttempt = positiveInteger(field(lastHeartbeat, 'attempt'));
  const hasHeartbeat = nonNegative(field(lastHeartbeat, 'spentCost')) !== null;
  const lastAttempt = positiveInteger(stage.lastAttempt) ?? beatAttempt ?? 1;
  let before: number;
  if (!hasHeartbeat) {
    // No attempt ever heartbeated: each one timed out before its first heartbeat.
    before = (lastAttempt - 1) * timeoutSeconds;
  } else if (beatAttempt !== null && beatAttempt < lastAttempt) {
    before = spent + (lastAttempt - beatAttempt - 1) * timeoutSeconds;
  } else {
    const spentBefore = nonNegative(field(lastHeartbeat, 'spentBefore'));
    if (spentBefore === null) return Math.max(spent, timeoutSeconds);
    before = spentBefore;
  }
  return Math.max(spent, before + timeoutSeconds);
}

/** What reusing cached stages saved a study (the report's "saved by reuse"). */
export interface ReuseSaving {
  /** The reused stages' costs less what the trials paid for them (ε each). */
  readonly saved: number;
  /** What the trials were charged in all. */
  readonly charged: number;
}

/** {@link ReuseSaving} over the records that carry per-stage charges; null when none does (older records). */
export function savedByReuse(
  records: readonly Pick<TrialRecord, 'stageCharges' | 'chargedCost' | 'cachedPrefix' | 'stageCosts'>[],
): ReuseSaving | null {
  let saved = 0;
  let charged = 0;
  let counted = false;
  for (const record of records) {
    if (record.stageCharges === undefined) continue;
    counted = true;
    charged += record.chargedCost;
    for (let stage = 0; stage < record.cachedPrefix; stage++)
      saved += (record.stageCosts[stage] ?? 0) - (record.stageCharges[stage] ?? 0);
  }
  return counted ? { saved, charged } : null;
}
