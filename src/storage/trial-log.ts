/**
 * A study's trial records in the object store (layout in src/core/trial-log.ts). Records are
 * immutable once written — a retried write puts the same bytes — so what this process has read
 * once is kept and never re-read: a warm suggest reads only the trials it has not seen.
 */
import { logPositionOf, type TrialRecord } from '../core/study.js';
import { trialLogSegmentSize, trialRecordKey, trialSegmentKey } from '../core/trial-log.js';
import type { ObjectStore } from './object-store.js';

/** A record the log should hold is missing or unreadable: retrying may help (a write in flight). */
export class TrialLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrialLogError';
  }
}

export interface TrialLogOptions {
  /** Reads in flight at once on a cold read. @default 16 */
  readonly concurrency?: number;
  /** Studies whose records stay in memory (least recently used dropped first). @default 8 */
  readonly cachedStudies?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseRecords(body: Uint8Array, key: string): TrialRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch (error) {
    throw new TrialLogError(`${key} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return Array.isArray(value) ? (value as TrialRecord[]) : [value as TrialRecord];
}

export class TrialLog {
  private readonly concurrency: number;
  private readonly cachedStudies: number;
  /** Per log prefix, records 0..k−1 in order (only complete prefixes are kept). */
  private readonly cache = new Map<string, TrialRecord[]>();

  constructor(
    private readonly store: ObjectStore,
    options: TrialLogOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.cachedStudies = options.cachedStudies ?? 8;
  }

  /**
   * Writes one record; the record that completes a segment also writes the segment. Idempotent:
   * the same record written twice leaves the same objects.
   */
  async append(trialLog: string, record: TrialRecord): Promise<void> {
    const index = logPositionOf(record);
    if (!Number.isSafeInteger(index) || index < 0)
      throw new RangeError(`the log position must be an integer >= 0, got ${index}`);
    await this.store.put(trialRecordKey(trialLog, index), encoder.encode(JSON.stringify(record)), 'application/json');
    if ((index + 1) % trialLogSegmentSize === 0) {
      const segment = (index + 1) / trialLogSegmentSize - 1;
      const records = await this.read(trialLog, index + 1, { from: segment * trialLogSegmentSize });
      await this.store.put(
        trialSegmentKey(trialLog, segment),
        encoder.encode(JSON.stringify(records)),
        'application/json',
      );
    }
  }

  /** Writes many records at once (a study migrated from inline records), segments included. */
  async appendAll(trialLog: string, records: readonly TrialRecord[]): Promise<void> {
    await this.forEachConcurrently(records, (record) =>
      this.store.put(
        trialRecordKey(trialLog, logPositionOf(record)),
        encoder.encode(JSON.stringify(record)),
        'application/json',
      ),
    );
    for (let start = 0; start + trialLogSegmentSize <= records.length; start += trialLogSegmentSize) {
      const segment = records.slice(start, start + trialLogSegmentSize);
      await this.store.put(
        trialSegmentKey(trialLog, start / trialLogSegmentSize),
        encoder.encode(JSON.stringify(segment)),
        'application/json',
      );
    }
  }

  /**
   * Records `from`..`count`−1 in log order (the order trials finished). Whole segments are read as one object each; a
   * segment not written yet (its last record's write was interrupted) falls back to its records.
   * @param onProgress called between requests (activities heartbeat there)
   * @throws {TrialLogError} when a record is missing or damaged
   */
  async read(
    trialLog: string,
    count: number,
    options: { from?: number; onProgress?: () => void } = {},
  ): Promise<TrialRecord[]> {
    const from = options.from ?? 0;
    const known = this.cache.get(trialLog) ?? [];
    const records = known.slice(0, count);
    // Least recently used goes first: re-insert on every read.
    this.cache.delete(trialLog);
    this.cache.set(trialLog, known);
    let next = records.length;
    while (next < count) {
      const segment = Math.floor(next / trialLogSegmentSize);
      const segmentEnd = (segment + 1) * trialLogSegmentSize;
      if (next % trialLogSegmentSize === 0 && segmentEnd <= count) {
        const body = await this.store.get(trialSegmentKey(trialLog, segment));
        options.onProgress?.();
        if (body !== null) {
          records.push(...this.checked(parseRecords(body, trialSegmentKey(trialLog, segment)), next));
          next = segmentEnd;
          continue;
        }
      }
      const end = Math.min(count, segmentEnd);
      const indices = Array.from({ length: end - next }, (_, offset) => next + offset);
      const batch = new Array<TrialRecord>(indices.length);
      await this.forEachConcurrently(indices, async (index, at) => {
        const key = trialRecordKey(trialLog, index);
        const body = await this.store.get(key);
        if (body === null) throw new TrialLogError(`trial ${index} is missing from the trial log (${key})`);
        batch[at] = parseRecords(body, key)[0]!;
        options.onProgress?.();
      });
      records.push(...this.checked(batch, next));
      next = end;
    }
    if (records.length > known.length) this.remember(trialLog, records);
    return records.slice(from);
  }

  private checked(records: readonly TrialRecord[], first: number): readonly TrialRecord[] {
    records.forEach((record, offset) => {
      const position = record === undefined || record === null ? undefined : logPositionOf(record);
      if (position !== first + offset) {
        throw new TrialLogError(
          `the trial log holds record ${String(position)} where record ${first + offset} belongs`,
        );
      }
    });
    return records;
  }

  private remember(trialLog: string, records: TrialRecord[]): void {
    this.cache.delete(trialLog);
    this.cache.set(trialLog, records);
    while (this.cache.size > this.cachedStudies) this.cache.delete(this.cache.keys().next().value!);
  }

  private async forEachConcurrently<T>(items: readonly T[], action: (item: T, index: number) => Promise<void>) {
    let next = 0;
    const lane = async () => {
      while (next < items.length) {
        const index = next++;
        await action(items[index]!, index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, lane));
  }
}
