/**
 * Infrastructure calls (the object store) retried until they succeed or the caller is cancelled.
 *
 * A stage's Temporal attempts belong to the stage's own code: an S3 outage that made `runStage`
 * fail would use them up, record the trial failed and send the study down another path. So
 * `runStage` wraps its store in {@link retryingStore}: a transient failure (connection refused or
 * reset, a timeout, a 5xx, throttling) is retried with capped exponential backoff for as long as
 * it takes, while the activity keeps heartbeating on its own timer; only a cancellation (a
 * timeout, a stopped study, a worker shutdown) ends the wait. Errors that retrying cannot heal
 * (a 403, a missing bucket, a bug) propagate at once. "Not found" is not an error at all: the
 * store returns `null` for it.
 */
import { Readable } from 'node:stream';
import type { ObjectStore } from './object-store.js';

/** First wait after a failed call, in ms. */
export const retryInitialDelayMs = 500;

/**
 * Longest wait between two calls, in ms (0.5, 1, 2, 4, 8, 10, 10, ... s). Why 10 s: once the
 * outage ends the stage resumes within 10 s, which is small next to any outage worth retrying,
 * while a server that stays down for hours gets one request per waiting attempt every 10 s. The
 * activity's heartbeats run on their own timer, so the cap need not fit the heartbeat timeout.
 */
export const retryMaxDelayMs = 10_000;

/** The backoff of {@link retryUntilCancelled}. */
export interface RetrySettings {
  /** @default {@link retryInitialDelayMs} */
  readonly initialDelayMs?: number;
  /** @default {@link retryMaxDelayMs} */
  readonly maxDelayMs?: number;
}

/** The wait after the `failures`-th consecutive failure (1-based): doubling from the initial delay, capped. */
export function retryDelayMs(failures: number, settings: RetrySettings = {}): number {
  const initial = settings.initialDelayMs ?? retryInitialDelayMs;
  const max = settings.maxDelayMs ?? retryMaxDelayMs;
  return Math.min(max, initial * 2 ** Math.min(Math.max(0, failures - 1), 40));
}

// Node and undici error codes of a connection that failed, broke or timed out.
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// S3 (and AWS SDK) error names that mean "busy or briefly unavailable, try again".
const transientNames = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalError',
  'TimeoutError',
]);

/**
 * Whether an object-store error is an outage that retrying can outlast: a network failure (no
 * HTTP answer), an HTTP 5xx, 408 or 429, or a throttling/timeout error name. Any other answer of
 * the server (403 AccessDenied, NoSuchBucket, ...) and any non-network error is permanent.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isTransientError);
  const { name, code, $metadata, cause } = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    cause?: unknown;
  };
  if (typeof name === 'string' && transientNames.has(name)) return true;
  if (typeof code === 'string' && (transientCodes.has(code) || transientNames.has(code))) return true;
  // A full store answers 507 (MinIO): waiting does not free space, someone must.
  if (isStoreFull(error)) return false;
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 408 || status === 429;
  return cause !== undefined && cause !== error && isTransientError(cause);
}

// S3 error names that say the caller's settings or credentials are wrong (and the SDK's own, for none at all).
const refusalNames = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'NoSuchBucket',
  'InvalidBucketName',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);

// S3-compatible servers' names for a store out of space or over its quota (Ceph RGW, MinIO, WebDAV's 507).
const fullNames = new Set([
  'QuotaExceeded',
  'XMinioStorageFull',
  'XMinioAdminBucketQuotaExceeded',
  'InsufficientStorage',
  'StorageFull',
]);

/** The fields of an S3 error (or one in its `cause` chain) the store's classifications read. */
interface StoreErrorFields {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Whether `test` holds for the error or one in its `cause` chain (8 deep at most). */
function inCauseChain(error: unknown, test: (at: StoreErrorFields) => boolean): boolean {
  for (let at: unknown = error, depth = 0; typeof at === 'object' && at !== null && depth < 8; depth++) {
    if (test(at as StoreErrorFields)) return true;
    const { cause } = at as { cause?: unknown };
    at = cause === at ? undefined : cause;
  }
  return false;
}

/** Whether the error's name or S3 code is one of `names`. */
function named({ name, Code }: StoreErrorFields, names: ReadonlySet<string>): boolean {
  return (typeof name === 'string' && names.has(name)) || (typeof Code === 'string' && names.has(Code));
}

/**
 * Whether an object-store error says the store is full or over its quota (HTTP 507, Ceph's 403
 * `QuotaExceeded`, MinIO's `XMinioStorageFull`), the error itself or one in its `cause` chain. It
 * ends a trial as `StoreRefused` (space must be freed or the quota raised; retrying waited for ever,
 * logged as an unreachable store), with its own advice, not "fix the credentials".
 */
export function isStoreFull(error: unknown): boolean {
  return inCauseChain(error, (at) => named(at, fullNames) || at.$metadata?.httpStatusCode === 507);
}

/**
 * Whether an object-store error says the worker's S3 settings or credentials are wrong (a rejected
 * signature or key, access denied, a missing bucket, no credentials or region) — the error itself or
 * one in its `cause` chain. Such an error ends a trial as `StoreRefused`, not as the stage's failure:
 * a security review saw five trials of a worker with a wrong secret recorded failed, fed to the
 * optimizer as the worst results, and the cache lookup retry forever, out of sight. A full store is one too.
 */
export function isStoreRefusal(error: unknown): boolean {
  return (
    isStoreFull(error) ||
    inCauseChain(
      error,
      (at) =>
        named(at, refusalNames) ||
        // The SDK's own, before any request: no region configured (a bucket on AWS without AWS_REGION).
        (typeof at.message === 'string' && at.message.startsWith('Region is missing')) ||
        at.$metadata?.httpStatusCode === 401 ||
        at.$metadata?.httpStatusCode === 403,
    )
  );
}

/**
 * The time calls spent waiting out outages, so that the stage's cost does not include them
 * (docs/stage-contract.md, cost rule). Several calls may wait at once (a stage reading two earlier
 * outputs in parallel): what counts is the union of their waits.
 */
export class OutageClock {
  private readonly spans: { readonly start: number; end: number | null }[] = [];

  /** @param now milliseconds, the same clock the caller measures the stage with */
  constructor(readonly now: () => number) {}

  /** Marks an outage that began at `start`; call the returned function when it is over. */
  begin(start: number): (end?: number) => void {
    const span: { readonly start: number; end: number | null } = { start, end: null };
    this.spans.push(span);
    return (end = this.now()) => {
      span.end ??= Math.max(start, end);
    };
  }

  /** Whether a call is waiting out an outage now. */
  get waiting(): boolean {
    return this.spans.some((span) => span.end === null);
  }

  /** Milliseconds between `from` and `to` during which at least one call was waiting out an outage. */
  msBetween(from: number, to: number = this.now()): number {
    const clipped = this.spans
      .map(({ start, end }) => [Math.max(start, from), Math.min(end ?? to, to)] as const)
      .filter(([start, end]) => end > start)
      .sort((a, b) => a[0] - b[0]);
    let total = 0;
    let reach = -Infinity;
    for (const [start, end] of clipped) {
      if (end <= reach) continue;
      total += end - Math.max(start, reach);
      reach = end;
    }
    return total;
  }
}

export interface RetryOptions extends RetrySettings {
  /** Ends the retrying: the promise rejects with the signal's reason, also while a call is in flight. */
  readonly signal?: AbortSignal;
  /** Called after each transient failure, before waiting `delayMs` (heartbeat or log here). */
  readonly onWait?: (wait: { readonly error: unknown; readonly failures: number; readonly delayMs: number }) => void;
  /** Which errors to retry. @default {@link isTransientError} */
  readonly isTransient?: (error: unknown) => boolean;
  /** Records how long the calls waited, from the start of the first failed call to the start of the one that succeeded. */
  readonly outages?: OutageClock;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('cancelled');
}

/** `promise`, unless `signal` aborts first (then the signal's reason; the promise is left to settle alone). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `action` until it succeeds, waiting with capped exponential backoff after each transient
 * failure ({@link RetryOptions.isTransient}); never gives up on its own.
 * @throws the first non-transient error unchanged; the signal's reason once it aborts
 */
export async function retryUntilCancelled<T>(action: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { signal, outages } = options;
  const isTransient = options.isTransient ?? isTransientError;
  let failures = 0;
  let endOutage: ((end?: number) => void) | undefined;
  try {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const attemptStart = outages?.now() ?? 0;
      try {
        const value = await unlessAborted(action(), signal);
        endOutage?.(attemptStart);
        return value;
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        if (!isTransient(error)) throw error;
        failures++;
        endOutage ??= outages?.begin(attemptStart);
        const delayMs = retryDelayMs(failures, options);
        options.onWait?.({ error, failures, delayMs });
        await wait(delayMs, signal);
      }
    }
  } finally {
    endOutage?.();
  }
}

/**
 * `store` with every call retried by {@link retryUntilCancelled}. A stream that breaks on a
 * transient error is reopened after the backoff and continues where it stopped (the bytes already
 * delivered are skipped), so a reader sees one uninterrupted stream.
 */
export function retryingStore(store: ObjectStore, options: RetryOptions = {}): ObjectStore {
  const retry = <T>(action: () => Promise<T>) => retryUntilCancelled(action, options);
  return {
    get: (key) => retry(() => store.get(key)),
    put: (key, body, contentType) => retry(() => store.put(key, body, contentType)),
    // Each try opens the body again from its start (a consumed stream cannot be replayed).
    putStream: (key, open, putOptions) => retry(() => store.putStream(key, open, putOptions)),
    // Each try reads the file again from its start, with a fresh check.
    putFile: (key, path, putOptions) => retry(() => store.putFile(key, path, putOptions)),
    exists: (key) => retry(() => store.exists(key)),
    list: (prefix) => retry(() => store.list(prefix)),
    delete: (key) => retry(() => store.delete(key)),
    async getStream(key) {
      const first = await retry(() => store.getStream(key));
      if (first === null) return null;
      const reopen = async () => {
        const source = await retry(() => store.getStream(key));
        if (source === null) throw new Error(`object ${key} disappeared while it was being read`);
        return source;
      };
      return Readable.from(resumingChunks(first, reopen, options), { objectMode: false });
    },
  };
}

async function* resumingChunks(
  first: Readable,
  reopen: () => Promise<Readable>,
  options: RetryOptions,
): AsyncGenerator<Uint8Array> {
  const { signal, outages } = options;
  const isTransient = options.isTransient ?? isTransientError;
  let source = first;
  let delivered = 0;
  let failures = 0;
  try {
    for (;;) {
      let skip = delivered;
      try {
        for await (const chunk of source) {
          let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
          if (skip >= bytes.byteLength) {
            skip -= bytes.byteLength;
            continue;
          }
          if (skip > 0) bytes = bytes.subarray(skip);
          skip = 0;
          delivered += bytes.byteLength;
          failures = 0;
          yield bytes;
        }
        return;
      } catch (error) {
        source.destroy();
        if (signal?.aborted) throw abortReason(signal);
        if (!isTransient(error)) throw error;
        failures++;
        const endOutage = outages?.begin(outages.now());
        try {
          const delayMs = retryDelayMs(failures, options);
          options.onWait?.({ error, failures, delayMs });
          await wait(delayMs, signal);
          source = await reopen();
        } finally {
          endOutage?.();
        }
      }
    }
  } finally {
    source.destroy();
  }
}
