/**
 * Crash equivalence: a study whose workers are SIGKILLed at seeded random moments — the
 * orchestration worker (twice while the suggest activity runs), the stage worker (mostly in the
 * middle of a stage) — or whose Temporal server is SIGKILLed and restarted, ends with the trial log
 * of the same seeded study run uninterrupted beside it: no trial lost, none run twice, none charged
 * twice. Each test prints one `crash-equivalence {json}` line: stall per kill, restarts, what was
 * in flight at each kill.
 *
 * Workers run as `memotune worker` processes; the uninterrupted reference runs in this process on
 * the same servers at the same time. The killed Temporal server is a dev server of this file's own
 * (its own ports and SQLite file), so the shared one is never touched and the test runs against
 * external servers too. Kill moments derive from MEMOTUNE_CRASH_SEED (default 1).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { serverBinaries } from '../../src/dev/stack.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import {
  assess,
  crashStudy,
  DedicatedTemporal,
  figuresLine,
  killPlan,
  killStragglers,
  runWithKills,
  startRun,
  type Assessment,
  type Finished,
  type Lane,
} from './fixtures/crash-rounds.js';
import { stages as slowStages } from './fixtures/slow-stages.js';

const seed = Number(process.env.MEMOTUNE_CRASH_SEED ?? 1);
const maxTrials = 20;
const config = crashStudy(7, maxTrials);
const logDir = join(testStack().workflowBundlePath, '..');
const log = (line: string) => console.log(line);

/** Prints the figures, then checks them all (soft: a failure lists every way the run differs). */
function report(expect: ExpectStatic, assessment: Assessment) {
  console.log(figuresLine(assessment));
  const { run, differing, duplicateCharges } = assessment;
  if (differing.length > 0) {
    const first = differing[0]!.trial;
    console.log(
      `seed ${seed}: trial ${first} differs first (${differing[0]!.fields.join(', ')}): ` +
        `${JSON.stringify(run.result.history[first])} vs ${JSON.stringify(assessment.reference.result.history[first])}`,
    );
  }
  expect.soft(run.result.status).toBe('completed');
  expect.soft(assessment.lost, 'trials lost').toEqual([]);
  expect.soft(assessment.doubled, 'trials doubled').toEqual([]);
  expect.soft(run.result.spent).toBeCloseTo(
    run.result.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
    9,
  );
  expect.soft(duplicateCharges, 'trials charged more than in the uninterrupted run').toEqual([]);
  expect.soft(differing, 'trials that differ from the uninterrupted run').toEqual([]);
  // A kill that stalls the study by more than 30 s is a bug, not a slow machine.
  expect.soft(assessment.stallPerKillMs.filter((stall) => !(stall < 30_000))).toEqual([]);
}

describe('worker processes SIGKILLed at seeded random moments', () => {
  let reference: TestEnv;
  let orchestrationEnv: TestEnv;
  let stageEnv: TestEnv;
  let referenceRun: Promise<Finished>;

  beforeAll(async () => {
    [reference, orchestrationEnv, stageEnv] = await Promise.all([
      createTestEnv('crash-ref'),
      createTestEnv('crash-orch'),
      createTestEnv('crash-stage'),
    ]);
    // The uninterrupted study runs beside the two killed ones (the same load on the machine).
    await reference.startWorkers(slowStages);
    referenceRun = (await startRun(reference, config)).finished;
  });

  afterAll(async () => {
    killStragglers();
    await Promise.all([reference?.close(), orchestrationEnv?.close(), stageEnv?.close()]);
  });

  async function killed(env: TestEnv, victim: 'orchestration' | 'stage', targeted: number) {
    const { run, kills } = await runWithKills({
      lane: env,
      servers: testStack().servers,
      logFile: join(logDir, `${env.taskQueuePrefix}-workers.log`),
      config,
      victim,
      plan: killPlan(seed, victim, 5, targeted),
      firstAfterTrials: 5,
      log,
    });
    return assess({ victim, seed, lane: env, expectedTrials: maxTrials, run, reference: await referenceRun, kills });
  }

  it.concurrent(
    'the orchestration worker killed 5 times, twice inside the suggest activity, changes no trial',
    async ({ expect }) => {
      const assessment = await killed(orchestrationEnv, 'orchestration', 2);
      report(expect, assessment);
      const inSuggest = assessment.kills.filter((kill) => kill.inFlight.includes('suggestFromLog'));
      expect(inSuggest.length).toBeGreaterThanOrEqual(1);
    },
    170_000,
  );

  it.concurrent(
    'the stage worker killed 5 times, mostly inside a stage, changes no trial',
    async ({ expect }) => {
      const assessment = await killed(stageEnv, 'stage', 4);
      report(expect, assessment);
      const inStage = assessment.kills.filter((kill) => kill.inFlight.some((name) => name.endsWith(':runStage')));
      expect(inStage.length).toBeGreaterThanOrEqual(3);
    },
    170_000,
  );
});

describe('a Temporal server SIGKILLed and restarted at seeded random moments', () => {
  let reference: TestEnv;
  let env: TestEnv;
  let server: DedicatedTemporal;
  let stateDir: string;
  let connection: Connection;

  beforeAll(async () => {
    [reference, env] = await Promise.all([createTestEnv('restart-ref'), createTestEnv('restart')]);
    stateDir = join(logDir, `${env.taskQueuePrefix}-temporal`);
    mkdirSync(stateDir, { recursive: true });
    const { temporal } = await serverBinaries(() => undefined);
    server = new DedicatedTemporal(temporal, join(stateDir, 'temporal.db'));
    await server.start();
    connection = await Connection.connect({ address: server.address });
  });

  afterAll(async () => {
    killStragglers();
    await Promise.all([reference?.close(), env?.close()]);
    await connection?.close();
    await server?.kill();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('resumes from its SQLite state each time, with the trials of an uninterrupted run', async ({ expect }) => {
    await reference.startWorkers(slowStages);
    const referenceRun = (await startRun(reference, config)).finished;
    // The killed study's lane: its client and workers talk to the dedicated server, S3 is shared.
    const lane: Lane = { ...env, client: new Client({ connection }) };
    const { run, kills } = await runWithKills({
      lane,
      servers: { ...testStack().servers, temporalAddress: server.address },
      logFile: join(logDir, `${env.taskQueuePrefix}-workers.log`),
      config,
      victim: server,
      plan: killPlan(seed, 'server', 3),
      firstAfterTrials: 4,
      log,
    });
    const assessment = await assess({
      victim: 'server',
      seed,
      lane,
      expectedTrials: maxTrials,
      run,
      reference: await referenceRun,
      kills,
    });
    report(expect, assessment);
  }, 150_000);
});
