/**
 * Crash-equivalence soak (not in CI): the kill rounds of test/integration/crash-equivalence.test.ts,
 * repeated with a new seed each round, on a private local stack (fresh SQLite, fresh S3).
 *
 *   npm run bench:soak -- [--rounds 3] [--kills 5] [--trials 20] [--seed 1] [--no-server]
 *                         [--temporal-port 47233] [--s3-port 47070]
 *
 * Each round runs the seeded paper-3stage EEIPU study four times: uninterrupted (the reference,
 * workers in this process) and beside it with its orchestration worker SIGKILLed `--kills` times
 * (twice while the suggest activity runs) and with its stage worker SIGKILLed `--kills` times
 * (mostly inside a stage) — workers as `memotune worker` processes, restarted at once; then, unless
 * --no-server, the study on a Temporal dev server of its own that is SIGKILLed and restarted
 * `--kills` times (down 0–5 s), beside a second reference. Every run is compared with its
 * reference: trials lost, trials doubled (a second trial workflow execution, a trial beyond the
 * log), duplicate charges (same stages and costs, charged more), trials that differ at all, and
 * the stall each kill cost. Prints one `crash-equivalence {json}` line per run and the totals;
 * exits 1 if a trial was lost or doubled. Worker logs and the dedicated servers' state are under
 * .memotune/bench-soak.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { serverBinaries, startStack, stopStack } from '../src/dev/stack.js';
import { S3ObjectStore } from '../src/storage/s3-object-store.js';
import { createWorkers, runWorkers, workflowsPath } from '../src/worker/run-workers.js';
import {
  assess,
  crashStudy,
  DedicatedTemporal,
  figuresLine,
  killPlan,
  median,
  runWithKills,
  startRun,
  type Assessment,
  type Lane,
  type Servers,
} from '../test/integration/fixtures/crash-rounds.js';
import { stages as slowStages } from '../test/integration/fixtures/slow-stages.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    kills: { type: 'string', default: '5' },
    trials: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    'no-server': { type: 'boolean', default: false },
    'temporal-port': { type: 'string', default: '47233' },
    's3-port': { type: 'string', default: '47070' },
  },
});
const rounds = Number(args.rounds);
const killsPerRun = Number(args.kills);
const trials = Number(args.trials);
const firstSeed = Number(args.seed);
for (const [name, value, min] of [
  ['--rounds', rounds, 1],
  ['--kills', killsPerRun, 2],
  ['--trials', trials, 10],
] as const) {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
}
// Each kill waits for a trial to finish after the one before; the first after 5 trials.
if (trials < 5 + 2 * killsPerRun) throw new RangeError(`--trials must be at least ${5 + 2 * killsPerRun}`);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stateDir = join(process.cwd(), '.memotune', 'bench-soak');
const stackOptions = {
  stateDir,
  temporalPort: Number(args['temporal-port']),
  s3Port: Number(args['s3-port']),
  headless: true,
  log: () => undefined,
};
await stopStack(stackOptions);
rmSync(stateDir, { recursive: true, force: true });
const stack = await startStack(stackOptions);
const servers: Servers = { temporalAddress: stack.temporalAddress, s3: stack.s3 };
const bundlePath = join(stateDir, 'workflow-bundle.js');
writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath, logger: quiet() })).code);
const connection = await Connection.connect({ address: stack.temporalAddress });
const client = new Client({ connection });
const log = (line: string) => console.log(`  ${line}`);

function quiet() {
  const none = () => undefined;
  return { log: none, trace: none, debug: none, info: none, warn: none, error: (m: string) => console.error(m) };
}

function lane(name: string, laneClient: Client = client): Lane {
  const prefix = `soak-${name}-${randomUUID().slice(0, 8)}`;
  const store = S3ObjectStore.fromSettings({ ...stack.s3, keyPrefix: `${prefix}/` });
  return { client: laneClient, store, taskQueuePrefix: prefix, s3KeyPrefix: `${prefix}/` };
}

/** The uninterrupted run: workers in this process, on the private stack. */
async function referenceRun(reference: Lane, config: ReturnType<typeof crashStudy>) {
  const workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  const workers = await createWorkers({
    connection: workerConnection,
    taskQueuePrefix: reference.taskQueuePrefix,
    store: reference.store,
    stages: slowStages,
    workflowBundle: { codePath: bundlePath },
  });
  const controller = new AbortController();
  const running = runWorkers(workers, controller.signal);
  const { finished } = await startRun(reference, config);
  const stop = async () => {
    controller.abort();
    await running;
    await workerConnection.close();
  };
  return { finished, stop };
}

const assessments: Assessment[] = [];
const started = Date.now();
console.log(
  `soak: ${rounds} round(s), ${killsPerRun} kills per victim, ${trials} trials per study, seeds ${firstSeed}..${firstSeed + rounds - 1}`,
);
try {
  for (let round = 0; round < rounds; round++) {
    const seed = firstSeed + round;
    const config = crashStudy(7 + round, trials);
    console.log(`round ${round + 1}/${rounds} (seed ${seed})`);

    // Worker kills: both killed runs beside one reference.
    const reference = lane(`r${round}-ref`);
    const ref = await referenceRun(reference, config);
    try {
      const runs = await Promise.all(
        (['orchestration', 'stage'] as const).map(async (victim) => {
          const killedLane = lane(`r${round}-${victim}`);
          const { run, kills } = await runWithKills({
            lane: killedLane,
            servers,
            logFile: join(stateDir, `${killedLane.taskQueuePrefix}-workers.log`),
            config,
            victim,
            plan: killPlan(seed, victim, killsPerRun, victim === 'orchestration' ? 2 : killsPerRun - 1),
            firstAfterTrials: 5,
            log,
          });
          return { victim, killedLane, run, kills };
        }),
      );
      const referenceFinished = await ref.finished;
      for (const { victim, killedLane, run, kills } of runs) {
        const assessment = await assess({
          victim,
          seed,
          lane: killedLane,
          expectedTrials: trials,
          run,
          reference: referenceFinished,
          kills,
        });
        assessments.push(assessment);
        console.log(figuresLine(assessment));
      }
    } finally {
      await ref.stop();
    }

    if (args['no-server']) continue;
    // Server kills: a dedicated dev server, fresh SQLite file each round; a second reference beside it.
    const serverDir = join(stateDir, `temporal-r${round}`);
    mkdirSync(serverDir, { recursive: true });
    const server = new DedicatedTemporal(
      (await serverBinaries(() => undefined)).temporal,
      join(serverDir, 'temporal.db'),
    );
    await server.start();
    const serverConnection = await Connection.connect({ address: server.address });
    const reference2 = lane(`r${round}-ref2`);
    const ref2 = await referenceRun(reference2, config);
    try {
      const killedLane = lane(`r${round}-server`, new Client({ connection: serverConnection }));
      const { run, kills } = await runWithKills({
        lane: killedLane,
        servers: { ...servers, temporalAddress: server.address },
        logFile: join(stateDir, `${killedLane.taskQueuePrefix}-workers.log`),
        config,
        victim: server,
        plan: killPlan(seed, 'server', killsPerRun),
        firstAfterTrials: 4,
        log,
      });
      const assessment = await assess({
        victim: 'server',
        seed,
        lane: killedLane,
        expectedTrials: trials,
        run,
        reference: await ref2.finished,
        kills,
      });
      assessments.push(assessment);
      console.log(figuresLine(assessment));
    } finally {
      await ref2.stop();
      await serverConnection.close();
      await server.kill();
    }
  }
} finally {
  await connection.close();
  await stopStack(stackOptions);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
let lost = 0;
let doubled = 0;
console.log(`\nsoak totals after ${seconds(Date.now() - started)} (${assessments.length} killed studies):`);
for (const victim of ['orchestration', 'stage', 'server']) {
  const runs = assessments.filter((assessment) => assessment.victim === victim);
  if (runs.length === 0) continue;
  const stalls = runs.flatMap((assessment) => assessment.stallPerKillMs);
  const faults = sum(runs.map((assessment) => assessment.kills.length));
  const inSuggest = sum(
    runs.map((assessment) => assessment.kills.filter((kill) => kill.inFlight.includes('suggestFromLog')).length),
  );
  const inStage = sum(
    runs.map(
      (assessment) =>
        assessment.kills.filter((kill) => kill.inFlight.some((name) => name.endsWith(':runStage'))).length,
    ),
  );
  const runLost = sum(runs.map((assessment) => assessment.lost.length));
  const runDoubled = sum(runs.map((assessment) => assessment.doubled.length));
  lost += runLost;
  doubled += runDoubled;
  console.log(
    `  ${victim.padEnd(13)} faults ${faults} (${inSuggest} in suggest, ${inStage} in a stage); trials lost ${runLost}, ` +
      `doubled ${runDoubled}; duplicate charges ${sum(runs.map((assessment) => assessment.duplicateCharges.length))}; ` +
      `studies that differ from their reference ${runs.filter((assessment) => assessment.differing.length > 0).length}/${runs.length}; ` +
      `stall per kill median ${seconds(median(stalls))}, max ${seconds(Math.max(...stalls))}; ` +
      `total stall ${seconds(sum(runs.map((assessment) => assessment.stallTotalMs)))}`,
  );
}
for (const assessment of assessments) {
  for (const problem of [...assessment.lost, ...assessment.doubled]) console.log(`  ${assessment.victim}: ${problem}`);
}
process.exit(lost + doubled > 0 ? 1 : 0);
