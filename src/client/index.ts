import { checkOptionKeys, keysOf } from '../core/option-keys.js';
import {
  ApplicationFailure,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleSpec,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { planStudy, type PlanOptions } from '../config/plan.js';
import { FailureType } from '../core/errors.js';
import { markdownText } from '../core/markdown.js';
import { parseStudyConfig, type StudyConfigInput } from '../config/study-config.js';
import {
  isStopWhenEnd,
  stopReason,
  studyMemo,
  studyStartedMemo,
  type StudyOutcome,
  type StudyPlan,
  type StudyProgress,
  type StudyResult,
  type StudyState,
  type TrialRecord,
} from '../core/study.js';
import { startedWith } from './workflow-history.js';
import {
  answeredByWorker,
  failingWorkflowTask,
  hasWorkflowPollers,
  NoWorkerError,
  queuePollers,
  timestampMs,
  type WorkerWait,
} from './worker-wait.js';

export { NoAnswerError, NoWorkerError, WorkflowTaskFailingError, type WorkerWait } from './worker-wait.js';
import * as limits from '../space/limits.js';
import type { ObjectStore } from '../storage/object-store.js';
import { TrialLog } from '../storage/trial-log.js';
import { enqueuedConfigurations, enqueueProblem } from '../core/study-control.js';
import {
  enqueueUpdate,
  extendBudgetUpdate,
  pauseUpdate,
  progressQuery,
  resultQuery,
  resumeUpdate,
  setParallelismUpdate,
  stopSignal,
} from '../../workflows/definitions.js';
import type { Configuration } from '../core/types.js';
import { hasGivenValues } from '../space/partial.js';
import type { EnqueuedConfigurationOf, StudyShape } from '../stages/types.js';
import type { studyWorkflow } from '../../workflows/study.js';
import type { StudyFromConfigInput } from '../../workflows/study-from-config.js';
import { memotuneStatus, studySearchAttributes } from '../../workflows/search-attributes.js';
import { missingSearchAttributes } from './search-attributes.js';

export type StudyHandle = WorkflowHandle<typeof studyWorkflow>;

export interface StartStudyOptions extends PlanOptions {
  /**
   * What to do when a study with this id ran before and has ended: `'refuse'` throws
   * {@link StudyExistsError} (continue it with {@link continueStudy}, or pick another id), as
   * Optuna's `create_study` refuses an existing name; `'new-run'` starts a fresh study under the
   * same id, a new workflow run with its own trial log — memotune's commands then read the new run
   * only (the earlier one stays in the Temporal UI and its trial log in S3). A running study with
   * the id is always refused ({@link StudyAlreadyRunningError}).
   * @default 'refuse'
   */
  readonly ifExists?: 'refuse' | 'new-run';
  /**
   * Keep memotune's search attributes on the study and its trials (filterable in the Temporal UI).
   * `'auto'` uses them when the namespace has them registered (`memotune cluster setup`); pass
   * `true` where the client may not list them (Temporal Cloud API keys without operator rights).
   * @default 'auto'
   */
  readonly searchAttributes?: boolean | 'auto';
}

const startStudyOptionKeys = keysOf<StartStudyOptions>()(
  'studyId',
  'taskQueuePrefix',
  'trialsPerRun',
  'orchestrationHeartbeatSeconds',
  'ifExists',
  'searchAttributes',
);

/** Whether the namespace has memotune's search attributes; `false` when the server will not say. */
async function searchAttributesRegistered(client: Client): Promise<boolean> {
  try {
    return (await missingSearchAttributes(client.connection, client.options.namespace)).length === 0;
  } catch {
    return false;
  }
}

/** When the study of a workflow run started: its memo's record, else (older studies) the run's start. */
export function studyStartedAt(run: { readonly memo?: Record<string, unknown>; readonly startTime: Date }): Date {
  const recorded = run.memo?.[studyStartedMemo];
  const date = typeof recorded === 'string' ? new Date(recorded) : null;
  return date !== null && Number.isFinite(date.getTime()) ? date : run.startTime;
}

/** The study's one-line summary and its details, as the Temporal UI shows them. */
function studyStaticSummary(plan: StudyPlan): { staticSummary: string; staticDetails: string } {
  const method = plan.optimizer.method ?? 'eeipu';
  const stages = plan.stages.map(
    (stage) => `${markdownText(stage.name)} (${stage.params.length} params, ${markdownText(stage.taskQueue)})`,
  );
  return {
    staticSummary: `memotune study ${plan.name}: ${method}, budget ${plan.budget}, ${plan.stages.length} stages`,
    staticDetails: [
      `**Study** ${markdownText(plan.name)} · **pipeline** ${markdownText(plan.pipelineId)}`,
      `**Method** ${method} · **budget** ${plan.budget} · **parallelism** ${plan.parallelism ?? 1} · **seed** ${plan.seed}`,
      `**Stages** ${stages.join(' → ')}`,
      `**Objective** ${plan.objective.direction} ${markdownText(plan.objective.metric)}`,
    ].join('\n\n'),
  };
}

/** Raised when a study id is already taken by a running study. */
export class StudyAlreadyRunningError extends Error {
  constructor(readonly studyId: string) {
    super(`a study with id '${studyId}' is already running; pick another id or stop it first`);
    this.name = 'StudyAlreadyRunningError';
  }
}

/** Raised by {@link startStudy} when a study with the id ran before and has ended. */
export class StudyExistsError extends Error {
  constructor(
    readonly studyId: string,
    /** How the earlier study's workflow closed, as Temporal names it (e.g. `COMPLETED`). */
    readonly closedStatus: string,
    /** How the earlier study ended as memotune says it (`completed`, `stopped`, `failed`, ...). */
    readonly endedAs: string = closedStatus.toLowerCase().replace(/_/g, ' '),
  ) {
    const newRun =
      "start a new run under this id (--new-run, or ifExists: 'new-run'; memotune's commands then read the new run only)";
    super(
      endedAs.startsWith('failed')
        ? `a study with id '${studyId}' ran before and ${endedAs}: continue it once the cause is fixed ` +
            `(\`memotune study continue ${studyId}\`, or continueStudy()), pick another id, or ${newRun}`
        : `a study with id '${studyId}' ran before (${endedAs}): continue it ` +
            `(\`memotune study continue ${studyId} --budget <extra>\`, or continueStudy()), pick another id, or ` +
            newRun,
    );
    this.name = 'StudyExistsError';
  }
}

/**
 * Raised by {@link startStudy} with `ifExists: 'new-run'` when the id's earlier study ran under
 * another task-queue prefix: study ids are one namespace across prefixes, and a new run would take
 * the id over — another team's `study status` and `study delete` would then act on it (an ops
 * review saw both). The error names the owner.
 */
export class StudyIdOwnedError extends StudyExistsError {
  constructor(
    studyId: string,
    closedStatus: string,
    /** The earlier study's orchestration task queue (`<prefix>-orchestration`). */
    readonly ownerQueue: string,
    /** Its pipeline, from its memo, when it has one. */
    readonly ownerPipeline: string | null,
  ) {
    super(studyId, closedStatus);
    this.message =
      `a study with id '${studyId}' ran before under another task-queue prefix (its orchestration queue is ` +
      `'${ownerQueue}'${ownerPipeline === null ? '' : `, pipeline '${ownerPipeline}'`}): a new run would take ` +
      'its id over; pick another id (study ids are shared by every prefix of a namespace: one namespace per team ' +
      'keeps them apart)';
    this.name = 'StudyIdOwnedError';
  }
}

/**
 * Validates the config (throwing `StudyConfigError` with every issue before anything starts),
 * resolves it into a plan and starts the study workflow.
 * @throws StudyExistsError when a study with the id ran before (unless `ifExists: 'new-run'`)
 * @throws StudyAlreadyRunningError when one with the id is running
 */
export async function startStudy(
  client: Client,
  config: StudyConfigInput,
  options: StartStudyOptions = {},
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof studyWorkflow>; plan: StudyPlan }> {
  checkOptionKeys('startStudy', options, startStudyOptionKeys);
  const planned = planStudy(parseStudyConfig(config), options);
  const wanted = options.searchAttributes ?? 'auto';
  const searchable = wanted === 'auto' ? await searchAttributesRegistered(client) : wanted;
  const plan: StudyPlan = searchable ? { ...planned, searchAttributes: true } : planned;
  if ((options.ifExists ?? 'refuse') === 'new-run') {
    const earlier = await getStudyHandle(client, plan.studyId)
      .describe()
      .catch(() => null);
    if (earlier !== null && earlier.status.name !== 'RUNNING' && earlier.taskQueue !== plan.orchestrationQueue) {
      const memo = (earlier.memo as { memotune?: { pipeline?: unknown } } | undefined)?.memotune;
      throw new StudyIdOwnedError(
        plan.studyId,
        earlier.status.name,
        earlier.taskQueue,
        typeof memo?.pipeline === 'string' ? memo.pipeline : null,
      );
    }
  }
  try {
    const handle = await client.workflow.start<typeof studyWorkflow>('studyWorkflow', {
      workflowId: plan.studyId,
      taskQueue: plan.orchestrationQueue,
      args: [{ plan }],
      memo: studyMemo(plan, new Date().toISOString()),
      ...studyStaticSummary(plan),
      ...(searchable ? { typedSearchAttributes: studySearchAttributes(plan) } : {}),
      workflowIdReusePolicy: (options.ifExists ?? 'refuse') === 'new-run' ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
    });
    return { handle, plan };
  } catch (error) {
    // searchAttributes: true on a namespace without them: the server says only "Failed to start Workflow".
    if (searchable && error instanceof ServiceError) {
      const missing = await missingSearchAttributes(client.connection, client.options.namespace).catch(() => []);
      if (missing.length > 0)
        throw new Error(
          `the namespace '${client.options.namespace}' lacks memotune's search attributes (${missing.join(', ')}): ` +
            "register them (`memotune cluster setup`), or start with searchAttributes: 'auto' or false",
          { cause: error },
        );
    }
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    // The server refuses a running id under either policy, a closed one under REJECT_DUPLICATE.
    const closed = await getStudyHandle(client, plan.studyId)
      .describe()
      .then(
        (description) => ({ status: description.status.name, endedAs: finishedAs(description) }),
        () => ({ status: 'RUNNING', endedAs: 'running' }),
      );
    throw closed.status === 'RUNNING'
      ? new StudyAlreadyRunningError(plan.studyId)
      : new StudyExistsError(plan.studyId, closed.status, closed.endedAs);
  }
}

/** What {@link scheduleStudy} takes besides the config. */
export interface ScheduleStudyOptions {
  /** When to start a study: Temporal's `ScheduleSpec` (`{ cronExpressions: ['0 2 * * *'] }`, `{ intervals: [{ every: '1 day' }] }`). */
  readonly spec: ScheduleSpec;
  /** The workers' task-queue prefix (`--prefix`). @default 'memotune' */
  readonly taskQueuePrefix?: string;
  /** As {@link StartStudyOptions.searchAttributes}, decided now for every run. @default 'auto' */
  readonly searchAttributes?: boolean | 'auto';
  /** Temporal's schedule policies (`overlap`, `catchupWindow`, ...): each run is a study of its own, so overlapping runs do not collide. */
  readonly policies?: ScheduleOptions['policies'];
}

/**
 * A Temporal Schedule that starts a study from `config` at each of its times (a nightly re-tune):
 * each run is a study of its own, with the id the schedule gives the run
 * (`<scheduleId>-<start time>`; `ScheduleHandle.describe()` lists them under `info.recentActions`),
 * read and controlled like any other. The config is checked now: a bad one throws
 * StudyConfigError here rather than failing every run.
 * @throws StudyConfigError on a bad config, schedule id or prefix (the schedule id must be able to
 *   start a study id)
 */
export async function scheduleStudy(
  client: Client,
  scheduleId: string,
  config: StudyConfigInput,
  options: ScheduleStudyOptions,
): Promise<ScheduleHandle> {
  const prefix = options.taskQueuePrefix === undefined ? {} : { taskQueuePrefix: options.taskQueuePrefix };
  // As each run will plan it (the run's id is the schedule's id and its start time).
  const plan = planStudy(parseStudyConfig(config), { studyId: scheduleId, ...prefix });
  const wanted = options.searchAttributes ?? 'auto';
  const searchable = wanted === 'auto' ? await searchAttributesRegistered(client) : wanted;
  return client.schedule.create({
    scheduleId,
    spec: options.spec,
    action: {
      type: 'startWorkflow',
      workflowType: 'studyFromConfigWorkflow',
      workflowId: scheduleId,
      taskQueue: plan.orchestrationQueue,
      args: [{ config: config as StudyFromConfigInput['config'], ...prefix, searchAttributes: searchable }],
    },
    ...(options.policies === undefined ? {} : { policies: options.policies }),
  });
}

export function getStudyHandle(client: Client, studyId: string): StudyHandle {
  return client.workflow.getHandle<typeof studyWorkflow>(studyId);
}

/** Raised when no study has that id. */
export class StudyNotFoundError extends Error {
  constructor(readonly studyId: string) {
    super(`no study with id '${studyId}'`);
    this.name = 'StudyNotFoundError';
  }
}

async function withNotFound<T>(client: Client, studyId: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new StudyNotFoundError(studyId);
    // gRPC FAILED_PRECONDITION on a query: the workflow exists but nothing polls its queue, or a
    // worker fails its workflow task (the server does not query a workflow in that state).
    if (error instanceof ServiceError && (error.cause as { code?: number } | undefined)?.code === 9) {
      throw (await failingWorkflowTask(client, studyId)) ?? new NoWorkerError(studyId);
    }
    throw error;
  }
}

/**
 * Budget, trials and best so far. Works on running and finished studies. A study whose workflow
 * was terminated, cancelled, timed out or failed is reported as failed, with why in `error` (read
 * from the event that closed its workflow), even when no worker can answer for it any more.
 */
export async function getStudyProgress(
  client: Client,
  studyId: string,
  options: WorkerWait = {},
): Promise<StudyProgress> {
  return withNotFound(client, studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    const description = await handle.describe();
    const status = description.status.name;
    const ended = await endedOutcome(handle, status);
    if (ended !== null) {
      // Progress as a running study reports it: not the state carried to a continued run.
      const { history: _history, state: _state, ...progress } = ended;
      return progress;
    }
    if (status === 'RUNNING')
      return answeredByWorker(client, studyId, description.taskQueue, handle.query(progressQuery), options, 'query');
    const reason = await closingReason(client, description.workflowId, description.runId);
    try {
      return closedAbnormally(status, await handle.query(progressQuery), reason);
    } catch {
      // No worker to replay it, or its history cannot be replayed (it closed before its first
      // workflow task, or under code that no worker runs any more): what describe() and the
      // closing event say is all there is.
      const memo = (description.memo?.memotune ?? {}) as { study?: string; budget?: number };
      return closedAbnormally(
        status,
        {
          studyId,
          name: memo.study ?? studyId,
          status: 'running',
          budget: memo.budget ?? 0,
          spent: 0,
          trials: 0,
          failedTrials: 0,
          reusedTrials: 0,
          best: null,
          runningTrial: null,
          runs: 1,
          error: null,
        },
        reason,
      );
    }
  });
}

/** How `describe()`'s status reads after "the study workflow". */
const closedStatusPhrases: Readonly<Record<string, string>> = {
  TERMINATED: 'was terminated',
  CANCELLED: 'was cancelled',
  TIMED_OUT: 'timed out',
  FAILED: 'failed',
};

/**
 * A query replays a workflow that was terminated, cancelled, timed out or failed and reports it
 * as it was when it stopped ('running'); report it as failed instead, with `reason` (from
 * {@link closingReason}) or else the workflow's status as the error.
 */
function closedAbnormally<T extends StudyProgress>(workflowStatus: string, progress: T, reason?: string | null): T {
  if (workflowStatus === 'RUNNING' || workflowStatus === 'CONTINUED_AS_NEW') return progress;
  const phrase = closedStatusPhrases[workflowStatus] ?? `was ${workflowStatus.toLowerCase()}`;
  return {
    ...progress,
    status: 'failed',
    // Its trials stopped with it: none is running any more.
    runningTrial: null,
    runningTrials: [],
    error: reason ?? `the study workflow ${phrase}`,
  };
}

/** Longest closing reason reported: a terminate reason or failure message is anyone's text. */
const maxReasonLength = 2000;

/** The fields of a workflow failure (Temporal's `Failure` proto) that say what went wrong. */
interface FailureInfo {
  readonly message?: string | null;
  readonly cause?: FailureInfo | null;
  readonly applicationFailureInfo?: { readonly type?: string | null } | null;
}

/** The fields of a workflow run's closing history event that say why it closed. */
interface ClosingEvent {
  readonly workflowExecutionTerminatedEventAttributes?: {
    readonly reason?: string | null;
    readonly identity?: string | null;
  } | null;
  readonly workflowExecutionFailedEventAttributes?: { readonly failure?: FailureInfo | null } | null;
  readonly workflowExecutionTimedOutEventAttributes?: object | null;
  readonly workflowExecutionCanceledEventAttributes?: object | null;
}

/** "message (Type): cause message: ..." down the cause chain, repeated messages once. */
function failureChain(failure: FailureInfo | null | undefined): string {
  const parts: string[] = [];
  for (let at = failure, depth = 0; at && depth < 8; at = at.cause, depth++) {
    const type = at.applicationFailureInfo?.type;
    const text = `${at.message ?? ''}${type ? ` (${type})` : ''}`;
    if (text !== '' && text !== parts.at(-1)) parts.push(text);
  }
  return parts.join(': ') || 'no reason given';
}

/** Why the event says the run closed, or null for an event that does not close a run abnormally. */
function describeClosingEvent(event: ClosingEvent): string | null {
  let reason: string | null = null;
  const terminated = event.workflowExecutionTerminatedEventAttributes;
  if (terminated) {
    const by = terminated.identity ? ` (by ${terminated.identity})` : '';
    reason = `the study workflow was terminated: ${terminated.reason || 'no reason given'}${by}`;
  } else if (event.workflowExecutionFailedEventAttributes) {
    reason = `the study workflow failed: ${failureChain(event.workflowExecutionFailedEventAttributes.failure)}`;
  } else if (event.workflowExecutionTimedOutEventAttributes) {
    reason = 'the study workflow timed out: its workflow execution or run timeout passed';
  } else if (event.workflowExecutionCanceledEventAttributes) {
    reason = 'the study workflow was cancelled: a cancellation was requested and it stopped';
  }
  return reason !== null && reason.length > maxReasonLength ? `${reason.slice(0, maxReasonLength)}…` : reason;
}

/**
 * Why a closed workflow run ended, from the event that closed it (fetched alone, however long the
 * history); null when it cannot be read. Needs no worker.
 */
async function closingReason(client: Client, workflowId: string, runId: string): Promise<string | null> {
  try {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      // HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT (@temporalio/proto is not a direct dependency).
      historyEventFilterType: 2,
    });
    const event = response.history?.events?.at(-1);
    return event ? describeClosingEvent(event) : null;
  } catch {
    return null;
  }
}

/** How long a waiting client rides out a Temporal server that does not answer (a restart, a failover). */
const serverOutageToleranceMs = 5 * 60_000;

/**
 * `action`, retried while the server is unreachable (gRPC UNAVAILABLE): a study outlives a server
 * restart, and so should a client waiting for its result. Gives up after five minutes without an
 * answer; any other error is thrown at once.
 */
async function untilServerAnswers<T>(action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let delayMs = 250; ; delayMs = Math.min(5_000, delayMs * 2)) {
    try {
      return await action();
    } catch (error) {
      const code = error instanceof ServiceError ? (error.cause as { code?: number } | undefined)?.code : undefined;
      if (code !== 14 || Date.now() - started > serverOutageToleranceMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * The outcome a failed study carries in its workflow's failure, or null when `error` is not a
 * study's own failure. A study that ends as failed (a stage no worker runs, `maxConsecutiveFailures`,
 * ...) fails its workflow, so the Temporal UI shows it as Failed: `handle.result()` then throws a
 * `WorkflowFailedError`, and this reads the outcome from it. (Studies that failed under earlier
 * releases completed their workflow with a `failed` outcome instead; the functions above read both.)
 */
export function failedStudyOutcome(error: unknown): StudyOutcome | null {
  const cause = error instanceof WorkflowFailedError ? error.cause : error;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FailureType.StudyFailed) return null;
  const outcome = cause.details?.[0];
  return typeof outcome === 'object' && outcome !== null && 'status' in outcome ? (outcome as StudyOutcome) : null;
}

/**
 * The outcome of a study whose workflow has closed with `status` (describe()'s name): its result
 * when it completed, the outcome in its failure when the study failed; null for any other status,
 * or a workflow that failed some other way.
 */
async function endedOutcome(handle: StudyHandle, status: string): Promise<StudyOutcome | null> {
  if (status !== 'COMPLETED' && status !== 'FAILED') return null;
  try {
    return await handle.result();
  } catch (error) {
    const failed = failedStudyOutcome(error);
    if (failed !== null) return failed;
    if (error instanceof WorkflowFailedError) return null;
    throw error;
  }
}

/** The study's final (or current) progress, without its trial records. */
export async function getStudyOutcome(
  client: Client,
  studyId: string,
  options: { wait?: boolean } & WorkerWait = {},
): Promise<StudyOutcome> {
  return withNotFound(client, studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    if (options.wait) {
      try {
        return await untilServerAnswers(() => handle.result());
      } catch (error) {
        const failed = failedStudyOutcome(error);
        if (failed !== null) return failed;
        // Cancelled, terminated or timed out: reported below like a study that had already ended.
        if (!(error instanceof WorkflowFailedError)) throw error;
      }
    }
    const description = await handle.describe();
    const status = description.status.name;
    const ended = await endedOutcome(handle, status);
    if (ended !== null) return ended;
    // A running study's result is a query a worker answers: with `failWithoutWorkerMs`, a study no
    // worker serves is reported (NoWorkerError) instead of waiting out the server's deadline.
    if (status === 'RUNNING')
      return answeredByWorker(client, studyId, description.taskQueue, handle.query(resultQuery), options, 'query');
    const reason = await closingReason(client, description.workflowId, description.runId);
    return closedAbnormally(status, await handle.query(resultQuery), reason);
  });
}

/**
 * Every trial record of a study, in trial order: read from its trial log in the object store (the
 * workers' S3 bucket and prefix), or inline for studies that ended under an older release.
 */
export async function readStudyTrials(
  outcome: Pick<StudyOutcome, 'studyId' | 'trials' | 'trialLog' | 'history'>,
  store: ObjectStore | undefined,
): Promise<readonly TrialRecord[]> {
  if (outcome.history !== undefined) return outcome.history;
  if (outcome.trialLog === undefined) return [];
  if (store === undefined) {
    throw new Error(`study '${outcome.studyId}' keeps its trials in the object store: pass the store the workers use`);
  }
  return new TrialLog(store).read(outcome.trialLog, outcome.trials);
}

/**
 * Every trial and the best configuration; `wait` blocks until the study finishes. The trial
 * records are read from `store`, the object store the study's workers write to.
 */
export async function getStudyResult(
  client: Client,
  studyId: string,
  options: { wait?: boolean; store?: ObjectStore } = {},
): Promise<StudyResult> {
  return withTrials(await getStudyOutcome(client, studyId, options), options.store);
}

/** A study outcome (e.g. `await handle.result()`) with its trial records read from `store`. */
export async function withTrials(outcome: StudyOutcome, store: ObjectStore | undefined): Promise<StudyResult> {
  return { ...outcome, history: await readStudyTrials(outcome, store) };
}

/**
 * Asks the study to stop after its running trial.
 * @throws Error when the study has already finished.
 */
export async function stopStudy(client: Client, studyId: string): Promise<ControlDelivery> {
  return withNotFound(client, studyId, async () => {
    const { handle, taskQueue } = await runningStudy(client, studyId);
    await handle.signal(stopSignal);
    return delivery(client, taskQueue);
  });
}

/**
 * Where a stop or cancel request went: it is recorded by the server at once, but the study acts
 * on it only when a worker of its orchestration queue takes it.
 */
export interface ControlDelivery {
  readonly orchestrationQueue: string;
  /** False when no worker has polled that queue lately: the request waits for one. */
  readonly workerPolling: boolean;
}

async function delivery(client: Client, taskQueue: string): Promise<ControlDelivery> {
  return { orchestrationQueue: taskQueue, workerPolling: await hasWorkflowPollers(client, taskQueue) };
}

/** The handle and queue of a study that is still running; throws when it has already finished. */
async function runningStudy(client: Client, studyId: string): Promise<{ handle: StudyHandle; taskQueue: string }> {
  const handle = getStudyHandle(client, studyId);
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') throw new StudyFinishedError(studyId, finishedAs(description));
  return { handle, taskQueue: description.taskQueue };
}

/**
 * How a study that is no longer running ended, as the study says it (a stopped study's workflow
 * completed, but the study was `stopped`), else as Temporal does (`cancelled`, `terminated`).
 */
function finishedAs(description: WorkflowExecutionDescription): string {
  const said = description.typedSearchAttributes.get(memotuneStatus);
  if (said !== undefined && said !== 'running') return said;
  const name = description.status.name.toLowerCase();
  if (name === 'continued_as_new') return 'continued as new';
  if (name === 'failed') return 'failed';
  // As `study status` reports such a study: failed, with how its workflow ended.
  return `failed: ${name === 'canceled' ? 'cancelled' : name.replace('_', ' ')}`;
}

/** Raised by a control request (stop, pause, extend, enqueue, ...) to a study that has ended: bad input. */
export class StudyFinishedError extends Error {
  constructor(
    readonly studyId: string,
    readonly finishedAs: string,
  ) {
    // Only a study that ended on its own keeps a state to go on from (continueStudy).
    const next = ['completed', 'stopped', 'exhausted'].includes(finishedAs)
      ? `; continue it from its recorded trials with more budget or trials (continueStudy, or ` +
        `\`memotune study continue ${studyId} --budget <extra>\` / \`--trials <extra>\`)`
      : '';
    super(`study '${studyId}' has already finished (${finishedAs})${next}`);
    this.name = 'StudyFinishedError';
  }
}

/**
 * Ends a study now, without waiting for its running trials (`stopStudy` waits for them): Temporal
 * cancels the study workflow and, with it, its running trial workflows, whose stage activities see
 * the cancellation at their next heartbeat. The study then reports `failed` ("the study workflow
 * was cancelled"). Trials recorded before stay recorded, and a stage output is stored only by a
 * stage that finished, so nothing cached is half-written. For a study stuck on a queue no worker
 * serves, or one whose running trials are not worth finishing.
 */
export async function cancelStudy(client: Client, studyId: string): Promise<ControlDelivery> {
  return withNotFound(client, studyId, async () => {
    const { handle, taskQueue } = await runningStudy(client, studyId);
    await handle.cancel();
    return delivery(client, taskQueue);
  });
}

/** A control request the study refused (its reason says why: already paused, a bad value, ...). */
export class StudyControlRefusedError extends Error {
  constructor(
    readonly studyId: string,
    reason: string,
  ) {
    super(`study '${studyId}' refused: ${reason}`);
    this.name = 'StudyControlRefusedError';
  }
}

/**
 * Sends a control update and returns the study's progress after it. Refusals (the study's
 * validators) become {@link StudyControlRefusedError}; a study no worker serves is reported as
 * {@link NoWorkerError} within ~5 s instead of waiting for one (./worker-wait.ts).
 */
async function controlStudy(
  client: Client,
  studyId: string,
  send: (handle: StudyHandle) => Promise<StudyProgress>,
  options: WorkerWait,
): Promise<StudyProgress> {
  return withNotFound(client, studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') throw new StudyFinishedError(studyId, finishedAs(description));
    try {
      return await answeredByWorker(client, studyId, description.taskQueue, send(handle), options, 'update');
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const reason = error.cause?.message ?? error.message;
        throw new StudyControlRefusedError(studyId, reason);
      }
      throw error;
    }
  });
}

/** Finish the running trials and start none until {@link resumeStudy}. */
export function pauseStudy(client: Client, studyId: string, options: WorkerWait = {}): Promise<StudyProgress> {
  return controlStudy(client, studyId, (handle) => handle.executeUpdate(pauseUpdate), options);
}

/** Start trials again after {@link pauseStudy}. */
export function resumeStudy(client: Client, studyId: string, options: WorkerWait = {}): Promise<StudyProgress> {
  return controlStudy(client, studyId, (handle) => handle.executeUpdate(resumeUpdate), options);
}

/** Add `amount` cost units to the study's budget. */
export function extendStudyBudget(
  client: Client,
  studyId: string,
  amount: number,
  options: WorkerWait = {},
): Promise<StudyProgress> {
  return controlStudy(
    client,
    studyId,
    (handle) => handle.executeUpdate(extendBudgetUpdate, { args: [amount] }),
    options,
  );
}

/** Options of {@link enqueueConfigurations}. */
export interface EnqueueOptions extends WorkerWait {
  /**
   * Leave out each configuration the study has already, like Optuna's
   * `enqueue_trial(skip_if_exists=True)`: one a trial ran (whatever its status), runs or waits for
   * in the queue, or an earlier one of the same call. A configuration that leaves parameters out is
   * there already when one of those has the values it gives. The trial log is read from `store`
   * (the workers' object store). Checked when sent: a trial the optimizer starts meanwhile with
   * the same values is not seen.
   */
  readonly skipExisting?: { readonly store: ObjectStore | undefined };
}

/** The study's progress after an enqueue, and which of the configurations were left out as there already. */
export interface EnqueueResult extends StudyProgress {
  /** Indices (into the configurations given) of those `skipExisting` left out. */
  readonly skipped: readonly number[];
}

/**
 * Evaluate these configurations next, in order (like Optuna's `enqueue_trial` on a running study).
 * A configuration may leave out parameters, and the stages at its end: its trial's suggestion gives
 * them. `enqueueConfigurations<typeof study>(...)`, with a study declared by `defineStudy`,
 * type-checks each configuration against the study's stages and parameters
 * ({@link EnqueuedConfigurationOf}).
 */
export async function enqueueConfigurations<C extends StudyShape = StudyShape>(
  client: Client,
  studyId: string,
  configurations: readonly (StudyShape extends C ? Configuration : EnqueuedConfigurationOf<C>)[],
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  // The typed view is the same plain records.
  const given = configurations as readonly Configuration[];
  const skipped =
    options.skipExisting === undefined
      ? []
      : await alreadyThere(client, studyId, given, options.skipExisting.store, options);
  const sent = given.filter((_, index) => !skipped.includes(index));
  if (sent.length === 0 && given.length > 0) return { ...(await getStudyProgress(client, studyId, options)), skipped };
  const progress = await controlStudy(
    client,
    studyId,
    (handle) => handle.executeUpdate(enqueueUpdate, { args: [sent] }),
    options,
  );
  return { ...progress, skipped };
}

/** Indices of the configurations the study has already ({@link EnqueueOptions.skipExisting}). */
async function alreadyThere(
  client: Client,
  studyId: string,
  configurations: readonly Configuration[],
  store: ObjectStore | undefined,
  options: WorkerWait,
): Promise<number[]> {
  const outcome = await getStudyOutcome(client, studyId, options);
  const plan = await getStudyPlan(client, studyId);
  const existing: Configuration[] = [
    ...(await readStudyTrials(outcome, store)).map((trial) => trial.config),
    ...(outcome.runningTrials ?? []).map((trial) => trial.config),
    ...(outcome.state?.queued ?? []),
    // The config's own enqueued configurations not started yet.
    ...plan.enqueue.slice(outcome.trials),
  ];
  const skipped: number[] = [];
  configurations.forEach((candidate, index) => {
    if (!Array.isArray(candidate)) return; // malformed: the study's validator names it
    if (existing.some((config) => hasGivenValues(candidate, config))) skipped.push(index);
    else existing.push(candidate);
  });
  return skipped;
}

/** Run `parallelism` trials at once from now on. */
export function setStudyParallelism(
  client: Client,
  studyId: string,
  parallelism: number,
  options: WorkerWait = {},
): Promise<StudyProgress> {
  return controlStudy(
    client,
    studyId,
    (handle) => handle.executeUpdate(setParallelismUpdate, { args: [parallelism] }),
    options,
  );
}

/** `continueStudy` on a study that cannot go on (running, failed, out of trials): bad input. */
export class StudyNotContinuableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudyNotContinuableError';
  }
}

/** What {@link continueStudy} adds to an ended study: more budget, more trials, or both. */
export interface ContinueStudyOptions {
  /** Extra cost units: the budget becomes the old one plus this (a stopped study keeps what it had not spent). */
  readonly budget?: number;
  /**
   * Extra trials: `maxTrials` becomes the old one plus this, or the trials run so far plus this
   * when the study had none. The way on for a study that ran its `maxTrials`.
   */
  readonly trials?: number;
  /**
   * Configurations to evaluate first in the new run, in order (as `enqueue` in a study config and
   * {@link enqueueConfigurations} on a running study), validated against the study's space. They
   * count as trials toward `maxTrials`: give `trials` too for a study that ran its `maxTrials`.
   */
  readonly enqueue?: readonly Configuration[];
}

/**
 * Continues a study that has ended (completed, stopped, exhausted) with more budget, more trials,
 * configurations to run, or a mix; or a failed one once its cause is fixed, with or without them:
 * a new run of the same workflow id that starts from the state the study ended with, so its trial
 * log, best trial and optimizer state carry on and its trials are numbered on.
 * @throws StudyNotContinuableError when the study is still running (extend it instead), was
 *   cancelled, terminated or timed out, ended under a release whose outcome does not carry its
 *   state, or when the new run would run no trial (more budget for a study that ran its
 *   maxTrials, more trials with its budget spent)
 * @throws RangeError naming `budget`, `trials` or `enqueue` when one is bad, or when nothing is
 *   added to a study that did not fail
 */
export async function continueStudy(
  client: Client,
  studyId: string,
  options: ContinueStudyOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof studyWorkflow>> {
  const { budget, trials, enqueue } = options;
  const nothingAdded = budget === undefined && trials === undefined && enqueue === undefined;
  if (budget !== undefined && (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0))
    throw new RangeError(`budget: the extra budget must be a positive number (got ${String(budget)})`);
  if (trials !== undefined && (!Number.isSafeInteger(trials) || trials <= 0 || trials > limits.maxTrials))
    throw new RangeError(
      `trials: the extra trials must be a whole number from 1 to ${limits.maxTrials} (got ${String(trials)})`,
    );
  return withNotFound(client, studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING')
      throw new StudyNotContinuableError(
        `study '${studyId}' is still running: extend its budget instead (extendStudyBudget, or \`memotune study extend\`)`,
      );
    const outcome = await endedOutcome(handle, description.status.name);
    if (outcome === null)
      throw new StudyNotContinuableError(
        `study '${studyId}' ${closedStatusPhrases[description.status.name] ?? 'did not complete'}: it cannot be continued`,
      );
    if (outcome.state === undefined)
      throw new StudyNotContinuableError(
        `study '${studyId}' ended under an older release that did not keep its state: start a new study instead`,
      );
    // A failed study resumes as it was once its cause is fixed (a worker deployed, a stage
    // registered), and one stopWhen ended goes on with its patience and its clock anew; any other
    // needs something added, or the new run would be the old one's end.
    const failed = outcome.status === 'failed';
    if (nothingAdded && !failed && !isStopWhenEnd(outcome.earlyStop))
      throw new RangeError('budget, trials, enqueue: give more budget, more trials, configurations to run, or a mix');
    const earlier = await studyPlanOf(client, studyId, description.runId);
    const maxTrials =
      trials === undefined
        ? earlier.maxTrials
        : Math.min(limits.maxTrials, (earlier.maxTrials ?? outcome.state.trialCount) + trials);
    const plan: StudyPlan = { ...earlier, maxTrials };
    let state: StudyState = {
      ...outcome.state,
      // The failures that ended a failed study are behind it: maxConsecutiveFailures counts anew.
      ...(failed ? { trailingFailures: 0 } : {}),
      // So are the trials that ended one by stopWhen.trialsWithoutImprovement: it counts anew.
      ...(outcome.state.trialsWithoutImprovement === undefined ? {} : { trialsWithoutImprovement: 0 }),
      // And stopWhen.afterSeconds counts from the continuation (the next run starts its clock).
      clockStartedAt: undefined,
      stopRequested: false,
      paused: false,
      budget: (outcome.state.budget ?? plan.budget) + (budget ?? 0),
      runs: outcome.state.runs + 1,
    };
    if (enqueue !== undefined) {
      // The rules of a running study's enqueue (src/core/study-control.ts), under this option's name.
      const problem = enqueueProblem(plan, state, enqueue);
      if (problem !== undefined) throw new RangeError(problem.replace(/^configurations/, 'enqueue'));
      state = { ...state, queued: [...(state.queued ?? []), ...enqueuedConfigurations(plan, enqueue)] };
    }
    // What is added must let a trial run, or the new run would end before its first one.
    const blocked = stopReason(plan, state);
    if (blocked === 'maxTrials')
      throw new StudyNotContinuableError(
        `study '${studyId}' ran its maxTrials (${plan.maxTrials}): ${budget === undefined ? 'the new run' : 'more budget alone'} would run no trial; ` +
          'add trials too (`--trials <extra>`, or continueStudy(client, id, { trials }))',
      );
    if (blocked === 'budget') {
      const round = (value: number) => Number(value.toPrecision(6));
      const spent = `spent ${round(state.spent)} of ${round(state.budget!)}`;
      throw new StudyNotContinuableError(
        budget === undefined
          ? `study '${studyId}' has spent its budget (${spent}): ${enqueue === undefined ? 'more trials alone would run none' : 'the new run would run no trial'}; add budget too ` +
              '(`--budget <extra>`, or continueStudy(client, id, { budget }))'
          : `study '${studyId}' would still have no budget left (${spent} with the extra ${round(budget)}): ` +
              `give more than ${round(state.spent - state.budget! + budget)}`,
      );
    }
    return client.workflow.start<typeof studyWorkflow>('studyWorkflow', {
      workflowId: studyId,
      taskQueue: plan.orchestrationQueue,
      args: [{ plan, state }],
      memo: {
        memotune: { study: plan.name, pipeline: plan.pipelineId, budget: state.budget },
        [studyStartedMemo]: studyStartedAt(description).toISOString(),
      },
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      ...studyStaticSummary(plan),
      ...(plan.searchAttributes === true ? { typedSearchAttributes: studySearchAttributes(plan) } : {}),
    });
  });
}

/** A stage queue that a running trial's stage waits on while no live worker polls it. */
export interface WaitingStageQueue {
  readonly taskQueue: string;
  /** The study's stages that run on it. */
  readonly stages: readonly string[];
  /** Milliseconds since its last poll, when the server still lists a (stopped) worker. */
  readonly lastPollAgeMs: number | null;
}

/** PENDING_ACTIVITY_STATE_SCHEDULED: scheduled, no worker has started the attempt yet. */
const ACTIVITY_SCHEDULED = 1;

/**
 * The stage queues a running study is stuck on: when one of its running trials has a stage
 * scheduled that no worker has started, every stage queue of the study that no live worker polls
 * (./worker-wait.ts). Empty for a study that is not running, whose stages have all started, or
 * when the server cannot say. A worker whose slots are all busy does not poll either, so a queue
 * may be named while its only worker is busy with another trial.
 */
export async function stageQueuesWaitedOn(client: Client, progress: StudyProgress): Promise<WaitingStageQueue[]> {
  return queuesWaitedOn(client, progress, await pendingStageRuns(client, progress));
}

/** A running trial's pending runStage activity, as one describe of the trial's workflow gives it. */
interface PendingStageRun {
  readonly trialIndex: number;
  /** The trial waits for a running trial to commit a prefix they share (it computes nothing). */
  readonly waiting: boolean;
  readonly activity: NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number];
}

/** The pending stage runs of a running study's trials: each trial's workflow described once. */
async function pendingStageRuns(client: Client, progress: StudyProgress): Promise<PendingStageRun[]> {
  if (progress.status !== 'running' && progress.status !== 'paused') return [];
  const trials = (progress.runningTrials ?? []).map(({ trialIndex, waiting }) => ({
    trialIndex,
    waiting: waiting === true,
  }));
  if (progress.runningTrial !== null && !trials.some((trial) => trial.trialIndex === progress.runningTrial))
    trials.push({ trialIndex: progress.runningTrial, waiting: false });
  const runs: PendingStageRun[] = [];
  for (const { trialIndex, waiting } of trials) {
    try {
      const description = await client.workflow.getHandle(`${progress.studyId}/trial-${trialIndex}`).describe();
      for (const activity of description.raw.pendingActivities ?? [])
        if (activity.activityType?.name === 'runStage') runs.push({ trialIndex, waiting, activity });
    } catch {
      // The trial finished (or its workflow is gone) since the progress was read.
    }
  }
  return runs;
}

/** {@link stageQueuesWaitedOn} from the trials' pending stage runs. */
async function queuesWaitedOn(
  client: Client,
  progress: StudyProgress,
  runs: readonly PendingStageRun[],
): Promise<WaitingStageQueue[]> {
  if (!runs.some((run) => Number(run.activity.state) === ACTIVITY_SCHEDULED)) return [];
  const stages = (await studyPlanOf(client, progress.studyId).catch(() => null))?.stages ?? [];
  const byQueue = new Map<string, string[]>();
  for (const stage of stages) byQueue.set(stage.taskQueue, [...(byQueue.get(stage.taskQueue) ?? []), stage.name]);
  const stuck: WaitingStageQueue[] = [];
  for (const [taskQueue, names] of byQueue) {
    const pollers = await queuePollers(client, taskQueue, 'activity');
    if (pollers !== null && pollers.live === 0)
      stuck.push({ taskQueue, stages: names, lastPollAgeMs: pollers.lastPollAgeMs });
  }
  return stuck;
}

/** A stage attempt a running trial is computing, as the server and the attempt's last heartbeat say. */
export interface RunningStage {
  readonly trialIndex: number;
  /** The stage, from its heartbeat: absent before the first one (or from a worker that does not say). */
  readonly stage?: string;
  readonly attempt: number;
  /** The stage's retry limit (0: unlimited). */
  readonly maximumAttempts: number;
  /** Seconds the current attempt has run, from the server's record of its start. */
  readonly runningSeconds?: number;
  /**
   * Seconds the stage's attempts in this trial had spent at its last heartbeat (the SDK sends a
   * heartbeat to the server at most every 0.8 × heartbeatSeconds, so this and `progress` lag).
   */
  readonly spentSeconds?: number;
  /** What the stage last passed to its heartbeat (`heartbeat(details)`, `ctx.heartbeat(details)`). */
  readonly progress?: unknown;
  /** The stage's last `report(step, value)` as of that heartbeat (pruning); absent before its first. */
  readonly reported?: { readonly step: number; readonly value: number };
  /** Seconds since that heartbeat (absent before the first). */
  readonly lastHeartbeatAgeSeconds?: number;
  /**
   * Set when the stage's last attempt failed and the next one waits out its retry backoff (no
   * worker runs it now): seconds until it is due, 0 when it is due and waits for a worker.
   */
  readonly retryInSeconds?: number;
  /** Why the previous attempt failed, from the server (an S3 outage, an exception): attempts after the first. */
  readonly lastFailure?: string;
  /** The identity of the worker that runs (or last ran) the attempt, as the server has it. */
  readonly worker?: string;
  /**
   * Set while the attempt waits out an object-store (S3) outage, as of its last heartbeat: for how
   * long, and the store's last error. The stage's clock does not run meanwhile (it is not charged).
   */
  readonly waitingOnStore?: { readonly seconds: number; readonly error: string };
}

/** PendingActivityState STARTED (@temporalio/proto is not a direct dependency). */
const ACTIVITY_STARTED = 2;

/**
 * What each computing trial of a running study is doing: its stage attempt, how long the stage has
 * run and the progress it last reported (runStage heartbeats `{spentCost, details, stage}`). Read
 * from the server (it keeps each pending activity's last heartbeat): no worker needs to answer.
 * Empty for a study that is not running or whose trials have no stage started.
 */
export async function runningStages(client: Client, progress: StudyProgress): Promise<RunningStage[]> {
  return stagesRunning(client, await pendingStageRuns(client, progress));
}

/**
 * What a running study's stages are doing, from one look at its trials: the stage queues it waits
 * on ({@link stageQueuesWaitedOn}) and what each computing trial runs ({@link runningStages}).
 */
export async function stageActivity(
  client: Client,
  progress: StudyProgress,
): Promise<{ waitingOn: WaitingStageQueue[]; runningStages: RunningStage[] }> {
  const runs = await pendingStageRuns(client, progress);
  return { waitingOn: await queuesWaitedOn(client, progress, runs), runningStages: await stagesRunning(client, runs) };
}

/** {@link runningStages} from the trials' pending stage runs. */
async function stagesRunning(client: Client, runs: readonly PendingStageRun[]): Promise<RunningStage[]> {
  const converter = client.options.loadedDataConverter;
  const stages: RunningStage[] = [];
  for (const { trialIndex, waiting, activity } of runs) {
    const attempt = activity.attempt ?? 1;
    // A scheduled attempt after a failed one is a retry in its backoff; a first one waits for a
    // worker (stageQueuesWaitedOn says when none polls its queue).
    const retrying = Number(activity.state) === ACTIVITY_SCHEDULED && attempt > 1;
    if (waiting || (Number(activity.state) !== ACTIVITY_STARTED && !retrying)) continue;
    let details: Record<string, unknown> = {};
    try {
      let payloads = activity.heartbeatDetails?.payloads ?? [];
      for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
      const first: unknown = payloads.length > 0 ? converter.payloadConverter.fromPayload(payloads[0]!) : undefined;
      if (first !== null && typeof first === 'object') details = first as Record<string, unknown>;
    } catch {
      // Details this client cannot decode (another codec): the attempt is shown without them.
    }
    const beatMs = timestampMs(activity.lastHeartbeatTime);
    const startedMs = timestampMs(activity.lastStartedTime);
    const nextAttemptMs = timestampMs(activity.nextAttemptScheduleTime);
    const failure = activity.lastFailure?.message;
    // A retry's stage, before its first heartbeat, is named by its previous attempt's failure.
    const named = typeof details.stage === 'string' ? details.stage : /^stage '([^']+)'/.exec(failure ?? '')?.[1];
    stages.push({
      trialIndex,
      ...(named === undefined ? {} : { stage: named }),
      attempt,
      maximumAttempts: activity.maximumAttempts ?? 0,
      ...(retrying
        ? {
            retryInSeconds:
              nextAttemptMs === null || nextAttemptMs <= 0 ? 0 : Math.max(0, (nextAttemptMs - Date.now()) / 1000),
          }
        : startedMs === null || startedMs <= 0
          ? {}
          : { runningSeconds: Math.max(0, (Date.now() - startedMs) / 1000) }),
      ...(attempt > 1 && typeof failure === 'string' && failure !== '' ? { lastFailure: failure } : {}),
      ...(activity.lastWorkerIdentity ? { worker: activity.lastWorkerIdentity } : {}),
      ...(typeof details.spentCost === 'number' ? { spentSeconds: details.spentCost } : {}),
      ...(details.details === undefined || details.details === null ? {} : { progress: details.details }),
      ...reportedIn(details.reported),
      ...storeOutageIn(details.waitingOnStore),
      ...(beatMs === null || beatMs <= 0 ? {} : { lastHeartbeatAgeSeconds: Math.max(0, (Date.now() - beatMs) / 1000) }),
    });
  }
  return stages;
}

/** A heartbeat's `waitingOnStore` field, when it is a duration and an error. */
function storeOutageIn(value: unknown): { waitingOnStore?: { seconds: number; error: string } } {
  if (value === null || typeof value !== 'object') return {};
  const { seconds, error } = value as { seconds?: unknown; error?: unknown };
  return typeof seconds === 'number' && Number.isFinite(seconds) && typeof error === 'string'
    ? { waitingOnStore: { seconds, error } }
    : {};
}

/** A heartbeat's `reported` field, when it is a step and a value. */
function reportedIn(value: unknown): { reported?: { step: number; value: number } } {
  if (value === null || typeof value !== 'object') return {};
  const { step, value: reported } = value as { step?: unknown; value?: unknown };
  return typeof step === 'number' && typeof reported === 'number' ? { reported: { step, value: reported } } : {};
}

/**
 * The plan a study was started with: its stages and search space, objective, budget and the
 * optimizer settings with their defaults pinned. Read from its latest run's history, so it works on
 * running and finished studies alike and needs no worker.
 * @throws StudyNotFoundError when no study has that id (or it has left the server's retention)
 */
export function getStudyPlan(client: Client, studyId: string): Promise<StudyPlan> {
  return withNotFound(client, studyId, async () => {
    const started = await startedWith<{ plan?: StudyPlan }>(client, studyId);
    if (started === null) throw new StudyNotFoundError(studyId);
    if (started.input.plan === undefined) throw new Error(`study '${studyId}': its run's input has no plan`);
    return started.input.plan;
  });
}

/** The plan a study run (default: its latest) was started with: the input of its first history event. */
async function studyPlanOf(client: Client, studyId: string, runId?: string): Promise<StudyPlan> {
  const started = await startedWith<{ plan?: StudyPlan }>(client, studyId, runId);
  if (started?.input.plan === undefined) throw new Error(`study '${studyId}': its run's input has no plan`);
  return started.input.plan;
}
