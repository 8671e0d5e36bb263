import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { runWorkers } from '../../../src/worker/run-workers.js';

/** A worker that runs until shut down, or fails when told to. */
function fakeWorker() {
  let state: 'RUNNING' | 'STOPPED' | 'FAILED' = 'RUNNING';
  let end: (error?: Error) => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    end = (error) => (error === undefined ? resolve() : reject(error));
  });
  return {
    worker: {
      run: () => ended,
      getState: () => state,
      shutdown: () => {
        state = 'STOPPED';
        end();
      },
    } as unknown as Worker,
    fail(error: Error) {
      state = 'FAILED';
      end(error);
    },
    state: () => state,
  };
}

describe('runWorkers', () => {
  it('shuts the others down when one fails, waits for them, and rejects with the failure', async () => {
    const [a, b, c] = [fakeWorker(), fakeWorker(), fakeWorker()];
    const running = runWorkers([a.worker, b.worker, c.worker]);
    b.fail(new Error('my worker crashed'));
    await expect(running).rejects.toThrow('my worker crashed');
    expect([a.state(), c.state()]).toEqual(['STOPPED', 'STOPPED']);
  });

  it('shuts all down when its signal aborts and resolves', async () => {
    const [a, b] = [fakeWorker(), fakeWorker()];
    const controller = new AbortController();
    const running = runWorkers([a.worker, b.worker], controller.signal);
    controller.abort();
    await expect(running).resolves.toBeUndefined();
    expect([a.state(), b.state()]).toEqual(['STOPPED', 'STOPPED']);
  });
});
