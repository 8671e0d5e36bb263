/**
 * Suggestions off the event loop: a small pool of worker threads that run the optimizer's
 * `suggest`. A suggestion is CPU-bound for up to seconds; computed on the worker's own event loop
 * it would stall everything else the process does meanwhile — stage activities' heartbeats,
 * workflow tasks, queries. Each thread keeps the optimizer (and its WebAssembly module) loaded
 * and computes one suggestion at a time; a call that is aborted terminates its thread, since
 * synchronous code cannot be interrupted any other way, and the next call starts a fresh one.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SuggestRequest, Suggestion } from '../core/types.js';

export interface SuggestPoolOptions {
  /** Threads, each computing one suggestion at a time; further calls wait for a free one. @default 1 */
  readonly threads?: number;
  /**
   * Module whose `suggest(request)` export the threads run instead of memotune's optimizer (tests
   * use a slowed-down one): a URL, or an absolute path. @default the optimizer
   */
  readonly suggestModule?: string | URL;
  /**
   * Bytes of Cholesky factors each thread keeps between a study's suggestions (0: none). A
   * suggestion on a long study then factors only the trials added since the last one; the
   * factors of a 4,000-trial study take up to ~100 MB, of an 8,000-trial one ~400 MB.
   * @default 1 GiB
   */
  readonly factorCacheBytes?: number;
  /**
   * Where a thread's warnings go (a factor too large for the cache). `createWorkers` passes the
   * Runtime's logger, so they are log lines like the rest. @default console.warn
   */
  readonly onWarning?: (message: string) => void;
}

/**
 * A suggestion that did not come back because its thread died (a crash, an out-of-memory abort,
 * the pool closing): a fault of the process, not of the request, so worth retrying.
 */
export class SuggestThreadError extends Error {
  override readonly name = 'SuggestThreadError';
}

/** What the pool posts to a thread. */
export interface SuggestThreadJob {
  readonly id: number;
  readonly request: SuggestRequest;
}

/** What a thread posts back: the suggestion, or the error `suggest` threw (name, message, stack). */
export type SuggestThreadReply =
  | { readonly id: number; readonly suggestion: Suggestion; readonly warning?: string }
  | {
      readonly id: number;
      readonly error: { readonly name: string; readonly message: string; readonly stack?: string };
    };

/** A thread's `workerData`. */
export interface SuggestThreadData {
  readonly suggestModule?: string;
  readonly factorCacheBytes?: number;
}

interface Job {
  readonly id: number;
  readonly request: SuggestRequest;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (suggestion: Suggestion) => void;
  readonly reject: (error: unknown) => void;
  /** Removes the abort listener; called once the job settles. */
  dispose(): void;
}

interface Slot {
  thread: Worker | null;
  job: Job | null;
  /** Which study the thread computed its last suggestion for ({@link studyAffinity}). */
  lastStudy: string | null;
}

/**
 * What tells one study's requests from another's without a study id: its search space and its
 * first trial. A thread keeps the factors of the studies it served (src/gp/factor-cache.ts), so a
 * study's next suggestion goes to the free thread that computed its last one when there is one.
 */
function studyAffinity(request: SuggestRequest): string {
  try {
    return JSON.stringify([request.space, request.history?.[0]?.config ?? null, request.seed]);
  } catch {
    // Not plain JSON: the thread's suggest refuses it; any thread will do.
    return '';
  }
}

/** The error `suggest` threw in the thread, as the same built-in type where that matters. */
function rebuiltError({ name, message, stack }: { name: string; message: string; stack?: string }): Error {
  const ErrorType = name === 'RangeError' ? RangeError : name === 'TypeError' ? TypeError : Error;
  const error = new ErrorType(message);
  error.name = name;
  if (stack !== undefined) error.stack = stack;
  return error;
}

/**
 * The thread's entry point. From the compiled package it is the `.js`
 * beside this module. From the TypeScript sources (vitest, `bin/run-ts.js`) a plain thread cannot
 * load `.ts`, so a one-line bootstrap registers tsx — a devDependency, present only in a clone —
 * inside the thread before importing the entry; compiled code never takes this branch.
 */
function threadEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./suggest-thread.js', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./suggest-thread.ts', import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/**
 * Runs `suggest` on worker threads. Pass {@link SuggestPool.suggest} wherever a suggest function
 * is expected (`createActivities({ suggest: pool.suggest })`); {@link SuggestPool.close} ends the
 * threads. Idle threads never keep the process alive.
 */
export class SuggestPool {
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  readonly #data: SuggestThreadData;
  readonly #onWarning: (message: string) => void;
  #nextId = 0;
  #closed = false;

  constructor(options: SuggestPoolOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError('threads must be an integer >= 1');
    const cacheBytes = options.factorCacheBytes;
    if (cacheBytes !== undefined && !(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0)) {
      throw new RangeError('factorCacheBytes must be an integer >= 0');
    }
    this.#slots = Array.from({ length: threads }, () => ({ thread: null, job: null, lastStudy: null }));
    this.#onWarning = options.onWarning ?? ((message) => console.warn(message));
    const module = options.suggestModule;
    this.#data = {
      ...(module === undefined
        ? {}
        : {
            suggestModule:
              typeof module === 'string' && isAbsolute(module) ? pathToFileURL(module).href : String(module),
          }),
      ...(cacheBytes === undefined ? {} : { factorCacheBytes: cacheBytes }),
    };
  }

  /**
   * The suggestion for `request`, computed on a thread. Rejects with what `suggest` threw
   * (RangeError/TypeError kept as such), with a {@link SuggestThreadError} when the thread died,
   * and with `signal.reason` once `signal` aborts — which terminates the thread mid-computation.
   */
  readonly suggest = (request: SuggestRequest, signal?: AbortSignal): Promise<Suggestion> =>
    new Promise<Suggestion>((resolve, reject) => {
      if (this.#closed) return reject(new SuggestThreadError('the suggest pool is closed'));
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => this.#abort(job);
      const job: Job = {
        id: this.#nextId++,
        request,
        signal,
        resolve,
        reject,
        dispose: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(job);
      this.#dispatch();
    });

  /** Terminates every thread; calls still waiting or running reject with a {@link SuggestThreadError}. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) this.#settle(job, new SuggestThreadError('the suggest pool is closed'));
    await Promise.all(
      this.#slots.map((slot) => {
        const job = slot.job;
        slot.job = null;
        if (job !== null) this.#settle(job, new SuggestThreadError('the suggest pool is closed'));
        return this.#stop(slot);
      }),
    );
  }

  #dispatch(): void {
    for (;;) {
      const free = this.#slots.filter((slot) => slot.job === null);
      const job = free.length > 0 ? this.#queue.shift() : undefined;
      if (job === undefined) return;
      const study = studyAffinity(job.request);
      // Its own thread, else one that holds no other study's factors, else the first free.
      const slot =
        free.find((candidate) => candidate.lastStudy === study) ??
        free.find((candidate) => candidate.lastStudy === null) ??
        free[0]!;
      slot.lastStudy = study;
      slot.job = job;
      const thread = (slot.thread ??= this.#start(slot));
      // A computing thread holds the process open like any pending I/O; an idle one does not.
      thread.ref();
      thread.postMessage({ id: job.id, request: job.request } satisfies SuggestThreadJob);
    }
  }

  #start(slot: Slot): Worker {
    const thread = new Worker(threadEntry(), { workerData: this.#data });
    thread.unref();
    thread.on('message', (reply: SuggestThreadReply) => {
      const job = slot.job;
      if (slot.thread !== thread || job === null || job.id !== reply.id) return;
      slot.job = null;
      thread.unref();
      if ('error' in reply) this.#settle(job, rebuiltError(reply.error));
      else {
        if (reply.warning !== undefined) this.#onWarning(reply.warning);
        job.dispose();
        job.resolve(reply.suggestion);
      }
      this.#dispatch();
    });
    // 'error' (an uncaught exception, a failed import) is followed by 'exit'; both mean the thread is gone.
    let cause: unknown;
    thread.on('error', (error) => {
      cause = error;
    });
    thread.on('exit', (code) => {
      if (slot.thread !== thread) return;
      slot.thread = null;
      slot.lastStudy = null;
      const job = slot.job;
      slot.job = null;
      if (job !== null) {
        const reason = cause instanceof Error ? `: ${cause.message}` : '';
        this.#settle(job, new SuggestThreadError(`the suggest thread exited with code ${code}${reason}`, { cause }));
      }
      this.#dispatch();
    });
    return thread;
  }

  /** An aborted job: dropped from the queue, or its thread terminated (then replaced on demand). */
  #abort(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) this.#queue.splice(queued, 1);
    const slot = this.#slots.find((candidate) => candidate.job === job);
    if (slot !== undefined) {
      slot.job = null;
      void this.#stop(slot);
    }
    this.#settle(job, job.signal?.reason);
    this.#dispatch();
  }

  async #stop(slot: Slot): Promise<void> {
    const thread = slot.thread;
    slot.thread = null;
    slot.lastStudy = null;
    if (thread !== null) await thread.terminate();
  }

  #settle(job: Job, error: unknown): void {
    job.dispose();
    job.reject(error);
  }
}
