import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { planStudy, type PlanOptions } from '../config/plan.js';
import { parseStudyConfig } from '../config/study-config.js';
import type { StudyOutcome, StudyPlan, StudyProgress, StudyResult, TrialRecord } from '../core/study.js';
import type { ObjectStore } from '../storage/object-store.js';
import { TrialLog } from '../storage/trial-log.js';
import { progressQuery, resultQuery, stopSignal } from '../../workflows/definitions.js';
import type { studyWorkflow } from '../../workflows/study.js';

export type StudyHandle = WorkflowHandle<typeof studyWorkflow>;

export interface StartStudyOptions extends PlanOptions {
  /** Fail if a study with this id already exists (running or closed). @default false */
  readonly rejectDuplicate?: boolean;
}

/** Raised when a study id is already taken by a running study. */
export class StudyAlreadyRunningError extends Error {
  constructor(readonly studyId: string) {
    super(`a study with id '${studyId}' is already running; pick another id or stop it first`);
    this.name = 'StudyAlreadyRunningError';
  }
}

/**
 * Validates the config (throwing `StudyConfigError` with every issue before anything starts),
 * resolves it into a plan and starts the study workflow.
 */
export async function startStudy(
  client: Client,
  config: unknown,
  options: StartStudyOptions = {},
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof studyWorkflow>; plan: StudyPlan }> {
  const plan = planStudy(parseStudyConfig(config), options);
  try {
    const handle = await client.workflow.start<typeof studyWorkflow>('studyWorkflow', {
      workflowId: plan.studyId,
      taskQueue: plan.orchestrationQueue,
      args: [{ plan }],
      memo: { memotune: { study: plan.name, pipeline: plan.pipelineId, budget: plan.budget } },
      workflowIdReusePolicy: options.rejectDuplicate ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
    });
    return { handle, plan };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new StudyAlreadyRunningError(plan.studyId);
    throw error;
  }
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

/** Raised when a running study cannot answer because no worker polls its orchestration queue. */
export class NoWorkerError extends Error {
  constructor(readonly studyId: string) {
    super(
      `study '${studyId}' is running but no worker is serving its queue right now; start one with \`memotune worker\``,
    );
    this.name = 'NoWorkerError';
  }
}

async function withNotFound<T>(studyId: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new StudyNotFoundError(studyId);
    // gRPC FAILED_PRECONDITION on a query: the workflow exists but nothing polls its queue.
    if (error instanceof ServiceError && (error.cause as { code?: number } | undefined)?.code === 9) {
      throw new NoWorkerError(studyId);
    }
    throw error;
  }
}

/** Budget, trials and best so far. Works on running and finished studies. */
export async function getStudyProgress(client: Client, studyId: string): Promise<StudyProgress> {
  return withNotFound(studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    const description = await handle.describe();
    if (description.status.name === 'COMPLETED') {
      const { history: _history, direction: _direction, ...progress } = await handle.result();
      return progress;
    }
    if (description.status.name === 'RUNNING') return handle.query(progressQuery);
    try {
      return closedAbnormally(description.status.name, await handle.query(progressQuery));
    } catch {
      // Closed before it ever ran a workflow task: nothing to replay, only what the memo says.
      const memo = (description.memo?.memotune ?? {}) as { study?: string; budget?: number };
      return closedAbnormally(description.status.name, {
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
      });
    }
  });
}

/**
 * A query replays a workflow that was terminated, cancelled, timed out or failed and reports it
 * as it was when it stopped ('running'); report it as failed instead.
 */
function closedAbnormally<T extends StudyProgress>(workflowStatus: string, progress: T): T {
  if (workflowStatus === 'RUNNING' || workflowStatus === 'CONTINUED_AS_NEW') return progress;
  return {
    ...progress,
    status: 'failed',
    runningTrial: null,
    error: `the study workflow was ${workflowStatus.toLowerCase()}`,
  };
}

/** The study's final (or current) progress, without its trial records. */
export async function getStudyOutcome(
  client: Client,
  studyId: string,
  options: { wait?: boolean } = {},
): Promise<StudyOutcome> {
  return withNotFound(studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    if (options.wait) return handle.result();
    const description = await handle.describe();
    if (description.status.name === 'COMPLETED') return handle.result();
    return closedAbnormally(description.status.name, await handle.query(resultQuery));
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
export async function stopStudy(client: Client, studyId: string): Promise<void> {
  await withNotFound(studyId, async () => {
    const handle = getStudyHandle(client, studyId);
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING')
      throw new Error(`study '${studyId}' has already finished (${status.name.toLowerCase()})`);
    await handle.signal(stopSignal);
  });
}
