/**
 * An S3 outage is not a stage failure: a study whose S3 server goes down twice for 10 s — once while
 * a stage runs (its reads, upload and commit hit the outage), once just as a stage attempt starts
 * (its pre-stage metadata reads hit it) — ends with the same trials as an uninterrupted run.
 *
 * The outage is real: this file starts its own versitygw on a free port with its own data folder,
 * kills it and restarts it on the same port and folder. The shared S3 server is never touched (the
 * reference run uses it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startStudy, withTrials } from '../../src/client/index.js';
import type { StudyOutcome, TrialRecord } from '../../src/core/study.js';
import { isPortOpen, S3_SERVER_TUNING_ARGS, serverBinaries } from '../../src/dev/stack.js';
import type { StageContext } from '../../src/stages/types.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { S3ObjectStore } from '../../src/storage/s3-object-store.js';
import { createWorkers, runWorkers, type QueueRole } from '../../src/worker/run-workers.js';
import { createTestEnv, stablePort, testStack, type TestEnv } from './harness.js';
import { pacedStages } from './fixtures/paced-stages.js';
import { paper3Stages, paper3Study } from './fixtures/pipelines.js';

const outageMs = 10_000;
const stageDelayMs = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A versitygw of this test's own, which it can kill and restart on the same port and folder. */
class DedicatedS3 {
  readonly credentials = { accessKeyId: 'outage', secretAccessKey: 'outage-local-secret' };
  private process: ChildProcess | null = null;

  constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const log = openSync(`${this.dataDir}.log`, 'a');
    this.process = spawn(
      this.binary,
      ['--port', `127.0.0.1:${this.port}`, ...S3_SERVER_TUNING_ARGS, '--quiet', 'posix', this.dataDir],
      {
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          ROOT_ACCESS_KEY: this.credentials.accessKeyId,
          ROOT_SECRET_KEY: this.credentials.secretAccessKey,
        },
      },
    );
    const deadline = Date.now() + 20_000;
    while (!(await isPortOpen(this.port, 200))) {
      if (Date.now() > deadline)
        throw new Error(`versitygw did not come up on ${this.endpoint} (log ${this.dataDir}.log)`);
      await sleep(50);
    }
  }

  /** Kills the server (no goodbye to open connections, as in a crash) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child === null || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  store(keyPrefix: string): S3ObjectStore {
    return S3ObjectStore.fromSettings({ endpoint: this.endpoint, bucket: 'outage', ...this.credentials, keyPrefix });
  }
}

/**
 * What an outage must not change: which configurations ran, how they ended, what they reused.
 * (The one place that knows where a finished study keeps its trial records.)
 */
async function trialLog(handle: { result(): Promise<StudyOutcome> }, store: ObjectStore) {
  const { history } = await withTrials(await handle.result(), store);
  return history.map((trial: TrialRecord) => ({
    trialIndex: trial.trialIndex,
    config: trial.config,
    status: trial.status,
    cachedPrefix: trial.cachedPrefix,
    stagesRun: trial.stagesRun,
  }));
}

// Every stage runs once per trial at most, and an outage must not cost it an attempt: with one
// attempt allowed, a stage failed or timed out by the outage would fail its trial.
const config = paper3Study({
  name: 's3-outage',
  budget: 10_000,
  maxTrials: 8,
  seed: 11,
  optimizer: { method: 'eeipu', warmup: 3 },
  pipeline: {
    stages: paper3Study().pipeline.stages.map((stage) => ({
      ...stage,
      // Shorter than the outage: only the heartbeats runStage sends while it waits keep it alive.
      heartbeatSeconds: 3,
      retry: { maximumAttempts: 1 },
    })),
  },
});

let reference: TestEnv;
let outageEnv: TestEnv;
let s3: DedicatedS3;
let dataDir: string;

beforeAll(async () => {
  [reference, outageEnv] = await Promise.all([createTestEnv('s3-outage-ref'), createTestEnv('s3-outage')]);
  const { versitygw } = await serverBinaries(() => undefined);
  dataDir = join(testStack().workflowBundlePath, '..', `${outageEnv.taskQueuePrefix}-s3`);
  mkdirSync(dataDir, { recursive: true });
  // A port outside the ephemeral range: the server restarts on it after each outage.
  s3 = new DedicatedS3(versitygw, await stablePort(), dataDir);
  await s3.start();
  await s3.store('').ensureBucket();
});

afterAll(async () => {
  await Promise.all([reference?.close(), outageEnv?.close()]);
  await s3?.kill();
  if (dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.log`, { force: true });
  }
});

describe('an S3 outage during a study', () => {
  it('stalls the study but changes none of its trials: no stage fails, none uses a second attempt', async () => {
    const started = Date.now();
    const stack = testStack();

    // The reference: the same seeded study, uninterrupted, on the shared S3 server (concurrently).
    await reference.startWorkers(pacedStages(paper3Stages, { delayMs: stageDelayMs }));
    const referenceRun = startStudy(reference.client, config, {
      studyId: `${reference.taskQueuePrefix}-study`,
      taskQueuePrefix: reference.taskQueuePrefix,
    }).then(({ handle }) => trialLog(handle, reference.store));

    // The same study on the dedicated S3 server, with a gpu worker (stages 1, 2) the test can stop and start.
    const store = s3.store(outageEnv.s3KeyPrefix);
    const connection = await NativeConnection.connect({ address: stack.servers.temporalAddress });
    const attempts: number[] = [];
    const stageStarts: { trial: number; stage: number; at: number }[] = [];
    let onStageStart: (context: StageContext) => Promise<void> | void = () => undefined;
    const stages = pacedStages(paper3Stages, {
      delayMs: stageDelayMs,
      onStart: (context) => {
        attempts.push(context.trial.attempt);
        stageStarts.push({ trial: context.trial.trialIndex, stage: context.stage.index, at: Date.now() });
        return onStageStart(context);
      },
    });
    const startWorkers = async (queues: QueueRole[]) => {
      const workers: Worker[] = await createWorkers({
        connection,
        taskQueuePrefix: outageEnv.taskQueuePrefix,
        store,
        stages,
        queues,
        workflowBundle: { codePath: stack.workflowBundlePath },
        shutdownGraceTime: 1000,
      });
      const controller = new AbortController();
      const running = runWorkers(workers, controller.signal);
      return async () => {
        controller.abort();
        await running;
      };
    };
    const stopMain = await startWorkers(['orchestration', 'cpu']);
    let stopGpu = await startWorkers(['gpu']);
    try {
      const studyId = `${outageEnv.taskQueuePrefix}-study`;
      const { handle } = await startStudy(outageEnv.client, config, {
        studyId,
        taskQueuePrefix: outageEnv.taskQueuePrefix,
      });

      // Outage 1, across the pre-stage reads: trial 1's stage 0 holds until the gpu worker is down;
      // once its stage 1 is scheduled, S3 goes down and a new gpu worker picks the attempt up, so
      // the attempt's first S3 calls (its own meta.json, its ancestors') meet the outage.
      let gpuStopped!: () => void;
      const gpuDown = new Promise<void>((resolve) => (gpuStopped = resolve));
      onStageStart = async (context) => {
        if (context.trial.trialIndex !== 1 || context.stage.index !== 0) return;
        onStageStart = () => undefined;
        await stopGpu();
        gpuStopped();
      };
      await gpuDown;
      const trial1 = outageEnv.client.workflow.getHandle(`${studyId}/trial-1`);
      const pendingStage = async () =>
        (await trial1.describe()).raw.pendingActivities?.find((activity) => activity.activityType?.name === 'runStage');
      for (let deadline = Date.now() + 30_000; (await pendingStage()) === undefined; await sleep(50)) {
        if (Date.now() > deadline) throw new Error("trial 1's stage 1 was never scheduled");
      }
      await s3.kill();
      const down1 = Date.now();
      stopGpu = await startWorkers(['gpu']);
      let startedDuringOutage = false;
      while (Date.now() - down1 < outageMs) {
        // 2 = PENDING_ACTIVITY_STATE_STARTED: the new worker runs the attempt while S3 is down.
        if ((await pendingStage())?.state === 2) startedDuringOutage = true;
        await sleep(250);
      }
      await s3.start();
      const up1 = Date.now();
      for (
        let deadline = Date.now() + 30_000;
        !stageStarts.some((s) => s.trial === 1 && s.stage === 1);
        await sleep(20)
      ) {
        if (Date.now() > deadline) throw new Error("trial 1's stage 1 never ran after S3 came back");
      }
      const resumed1 = stageStarts.find((s) => s.trial === 1 && s.stage === 1)!.at;
      expect(startedDuringOutage).toBe(true);
      console.log(
        `outage 1 (pre-stage reads): S3 down ${seconds(up1 - down1)}; the stage started ${seconds(resumed1 - up1)} after S3 was back`,
      );

      // Outage 2, inside a stage: S3 goes down as a stage of trial 4 or later starts, so its read of
      // its parent, its upload and its commit meet the outage.
      let down2 = 0;
      const outage2Stage = { trial: -1, stage: -1 };
      onStageStart = async (context) => {
        if (context.trial.trialIndex < 4) return;
        onStageStart = () => undefined;
        Object.assign(outage2Stage, { trial: context.trial.trialIndex, stage: context.stage.index });
        await s3.kill();
        down2 = Date.now();
      };
      for (let deadline = Date.now() + 60_000; down2 === 0; await sleep(20)) {
        if (Date.now() > deadline) throw new Error('the study never reached trial 4');
      }
      await sleep(outageMs - (Date.now() - down2));
      await s3.start();
      const up2 = Date.now();

      const trials = await trialLog(handle, store);
      const expected = await referenceRun;
      const after2 = stageStarts.find((s) => s.at > up2);
      console.log(
        `outage 2 (inside trial ${outage2Stage.trial}'s stage ${outage2Stage.stage}): S3 down ${seconds(up2 - down2)}; ` +
          (after2 ? `the next stage started ${seconds(after2.at - up2)} after S3 was back` : 'it was the last stage'),
      );
      console.log(
        `study: ${trials.length} trials in ${seconds(Date.now() - started)} (reference run alongside); ` +
          `cachedPrefix ${trials.map((trial) => trial.cachedPrefix).join(',')}`,
      );

      expect(trials.length).toBe(8);
      const notCompleted = trials.filter((trial) => trial.status !== 'completed');
      // Why, if any did not complete (a CI run on a loaded machine saw one, cause not recorded).
      const why =
        notCompleted.length === 0
          ? ''
          : JSON.stringify(
              (await withTrials(await handle.result(), store)).history
                .filter((trial) => trial.status !== 'completed')
                .map(({ trialIndex, status, failureType, error }) => ({ trialIndex, status, failureType, error })),
            );
      expect(notCompleted, why).toEqual([]);
      expect(trials).toEqual(expected);
      expect(attempts.every((attempt) => attempt === 1)).toBe(true);
    } finally {
      onStageStart = () => undefined;
      await stopGpu();
      await stopMain();
      await connection.close();
    }
  }, 90_000);
});
