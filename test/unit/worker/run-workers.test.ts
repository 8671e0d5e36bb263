import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { NativeConnection } from '@temporalio/worker';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import { createWorkers, runWorkers, type WorkersOptions } from '../../../src/worker/run-workers.js';
import { checkOptionKeys, keysOf } from '../../../src/core/option-keys.js';

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

describe('createWorkers refuses, before connecting, options that would misroute stages', () => {
  const connection = {} as NativeConnection;
  const store = new MemoryObjectStore();
  it.each([
    [{ connection, store, queus: ['orchestration'] }, "createWorkers: unknown option 'queus' (did you mean 'queues'?)"],
    [
      { connection, store, queues: ['orchestration', 'cpu'] },
      'createWorkers: queues cpu run stages, but no stages were given',
    ],
    [
      { connection, store, stages: {}, queues: ['gpu'] },
      'createWorkers: queues gpu run stages, but no stages were given',
    ],
    [
      { connection, store, workerOptions: { maxConcurrentActivityTaskExecutions: 4 } },
      "createWorkers: workerOptions.maxConcurrentActivityTaskExecutions is memotune's to set (stages at once on a stage queue: maxConcurrentStages",
    ],
    [
      { connection, store, stages: { s: () => ({ output: 1 }) }, maxConcurrentStages: 2, workerOptions: { tuner: {} } },
      'createWorkers: give maxConcurrentStages or workerOptions.tuner, not both',
    ],
  ])('%o', async (options, message) => {
    await expect(createWorkers(options as unknown as WorkersOptions)).rejects.toThrow(message);
  });
});

describe('option keys', () => {
  it('names an unknown key with the closest known one', () => {
    expect(() => checkOptionKeys('f', { taskQueuPrefix: 'a' }, ['studyId', 'taskQueuePrefix'])).toThrow(
      "f: unknown option 'taskQueuPrefix' (did you mean 'taskQueuePrefix'?); it takes studyId, taskQueuePrefix",
    );
    expect(() => checkOptionKeys('f', { studyId: 'x' }, ['studyId'])).not.toThrow();
  });

  it('lists every key of the type (a key left out does not compile)', () => {
    expect(keysOf<{ a?: number; b: string }>()('a', 'b')).toEqual(['a', 'b']);
    // @ts-expect-error -- 'b' is missing
    keysOf<{ a?: number; b: string }>()('a');
  });
});
