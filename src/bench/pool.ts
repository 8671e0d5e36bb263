import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MethodName, OptimizerSettings } from '../core/types.js';
import type { SyntheticPipelineSpec } from '../synthetic/index.js';
import { runStudy, type BenchRun, type LoopAblation, type SuggestFn } from './runner.js';

// Sources run through tsx (`.ts`); keep the same extension for sibling modules we load by URL.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** Module URL of the project's optimizer (`suggest` of `src/optimizer`). */
export const DEFAULT_SUGGEST_MODULE = new URL(`../optimizer/index${EXT}`, import.meta.url).href;

/** @internal Data every pool worker starts with. */
export interface PoolWorkerData {
  readonly spec: SyntheticPipelineSpec;
  readonly suggestModule: string;
  readonly settings?: OptimizerSettings;
  readonly parallelism?: number;
  readonly loopAblation?: LoopAblation;
}

/** @internal One (method, seed) study for a worker. */
export interface PoolJob {
  readonly id: number;
  readonly method: MethodName;
  readonly seed: number;
}

/** @internal Worker → main thread messages. */
export type PoolMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'trial'; readonly id: number; readonly spent: number }
  | { readonly type: 'done'; readonly id: number; readonly run: BenchRun }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/**
 * Imports a module exporting `suggest(request)`.
 *
 * @throws TypeError when the module has no `suggest` function.
 */
export async function loadSuggest(moduleUrl: string): Promise<SuggestFn> {
  const mod = (await import(moduleUrl)) as { suggest?: unknown };
  if (typeof mod.suggest !== 'function') throw new TypeError(`${moduleUrl} does not export suggest()`);
  return mod.suggest as SuggestFn;
}

/** Progress of one study, reported after each trial and when it finishes. */
export interface BenchProgress {
  readonly method: MethodName;
  readonly seed: number;
  readonly spent: number;
  readonly done: boolean;
}

export interface RunBenchOptions {
  readonly spec: SyntheticPipelineSpec;
  readonly methods: readonly MethodName[];
  readonly seeds: readonly number[];
  /** Worker threads; 1 runs every study sequentially in this thread. @default min(2, cores) */
  readonly jobs?: number;
  /** URL of a module exporting `suggest`. @default DEFAULT_SUGGEST_MODULE */
  readonly suggestModule?: string;
  /** Extra optimizer settings for every study (ablations). */
  readonly settings?: OptimizerSettings;
  /** Trials each study runs at once on its simulated clock. @default 1 */
  readonly parallelism?: number;
  /** Loop rules measured and not adopted (`RunStudyOptions.loopAblation`). */
  readonly loopAblation?: LoopAblation;
  readonly onProgress?: (progress: BenchProgress) => void;
}

// Worker threads start from an eval'd bootstrap that registers tsx first: `execArgv: ['--import',
// 'tsx']` does not apply the loader to a worker's own `.ts` entry on Node 20.
function startWorker(data: PoolWorkerData): Worker {
  const entry = new URL(`./worker${EXT}`, import.meta.url).href;
  if (EXT === '.js') return new Worker(new URL(entry), { workerData: data });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

/**
 * Runs every (method, seed) study of a benchmark, in worker threads or sequentially. Returns runs
 * ordered by method (as given) then seed.
 *
 * @throws Error from the first study that fails (other workers are terminated).
 */
export async function runBench(options: RunBenchOptions): Promise<BenchRun[]> {
  const suggestModule = options.suggestModule ?? DEFAULT_SUGGEST_MODULE;
  const jobs: PoolJob[] = [];
  for (const method of options.methods) {
    for (const seed of options.seeds) jobs.push({ id: jobs.length, method, seed });
  }
  const workers = Math.max(1, Math.min(options.jobs ?? Math.min(2, availableParallelism()), jobs.length));
  const runs = new Map<number, BenchRun>();
  const report = (job: PoolJob, spent: number, done: boolean): void =>
    options.onProgress?.({ method: job.method, seed: job.seed, spent, done });

  if (workers === 1) {
    const suggest = await loadSuggest(suggestModule);
    for (const job of jobs) {
      const run = runStudy({
        spec: options.spec,
        method: job.method,
        seed: job.seed,
        suggest,
        ...(options.settings === undefined ? {} : { settings: options.settings }),
        ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
        ...(options.loopAblation === undefined ? {} : { loopAblation: options.loopAblation }),
        onTrial: (trial) => report(job, trial.spent, false),
      });
      runs.set(job.id, run);
      report(job, run.trials.at(-1)?.spent ?? 0, true);
    }
  } else {
    const data: PoolWorkerData = {
      spec: options.spec,
      suggestModule,
      ...(options.settings === undefined ? {} : { settings: options.settings }),
      ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
      ...(options.loopAblation === undefined ? {} : { loopAblation: options.loopAblation }),
    };
    const queue = [...jobs];
    const pool: Worker[] = [];
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      let finished = 0;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        for (const w of pool) void w.terminate();
        reject(error);
      };
      for (let w = 0; w < workers; w++) {
        const worker = startWorker(data);
        pool.push(worker);
        const feed = (): void => worker.postMessage(queue.shift() ?? null);
        worker.on('message', (message: PoolMessage) => {
          if (message.type === 'ready') return feed();
          const job = jobs[message.id] as PoolJob;
          if (message.type === 'trial') return report(job, message.spent, false);
          if (message.type === 'error') return fail(new Error(`${job.method} seed ${job.seed}: ${message.message}`));
          runs.set(message.id, message.run);
          report(job, message.run.trials.at(-1)?.spent ?? 0, true);
          finished += 1;
          if (finished === jobs.length) resolve();
          feed();
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0 && finished < jobs.length) fail(new Error(`bench worker exited with code ${code}`));
        });
      }
    });
  }
  return jobs.map((job) => runs.get(job.id) as BenchRun);
}
