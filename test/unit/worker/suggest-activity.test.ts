import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities/index.js';
import { FailureType } from '../../../src/core/errors.js';
import type { SuggestRequest, Suggestion } from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import { SuggestPool, SuggestThreadError } from '../../../src/worker/suggest-pool.js';
import { mixedSpace, request } from '../optimizer/fixtures.js';
import { rejection } from './fixtures/rejection.js';

const quiet = new DefaultLogger('ERROR');

/** The suggestFromLog input for a study with an empty trial log. */
function fromLog(overrides: Partial<SuggestRequest> = {}) {
  const { history: _history, ...rest } = request(mixedSpace, [], 'eeipu', overrides);
  return { ...rest, trialLog: 'studies/s/', trials: 0 };
}

describe('the suggest activities with a thread pool', () => {
  const pool = new SuggestPool({ suggestModule: new URL('./fixtures/test-suggest.ts', import.meta.url) });
  const activities = createActivities({ store: new MemoryObjectStore(), suggest: pool.suggest });
  afterAll(() => pool.close());

  it('heartbeats, and leaves the event loop free, while the thread computes', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 600 }, { logger: quiet });
    const heartbeatTimes: number[] = [];
    env.on('heartbeat', () => heartbeatTimes.push(performance.now()));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const started = performance.now();
    try {
      const suggestion: Suggestion = await env.run(activities.suggestFromLog, fromLog({ state: { blockMs: 1_500 } }));
      expect(suggestion.config).toEqual(suggest(request(mixedSpace, [], 'eeipu')).config);
    } finally {
      clearInterval(ticker);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    // Every 200 ms (a third of the timeout) while the thread was busy for 1.5 s.
    expect(heartbeatTimes.filter((time) => time - started > 250).length).toBeGreaterThanOrEqual(4);
    expect(ticks).toBeGreaterThanOrEqual(15);
  });

  it('refuses an invalid request for good, with the optimizer message', async () => {
    const invalid = fromLog({ seed: 0.5 });
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const failure = await rejection(() => env.run(activities.suggestFromLog, invalid));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: FailureType.InvalidSuggestRequest,
      nonRetryable: true,
      message: 'seed must be a safe integer',
    });
  });

  it('stops the computation when the activity is cancelled, and the next suggestion works', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000 }, { logger: quiet });
    const running = rejection(() => env.run(activities.suggestFromLog, fromLog({ state: { blockMs: 120_000 } })));
    setTimeout(() => env.cancel(), 300);
    expect(await running).toBeInstanceOf(CancelledFailure);
    const next = new MockActivityEnvironment({}, { logger: quiet });
    const started = performance.now();
    const suggestion: Suggestion = await next.run(activities.suggestNext, request(mixedSpace, [], 'ei'));
    expect(suggestion.config).toEqual(suggest(request(mixedSpace, [], 'ei')).config);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('fails retryably when the thread dies', async () => {
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const failure = await rejection(() => env.run(activities.suggestFromLog, fromLog({ state: { exitCode: 9 } })));
    expect(failure).toBeInstanceOf(SuggestThreadError);
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
  });
});
