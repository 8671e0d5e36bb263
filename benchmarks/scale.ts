/**
 * How a study behaves as it grows: one long study on a private local stack (fresh SQLite, fresh
 * S3), with workers in this process. Prints throughput at checkpoints, every run's history size
 * and trial count (the continue-as-new cadence), the largest payload anywhere in the study's and
 * some trials' histories, the SQLite file's growth, and how long reading the study back takes.
 *
 *   npm run bench:scale -- [--trials 10000] [--method random] [--params 3] [--choice-bytes 0]
 *                          [--stages 1] [--port 37233] [--out benchmarks/out/scale.json]
 *
 * Stages are no-ops with a reported cost of 1, so the study spends exactly one unit per trial.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { getStudyOutcome, getStudyProgress, readStudyTrials, startStudy } from '../src/client/index.js';
import type { MethodName, ParamSpec } from '../src/core/types.js';
import type { StageRegistry } from '../src/stages/types.js';
import { startPrivateStack } from './private-stack.js';

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '10000' },
    method: { type: 'string', default: 'random' },
    params: { type: 'string', default: '3' },
    stages: { type: 'string', default: '1' },
    'choice-bytes': { type: 'string', default: '0' },
    out: { type: 'string', default: 'benchmarks/out/scale.json' },
    // Temporal's port; S3 listens on port − 163 (37070 by default). Two runs need two ports.
    port: { type: 'string', default: '37233' },
  },
});
const trials = Number(args.trials);
const paramCount = Number(args.params);
const stageCount = Number(args.stages);
const choiceBytes = Number(args['choice-bytes']);

const params: ParamSpec[] = Array.from({ length: paramCount }, (_, index) =>
  choiceBytes > 0 && index === 0
    ? // Large categorical values: the payload-size stress the issue describes.
      {
        name: 'p0',
        type: 'categorical',
        choices: ['a', 'b', 'c'].map((letter) => letter.repeat(choiceBytes)),
      }
    : { name: `p${index}`, type: 'float', low: 0, high: 1 },
);
const stageNames = Array.from({ length: stageCount }, (_, index) => `noop${index}`);
const noop: StageRegistry[string] = ({ params: values }) => {
  const objective = Object.values(values).reduce<number>(
    (sum, value) => sum + (typeof value === 'number' ? value : 0.5),
    0,
  );
  return { output: null, metrics: { objective }, cost: 1 };
};
const stages: StageRegistry = Object.fromEntries(stageNames.map((name) => [name, noop]));

const { client, prefix, store, stateDir, close } = await startPrivateStack({
  name: 'scale',
  temporalPort: Number(args.port),
  stages,
});
const dbFile = join(stateDir, 'temporal.db');
// The server's SQLite runs in WAL mode: recent pages live in the -wal file until a checkpoint.
const dbBytes = () =>
  [dbFile, `${dbFile}-wal`].reduce((sum, file) => sum + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0);
const studyId = `${prefix}-study`;

const checkpoints = [100, 1_000, 2_000, 5_000, 10_000, 20_000].filter((n) => n <= trials);
const samples: { seconds: number; trials: number; dbBytes: number }[] = [];
try {
  const started = Date.now();
  await startStudy(
    client,
    {
      name: 'scale',
      pipeline: { stages: stageNames.map((name) => ({ name, params })) },
      objective: { metric: 'objective' },
      budget: trials * stageCount + 1,
      maxTrials: trials,
      optimizer: { method: args.method as MethodName, warmup: 10 },
      seed: 1,
    },
    { studyId, taskQueuePrefix: prefix },
  );
  console.log(`scale: ${trials} trials, ${stageCount} stage(s) × ${paramCount} params, method ${args.method}`);
  for (;;) {
    const progress = await getStudyProgress(client, studyId);
    const sample = { seconds: (Date.now() - started) / 1000, trials: progress.trials, dbBytes: dbBytes() };
    // A line per 500 trials, so a run stopped early still leaves its figures.
    const previous = samples.at(-1);
    if (previous !== undefined && Math.floor(sample.trials / 500) > Math.floor(previous.trials / 500)) {
      const rateNow = (sample.trials - previous.trials) / Math.max(1e-9, sample.seconds - previous.seconds);
      console.log(
        `  ${sample.trials} trials at ${sample.seconds.toFixed(0)} s: ${rateNow.toFixed(2)} trials/s, SQLite ${(sample.dbBytes / 1e6).toFixed(1)} MB`,
      );
    }
    samples.push(sample);
    if (progress.status !== 'running') {
      if (progress.status !== 'completed') throw new Error(`study ended ${progress.status}: ${progress.error ?? ''}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  const wallSeconds = (Date.now() - started) / 1000;

  // Throughput around each checkpoint: trials per second over the surrounding samples.
  const rate = (target: number) => {
    const after = samples.findIndex((sample) => sample.trials >= target);
    if (after < 0) return null;
    const windowStart = samples[Math.max(0, after - 5)]!;
    const windowEnd = samples[Math.min(samples.length - 1, after + 5)]!;
    return (windowEnd.trials - windowStart.trials) / Math.max(1e-9, windowEnd.seconds - windowStart.seconds);
  };

  // Every run of the study (continue-as-new chain), oldest first.
  const runs: { runId: string; historyBytes: number; events: number }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${studyId}'` })) {
    const description = await client.workflow.getHandle(studyId, execution.runId).describe();
    runs.push({
      runId: execution.runId,
      historyBytes: Number(description.raw.workflowExecutionInfo?.historySizeBytes ?? 0),
      events: Number(description.historyLength),
    });
  }
  runs.reverse();

  // The largest single payload in the study's histories (every run) and in sampled trials.
  const largestPayload = (value: unknown): number => {
    let max = 0;
    const visit = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      if (node instanceof Uint8Array) return;
      const payload = node as { data?: unknown; metadata?: unknown };
      if (payload.data instanceof Uint8Array && payload.metadata !== undefined) {
        max = Math.max(max, payload.data.length);
        return;
      }
      for (const child of Object.values(node)) visit(child);
    };
    visit(value);
    return max;
  };
  let studyPayloadMax = 0;
  for (const run of runs) {
    studyPayloadMax = Math.max(
      studyPayloadMax,
      largestPayload(await client.workflow.getHandle(studyId, run.runId).fetchHistory()),
    );
  }
  let trialPayloadMax = 0;
  for (const index of [0, Math.floor(trials / 2), trials - 1]) {
    trialPayloadMax = Math.max(
      trialPayloadMax,
      largestPayload(await client.workflow.getHandle(`${studyId}/trial-${index}`).fetchHistory()),
    );
  }

  const readStarted = Date.now();
  const outcome = await getStudyOutcome(client, studyId);
  const records = await readStudyTrials(outcome, store);
  const readSeconds = (Date.now() - readStarted) / 1000;
  if (records.length !== trials) throw new Error(`read back ${records.length} trials, expected ${trials}`);

  const fullRuns = runs.slice(0, -1);
  const trialsPerRun = outcome.trials / runs.length;
  const perTrialBytes = fullRuns.map((run) => run.historyBytes / trialsPerRun);
  const dbAt = (target: number) => samples.find((sample) => sample.trials >= target)?.dbBytes ?? null;
  const result = {
    trials,
    method: args.method,
    stages: stageCount,
    params: paramCount,
    choiceBytes,
    wallSeconds,
    trialsPerSecond: Object.fromEntries(checkpoints.map((n) => [n, rate(n)])),
    runs: runs.length,
    historyBytesPerRun: {
      first: runs[0]?.historyBytes,
      max: Math.max(...runs.map((run) => run.historyBytes)),
      last: runs.at(-1)?.historyBytes,
    },
    historyBytesPerTrial: { min: Math.min(...perTrialBytes), max: Math.max(...perTrialBytes) },
    eventsPerRun: {
      min: Math.min(...fullRuns.map((run) => run.events)),
      max: Math.max(...fullRuns.map((run) => run.events)),
    },
    largestPayloadBytes: { study: studyPayloadMax, trial: trialPayloadMax },
    sqliteBytes: Object.fromEntries(checkpoints.map((n) => [n, dbAt(n)])),
    readBackSeconds: readSeconds,
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify({ ...result, samples }, null, 2)}\n`);
} finally {
  await close();
}
