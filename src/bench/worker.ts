/**
 * Worker-thread entry of the benchmark pool: receives (method, seed) jobs, runs them with
 * `runStudy` and posts progress and the finished run back. Started by `./pool.ts` only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSuggest, type PoolMessage, type PoolWorkerData, type PoolJob } from './pool.js';
import { runStudy } from './runner.js';

const port = parentPort;
if (port === null) throw new Error('bench worker must run in a worker thread');
const data = workerData as PoolWorkerData;
const suggest = await loadSuggest(data.suggestModule);
const post = (message: PoolMessage): void => port.postMessage(message);

port.on('message', (job: PoolJob | null) => {
  if (job === null) {
    port.close();
    return;
  }
  try {
    const run = runStudy({
      spec: data.spec,
      method: job.method,
      seed: job.seed,
      suggest,
      ...(data.settings === undefined ? {} : { settings: data.settings }),
      ...(data.parallelism === undefined ? {} : { parallelism: data.parallelism }),
      ...(data.loopAblation === undefined ? {} : { loopAblation: data.loopAblation }),
      onTrial: (trial) => post({ type: 'trial', id: job.id, spent: trial.spent }),
    });
    post({ type: 'done', id: job.id, run });
  } catch (error) {
    post({
      type: 'error',
      id: job.id,
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
post({ type: 'ready' });
