/**
 * The real-pipeline benchmark: the digits example (augment → teacher → distilled student, scikit-
 * learn on Python stage workers, costs in measured seconds) tuned by several methods with the same
 * budget and seeds, each study through the real local stack, one after another so their stage
 * timings do not disturb each other. Each study gets a fresh stage cache (its own pipeline id).
 *
 *   npm run bench:real -- [--methods eeipu,ms-carbo,ei] [--seeds 3] [--config examples/digits/study.json]
 *                         [--budget N] [--json benchmarks/out/real-digits.json]
 *
 * Prints, per method, mean ± standard error over seeds of: candidates evaluated after warm-up
 * (the paper's count), trials that reused the teacher (stages 1–2 cached), the best validation
 * accuracy at the budget's end, and the improvement after warm-up; then EEIPU's ratios against
 * the mean of the other methods (the paper's "% more candidates / improvement" + 1).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { getStudyResult, startStudy } from '../src/client/index.js';
import { connectClient, connectWorker, openStore, s3Settings, temporalAddress } from '../src/cli/connection.js';
import { defaultTaskQueuePrefix, taskQueueName } from '../src/config/plan.js';
import { parseStudyConfig } from '../src/config/study-config.js';
import type { StudyResult } from '../src/core/study.js';
import type { MethodName } from '../src/core/types.js';
import { terminateStudiesOnInterrupt } from '../src/bench/temporal/interrupt.js';
import { startStack } from '../src/dev/stack.js';
import { packageRoot } from '../src/package-root.js';
import { ensurePythonEnvironment, startPythonWorker } from '../src/worker/python-worker.js';
import { createWorkers, runWorkers } from '../src/worker/run-workers.js';
import { mean, standardError } from '../src/bench/stats.js';

const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: 'eeipu,ms-carbo,ei' },
    seeds: { type: 'string', default: '3' },
    'seed-offset': { type: 'string', default: '0' },
    config: { type: 'string', default: join(packageRoot, 'examples', 'digits', 'study.json') },
    budget: { type: 'string' },
    json: { type: 'string', default: join(packageRoot, 'benchmarks', 'out', 'real-digits.json') },
  },
});

interface RealRun {
  readonly method: MethodName;
  readonly seed: number;
  readonly trials: number;
  readonly candidates: number;
  readonly reusedTeacher: number;
  readonly finalBest: number;
  readonly bestAfterWarmup: number;
  readonly spent: number;
  readonly wallSeconds: number;
  readonly bestConfig: StudyResult['best'];
  readonly bestMetrics: Readonly<Record<string, number>>;
}

function summarize(method: MethodName, seed: number, result: StudyResult, wallSeconds: number): RealRun {
  const completed = result.history.filter((trial) => trial.objective !== null);
  const warmup = completed.filter((trial) => trial.phase === 'warmup');
  const stages = result.history[0]?.config.length ?? 3;
  return {
    method,
    seed,
    trials: result.trials,
    candidates: result.history.filter((trial) => trial.phase === 'bo').length,
    reusedTeacher: result.history.filter((trial) => trial.cachedPrefix >= stages - 1).length,
    finalBest: Math.max(...completed.map((trial) => trial.objective!)),
    bestAfterWarmup: Math.max(...warmup.map((trial) => trial.objective!)),
    spent: result.spent,
    wallSeconds,
    bestConfig: result.best,
    bestMetrics: result.best === null ? {} : (result.history[result.best.trialIndex]?.metrics ?? {}),
  };
}

// Worker state changes are INFO; the table is what this script is for.
Runtime.install({ logger: new DefaultLogger('WARN') });

const methods = values.methods.split(',') as MethodName[];
const seeds = Array.from({ length: Number(values.seeds) }, (_, index) => Number(values['seed-offset']) + index);
const base = parseStudyConfig(JSON.parse(readFileSync(values.config, 'utf8')));
const budget = values.budget === undefined ? base.budget : Number(values.budget);

const stack = await startStack();
const python = await ensurePythonEnvironment();
const connection = await connectWorker({});
const store = openStore();
await store.ensureBucket();
const workers = await createWorkers({ connection, store, queues: ['orchestration'] });
const controller = new AbortController();
const running = runWorkers(workers, controller.signal);
const pythonWorker = await startPythonWorker({
  python,
  stages: [join(packageRoot, 'examples', 'digits', 'stages.py')],
  taskQueue: taskQueueName(defaultTaskQueuePrefix, 'python'),
  address: temporalAddress({}),
  s3: s3Settings(),
});
const { client, close } = await connectClient({});
const runs: RealRun[] = [];
const stamp = new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
// Ctrl-C (or SIGTERM): the running study is terminated, no report (src/bench/temporal/interrupt.ts).
const guard = terminateStudiesOnInterrupt(client);
try {
  console.log(`real pipeline ${base.name}: budget ${budget}, methods ${methods.join(', ')}, seeds ${seeds.join(', ')}`);
  console.log(`Temporal ${stack.temporalAddress}; one study at a time\n`);
  // Seed-major order, methods interleaved: slow drift in the machine's speed hits every method alike.
  for (const seed of seeds) {
    for (const method of methods) {
      if (guard.signal !== null) break;
      const studyId = `bench-real-${method}-${seed}-${stamp}`;
      const started = Date.now();
      await startStudy(
        client,
        {
          ...base,
          name: `${base.name}-bench`,
          pipeline: { ...base.pipeline, id: studyId },
          budget,
          seed,
          optimizer: { ...base.optimizer, method },
        },
        { studyId },
      );
      await guard.started(studyId);
      let result: StudyResult;
      try {
        result = await getStudyResult(client, studyId, { wait: true, store });
      } catch (error) {
        if (guard.signal !== null) break;
        throw error;
      } finally {
        guard.finished();
      }
      if (guard.signal !== null) break;
      const run = summarize(method, seed, result, (Date.now() - started) / 1000);
      runs.push(run);
      console.log(
        `${method.padEnd(9)} seed ${seed}: ${run.trials} trials (${run.candidates} after warm-up, ` +
          `${run.reusedTeacher} reused the teacher), best valAcc ${run.finalBest.toFixed(4)}, ` +
          `spent ${run.spent.toFixed(0)} s, wall ${run.wallSeconds.toFixed(0)} s`,
      );
    }
  }
} finally {
  guard.dispose();
  await close();
  await pythonWorker.stop();
  controller.abort();
  await running;
  await connection.close();
}
if (guard.signal !== null) process.exit(130);

mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(values.json, JSON.stringify({ config: values.config, budget, methods, seeds, runs }, null, 2));

const fmt = (xs: readonly number[], digits: number) =>
  `${mean(xs).toFixed(digits)} ± ${standardError(xs).toFixed(digits)}`;
console.log('\n| method | candidates after warm-up | reused the teacher | best valAcc | improvement after warm-up |');
console.log('|---|---|---|---|---|');
for (const method of methods) {
  const mine = runs.filter((run) => run.method === method);
  console.log(
    `| ${method} | ${fmt(
      mine.map((run) => run.candidates),
      1,
    )} | ${fmt(
      mine.map((run) => run.reusedTeacher),
      1,
    )} | ${fmt(
      mine.map((run) => run.finalBest),
      4,
    )} | ${fmt(
      mine.map((run) => run.finalBest - run.bestAfterWarmup),
      4,
    )} |`,
  );
}
if (methods.includes('eeipu') && methods.length > 1) {
  const of = (method: MethodName, pick: (run: RealRun) => number) =>
    mean(runs.filter((run) => run.method === method).map(pick));
  const others = methods.filter((method) => method !== 'eeipu');
  const ratio = (pick: (run: RealRun) => number) => of('eeipu', pick) / mean(others.map((method) => of(method, pick)));
  console.log(
    `\nEEIPU vs the mean of ${others.join(', ')}: candidates ×${ratio((run) => run.candidates).toFixed(2)}, ` +
      `improvement after warm-up ×${ratio((run) => run.finalBest - run.bestAfterWarmup).toFixed(2)}`,
  );
}
console.log(`\nruns written to ${values.json}`);
