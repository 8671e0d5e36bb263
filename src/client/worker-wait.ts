/**
 * Whether a worker is there to answer a study's queries and updates, from the server's own view
 * of its workflow task queue, and how long a caller waits for one.
 *
 * A worker long-polls its queue without pause: each poll lasts up to the server's long-poll expiry
 * (one minute) and is renewed at once, so the server's record of its last poll is never much older
 * than a minute. A worker that has stopped stays listed for up to five minutes with an ever older
 * one. Only pollers seen within {@link LIVE_POLL_AGE_MS} count as a worker.
 */
import { ServiceError, type Client } from '@temporalio/client';
import { defaultTaskQueuePrefix, taskQueuePrefixOf } from '../config/plan.js';

/** A listed poller older than this has stopped: one minute of long poll, plus a margin. */
export const LIVE_POLL_AGE_MS = 75_000;

/** How often a waiting request asks again whether its queue still has a live poller. */
const RECHECK_MS = 5_000;

/** What the server lists for a workflow task queue. */
export interface QueuePollers {
  /** Pollers seen within {@link LIVE_POLL_AGE_MS}. */
  readonly live: number;
  /** Every poller the server still lists, stopped ones included. */
  readonly listed: number;
  /** Milliseconds since the newest poll of any listed poller (null when none is listed). */
  readonly lastPollAgeMs: number | null;
}

/** {@link QueuePollers} from the pollers' last-access times (ms since the epoch), at `nowMs`. */
export function classifyPollers(lastAccessMs: readonly (number | null)[], nowMs: number): QueuePollers {
  let live = 0;
  let newest: number | null = null;
  for (const at of lastAccessMs) {
    // A poller without a time is counted as live: the server did not say it stopped.
    if (at === null || nowMs - at <= LIVE_POLL_AGE_MS) live++;
    if (at !== null && (newest === null || at > newest)) newest = at;
  }
  return { live, listed: lastAccessMs.length, lastPollAgeMs: newest === null ? null : Math.max(0, nowMs - newest) };
}

/** Which pollers a task queue has: workflow tasks (the study loop) or activity tasks (the stages). */
export type QueueKind = 'workflow' | 'activity';

/** A protobuf timestamp the server sent (a poller's last poll, an activity's start) in epoch ms; null when absent. */
export function timestampMs(
  at: { readonly seconds?: number | { toString(): string } | null; readonly nanos?: number | null } | null | undefined,
): number | null {
  if (at === null || at === undefined) return null;
  return Number(at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6);
}

/** The pollers of a task queue, or null when the server cannot say. */
export async function queuePollers(
  client: Client,
  taskQueue: string,
  kind: QueueKind = 'workflow',
): Promise<QueuePollers | null> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      // TASK_QUEUE_TYPE_WORKFLOW = 1, TASK_QUEUE_TYPE_ACTIVITY = 2 (@temporalio/proto is not a
      // direct dependency).
      taskQueueType: kind === 'workflow' ? 1 : 2,
    });
    const times = (response.pollers ?? []).map((poller) => timestampMs(poller.lastAccessTime));
    return classifyPollers(times, Date.now());
  } catch {
    return null;
  }
}

/** Whether a live worker polls this workflow task queue (true when the server cannot say). */
export async function hasWorkflowPollers(client: Client, taskQueue: string): Promise<boolean> {
  const pollers = await queuePollers(client, taskQueue);
  return pollers === null || pollers.live > 0;
}

/** What an unanswered update still does (it is not withdrawn when the caller stops waiting). */
const PENDING = '; the request stays pending and may still apply when a worker takes the study';

/**
 * The command that serves `taskQueue`: a study started with another task-queue prefix than the
 * default is served only by workers given the same one (a worker on the default prefix polls
 * another queue and never takes it).
 */
function workerCommandFor(taskQueue: string): string {
  const prefix = taskQueue.endsWith('-orchestration') ? taskQueuePrefixOf(taskQueue) : defaultTaskQueuePrefix;
  return prefix === defaultTaskQueuePrefix
    ? '`memotune worker`'
    : `\`memotune worker --prefix ${prefix}\` (the study's task-queue prefix)`;
}

/** Raised when a running study cannot answer because no worker polls its orchestration queue. */
export class NoWorkerError extends Error {
  constructor(
    readonly studyId: string,
    readonly taskQueue?: string,
    /** Milliseconds since a stopped worker last polled the queue, when the server still lists one. */
    readonly lastPollAgeMs?: number | null,
    /** An update was sent: it stays pending and may still apply when a worker takes the study. */
    pending = false,
  ) {
    const stopped =
      lastPollAgeMs === undefined || lastPollAgeMs === null
        ? ''
        : ` (its last worker polled ${Math.round(lastPollAgeMs / 1000)} s ago and has stopped)`;
    super(
      taskQueue === undefined
        ? `study '${studyId}' is running but no worker is serving its queue right now; start one with \`memotune worker\``
        : `study '${studyId}' is running but no worker is polling ${taskQueue}${stopped}; start one with ${workerCommandFor(taskQueue)}` +
            (pending ? PENDING : ''),
    );
    this.name = 'NoWorkerError';
  }
}

/**
 * Raised when a worker is listed on the study's queue but nothing answered within the wait: most
 * often a worker that stopped less than a minute ago, which the server cannot yet tell from a
 * live one. A {@link NoWorkerError}, so callers that fall back to what the server keeps do so.
 */
export class NoAnswerError extends NoWorkerError {
  constructor(studyId: string, taskQueue: string, waitedMs: number, lastPollAgeMs: number | null, pending: boolean) {
    super(studyId, taskQueue);
    const polled = lastPollAgeMs === null ? '' : `, last polled ${Math.round(lastPollAgeMs / 1000)} s ago`;
    this.message =
      `no worker answered for study '${studyId}' within ${Math.round(waitedMs / 1000)} s: ${taskQueue} lists a worker${polled}, ` +
      `which may have just stopped (a stopped worker stays listed for up to 5 minutes) — check it, or start one with ${workerCommandFor(taskQueue)}` +
      (pending ? PENDING : '');
    this.name = 'NoAnswerError';
  }
}

/**
 * Raised when a worker polls the study's queue but fails its workflow task again and again: a
 * worker of another memotune release than the one that ran the study (see the README, "Upgrading
 * workers while studies run"), or a bug. More workers of the same kind would fail alike.
 */
export class WorkflowTaskFailingError extends NoWorkerError {
  constructor(
    studyId: string,
    readonly attempt: number,
    readonly reason: string,
  ) {
    super(studyId);
    this.message =
      `study '${studyId}' is running, but its orchestration worker fails its workflow task (attempt ${attempt}): ${reason} ` +
      '— most often a worker of another memotune release than the one that ran the study: run the release that ' +
      'started it, or a later one (README, "Upgrading workers while studies run")';
    this.name = 'WorkflowTaskFailingError';
  }
}

/**
 * Why the study's workflow task keeps failing, when it does (its pending task is on attempt 2 or
 * later): the last `WorkflowTaskFailed` event's message, as the error to report. Null when it
 * does not, or the server cannot say.
 */
export async function failingWorkflowTask(client: Client, studyId: string): Promise<WorkflowTaskFailingError | null> {
  try {
    const described = await client.workflowService.describeWorkflowExecution({
      namespace: client.options.namespace,
      execution: { workflowId: studyId },
    });
    const attempt = described.pendingWorkflowTask?.attempt ?? 0;
    if (attempt < 2) return null;
    const history = await client.workflow.getHandle(studyId).fetchHistory();
    const failed = [...(history.events ?? [])].reverse().find((event) => event.workflowTaskFailedEventAttributes);
    const message = failed?.workflowTaskFailedEventAttributes?.failure?.message ?? 'no reason given';
    return new WorkflowTaskFailingError(studyId, attempt, message.split('\n')[0]!.slice(0, 500));
  } catch {
    return null;
  }
}

/** How a query or control request treats a study no worker serves. */
export interface WorkerWait {
  /**
   * Check for a live worker after this long, and every few seconds after: throw
   * {@link NoWorkerError} naming the queue as soon as none polls it (the CLI uses 3000). Without
   * it a query waits until the server's deadline and an update until a worker takes it.
   */
  readonly failWithoutWorkerMs?: number;
  /**
   * With `failWithoutWorkerMs`: give up after this long even though a worker is listed, with
   * {@link NoAnswerError} (the CLI uses 60000; a live worker answers in well under a second).
   */
  readonly giveUpAfterMs?: number;
}

/** The gRPC DEADLINE_EXCEEDED of a query no worker took before the server's deadline. */
function isQueryDeadline(error: unknown): boolean {
  return error instanceof ServiceError && (error.cause as { code?: number } | undefined)?.code === 4;
}

/**
 * `request` (a query or an update, which only a worker can answer), raced against the queue's
 * pollers: {@link NoWorkerError} once no live worker polls the study's queue (checked after
 * `wait.failWithoutWorkerMs`, then every 5 s), {@link NoAnswerError} after `wait.giveUpAfterMs` or
 * when a query reaches the server's deadline while a worker is listed. Without
 * `failWithoutWorkerMs` it is `request` as is.
 */
export async function answeredByWorker<T>(
  client: Client,
  studyId: string,
  taskQueue: string,
  request: Promise<T>,
  wait: WorkerWait,
  kind: 'query' | 'update',
  recheckMs = RECHECK_MS,
): Promise<T> {
  const waitMs = wait.failWithoutWorkerMs;
  if (waitMs === undefined) return request;
  const started = Date.now();
  let lastPollAgeMs: number | null = null;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const noWorker = new Promise<never>((_, reject) => {
    const check = async (): Promise<void> => {
      if (settled) return;
      const pollers = await queuePollers(client, taskQueue);
      if (settled) return;
      if (pollers !== null) lastPollAgeMs = pollers.lastPollAgeMs;
      if (pollers !== null && pollers.live === 0) {
        const age = pollers.listed > 0 ? pollers.lastPollAgeMs : undefined;
        reject(new NoWorkerError(studyId, taskQueue, age, kind === 'update'));
        return;
      }
      const waited = Date.now() - started;
      if (wait.giveUpAfterMs !== undefined && waited >= wait.giveUpAfterMs) {
        reject(new NoAnswerError(studyId, taskQueue, waited, lastPollAgeMs, kind === 'update'));
        return;
      }
      const next = wait.giveUpAfterMs === undefined ? recheckMs : Math.min(recheckMs, wait.giveUpAfterMs - waited);
      timer = setTimeout(() => void check(), Math.max(0, next));
    };
    timer = setTimeout(() => void check(), waitMs);
  });
  try {
    return await Promise.race([request, noWorker]);
  } catch (error) {
    // A worker is there but cannot run the study: say why, not "no worker".
    const failing = await failingWorkflowTask(client, studyId);
    if (failing !== null) throw failing;
    if (kind === 'query' && isQueryDeadline(error)) {
      throw new NoAnswerError(studyId, taskQueue, Date.now() - started, lastPollAgeMs, false);
    }
    throw error;
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}
