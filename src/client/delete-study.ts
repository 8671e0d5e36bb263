/**
 * Deleting a study that has ended (Optuna's `delete_study`): its trial log in the object store and
 * its workflow executions on the Temporal server — every run of the study workflow and every trial
 * workflow. Stage outputs stay: the cache is shared by pipeline, and `memotune cache prune` deletes
 * what no study needs any more (a deleted study no longer protects its top configurations).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ObjectStore } from '../storage/object-store.js';
import { trialLogPrefix } from '../core/trial-log.js';
import { StudyNotFoundError } from './index.js';
import { grpcCode, startedWith } from './workflow-history.js';

/** Raised by {@link deleteStudy} for a study that is still running. */
export class StudyStillRunningError extends Error {
  constructor(readonly studyId: string) {
    super(
      `study '${studyId}' is running: stop it first (\`memotune study stop ${studyId}\`, or \`study cancel\` to end it ` +
        'now), then delete it',
    );
    this.name = 'StudyStillRunningError';
  }
}

/** What {@link deleteStudy} deleted, or would delete without `apply`. */
export interface StudyDeletion {
  readonly studyId: string;
  /** The trial log's prefix in the object store (a study from before the trial log has none there: 0 objects). */
  readonly trialLog: string | null;
  readonly trialLogObjects: number;
  /** Workflow executions: the study's runs and its trials' workflows (0 with `keepHistory`). */
  readonly executions: number;
  readonly applied: boolean;
}

export interface DeleteStudyOptions {
  /** Where the study's trial log is (the store its workers write to). */
  readonly store: ObjectStore;
  /** Delete; without it, only count what would go (a dry run). @default false */
  readonly apply?: boolean;
  /** Leave the workflow executions to the namespace's retention. @default false */
  readonly keepHistory?: boolean;
}

/** Deletes (or, without `apply`, counts) what a study that has ended left behind. */
export async function deleteStudy(
  client: Client,
  studyId: string,
  options: DeleteStudyOptions,
): Promise<StudyDeletion> {
  let status: string;
  try {
    status = (await client.workflow.getHandle(studyId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new StudyNotFoundError(studyId);
    throw error;
  }
  if (status === 'RUNNING') throw new StudyStillRunningError(studyId);
  // Where its trial log is, from what the server keeps (its latest run's input): no worker needed,
  // so studies whose workers are long gone can be deleted. Its first run found it from its run id.
  const started = await startedWith<{ state?: { trialLog?: unknown } }>(client, studyId);
  if (started === null) throw new StudyNotFoundError(studyId);
  const logged = started.input?.state?.trialLog;
  const trialLog =
    typeof logged === 'string'
      ? logged
      : started.firstExecutionRunId === null
        ? null
        : trialLogPrefix(started.firstExecutionRunId);
  const keys = trialLog === null ? [] : await options.store.list(trialLog);
  const executions = options.keepHistory === true ? [] : await studyExecutions(client, studyId);
  if (options.apply === true) {
    for (const key of keys) await options.store.delete(key);
    // Trials first: an interrupted deletion leaves the study listed, to be deleted again.
    const ordered = [...executions].sort((a, b) => Number(a.workflowId === studyId) - Number(b.workflowId === studyId));
    for (const execution of ordered) {
      try {
        await client.workflowService.deleteWorkflowExecution({
          namespace: client.options.namespace,
          workflowExecution: execution,
        });
      } catch (error) {
        // Deleted meanwhile (a second run of this command): nothing left to do for it (gRPC NOT_FOUND).
        if (grpcCode(error) !== 5) throw error;
      }
    }
  }
  return {
    studyId,
    trialLog,
    trialLogObjects: keys.length,
    executions: executions.length,
    applied: options.apply === true,
  };
}

/** Every execution of the study workflow (its runs) and of its trial workflows (`<id>/trial-<n>`). */
async function studyExecutions(client: Client, studyId: string): Promise<{ workflowId: string; runId: string }[]> {
  // Study ids are checked when a study starts: no quote can end the query's string early.
  const quoted = studyId.replace(/'/g, "\\'");
  const found: { workflowId: string; runId: string }[] = [];
  for (const query of [`WorkflowId = '${quoted}'`, `WorkflowId STARTS_WITH '${quoted}/'`]) {
    for await (const execution of client.workflow.list({ query }))
      found.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  return found;
}
