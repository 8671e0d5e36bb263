/**
 * Deleting a study that has ended (Optuna's `delete_study`): its trial log in the object store and
 * its workflow executions on the Temporal server — every run of the study workflow and every trial
 * workflow. Stage outputs stay: the cache is shared by pipeline, and `memotune cache prune` deletes
 * what no study needs any more (a deleted study no longer protects its top configurations).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ObjectStore } from '../storage/object-store.js';
import { isTrialLogPrefix, trialLogPrefix } from '../core/trial-log.js';
import { StudyNotFoundError } from './index.js';
import { grpcCode, startedWith } from './workflow-history.js';
import { tolerantOfUnreadablePayloads } from './unreadable-payloads.js';

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

/**
 * Raised by {@link deleteStudy} for a workflow that is not a memotune study, or a study whose
 * recorded trial log is not where memotune writes trial logs: nothing is deleted (a review deleted
 * another application's workflows and the whole stage cache through a crafted `trialLog`).
 */
export class NotAStudyError extends Error {
  constructor(
    readonly studyId: string,
    reason: string,
  ) {
    super(`'${studyId}' is not a memotune study that can be deleted: ${reason}; nothing was deleted`);
    this.name = 'NotAStudyError';
  }
}

/** The workflow types a study's runs have (a config-started study's first run is the second). */
const studyWorkflowTypes: readonly string[] = ['studyWorkflow', 'studyFromConfigWorkflow'];

/** What {@link deleteStudy} deleted, or would delete without `apply`. */
export interface StudyDeletion {
  /** Null for a trial log deleted on its own ({@link deleteOrphanTrialLog}). */
  readonly studyId: string | null;
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

/**
 * Deletes (or, without `apply`, counts) what a study that has ended left behind.
 *
 * @throws {NotAStudyError} when `studyId` is not a memotune study's workflow, or its trial log is
 *   not at a trial log's place.
 */
export async function deleteStudy(
  client: Client,
  studyId: string,
  options: DeleteStudyOptions,
): Promise<StudyDeletion> {
  let described: { status: string; type: string };
  try {
    const description = await client.workflow.getHandle(studyId).describe();
    described = { status: description.status.name, type: description.type };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new StudyNotFoundError(studyId);
    throw error;
  }
  if (!studyWorkflowTypes.includes(described.type))
    throw new NotAStudyError(studyId, `its workflow type is ${described.type}, not ${studyWorkflowTypes.join(' or ')}`);
  if (described.status === 'RUNNING') throw new StudyStillRunningError(studyId);
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
  if (trialLog !== null && !isTrialLogPrefix(trialLog))
    throw new NotAStudyError(
      studyId,
      `its input names the trial log ${JSON.stringify(trialLog)}, not studies/<run id>/`,
    );
  if (trialLog !== null) {
    // A crafted input may name another study's log, of the right shape (a code review deleted one
    // so): the log is this study's if one of its run chains began with it, or — its first runs gone
    // with retention, as a continued study's may be — if no other study claims it either way.
    const owners = (await trialLogOwners(client)).get(trialLog);
    const others = owners === undefined ? [] : [...owners.byRun, ...owners.byInput].filter((id) => id !== studyId);
    if (owners !== undefined && !owners.byRun.has(studyId) && others.length > 0)
      throw new NotAStudyError(studyId, `its input names the trial log ${trialLog}, which study '${others[0]}' writes`);
  }
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

/**
 * Deletes (or, without `apply`, counts) a trial log whose study the server no longer has — its
 * history removed by the namespace's retention, or deleted by hand: `cache ls --by study` lists it
 * as "(not on the server)", and nothing else can delete it (the log keeps every configuration,
 * metric and error of the study).
 *
 * @throws {NotAStudyError} when `trialLog` is not `studies/<run id>/`, or a study on the server
 *   still writes it (delete that study instead).
 */
export async function deleteOrphanTrialLog(
  client: Client,
  trialLog: string,
  options: Omit<DeleteStudyOptions, 'keepHistory'>,
): Promise<StudyDeletion> {
  if (!isTrialLogPrefix(trialLog))
    throw new NotAStudyError(
      trialLog,
      'a trial log is named studies/<run id>/ (as `memotune cache ls --by study` lists it)',
    );
  const owners = (await trialLogOwners(client)).get(trialLog);
  const owner = owners === undefined ? undefined : [...owners.byRun, ...owners.byInput][0];
  if (owner !== undefined)
    throw new NotAStudyError(
      trialLog,
      `it is the trial log of study '${owner}', which the server still has: delete the study (memotune study delete ${owner})`,
    );
  const keys = await options.store.list(trialLog);
  if (options.apply === true) for (const key of keys) await options.store.delete(key);
  return { studyId: null, trialLog, trialLogObjects: keys.length, executions: 0, applied: options.apply === true };
}

/** Who writes a trial log, by {@link trialLogOwners}. */
export interface TrialLogOwners {
  /** Studies whose run chain began with the log's run id: the log is theirs by construction. */
  readonly byRun: Set<string>;
  /** Studies whose latest run was started with the log in its input (a `study continue` run does). */
  readonly byInput: Set<string>;
}

/**
 * Which studies the server still has write each trial log: every run's own (`studies/<its chain's
 * first run id>/`) and what each study's latest run was started with (`state.trialLog`: a
 * `study continue` run keeps writing the log it continues, whose first runs retention may have
 * removed — a review deleted a continued study's log as an orphan when only the first run counted).
 * One history read per study id. A run whose input cannot be read (a payload codec this client
 * lacks) counts by its own log only.
 */
export async function trialLogOwners(client: Client): Promise<Map<string, TrialLogOwners>> {
  const owners = new Map<string, TrialLogOwners>();
  const own = (trialLog: string, studyId: string, how: keyof TrialLogOwners) => {
    const entry = owners.get(trialLog) ?? { byRun: new Set<string>(), byInput: new Set<string>() };
    entry[how].add(studyId);
    owners.set(trialLog, entry);
  };
  const readable = tolerantOfUnreadablePayloads(client);
  const latest = new Map<string, { runId: string; startTime: Date }>();
  const query = `WorkflowType IN (${studyWorkflowTypes.map((type) => `'${type}'`).join(', ')})`;
  for await (const execution of readable.workflow.list({ query })) {
    own(trialLogPrefix(execution.raw.firstRunId || execution.runId), execution.workflowId, 'byRun');
    const known = latest.get(execution.workflowId);
    if (known === undefined || known.startTime < execution.startTime)
      latest.set(execution.workflowId, { runId: execution.runId, startTime: execution.startTime });
  }
  const ids = [...latest.entries()];
  for (let at = 0; at < ids.length; at += 8) {
    await Promise.all(
      ids.slice(at, at + 8).map(async ([studyId, { runId }]) => {
        const started = await startedWith<{ state?: { trialLog?: unknown } } | null>(readable, studyId, runId);
        const logged = started?.input?.state?.trialLog;
        if (typeof logged === 'string') own(logged, studyId, 'byInput');
      }),
    );
  }
  return owners;
}

/** Study id (ids, comma-separated, when several) by trial log prefix: {@link trialLogOwners}, for `cache ls`. */
export async function studyIdsByLogOf(client: Client): Promise<Map<string, string>> {
  return new Map(
    [...(await trialLogOwners(client))].map(([trialLog, { byRun, byInput }]) => [
      trialLog,
      [...new Set([...byRun, ...byInput])].join(', '),
    ]),
  );
}

/**
 * Every execution of the study workflow (its runs) and of its trial workflows (`<id>/trial-<n>`).
 * The listing's query holds only the start of the id up to its first quote or backslash — how a
 * visibility store unescapes them differs (the dev server's matched no escaping tried) — and what
 * it returns is checked against the id exactly, and the type, so that nothing else is ever
 * deleted: a review's study id `x\' OR WorkflowId STARTS_WITH "victim" #` deleted another study.
 */
async function studyExecutions(client: Client, studyId: string): Promise<{ workflowId: string; runId: string }[]> {
  const trialPrefix = `${studyId}/trial-`;
  const isTrial = (workflowId: string) =>
    workflowId.startsWith(trialPrefix) && /^\d+$/.test(workflowId.slice(trialPrefix.length));
  const listings: [query: string, belongs: (execution: { workflowId: string; type: string }) => boolean][] = [
    [
      `${idClause(studyId, 'exactly')}WorkflowType IN (${studyWorkflowTypes.map((type) => `'${type}'`).join(', ')})`,
      (execution) => execution.workflowId === studyId && studyWorkflowTypes.includes(execution.type),
    ],
    [
      `${idClause(trialPrefix, 'startsWith')}WorkflowType = 'trialWorkflow'`,
      (execution) => isTrial(execution.workflowId) && execution.type === 'trialWorkflow',
    ],
  ];
  const found: { workflowId: string; runId: string }[] = [];
  for (const [query, belongs] of listings) {
    for await (const execution of client.workflow.list({ query }))
      if (belongs(execution)) found.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  return found;
}

/**
 * A visibility query's condition on the workflow id, ending in `AND `: the id itself when it has
 * no quote or backslash, else its start up to the first one (empty: no condition), the rest
 * left to the caller's check.
 */
function idClause(id: string, match: 'exactly' | 'startsWith'): string {
  const special = id.search(/['"\\]/);
  if (special < 0) return match === 'exactly' ? `WorkflowId = '${id}' AND ` : `WorkflowId STARTS_WITH '${id}' AND `;
  return special === 0 ? '' : `WorkflowId STARTS_WITH '${id.slice(0, special)}' AND `;
}
