import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../../src/core/study.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import {
  deleteOutput,
  deleteOutputs,
  groupOutputs,
  LiveStudyLogError,
  parseOutputMeta,
  planRetention,
  protectLiveWork,
  readCacheInventory,
  readTrialLogs,
  topQProtections,
  topTrials,
  type CachedOutput,
  type LiveWork,
  type Protection,
} from '../../../src/storage/retention.js';
import { StageCache } from '../../../src/storage/stage-cache.js';
import { TrialLog } from '../../../src/storage/trial-log.js';

const hour = 3_600_000;
const now = Date.parse('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

function output(key: string, bytes: number, createdMsAgo: number, stage = 'train', pipelineId = 'p'): CachedOutput {
  return {
    key,
    pipelineId,
    stage,
    bytes,
    createdAt: ago(createdMsAgo),
    objects: [`outputs/${key}/data-x`, `outputs/${key}/meta.json`],
  };
}

function record(
  trialIndex: number,
  objective: number | null,
  keys: string[],
  extra: Partial<TrialRecord> = {},
): TrialRecord {
  return {
    trialIndex,
    config: [{ x: trialIndex }],
    objective,
    stageCosts: keys.map(() => 1),
    cachedPrefix: 0,
    chargedCost: keys.length,
    phase: 'bo',
    status: objective === null ? 'failed' : 'completed',
    error: objective === null ? 'boom' : null,
    keys,
    metrics: {},
    stagesRun: keys.map((_, index) => index),
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: 0,
    optimizerSeconds: 0,
    ...extra,
  };
}

const policy = { protections: [] as Protection[], minAgeMs: 0, maxBytes: 0, now };
const actions = (plan: ReturnType<typeof planRetention>) =>
  Object.fromEntries(plan.decisions.map((decision) => [decision.output.key, `${decision.action}:${decision.reason}`]));

describe('planRetention', () => {
  it('keeps what running trials and top-Q trials need even with a cap of 0, and deletes the rest', () => {
    const outputs = [output('a', 10, 5 * hour), output('b', 10, 5 * hour), output('c', 10, 5 * hour)];
    const plan = planRetention(outputs, {
      ...policy,
      protections: [
        { key: 'a', reason: 'running', studyId: 's', trialIndex: 4 },
        { key: 'b', reason: 'top-q', studyId: 's', trialIndex: 1 },
        { key: 'a', reason: 'top-q', studyId: 't', trialIndex: 0 },
      ],
    });
    expect(actions(plan)).toEqual({ a: 'keep:running', b: 'keep:top-q', c: 'delete:over-cap' });
    expect(plan.decisions.find((decision) => decision.output.key === 'a')!.neededBy).toEqual([
      { studyId: 's', trialIndex: 4 },
      { studyId: 't', trialIndex: 0 },
    ]);
    expect(plan.kept).toEqual({ outputs: 2, bytes: 20 });
    expect(plan.deleted).toEqual({ outputs: 1, bytes: 10 });
    expect(plan.protectedOverCap).toBe(20);
  });

  it('keeps outputs younger than the minimum age', () => {
    const plan = planRetention([output('old', 10, 2 * hour), output('young', 10, 30 * 60_000)], {
      ...policy,
      minAgeMs: hour,
    });
    expect(actions(plan)).toEqual({ old: 'delete:over-cap', young: 'keep:min-age' });
  });

  it('keeps the newest outputs while the total stays within the cap, protected bytes counted first', () => {
    const outputs = [
      output('newest', 30, 1 * hour),
      output('newer', 30, 2 * hour),
      output('big', 50, 3 * hour),
      output('oldest', 5, 4 * hour),
      output('needed', 20, 9 * hour),
    ];
    const plan = planRetention(outputs, {
      ...policy,
      maxBytes: 100,
      protections: [{ key: 'needed', reason: 'running', studyId: 's', trialIndex: 0 }],
    });
    // 20 protected + 30 + 30 = 80; 'big' does not fit, and nothing older is kept after it.
    expect(actions(plan)).toEqual({
      newest: 'keep:size-cap',
      newer: 'keep:size-cap',
      big: 'delete:over-cap',
      oldest: 'delete:over-cap',
      needed: 'keep:running',
    });
    expect(plan.byReason['size-cap']).toEqual({ outputs: 2, bytes: 60 });
    expect(plan.protectedOverCap).toBe(0);
    expect(plan.decisions.map((decision) => decision.output.key)).toEqual([
      'newest',
      'newer',
      'big',
      'oldest',
      'needed',
    ]);
  });

  it('counts a prefix as used whenever a later stage was committed on it, so it outlives its descendants', () => {
    const outputs = [output('s1', 10, 10 * hour, 'prep'), output('s2a', 10, 9 * hour), output('s2b', 10, 1 * hour)];
    const chains = [
      ['s1', 's2a'],
      ['s1', 's2b'],
    ];
    const withChains = planRetention(outputs, { ...policy, maxBytes: 10, chains });
    expect(actions(withChains)).toEqual({ s1: 'keep:size-cap', s2a: 'delete:over-cap', s2b: 'delete:over-cap' });
    const twoFit = planRetention(outputs, { ...policy, maxBytes: 20, chains });
    expect(actions(twoFit)).toEqual({ s1: 'keep:size-cap', s2b: 'keep:size-cap', s2a: 'delete:over-cap' });
    // Without the chains only commit times count: the newest stage-2 output would go first.
    expect(actions(planRetention(outputs, { ...policy, maxBytes: 10 }))).toMatchObject({ s2b: 'keep:size-cap' });
  });

  it('refuses a negative cap or minimum age', () => {
    expect(() => planRetention([], { ...policy, maxBytes: -1 })).toThrow(RangeError);
    expect(() => planRetention([], { ...policy, minAgeMs: Number.NaN })).toThrow('minAgeMs');
  });
});

describe('top-Q trials', () => {
  const records = [
    record(0, 0.5, ['a0', 'a1', 'a2'], { phase: 'warmup' }),
    record(1, null, ['b0', 'b1', 'b2']),
    record(2, 0.9, ['c0', 'c1', 'c2']),
    record(3, 0.9, ['d0', 'd1', 'd2']),
    record(4, 0.1, ['e0', 'e1', 'e2']),
    record(5, 0.7, ['f0', 'f1', 'f2'], { phase: 'warmup' }),
  ];

  it('ranks completed trials by objective for the direction, earlier first on ties', () => {
    expect(topTrials(records, 'maximize', 2).map((trial) => trial.trialIndex)).toEqual([2, 3]);
    // Minimizing: 4 and 0 are best overall; 4 and 2 are the optimizer's post-warm-up pool.
    expect(topTrials(records, 'minimize', 2).map((trial) => trial.trialIndex)).toEqual([4, 0, 2]);
    expect(topTrials(records, 'maximize', 0)).toEqual([]);
  });

  it('protects every stage but the last of each top trial', () => {
    expect(topQProtections('s', records, 'maximize', 1)).toEqual([
      { key: 'c0', reason: 'top-q', studyId: 's', trialIndex: 2 },
      { key: 'c1', reason: 'top-q', studyId: 's', trialIndex: 2 },
    ]);
  });
});

/** Records the order of deletions. */
class RecordingStore extends MemoryObjectStore {
  readonly deleted: string[] = [];
  override delete(key: string): Promise<void> {
    this.deleted.push(key);
    return super.delete(key);
  }
}

async function commit(
  cache: StageCache,
  key: string,
  body: string,
  createdAt: string,
  pipelineId = 'p',
  stage = 'train',
) {
  return cache.write(
    key,
    new TextEncoder().encode(body),
    { pipelineId, stage, version: '1', cost: 1, metrics: {} },
    new Date(createdAt),
  );
}

describe('the cache inventory', () => {
  it('reads committed outputs and leaves folders without a readable commit marker aside', async () => {
    const store = new MemoryObjectStore();
    const cache = new StageCache(store);
    await commit(cache, 'k1', 'hello', ago(hour));
    await commit(cache, 'k2', 'world!', ago(2 * hour), 'q', 'prep');
    await store.put('outputs/k3/data-abc', new Uint8Array(3));
    await store.put('outputs/k4/meta.json', new TextEncoder().encode('{"pipelineId":"p"}'));
    const inventory = await readCacheInventory(store);
    expect(inventory.outputs.map(({ key, pipelineId, stage, bytes }) => ({ key, pipelineId, stage, bytes }))).toEqual([
      { key: 'k1', pipelineId: 'p', stage: 'train', bytes: 5 },
      { key: 'k2', pipelineId: 'q', stage: 'prep', bytes: 6 },
    ]);
    expect(inventory.outputs[0]!.objects).toHaveLength(2);
    expect(inventory.uncommitted).toEqual([{ key: 'k3', objects: ['outputs/k3/data-abc'] }]);
    expect(inventory.unreadable).toEqual([{ key: 'k4', reason: 'meta.json has no stage' }]);
    expect((await readCacheInventory(store, { pipelineId: 'q' })).outputs.map((o) => o.key)).toEqual(['k2']);
  });

  it('tolerates meta fields it does not know and refuses metadata it cannot use', () => {
    const parse = (value: unknown) => parseOutputMeta('k', new TextEncoder().encode(JSON.stringify(value)));
    const good = { pipelineId: 'p', stage: 's', bytes: 3, createdAt: ago(0), format: 'directory', files: 2 };
    expect(parse(good)).toMatchObject({ ok: true, meta: { key: 'k', bytes: 3 } });
    expect(parse({ ...good, bytes: -1 })).toEqual({ ok: false, reason: 'meta.json has no size (bytes)' });
    expect(parse({ ...good, createdAt: 'yesterday' })).toEqual({
      ok: false,
      reason: 'meta.json has no valid createdAt',
    });
    expect(parseOutputMeta('k', new TextEncoder().encode('{'))).toEqual({
      ok: false,
      reason: 'meta.json is not valid JSON',
    });
  });
});

describe('deleting outputs', () => {
  it('deletes the commit marker before the data, so a half-deleted output reads as not cached', async () => {
    const store = new RecordingStore();
    const cache = new StageCache(store);
    await commit(cache, 'k1', 'hello', ago(hour));
    const [found] = (await readCacheInventory(store)).outputs;
    expect(await deleteOutput(store, found!)).toBe('deleted');
    expect(store.deleted[0]).toBe('outputs/k1/meta.json');
    expect(store.deleted.slice(1)).toEqual(found!.objects.filter((object) => !object.endsWith('meta.json')));
    expect(await store.list('outputs/')).toEqual([]);
    expect(await cache.readMeta('k1')).toBeNull();
  });

  it('leaves an output alone when it was committed again since the plan was made', async () => {
    const store = new RecordingStore();
    const cache = new StageCache(store);
    await commit(cache, 'k1', 'hello', ago(hour));
    const [found] = (await readCacheInventory(store)).outputs;
    await commit(cache, 'k1', 'hello', ago(0));
    expect(await deleteOutputs(store, [found!])).toEqual(new Map([['k1', 'changed']]));
    expect(store.deleted).toEqual([]);
    expect((await cache.readOutput('k1')).body).toEqual(new TextEncoder().encode('hello'));
  });

  it('removes a marker committed again while its data was being deleted, rather than leave it dangling', async () => {
    const store = new (class extends RecordingStore {
      override async delete(key: string): Promise<void> {
        await super.delete(key);
        // A writer of the same key commits right after the marker went, its data already put.
        if (key === 'outputs/k1/meta.json' && this.deleted.length === 1)
          await commit(new StageCache(this), 'k1', 'hello', ago(0));
      }
    })();
    await commit(new StageCache(store), 'k1', 'hello', ago(hour));
    const [found] = (await readCacheInventory(store)).outputs;
    expect(await deleteOutput(store, found!)).toBe('deleted');
    expect(await new StageCache(store).readMeta('k1')).toBeNull();
  });
});

describe('trial logs and live work', () => {
  it('reads every study log up to its first missing record', async () => {
    const store = new MemoryObjectStore();
    const log = new TrialLog(store);
    await log.append('studies/run-a/', record(0, 1, ['a0', 'a1']));
    await log.append('studies/run-a/', record(1, 2, ['b0', 'b1']));
    await log.append('studies/run-b/', record(0, 3, ['c0', 'c1']));
    await log.append('studies/run-b/', record(2, 3, ['d0', 'd1']));
    const logs = await readTrialLogs(store);
    expect(logs.map((contents) => [contents.trialLog, contents.records.length, contents.error])).toEqual([
      ['studies/run-a/', 2, null],
      ['studies/run-b/', 1, null],
    ]);
  });

  it("protects a live study's top-Q prefixes from its log and says when its log is elsewhere", async () => {
    const store = new MemoryObjectStore();
    const log = new TrialLog(store);
    await log.append('studies/run-a/', record(0, 1, ['a0', 'a1', 'a2']));
    await log.append('studies/run-a/', record(1, 5, ['b0', 'b1', 'b2']));
    const work: LiveWork = {
      studies: [
        { studyId: 'a', trialLog: 'studies/run-a/', trials: 2, direction: 'maximize', topQ: 1 },
        { studyId: 'far', trialLog: 'studies/run-far/', trials: 7, direction: 'maximize', topQ: 5 },
      ],
      runningTrials: [{ studyId: 'a', trialIndex: 2, keys: ['a0', 'x1', 'x2'] }],
      warnings: [],
    };
    const live = await protectLiveWork(store, work, await readTrialLogs(store));
    expect(live.protections.map((protection) => `${protection.reason}:${protection.key}`)).toEqual([
      'running:a0',
      'running:x1',
      'running:x2',
      'top-q:b0',
      'top-q:b1',
    ]);
    expect(live.studies).toEqual([
      { studyId: 'a', trialLog: 'studies/run-a/', topQ: 1, topTrials: [1], runningTrials: [2], note: null },
      expect.objectContaining({ studyId: 'far', topTrials: [], note: expect.stringContaining('not in this store') }),
    ]);
    const overridden = await protectLiveWork(store, work, await readTrialLogs(store), { topQ: 2 });
    expect(overridden.protections.filter((protection) => protection.reason === 'top-q')).toHaveLength(4);
  });

  it('reads records a live study logged after the listing, and refuses to go on when its log is damaged', async () => {
    const store = new MemoryObjectStore();
    const log = new TrialLog(store);
    await log.append('studies/run-a/', record(0, 1, ['a0', 'a1']));
    const logs = await readTrialLogs(store);
    await log.append('studies/run-a/', record(1, 9, ['b0', 'b1']));
    const study = { studyId: 'a', trialLog: 'studies/run-a/', trials: 2, direction: 'maximize' as const, topQ: 1 };
    const live = await protectLiveWork(store, { studies: [study], runningTrials: [], warnings: [] }, logs);
    expect(live.protections.map((protection) => protection.key)).toEqual(['b0']);
    const broken = { ...study, trials: 3 };
    await expect(
      protectLiveWork(store, { studies: [broken], runningTrials: [], warnings: [] }, logs),
    ).rejects.toBeInstanceOf(LiveStudyLogError);
  });
});

describe('groupOutputs', () => {
  const outputs = [output('a', 10, 0, 'prep'), output('b', 20, 0, 'train'), output('c', 5, 0, 'prep', 'q')];

  it('totals by pipeline and by stage, biggest first', () => {
    expect(groupOutputs(outputs, 'pipeline')).toEqual([
      { name: 'p', outputs: 2, bytes: 30 },
      { name: 'q', outputs: 1, bytes: 5 },
    ]);
    expect(groupOutputs(outputs, 'stage').map((group) => group.name)).toEqual(['p/train', 'p/prep', 'q/prep']);
  });

  it('lists an output under every study whose trials reference it, and unreferenced ones last', () => {
    const logs = [
      { trialLog: 'studies/r1/', records: [record(0, 1, ['a', 'b'])], error: null },
      { trialLog: 'studies/r2/', records: [record(0, 1, ['a', 'zz'])], error: null },
    ];
    expect(groupOutputs(outputs, 'study', logs, new Map([['studies/r1/', 'study-one']]))).toEqual([
      { name: 'study-one', trialLog: 'studies/r1/', outputs: 2, bytes: 30 },
      { name: 'studies/r2/', trialLog: 'studies/r2/', outputs: 1, bytes: 10 },
      { name: null, outputs: 1, bytes: 5 },
    ]);
  });
});
