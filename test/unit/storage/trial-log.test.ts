import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../../src/core/study.js';
import { trialLogSegmentSize, trialRecordKey, trialSegmentKey } from '../../../src/core/trial-log.js';
import { MemoryObjectStore, type ObjectStore } from '../../../src/storage/object-store.js';
import { TrialLog, TrialLogError } from '../../../src/storage/trial-log.js';

function record(index: number): TrialRecord {
  return {
    trialIndex: index,
    config: [{ x: index / 10 }],
    objective: index % 7 === 3 ? null : 0.5 - index,
    stageCosts: [1],
    cachedPrefix: 0,
    chargedCost: 1,
    phase: 'bo',
    status: index % 7 === 3 ? 'failed' : 'completed',
    error: index % 7 === 3 ? 'boom' : null,
    keys: ['k'],
    metrics: {},
    stagesRun: [0],
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: 0,
    optimizerSeconds: 0,
  };
}

/** Counts the reads that reach the store. */
class CountingStore extends MemoryObjectStore {
  gets = 0;
  override get(key: string) {
    this.gets++;
    return super.get(key);
  }
}

const log = 'studies/run-1/';

async function append(trialLog: TrialLog, count: number, from = 0): Promise<void> {
  for (let index = from; index < count; index++) await trialLog.append(log, record(index));
}

describe('the trial log', () => {
  it('reads back what was appended, in trial order, from a cold process', async () => {
    const store = new MemoryObjectStore();
    await append(new TrialLog(store), 250);
    const records = await new TrialLog(store).read(log, 250);
    expect(records).toEqual(Array.from({ length: 250 }, (_, index) => record(index)));
    expect(await new TrialLog(store).read(log, 120, { from: 95 })).toEqual(
      Array.from({ length: 25 }, (_, offset) => record(95 + offset)),
    );
  });

  it('writes a segment per 100 records, so a cold read costs one request per segment', async () => {
    const store = new CountingStore();
    await append(new TrialLog(store), 250);
    expect(await store.exists(trialSegmentKey(log, 0))).toBe(true);
    expect(await store.exists(trialSegmentKey(log, 1))).toBe(true);
    expect(await store.exists(trialSegmentKey(log, 2))).toBe(false);
    store.gets = 0;
    await new TrialLog(store).read(log, 250);
    expect(store.gets).toBe(2 + 50);
  });

  it('reads only the records it has not seen before (records are immutable)', async () => {
    const store = new CountingStore();
    const trialLog = new TrialLog(store);
    await append(trialLog, 30);
    await trialLog.read(log, 30);
    await append(trialLog, 33, 30);
    store.gets = 0;
    expect(await trialLog.read(log, 33)).toHaveLength(33);
    expect(store.gets).toBe(3);
  });

  it('falls back to single records where a segment was never written', async () => {
    const store = new MemoryObjectStore();
    await append(new TrialLog(store), trialLogSegmentSize);
    await store.delete(trialSegmentKey(log, 0));
    expect(await new TrialLog(store).read(log, trialLogSegmentSize)).toHaveLength(trialLogSegmentSize);
  });

  it('refuses a log with a missing or misplaced record instead of returning a shorter history', async () => {
    const store = new MemoryObjectStore();
    await append(new TrialLog(store), 5);
    await expect(new TrialLog(store).read(log, 6)).rejects.toThrow(TrialLogError);
    await store.put(trialRecordKey(log, 2), new TextEncoder().encode(JSON.stringify(record(4))));
    await expect(new TrialLog(store).read(log, 5)).rejects.toThrow(/record 4 where record 2 belongs/);
  });

  it('keeps records in the order trials finished when they finish out of start order', async () => {
    const store = new MemoryObjectStore();
    const trials = new TrialLog(store);
    // Trials 0..104 started in order; each pair finished swapped (1 before 0, 3 before 2, ...).
    const finished = Array.from({ length: 104 }, (_, position) => {
      const trialIndex = position % 2 === 0 ? position + 1 : position - 1;
      return { ...record(trialIndex), logPosition: position };
    });
    for (const entry of finished) await trials.append(log, entry);
    const read = await new TrialLog(store).read(log, 104);
    expect(read.map((entry) => entry.trialIndex)).toEqual(finished.map((entry) => entry.trialIndex));
    expect(await store.exists(trialSegmentKey(log, 0))).toBe(true);
  });

  it('imports inline records at once, segments included', async () => {
    const store = new MemoryObjectStore();
    const records = Array.from({ length: 130 }, (_, index) => record(index));
    await new TrialLog(store).appendAll(log, records);
    expect(await store.exists(trialSegmentKey(log, 0))).toBe(true);
    expect(await new TrialLog(store).read(log, 130)).toEqual(records);
  });

  it('keeps the logs of at most `cachedStudies` studies in memory', async () => {
    const store: ObjectStore = new MemoryObjectStore();
    const trialLog = new TrialLog(store, { cachedStudies: 1 });
    await trialLog.append('studies/a/', record(0));
    await trialLog.append('studies/b/', record(0));
    await trialLog.read('studies/a/', 1);
    await trialLog.read('studies/b/', 1);
    await store.delete(trialRecordKey('studies/a/', 0));
    // a was evicted when b was read: it is read again, and is now missing.
    await expect(trialLog.read('studies/a/', 1)).rejects.toThrow(TrialLogError);
    expect(await trialLog.read('studies/b/', 1)).toHaveLength(1);
  });
});
