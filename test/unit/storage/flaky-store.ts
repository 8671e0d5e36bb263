import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  MemoryObjectStore,
  type BodySource,
  type ObjectStore,
  type PutFileOptions,
  type PutStreamOptions,
} from '../../../src/storage/object-store.js';

/** What the AWS SDK throws when nothing listens on the S3 port. */
export function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7070'), {
    code: 'ECONNREFUSED',
    $metadata: { attempts: 3 },
  });
}

/** An S3 answer retrying cannot change. */
export function accessDenied(): Error {
  return Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
}

type Operation = 'get' | 'getStream' | 'put' | 'exists' | 'list' | 'delete';

/**
 * A memory store that fails on demand: `failNext(n)` makes the next n calls (of the given
 * operations) throw `error()`; `breakStreamsAfter(bytes)` makes the next stream end with a
 * connection reset after that many bytes. `onFailure` runs on each failure (to advance a fake clock).
 */
export class FlakyStore implements ObjectStore {
  readonly inner = new MemoryObjectStore();
  readonly calls: { op: Operation; key: string; failed: boolean }[] = [];
  onFailure: () => void = () => undefined;
  private failures = 0;
  private failing: readonly Operation[] = [];
  private error: () => Error = connectionRefused;
  private streamBreaks: number[] = [];
  private uploadBreaks: number[] = [];

  failNext(count: number, operations: readonly Operation[] = ['get', 'getStream', 'put'], error = connectionRefused) {
    this.failures = count;
    this.failing = operations;
    this.error = error;
  }

  /** Down until `up()`: every call of these operations fails. */
  down(operations: readonly Operation[] = ['get', 'getStream', 'put'], error = connectionRefused) {
    this.failNext(Number.POSITIVE_INFINITY, operations, error);
  }

  up() {
    this.failures = 0;
  }

  breakStreamsAfter(...bytes: number[]) {
    this.streamBreaks = bytes;
  }

  /** The next streamed writes fail with a broken connection after reading this many bytes of their body. */
  breakUploadsAfter(...bytes: number[]) {
    this.uploadBreaks = bytes;
  }

  failedCalls(op?: Operation): number {
    return this.calls.filter((call) => call.failed && (op === undefined || call.op === op)).length;
  }

  private async call<T>(op: Operation, key: string, action: () => Promise<T>): Promise<T> {
    await Promise.resolve();
    if (this.failures > 0 && this.failing.includes(op)) {
      this.failures--;
      this.calls.push({ op, key, failed: true });
      this.onFailure();
      throw this.error();
    }
    this.calls.push({ op, key, failed: false });
    return action();
  }

  get(key: string) {
    return this.call('get', key, () => this.inner.get(key));
  }

  getStream(key: string) {
    return this.call('getStream', key, async () => {
      const body = await this.inner.get(key);
      if (body === null) return null;
      const breakAfter = this.streamBreaks.shift();
      if (breakAfter === undefined) return Readable.from([body.subarray(0, 3), body.subarray(3)]);
      const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      async function* broken() {
        yield body!.subarray(0, breakAfter);
        throw reset;
      }
      return Readable.from(broken(), { objectMode: false });
    });
  }

  put(key: string, body: Uint8Array) {
    return this.call('put', key, () => this.inner.put(key, body));
  }

  /** A write like `put` (fails with it); `breakUploadsAfter` makes the next bodies break off midway. */
  putStream(key: string, open: BodySource, options?: PutStreamOptions) {
    return this.call('put', key, async () => {
      const breakAfter = this.uploadBreaks.shift();
      if (breakAfter === undefined) return this.inner.putStream(key, open, options);
      // Reads part of the body, then the connection fails: nothing is stored.
      let read = 0;
      const body = open();
      try {
        for await (const chunk of body) {
          read += (chunk as Uint8Array).byteLength;
          if (read >= breakAfter) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
        }
      } finally {
        body.destroy();
      }
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
  }

  /** Like {@link putStream}, from a file: `breakUploadsAfter` makes it break off midway too. */
  putFile(key: string, path: string, options: PutFileOptions) {
    return this.call('put', key, async () => {
      const breakAfter = this.uploadBreaks.shift();
      if (breakAfter === undefined) return this.inner.putFile(key, path, options);
      const check = options.check?.();
      const body = await readFile(path);
      check?.update(body.subarray(0, breakAfter));
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    });
  }

  exists(key: string) {
    return this.call('exists', key, () => this.inner.exists(key));
  }

  list(prefix: string) {
    return this.call('list', prefix, () => this.inner.list(prefix));
  }

  delete(key: string) {
    return this.call('delete', key, () => this.inner.delete(key));
  }
}
