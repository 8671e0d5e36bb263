/**
 * Cache retention: which committed stage outputs to keep, which to delete, and deleting them
 * safely. The policy ({@link planRetention}) is a pure function of the outputs' metadata, the keys
 * live studies protect and a size cap; the rest of this module is the object-store I/O around it
 * (reading `outputs/<key>/meta.json`, reading trial logs, deleting an output commit marker first).
 *
 * What a plan keeps, in this order:
 *   running   every stage output of a trial running now (it may be reading or writing any of them)
 *   top-q     every proper prefix (stages 1..S−1) of the Q best completed trials of each live study:
 *             the prefixes the optimizer pins candidates to (the paper's candidate set). The last
 *             stage's output is not protected: a trial never reuses it as a prefix.
 *   min-age   outputs committed less than `minAgeMs` ago (a trial may have just looked them up)
 *   size-cap  then the most recently used of the rest, while everything kept stays ≤ `maxBytes`;
 *             an output counts as used when it was committed or when a trial built a later stage
 *             on it, so a shared first stage outlives the outputs that depend on it
 * Everything else is deleted. Folders without a readable commit marker are never touched: a write
 * may be in flight there.
 */
import { logPositionOf, type TrialRecord } from '../core/study.js';
import { trialLogPrefix, trialRecordKey } from '../core/trial-log.js';
import type { Direction } from '../core/types.js';
import type { ObjectStore } from './object-store.js';
import { outputDataKey } from './stage-cache.js';
import { TrialLog } from './trial-log.js';

// The stage cache's layout (src/storage/stage-cache.ts): one folder per key, meta.json commits it.
const outputsPrefix = 'outputs/';
const metaFileName = 'meta.json';
const metaObjectKey = (key: string) => `${outputsPrefix}${key}/${metaFileName}`;
const studiesPrefix = 'studies/';

/** One committed stage output, as its `meta.json` describes it. */
export interface CachedOutput {
  readonly key: string;
  readonly pipelineId: string;
  readonly stage: string;
  /** Size of the output's data (meta.json's `bytes`). */
  readonly bytes: number;
  /** When the output was committed (ISO 8601, the committing worker's clock). */
  readonly createdAt: string;
  /** Every object in the output's folder, meta.json included. */
  readonly objects: readonly string[];
}

/** What is in the cache: committed outputs, and folders left aside because they have no readable commit marker. */
export interface CacheInventory {
  readonly outputs: readonly CachedOutput[];
  /** Folders with objects but no meta.json: a crashed write's leftovers or a write in flight. */
  readonly uncommitted: readonly { readonly key: string; readonly objects: readonly string[] }[];
  /** Folders whose meta.json is not an output's metadata (unparsable, or without pipeline, stage, size or time). */
  readonly unreadable: readonly { readonly key: string; readonly reason: string }[];
}

/** Why an output is kept. */
export type KeepReason = 'running' | 'top-q' | 'min-age' | 'size-cap';

/** A key a live study needs, and which study and trial need it. */
export interface Protection {
  readonly key: string;
  readonly reason: 'running' | 'top-q';
  readonly studyId: string;
  readonly trialIndex: number;
}

/** A study workflow running now, as the Temporal server describes it. */
export interface LiveStudy {
  readonly studyId: string;
  /** Object-store prefix of its trial log (`studies/<first run id>/`). */
  readonly trialLog: string;
  /** Records its log holds according to its progress; `null` when the study could not be asked. */
  readonly trials: number | null;
  readonly direction: Direction;
  /** Its optimizer's `topQ` setting (defaults resolved). */
  readonly topQ: number;
}

/** A trial running now, with the chained key of every stage of its configuration. */
export interface RunningTrial {
  readonly studyId: string;
  readonly trialIndex: number;
  readonly keys: readonly string[];
}

/** Everything running now that retention must respect. */
export interface LiveWork {
  readonly studies: readonly LiveStudy[];
  readonly runningTrials: readonly RunningTrial[];
  /** What could not be found out (a study that did not answer), for the user to see. */
  readonly warnings: readonly string[];
}

export interface RetentionPolicy {
  /** Keys live studies need; kept whatever their size. */
  readonly protections: readonly Protection[];
  /** Outputs committed less than this many milliseconds before `now` are kept. */
  readonly minAgeMs: number;
  /** Total size of everything kept (protected outputs included) not to exceed with unprotected outputs. */
  readonly maxBytes: number;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /**
   * Chained keys of trials (their records' `keys`): an output counts as used when a later stage
   * was built on it, and prefixes go before the outputs built on them.
   * @default []
   */
  readonly chains?: readonly (readonly string[])[];
}

export interface RetentionDecision {
  readonly output: CachedOutput;
  readonly action: 'keep' | 'delete';
  /** Why it is kept; `over-cap` for a deleted output. */
  readonly reason: KeepReason | 'over-cap';
  /** For `running` and `top-q`: the studies and trials that need it. */
  readonly neededBy: readonly { readonly studyId: string; readonly trialIndex: number }[];
}

export interface Tally {
  readonly outputs: number;
  readonly bytes: number;
}

export interface RetentionPlan {
  /** One per output, most recently used first. */
  readonly decisions: readonly RetentionDecision[];
  readonly kept: Tally;
  readonly deleted: Tally;
  readonly byReason: Readonly<Record<KeepReason | 'over-cap', Tally>>;
  /** How far protected outputs (running, top-q, min-age) alone exceed `maxBytes`; 0 when they fit. */
  readonly protectedOverCap: number;
}

const reasonOrder: readonly ('running' | 'top-q')[] = ['running', 'top-q'];

/**
 * The keep/delete decision for every output (see the module comment for the order of reasons).
 * Deterministic: ties in recency go to the shallower stage, then to the smaller key.
 * @throws RangeError when `maxBytes` or `minAgeMs` is negative or not a number
 */
export function planRetention(outputs: readonly CachedOutput[], policy: RetentionPolicy): RetentionPlan {
  if (!(policy.maxBytes >= 0)) throw new RangeError('maxBytes must be >= 0');
  if (!(policy.minAgeMs >= 0)) throw new RangeError('minAgeMs must be >= 0');
  const neededBy = new Map<string, { reason: 'running' | 'top-q'; by: { studyId: string; trialIndex: number }[] }>();
  for (const protection of policy.protections) {
    const entry = neededBy.get(protection.key);
    const by = { studyId: protection.studyId, trialIndex: protection.trialIndex };
    if (entry === undefined) neededBy.set(protection.key, { reason: protection.reason, by: [by] });
    else {
      if (reasonOrder.indexOf(protection.reason) < reasonOrder.indexOf(entry.reason)) entry.reason = protection.reason;
      if (!entry.by.some((known) => known.studyId === by.studyId && known.trialIndex === by.trialIndex))
        entry.by.push(by);
    }
  }
  const ordered = byRecentUse(outputs, policy.chains ?? []);
  const decisions: RetentionDecision[] = [];
  const undecided: CachedOutput[] = [];
  let protectedBytes = 0;
  for (const output of ordered) {
    const needed = neededBy.get(output.key);
    const reason: KeepReason | null =
      needed?.reason ?? (policy.now - Date.parse(output.createdAt) < policy.minAgeMs ? 'min-age' : null);
    if (reason === null) {
      undecided.push(output);
      continue;
    }
    protectedBytes += output.bytes;
    decisions.push({ output, action: 'keep', reason, neededBy: needed?.by ?? [] });
  }
  // Most recently used first, stopping at the first that does not fit: an output is never kept
  // while a more recently used one is deleted, so kept chains stay whole.
  let room = policy.maxBytes - protectedBytes;
  let full = false;
  for (const output of undecided) {
    full ||= output.bytes > room;
    if (!full) room -= output.bytes;
    decisions.push({ output, action: full ? 'delete' : 'keep', reason: full ? 'over-cap' : 'size-cap', neededBy: [] });
  }
  const rank = new Map(ordered.map((output, index) => [output.key, index]));
  decisions.sort((a, b) => rank.get(a.output.key)! - rank.get(b.output.key)!);
  const tally = (chosen: readonly RetentionDecision[]): Tally => ({
    outputs: chosen.length,
    bytes: chosen.reduce((sum, decision) => sum + decision.output.bytes, 0),
  });
  const reasons = ['running', 'top-q', 'min-age', 'size-cap', 'over-cap'] as const;
  return {
    decisions,
    kept: tally(decisions.filter((decision) => decision.action === 'keep')),
    deleted: tally(decisions.filter((decision) => decision.action === 'delete')),
    byReason: Object.fromEntries(
      reasons.map((reason) => [reason, tally(decisions.filter((decision) => decision.reason === reason))]),
    ) as Record<KeepReason | 'over-cap', Tally>,
    protectedOverCap: Math.max(0, protectedBytes - policy.maxBytes),
  };
}

/**
 * Outputs most recently used first: used = committed, or a later stage committed on top of it (as
 * the chains say). A prefix is used whenever anything built on it is, so it never comes after one
 * of its descendants; at equal times the shallower stage comes first.
 */
function byRecentUse(outputs: readonly CachedOutput[], chains: readonly (readonly string[])[]): CachedOutput[] {
  const committed = new Map(outputs.map((output) => [output.key, Date.parse(output.createdAt)]));
  const lastUse = new Map(committed);
  const depth = new Map<string, number>();
  for (const chain of chains) {
    let newest = -Infinity;
    for (let at = chain.length - 1; at >= 0; at--) {
      const key = chain[at]!;
      const time = committed.get(key);
      if (time === undefined) continue;
      newest = Math.max(newest, time);
      lastUse.set(key, Math.max(lastUse.get(key)!, newest));
      depth.set(key, Math.min(depth.get(key) ?? at, at));
    }
  }
  return [...outputs].sort(
    (a, b) =>
      lastUse.get(b.key)! - lastUse.get(a.key)! ||
      (depth.get(a.key) ?? Infinity) - (depth.get(b.key) ?? Infinity) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/**
 * The Q best completed trials of a study by objective (ties: earlier in the log first), and the
 * Q best of its post-warm-up trials: the optimizer ranks only those when it builds its prefix pool
 * (src/optimizer/prefix-pool.ts), so protecting both keeps what a person calls the best configurations and
 * everything the optimizer will pin a candidate to.
 */
export function topTrials(records: readonly TrialRecord[], direction: Direction, q: number): TrialRecord[] {
  const sign = direction === 'maximize' ? 1 : -1;
  const ranked = records
    .filter(
      (record) =>
        record.status === 'completed' && typeof record.objective === 'number' && Number.isFinite(record.objective),
    )
    .sort((a, b) => sign * (b.objective! - a.objective!) || logPositionOf(a) - logPositionOf(b));
  const chosen = new Set([...ranked.slice(0, q), ...ranked.filter((record) => record.phase === 'bo').slice(0, q)]);
  return ranked.filter((record) => chosen.has(record));
}

/** The keys {@link topTrials} protects: every stage of a trial but the last. */
export function topQProtections(
  studyId: string,
  records: readonly TrialRecord[],
  direction: Direction,
  q: number,
): Protection[] {
  return topTrials(records, direction, q).flatMap((record) =>
    record.keys.slice(0, -1).map((key) => ({ key, reason: 'top-q' as const, studyId, trialIndex: record.trialIndex })),
  );
}

/** Every stage of every running trial. */
export function runningProtections(trials: readonly RunningTrial[]): Protection[] {
  return trials.flatMap((trial) =>
    trial.keys.map((key) => ({
      key,
      reason: 'running' as const,
      studyId: trial.studyId,
      trialIndex: trial.trialIndex,
    })),
  );
}

// ---- object-store I/O ------------------------------------------------------------------------

export interface RetentionIoOptions {
  /** Requests in flight at once. @default 16 */
  readonly concurrency?: number;
}

const decoder = new TextDecoder();

/** An output's fields from its meta.json, or why they cannot be read. Tolerates fields it does not know. */
export function parseOutputMeta(
  key: string,
  body: Uint8Array,
): { ok: true; meta: Omit<CachedOutput, 'objects'> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch {
    return { ok: false, reason: 'meta.json is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'meta.json is not an object' };
  const { pipelineId, stage, bytes, createdAt } = value as Record<string, unknown>;
  if (typeof pipelineId !== 'string') return { ok: false, reason: 'meta.json has no pipelineId' };
  if (typeof stage !== 'string') return { ok: false, reason: 'meta.json has no stage' };
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0)
    return { ok: false, reason: 'meta.json has no size (bytes)' };
  if (typeof createdAt !== 'string' || !Number.isFinite(Date.parse(createdAt)))
    return { ok: false, reason: 'meta.json has no valid createdAt' };
  return { ok: true, meta: { key, pipelineId, stage, bytes, createdAt } };
}

/**
 * Every output folder under `outputs/`, its meta.json read (one request per output).
 * @param pipelineId only this pipeline's committed outputs (folders without readable metadata are
 *   listed whatever it is: their pipeline is unknown)
 */
export async function readCacheInventory(
  store: ObjectStore,
  options: RetentionIoOptions & { pipelineId?: string } = {},
): Promise<CacheInventory> {
  const folders = new Map<string, string[]>();
  for (const object of await store.list(outputsPrefix)) {
    const slash = object.indexOf('/', outputsPrefix.length);
    if (slash < 0) continue;
    const key = object.slice(outputsPrefix.length, slash);
    const objects = folders.get(key);
    if (objects === undefined) folders.set(key, [object]);
    else objects.push(object);
  }
  const outputs: CachedOutput[] = [];
  const uncommitted: { key: string; objects: string[] }[] = [];
  const unreadable: { key: string; reason: string }[] = [];
  await forEachConcurrently([...folders], options.concurrency ?? 16, async ([key, objects]) => {
    if (!objects.includes(metaObjectKey(key))) {
      uncommitted.push({ key, objects });
      return;
    }
    const body = await store.get(metaObjectKey(key));
    // Deleted since the listing: no longer committed.
    if (body === null) return;
    const parsed = parseOutputMeta(key, body);
    if (!parsed.ok) unreadable.push({ key, reason: parsed.reason });
    else if (options.pipelineId === undefined || parsed.meta.pipelineId === options.pipelineId)
      outputs.push({ ...parsed.meta, objects });
  });
  const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return { outputs: outputs.sort(byKey), uncommitted: uncommitted.sort(byKey), unreadable: unreadable.sort(byKey) };
}

/** A study's trial log as far as it can be read. */
export interface TrialLogContents {
  /** `studies/<first run id>/` */
  readonly trialLog: string;
  /** Records 0..n−1 in log order: every record written so far without a gap. */
  readonly records: readonly TrialRecord[];
  /** Why the log could not be read (a damaged record); `null` when it was. */
  readonly error: string | null;
}

/** Every trial log under `studies/`, each read up to its first missing record. */
export async function readTrialLogs(store: ObjectStore, options: RetentionIoOptions = {}): Promise<TrialLogContents[]> {
  const logs = new Map<string, Set<string>>();
  for (const object of await store.list(studiesPrefix)) {
    const slash = object.indexOf('/', studiesPrefix.length);
    if (slash < 0) continue;
    const trialLog = trialLogPrefix(object.slice(studiesPrefix.length, slash));
    const objects = logs.get(trialLog);
    if (objects === undefined) logs.set(trialLog, new Set([object]));
    else objects.add(object);
  }
  // One log at a time, each read with the log reader's own concurrency.
  const reader = new TrialLog(store, { concurrency: options.concurrency ?? 16, cachedStudies: 1 });
  const contents: TrialLogContents[] = [];
  for (const [trialLog, objects] of [...logs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let count = 0;
    while (objects.has(trialRecordKey(trialLog, count))) count++;
    try {
      contents.push({ trialLog, records: await reader.read(trialLog, count), error: null });
    } catch (error) {
      contents.push({ trialLog, records: [], error: error instanceof Error ? error.message : String(error) });
    }
  }
  return contents;
}

/** What live studies protect, and what could not be read of them. */
export interface LiveProtection {
  readonly protections: readonly Protection[];
  readonly studies: readonly {
    readonly studyId: string;
    readonly trialLog: string;
    /** Q used for this study (its setting or the override). */
    readonly topQ: number;
    /** Trial indices of its protected best trials. */
    readonly topTrials: readonly number[];
    /** Trial indices of its running trials. */
    readonly runningTrials: readonly number[];
    /** Why nothing of its log is protected (its log is in another store), else `null`. */
    readonly note: string | null;
  }[];
}

/** A live study whose trial log cannot be read: pruning without knowing its best trials is unsafe. */
export class LiveStudyLogError extends Error {
  override readonly name = 'LiveStudyLogError';
}

/**
 * The keys live work protects: every stage of its running trials and the proper prefixes of each
 * live study's best trials, read from its trial log (`logs` when it holds enough records already).
 * @param topQ overrides every study's own topQ setting
 * @throws LiveStudyLogError when a live study's log is in this store but cannot be read
 */
export async function protectLiveWork(
  store: ObjectStore,
  work: LiveWork,
  logs: readonly TrialLogContents[],
  options: { topQ?: number } = {},
): Promise<LiveProtection> {
  const known = new Map(logs.map((log) => [log.trialLog, log]));
  const protections: Protection[] = runningProtections(work.runningTrials);
  const studies: LiveProtection['studies'][number][] = [];
  for (const study of work.studies) {
    const q = options.topQ ?? study.topQ;
    const runningTrials = work.runningTrials
      .filter((trial) => trial.studyId === study.studyId)
      .map((trial) => trial.trialIndex);
    const log = known.get(study.trialLog);
    let records = log?.records ?? [];
    let note: string | null = null;
    const wanted = study.trials ?? records.length;
    if (log?.error) {
      throw new LiveStudyLogError(`cannot read the trial log of live study '${study.studyId}': ${log.error}`);
    }
    if (records.length < wanted) {
      if (log === undefined && (await store.list(study.trialLog)).length === 0) {
        note = 'its trial log is not in this store (another bucket or key prefix): nothing of it is here';
      } else {
        try {
          records = await new TrialLog(store).read(study.trialLog, wanted);
        } catch (error) {
          throw new LiveStudyLogError(
            `cannot read the trial log of live study '${study.studyId}' (${study.trialLog}): ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
    const best = topTrials(records, study.direction, q);
    protections.push(...topQProtections(study.studyId, records, study.direction, q));
    studies.push({
      studyId: study.studyId,
      trialLog: study.trialLog,
      topQ: q,
      topTrials: best.map((record) => record.trialIndex),
      runningTrials,
      note,
    });
  }
  return { protections, studies };
}

/** What happened to one output a plan deleted. */
export type DeleteOutcome = 'deleted' | 'changed';

/**
 * Deletes a committed output: its meta.json (the commit marker) first, then its other objects, so
 * an output deleted halfway reads as "not cached" and is recomputed, never as corrupt. An output
 * whose meta.json changed since `output` was read (re-committed, or already deleted) is left
 * alone (`changed`). Should a writer commit the same key again while the data goes, its now
 * dataless marker is removed too.
 */
export async function deleteOutput(store: ObjectStore, output: CachedOutput): Promise<DeleteOutcome> {
  const metaKey = metaObjectKey(output.key);
  const body = await store.get(metaKey);
  const current = body === null ? null : parseOutputMeta(output.key, body);
  if (current === null || !current.ok || current.meta.createdAt !== output.createdAt) return 'changed';
  await store.delete(metaKey);
  for (const object of output.objects) if (object !== metaKey) await store.delete(object);
  const again = await store.get(metaKey);
  if (again !== null) {
    let sha256: unknown;
    try {
      ({ sha256 } = JSON.parse(decoder.decode(again)) as { sha256?: unknown });
    } catch {
      // An unparsable marker already reads as "not cached".
    }
    if (typeof sha256 === 'string' && !(await store.exists(outputDataKey({ key: output.key, sha256 }))))
      await store.delete(metaKey);
  }
  return 'deleted';
}

/** Deletes outputs a few at a time (see {@link deleteOutput}); `onDeleted` follows progress. */
export async function deleteOutputs(
  store: ObjectStore,
  outputs: readonly CachedOutput[],
  options: RetentionIoOptions & { onDone?: (output: CachedOutput, outcome: DeleteOutcome) => void } = {},
): Promise<Map<string, DeleteOutcome>> {
  const outcomes = new Map<string, DeleteOutcome>();
  await forEachConcurrently(outputs, options.concurrency ?? 8, async (output) => {
    const outcome = await deleteOutput(store, output);
    outcomes.set(output.key, outcome);
    options.onDone?.(output, outcome);
  });
  return outcomes;
}

/** Totals of outputs grouped by pipeline, stage or study. */
export interface CacheGroup extends Tally {
  /** Pipeline id, `pipeline/stage`, or a study's id (its log prefix when unknown); `null` for outputs no study references. */
  readonly name: string | null;
  /** For study groups: the study's trial log prefix. */
  readonly trialLog?: string;
}

export type CacheGrouping = 'pipeline' | 'stage' | 'study';

/**
 * Outputs and bytes per group, biggest first; an output several studies reference counts in each
 * of their groups (and once in a total).
 * @param studyIds study id by trial log prefix, for naming study groups
 */
export function groupOutputs(
  outputs: readonly CachedOutput[],
  by: CacheGrouping,
  logs: readonly TrialLogContents[] = [],
  studyIds: ReadonlyMap<string, string> = new Map(),
): CacheGroup[] {
  const groups = new Map<string, { name: string | null; trialLog?: string; outputs: number; bytes: number }>();
  const add = (id: string, name: string | null, output: CachedOutput, trialLog?: string) => {
    const group = groups.get(id) ?? { name, outputs: 0, bytes: 0, ...(trialLog === undefined ? {} : { trialLog }) };
    group.outputs++;
    group.bytes += output.bytes;
    groups.set(id, group);
  };
  if (by === 'study') {
    const referencedBy = new Map<string, string[]>();
    for (const log of logs) {
      const keys = new Set(log.records.flatMap((record) => record.keys));
      for (const key of keys) referencedBy.set(key, [...(referencedBy.get(key) ?? []), log.trialLog]);
    }
    for (const output of outputs) {
      const trialLogs = referencedBy.get(output.key) ?? [];
      if (trialLogs.length === 0) add('', null, output);
      for (const trialLog of trialLogs) add(trialLog, studyIds.get(trialLog) ?? trialLog, output, trialLog);
    }
  } else {
    for (const output of outputs) {
      const name = by === 'pipeline' ? output.pipelineId : `${output.pipelineId}/${output.stage}`;
      add(name, name, output);
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      (a.name === null ? 1 : 0) - (b.name === null ? 1 : 0) ||
      b.bytes - a.bytes ||
      ((a.name ?? '') < (b.name ?? '') ? -1 : 1),
  );
}

async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  action: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await action(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
