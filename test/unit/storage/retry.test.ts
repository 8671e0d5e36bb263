import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  isStoreFull,
  isStoreRefusal,
  isTransientError,
  OutageClock,
  retryDelayMs,
  retryingStore,
  retryMaxDelayMs,
  retryUntilCancelled,
} from '../../../src/storage/retry.js';
import { accessDenied, connectionRefused, FlakyStore } from './flaky-store.js';

const tiny = { initialDelayMs: 1, maxDelayMs: 4 };
const bytes = (...values: number[]) => new Uint8Array(values);

afterEach(() => {
  vi.useRealTimers();
});

describe('retryDelayMs', () => {
  it('doubles from 0.5 s and stays at the 10 s cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((failures) => retryDelayMs(failures))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
    expect(retryMaxDelayMs).toBe(10_000);
  });
});

describe('isTransientError', () => {
  const status = (httpStatusCode: number, name = 'S3ServiceException') =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
  it.each([
    ['connection refused', connectionRefused(), true],
    ['connection reset mid-body', Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), true],
    ['a 500', status(500, 'InternalError'), true],
    ['a 503 SlowDown', status(503, 'SlowDown'), true],
    ['a 429', status(429), true],
    ['throttling by name only', Object.assign(new Error('slow down'), { name: 'ThrottlingException' }), true],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['every address refused', new AggregateError([connectionRefused(), connectionRefused()]), true],
    ['a wrapped network error', new Error('request failed', { cause: connectionRefused() }), true],
    ['403 AccessDenied', accessDenied(), false],
    ['404 NoSuchBucket', status(404, 'NoSuchBucket'), false],
    ['a plain error', new Error('bug'), false],
    ['a TypeError', new TypeError('x is not a function'), false],
    ['not an error', 'ECONNREFUSED', false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isTransientError(error)).toBe(expected);
  });
});

describe('isStoreRefusal', () => {
  const status = (httpStatusCode: number, name = 'S3ServiceException') =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
  it.each([
    ['403 AccessDenied', accessDenied(), true],
    ['a rejected signature', status(403, 'SignatureDoesNotMatch'), true],
    ['an unknown key (by name only)', Object.assign(new Error('x'), { name: 'InvalidAccessKeyId' }), true],
    ['an expired token', status(400, 'ExpiredToken'), true],
    ['a missing bucket', status(404, 'NoSuchBucket'), true],
    ['a 401', status(401), true],
    [
      'no credentials found',
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      true,
    ],
    ['no region', new Error('Region is missing'), true],
    ['wrapped', new Error('read failed', { cause: accessDenied() }), true],
    ['an outage', connectionRefused(), false],
    ['a 500', status(500, 'InternalError'), false],
    ['a 404 object', status(404, 'NoSuchKey'), false],
    ['a plain error', new Error('bug'), false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isStoreRefusal(error)).toBe(expected);
  });
});

describe('isStoreFull', () => {
  const status = (httpStatusCode: number, name = 'S3ServiceException') =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
  it.each([
    ["Ceph's 403 QuotaExceeded", status(403, 'QuotaExceeded'), true],
    ["MinIO's 507 XMinioStorageFull", status(507, 'XMinioStorageFull'), true],
    ['any 507', status(507), true],
    ['wrapped', new Error('upload failed', { cause: status(507, 'XMinioStorageFull') }), true],
    ['403 AccessDenied', accessDenied(), false],
    ['a 503', status(503, 'SlowDown'), false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isStoreFull(error)).toBe(expected);
  });

  it('is a refusal (the study ends with advice to free space), never an outage to wait out', () => {
    const full = status(507, 'XMinioStorageFull');
    expect(isStoreRefusal(full)).toBe(true);
    expect(isTransientError(full)).toBe(false);
    // Other 5xx answers stay outages.
    expect(isTransientError(status(503, 'SlowDown'))).toBe(true);
  });
});

describe('retryUntilCancelled', () => {
  it('retries transient failures until the call succeeds, reporting each wait', async () => {
    let calls = 0;
    const waits: number[] = [];
    const value = await retryUntilCancelled(
      () => (++calls < 6 ? Promise.reject(connectionRefused()) : Promise.resolve('ok')),
      { ...tiny, onWait: ({ delayMs }) => waits.push(delayMs) },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(6);
    expect(waits).toEqual([1, 2, 4, 4, 4]);
  });

  it('never gives up on its own: keeps retrying through a 10-minute outage at most every 10 s', async () => {
    vi.useFakeTimers();
    const outageEnds = Date.now() + 10 * 60_000;
    let calls = 0;
    const result = retryUntilCancelled(() => {
      calls++;
      return Date.now() < outageEnds ? Promise.reject(connectionRefused()) : Promise.resolve('back');
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000 + 10_000);
    await expect(result).resolves.toBe('back');
    // 0.5 + 1 + 2 + 4 + 8 s, then one call every 10 s.
    expect(calls).toBeGreaterThanOrEqual(60);
    expect(calls).toBeLessThanOrEqual(66);
  });

  it('rethrows an error retrying cannot heal at once', async () => {
    let calls = 0;
    const denied = accessDenied();
    await expect(
      retryUntilCancelled(() => {
        calls++;
        return Promise.reject(denied);
      }, tiny),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it("stops with the signal's reason when cancelled while waiting or while a call hangs", async () => {
    const waiting = new AbortController();
    const reason = new Error('cancelled');
    const retried = retryUntilCancelled(() => Promise.reject(connectionRefused()), {
      signal: waiting.signal,
      initialDelayMs: 60_000,
    });
    setTimeout(() => waiting.abort(reason), 5);
    await expect(retried).rejects.toBe(reason);

    const hanging = new AbortController();
    const stuck = retryUntilCancelled(() => new Promise<never>(() => undefined), { signal: hanging.signal });
    setTimeout(() => hanging.abort(reason), 5);
    await expect(stuck).rejects.toBe(reason);
  });

  it('records the outage from the start of the first failed call to the start of the one that succeeded', async () => {
    let now = 0;
    const outages = new OutageClock(() => now);
    let calls = 0;
    await retryUntilCancelled(
      () => {
        calls++;
        now += 1000;
        return calls < 3 ? Promise.reject(connectionRefused()) : Promise.resolve();
      },
      { ...tiny, outages },
    );
    // Calls started at 0, 1000 (failed) and 2000 (succeeded, took until 3000).
    expect(now).toBe(3000);
    expect(outages.msBetween(0)).toBe(2000);
  });
});

describe('OutageClock', () => {
  it('counts overlapping waits once and clips them to the window asked for', () => {
    let now = 100;
    const outages = new OutageClock(() => now);
    outages.begin(10)(30);
    outages.begin(20)(50);
    const open = outages.begin(80);
    expect(outages.msBetween(0)).toBe(40 + 20);
    expect(outages.msBetween(25, 90)).toBe(25 + 10);
    now = 120;
    open();
    expect(outages.msBetween(0, 1000)).toBe(40 + 40);
  });
});

describe('retryingStore', () => {
  it('retries reads and writes through an outage and treats "not found" as an answer, not an error', async () => {
    const store = new FlakyStore();
    const resilient = retryingStore(store, tiny);
    store.failNext(5);
    await resilient.put('a', bytes(1, 2));
    store.failNext(5);
    expect(await resilient.get('a')).toEqual(bytes(1, 2));
    const before = store.calls.length;
    expect(await resilient.get('missing')).toBeNull();
    expect(await resilient.getStream('missing')).toBeNull();
    expect(store.calls.length - before).toBe(2);
  });

  it('resumes a stream that breaks mid-way where it stopped, so the reader sees every byte once', async () => {
    const store = new FlakyStore();
    const body = new Uint8Array(100).map((_, index) => index);
    await store.inner.put('data', body);
    store.breakStreamsAfter(10, 40);
    const waits: number[] = [];
    const stream = await retryingStore(store, { ...tiny, onWait: ({ failures }) => waits.push(failures) }).getStream(
      'data',
    );
    const chunks: Buffer[] = [];
    for await (const chunk of stream!) chunks.push(chunk as Buffer);
    expect(new Uint8Array(Buffer.concat(chunks))).toEqual(body);
    expect(store.calls.filter((call) => call.op === 'getStream')).toHaveLength(3);
    expect(waits).toEqual([1, 1]);
  });
});
