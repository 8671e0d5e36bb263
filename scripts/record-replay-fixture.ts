/**
 * Records the Temporal histories that test/integration/replay.test.ts replays: a small study on
 * the paper-3stage pipeline (warm-up + EEIPU steps, one reused prefix, one continue-as-new) and
 * one of its trials, and (since v4) a parallel study with shared prefixes and control updates and
 * its first trial, and (since v9) a study that fails, and (since v12) one whose objective metric no
 * stage reports, under a release tag. Record one per release
 * whose workflow code changed: the replay test keeps replaying every tag, so a change that breaks
 * running studies fails it.
 *   node bin/run-ts.js scripts/record-replay-fixture.ts <tag> [--failed-only]   (needs `memotune dev`)
 * `--failed-only` records the failed study alone (v8's was recorded so, from a checkout of the
 * release before the failed-study patch, with this script copied into it).
 */
import { writeFileSync } from 'node:fs';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { extendStudyBudget, pauseStudy, resumeStudy, startStudy } from '../src/client/index.js';
import { readStackInfo } from '../src/dev/stack.js';
import { syntheticStages, syntheticStudyConfig } from '../src/examples/synthetic-stages.js';
import { S3ObjectStore } from '../src/storage/s3-object-store.js';
import { parseSyntheticSpec } from '../src/synthetic/index.js';
import { readFileSync } from 'node:fs';
import { createWorkers, runWorkers } from '../src/worker/run-workers.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const stack = readStackInfo();
if (stack === null) throw new Error('start the local stack first: memotune dev');
const spec = parseSyntheticSpec(
  JSON.parse(readFileSync(new URL('../benchmarks/paper-3stage.json', import.meta.url), 'utf8')),
);
const tag = process.argv[2];
const failedOnly = process.argv.includes('--failed-only');
if (tag === undefined || !/^[a-z0-9.-]+$/.test(tag))
  throw new Error('usage: record-replay-fixture.ts <release tag, e.g. v2>');
const prefix = `replay-fixture-${Date.now()}`;
const store = S3ObjectStore.fromSettings({ ...stack.s3, keyPrefix: `${prefix}/` });
const workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
const workers = await createWorkers({
  connection: workerConnection,
  taskQueuePrefix: prefix,
  store,
  stages: syntheticStages(spec),
});
const controller = new AbortController();
const running = runWorkers(workers, controller.signal);
const connection = await Connection.connect({ address: stack.temporalAddress });
const client = new Client({ connection });

// A study that fails (since v9): its second stage names an implementation no worker has, so it
// ends as failed after one trial — its workflow fails from v9 on ('memotune-failed-study-fails')
// and completed with a failed outcome before.
const failedId = `${prefix}-failed`;
const failingBase = syntheticStudyConfig(spec, { name: 'replay-fixture-failed', budget: 20 });
const failing = await startStudy(
  client,
  {
    ...failingBase,
    pipeline: {
      ...failingBase.pipeline,
      stages: failingBase.pipeline.stages.map((stage, i) =>
        i === 1 ? { ...stage, implementation: 'missing' } : stage,
      ),
    },
  },
  { studyId: failedId, taskQueuePrefix: prefix },
);
await failing.handle.result().catch((error: unknown) => {
  if (!(error instanceof WorkflowFailedError)) throw error;
});
writeFileSync(
  new URL(`../test/fixtures/histories/study-failed-${tag}.json`, import.meta.url),
  historyToJSON(await failing.handle.fetchHistory()),
);
console.log(`recorded ${failedId}: workflow ${(await failing.handle.describe()).status.name}`);
// A study whose objective metric no stage reports (since v12): its first trial fails as
// ObjectiveNotReported and ends the study ('memotune-unreported-objective-ends'), with partial
// enqueued warm-up trials filled from design points (optimizerFilled) running beside it.
if (!failedOnly) {
  const unreportedId = `${prefix}-unreported`;
  const unreportedBase = syntheticStudyConfig(spec, {
    name: 'replay-fixture-unreported',
    budget: 20,
    parallelism: 2,
    enqueue: [[{ x0: 0.5 }], [{ x0: -0.5 }]],
  });
  const unreported = await startStudy(
    client,
    { ...unreportedBase, objective: { ...unreportedBase.objective, metric: 'not-reported' } },
    { studyId: unreportedId, taskQueuePrefix: prefix },
  );
  await unreported.handle.result().catch((error: unknown) => {
    if (!(error instanceof WorkflowFailedError)) throw error;
  });
  writeFileSync(
    new URL(`../test/fixtures/histories/study-unreported-${tag}.json`, import.meta.url),
    historyToJSON(await unreported.handle.fetchHistory()),
  );
  console.log(`recorded ${unreportedId}: workflow ${(await unreported.handle.describe()).status.name}`);
}
if (failedOnly) {
  controller.abort();
  await running;
  await workerConnection.close();
  await connection.close();
  process.exit(0);
}

const config = syntheticStudyConfig(spec, {
  name: 'replay-fixture',
  budget: 40,
  optimizer: { method: 'eeipu', warmup: 3 },
  enqueue: [
    [
      { x0: 0.5, x1: -0.5 },
      { x2: 0.1, x3: 0.2, x4: 0.3 },
      { x5: 3, x6: 4 },
    ],
    [
      { x0: 0.5, x1: -0.5 },
      { x2: 0.1, x3: 0.2, x4: 0.3 },
      { x5: 7, x6: 1 },
    ],
  ],
});
const { handle } = await startStudy(client, config, { studyId: prefix, taskQueuePrefix: prefix, trialsPerRun: 4 });
const result = await handle.result();
const firstRun = await client.workflow.getHandle(prefix, handle.firstExecutionRunId).fetchHistory();
const trial = await client.workflow.getHandle(`${prefix}/trial-1`).fetchHistory();
writeFileSync(
  new URL(`../test/fixtures/histories/study-first-run-${tag}.json`, import.meta.url),
  historyToJSON(firstRun),
);
writeFileSync(
  new URL(`../test/fixtures/histories/trial-reused-prefix-${tag}.json`, import.meta.url),
  historyToJSON(trial),
);
console.log(`recorded ${prefix}: ${result.trials} trials over ${result.runs} runs`);

// A parallel study (since v4): three trials at once, two of which share a prefix (single flight,
// stagesSettled signals), paused and resumed with control updates on the way.
const parallelId = `${prefix}-parallel`;
const shared = { x0: 0.5, x1: -0.5 };
const parallel = await startStudy(
  client,
  syntheticStudyConfig(spec, {
    name: 'replay-fixture-parallel',
    budget: 30,
    parallelism: 3,
    optimizer: { method: 'eeipu', warmup: 3 },
    enqueue: [
      [shared, { x2: 0.1, x3: 0.2, x4: 0.3 }, { x5: 3, x6: 4 }],
      [shared, { x2: 0.1, x3: 0.2, x4: 0.3 }, { x5: 7, x6: 1 }],
      [shared, { x2: -0.4, x3: 0.2, x4: 0.3 }, { x5: 1, x6: 1 }],
    ],
  }),
  { studyId: parallelId, taskQueuePrefix: prefix },
);
await pauseStudy(client, parallelId);
await extendStudyBudget(client, parallelId, 5);
await resumeStudy(client, parallelId);
const parallelResult = await parallel.handle.result();
const parallelHistory = await client.workflow.getHandle(parallelId, parallel.handle.firstExecutionRunId).fetchHistory();
const sharingTrial = await client.workflow.getHandle(`${parallelId}/trial-0`).fetchHistory();
writeFileSync(
  new URL(`../test/fixtures/histories/study-parallel-${tag}.json`, import.meta.url),
  historyToJSON(parallelHistory),
);
writeFileSync(
  new URL(`../test/fixtures/histories/trial-parallel-${tag}.json`, import.meta.url),
  historyToJSON(sharingTrial),
);
console.log(`recorded ${parallelId}: ${parallelResult.trials} trials`);
controller.abort();
await running;
await workerConnection.close();
await connection.close();
