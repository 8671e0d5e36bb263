import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { MethodName, Observation, SuggestRequest, Suggestion } from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import { SuggestPool, SuggestThreadError } from '../../../src/worker/suggest-pool.js';
import { mixedSpace, observationsFrom, request } from '../optimizer/fixtures.js';
import { rejection } from './fixtures/rejection.js';

const testSuggestModule = new URL('./fixtures/test-suggest.ts', import.meta.url);

/** A history of `length` observations, each the optimizer's own suggestion given the ones before. */
function historyOf(length: number, method: MethodName): Observation[] {
  const history: Observation[] = [];
  while (history.length < length) {
    const next = suggest(request(mixedSpace, history, method));
    history.push(...observationsFrom([next.config], next.phase));
  }
  return history;
}

/** The suggestion without its timings (diagnostics `…Ms`), as exact text: distinct doubles print differently. */
function exact(suggestion: Suggestion): string {
  const diagnostics = Object.fromEntries(Object.entries(suggestion.diagnostics).filter(([key]) => !key.endsWith('Ms')));
  return JSON.stringify({ ...suggestion, diagnostics });
}

describe('SuggestPool', () => {
  const pool = new SuggestPool();
  const testPool = new SuggestPool({ suggestModule: testSuggestModule });
  afterAll(async () => {
    await pool.close();
    await testPool.close();
  });

  it('suggests bit for bit what the optimizer suggests in-process, in the warm-up and BO phases', async () => {
    const eeipuHistory = historyOf(8, 'eeipu');
    const requests: SuggestRequest[] = [
      request(mixedSpace, [], 'eeipu'),
      request(mixedSpace, eeipuHistory.slice(0, 3), 'eeipu'),
      request(mixedSpace, eeipuHistory, 'eeipu'),
      request(mixedSpace, historyOf(7, 'ei'), 'ei'),
      request(mixedSpace, historyOf(7, 'carbo'), 'carbo', { direction: 'minimize' }),
      request(mixedSpace, eeipuHistory, 'random', { seed: 5 }),
    ];
    const phases: string[] = [];
    for (const each of requests) {
      const pooled = await pool.suggest(each);
      expect(exact(pooled)).toBe(exact(suggest(each)));
      phases.push(pooled.phase);
    }
    expect(phases).toEqual(['warmup', 'warmup', 'bo', 'bo', 'bo', 'bo']);
  });

  it('rejects with the error the optimizer throws, of the same type and message', async () => {
    const cases: SuggestRequest[] = [
      request(mixedSpace, [], 'eeipu', { seed: 1.5 }),
      request(mixedSpace, [], 'eeipu', { settings: { method: 'nope' as MethodName } }),
      { ...request(mixedSpace, [], 'eeipu'), history: null as unknown as Observation[] },
    ];
    const types: string[] = [];
    for (const each of cases) {
      const inProcess = await rejection(async () => suggest(each));
      const pooled = await rejection(() => pool.suggest(each));
      expect(inProcess).toBeInstanceOf(Error);
      expect(pooled).toBeInstanceOf((inProcess as Error).constructor);
      expect((pooled as Error).message).toBe((inProcess as Error).message);
      types.push((pooled as Error).name);
    }
    expect(types).toEqual(['RangeError', 'RangeError', 'TypeError']);
  });

  it('terminates the thread of an aborted suggestion and starts a fresh one for the next call', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const started = performance.now();
    const aborted = rejection(() =>
      testPool.suggest(request(mixedSpace, [], 'eeipu', { state: { blockMs: 120_000 } }), controller.signal),
    );
    setTimeout(() => controller.abort(reason), 300);
    expect(await aborted).toBe(reason);
    // The only thread was busy for two minutes: the next call gets an answer only from a new one.
    const next = request(mixedSpace, historyOf(6, 'eeipu'), 'eeipu');
    expect(exact(await testPool.suggest(next))).toBe(exact(suggest(next)));
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const reason = new Error('too late');
    expect(await rejection(() => pool.suggest(request(mixedSpace, [], 'eeipu'), AbortSignal.abort(reason)))).toBe(
      reason,
    );
  });

  it('reports a thread that dies as a SuggestThreadError (retryable) and recovers', async () => {
    const crashed = await rejection(() =>
      testPool.suggest(request(mixedSpace, [], 'eeipu', { state: { exitCode: 7 } })),
    );
    expect(crashed).toBeInstanceOf(SuggestThreadError);
    expect((crashed as Error).message).toMatch(/exited with code 7/);
    const next = request(mixedSpace, [], 'ei');
    expect(exact(await testPool.suggest(next))).toBe(exact(suggest(next)));
  });

  it('queues calls beyond its threads and answers each', async () => {
    const twoThreads = new SuggestPool({ threads: 2 });
    try {
      const requests = [0, 1, 2, 3, 4].map((seed) => request(mixedSpace, [], 'eeipu', { seed }));
      const answers = await Promise.all(requests.map((each) => twoThreads.suggest(each)));
      expect(answers.map(exact)).toEqual(requests.map((each) => exact(suggest(each))));
    } finally {
      await twoThreads.close();
    }
  });

  it('rejects calls running, waiting or made after close', async () => {
    const closing = new SuggestPool({ suggestModule: testSuggestModule });
    const running = rejection(() => closing.suggest(request(mixedSpace, [], 'eeipu', { state: { blockMs: 60_000 } })));
    const waiting = rejection(() => closing.suggest(request(mixedSpace, [], 'eeipu')));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await closing.close();
    expect(await running).toBeInstanceOf(SuggestThreadError);
    expect(await waiting).toBeInstanceOf(SuggestThreadError);
    expect(await rejection(() => closing.suggest(request(mixedSpace, [], 'eeipu')))).toBeInstanceOf(SuggestThreadError);
  });

  it("sends a study's suggestion to the free thread that computed its last one (where its GP factors are kept)", async () => {
    const twoThreads = new SuggestPool({ threads: 2, suggestModule: testSuggestModule });
    const threadOf = async (seed: number, blockMs = 0) => {
      const suggestion = await twoThreads.suggest(
        request(mixedSpace, [], 'eeipu', { seed, state: { reportThread: true, blockMs } }),
      );
      return (suggestion.diagnostics as { threadId?: number }).threadId;
    };
    try {
      // Two studies at once take a thread each; then each alone goes back to its own, although
      // the first free thread is the first study's.
      const [first, second] = await Promise.all([threadOf(1, 300), threadOf(2, 300)]);
      expect(first).not.toBe(second);
      expect(await threadOf(2)).toBe(second);
      expect(await threadOf(1)).toBe(first);
      expect(await threadOf(2)).toBe(second);
    } finally {
      await twoThreads.close();
    }
  });

  it('refuses a thread count that is not a positive integer, and a factor cache size that is not bytes', () => {
    expect(() => new SuggestPool({ threads: 0 })).toThrow('threads must be an integer >= 1');
    expect(() => new SuggestPool({ threads: 1.5 })).toThrow('threads must be an integer >= 1');
    expect(() => new SuggestPool({ factorCacheBytes: -1 })).toThrow('factorCacheBytes must be an integer >= 0');
    expect(() => new SuggestPool({ factorCacheBytes: 0.5 })).toThrow('factorCacheBytes must be an integer >= 0');
  });

  it('does not keep a process alive once idle, even unclosed', async () => {
    const script = fileURLToPath(new URL('./fixtures/unclosed-pool.ts', import.meta.url));
    const runTs = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [runTs, script], { timeout: 30_000 });
    expect(stdout.trim()).toBe('warmup');
  });
});
