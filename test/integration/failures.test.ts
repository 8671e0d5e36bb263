import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelStudy,
  continueStudy,
  getStudyOutcome,
  getStudyProgress,
  startStudy,
  stopStudy,
} from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import { maxUnknownStageReruns } from '../../workflows/trial.js';
import { versioned, type StageRegistry, type StageResult } from '../../src/stages/types.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';

let env: TestEnv;
const attempts = new Map<string, number>();

// A two-stage pipeline whose second stage fails on demand: `mode` = ok | flaky | broken, or leaves
// its objective out (nometric), or takes 1.5 s (slow).
const stages: StageRegistry = {
  prepare: ({ params }) => ({ output: { base: params.a }, cost: 2 }),
  train: async ({ params, parent, trial }): Promise<StageResult> => {
    const mode = params.mode as string;
    const key = `${trial.studyId}/${trial.trialIndex}`;
    attempts.set(key, (attempts.get(key) ?? 0) + 1);
    // Failing attempts burn ~0.3 s of wall time first: the trial must be charged for it.
    if (mode === 'broken' || (mode === 'flaky' && trial.attempt === 1)) await new Promise((r) => setTimeout(r, 300));
    if (mode === 'broken') throw new Error('boom: out of GPU memory');
    if (mode === 'slow') await new Promise((r) => setTimeout(r, 1500));
    if (mode === 'slower') await new Promise((r) => setTimeout(r, 5000));
    // A run that leaves the objective out (a stage that reports it only when it converges).
    if (mode === 'nometric') return { output: { done: false }, metrics: { diverged: 1 }, cost: 1 };
    if (mode === 'flaky' && trial.attempt === 1) throw new Error('transient failure');
    const base = (await parent!.json<{ base: number }>()).base;
    return { output: { done: true }, metrics: { score: base * 2 }, cost: 3 };
  },
};

function config(enqueue: { a: number; mode: string }[]): StudyConfigInput {
  return {
    name: 'failures',
    pipeline: {
      stages: [
        { name: 'prepare', params: [{ name: 'a', type: 'float', low: 0, high: 1 }] },
        {
          name: 'train',
          taskQueue: 'gpu',
          params: [
            { name: 'mode', type: 'categorical', choices: ['ok', 'flaky', 'broken', 'nometric', 'slow', 'slower'] },
          ],
          retry: { maximumAttempts: 2, initialIntervalSeconds: 0.1 },
        },
      ],
    },
    objective: { metric: 'score' },
    budget: 1000,
    maxTrials: enqueue.length,
    enqueue: enqueue.map(({ a, mode }): [{ a: number }, { mode: string }] => [{ a }, { mode }]),
  };
}

beforeAll(async () => {
  env = await createTestEnv('failures');
  await env.startWorkers(stages);
});

afterAll(async () => {
  await env?.close();
});

describe('stage failures', () => {
  it('retries a failing stage per its policy, fails the trial when it keeps failing, and goes on', async () => {
    const { handle } = await startStudy(
      env.client,
      config([
        { a: 0.25, mode: 'flaky' },
        { a: 0.5, mode: 'broken' },
        { a: 0.75, mode: 'ok' },
      ]),
      { studyId: `${env.taskQueuePrefix}-failures`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.history.map((trial) => trial.status)).toEqual(['completed', 'failed', 'completed']);
    // The flaky stage succeeded on its second attempt; the broken one used both attempts.
    expect(attempts.get(`${result.studyId}/0`)).toBe(2);
    expect(attempts.get(`${result.studyId}/1`)).toBe(2);
    const [flaky, broken, ok] = result.history;
    expect(flaky!.objective).toBe(0.5);
    // Its cost model sees one run of the stage; the trial pays for the failed attempt too.
    expect(flaky!.stageCosts).toEqual([2, 3]);
    expect(flaky!.chargedCost).toBeGreaterThanOrEqual(2 + 3 + 0.25);
    // Per stage, what it charged: the retry shows as the second stage's charge beyond its cost.
    expect(flaky!.stageCharges![0]).toBe(2);
    expect(flaky!.stageCharges![1]).toBeGreaterThanOrEqual(3 + 0.25);
    expect(flaky!.stageCharges![0]! + flaky!.stageCharges![1]!).toBeCloseTo(flaky!.chargedCost, 9);
    expect(broken!.objective).toBeNull();
    expect(broken!.error).toContain('boom: out of GPU memory');
    // Where the stage's code threw: its stack, kept in the record.
    expect(broken!.errorTrace).toContain('boom: out of GPU memory');
    expect(broken!.errorTrace).toContain('failures.test.ts');
    // From the stage's own frames: none of memotune's activity or the SDK's below them.
    expect(broken!.errorTrace).not.toMatch(/activities\/index|@temporalio/);
    // The worker whose attempt failed, as the server names it.
    expect(broken!.stageWorkers?.[1]?.identity).toMatch(/@/);
    expect(flaky!.errorTrace).toBeUndefined();
    expect(broken!.stageCosts).toEqual([2, null]);
    // The failed stage has no cost for its model to learn, but what its attempts spent is charged.
    expect(broken!.stageCharges![1]).toBeGreaterThanOrEqual(2 * 0.25);
    // Charged what it spent: the prepare stage's cost plus both failed attempts' wall time.
    expect(broken!.chargedCost).toBeGreaterThanOrEqual(2 + 2 * 0.25);
    expect(broken!.chargedCost).toBeLessThan(10);
    expect(ok!.objective).toBe(1.5);
    expect(result.failedTrials).toBe(1);
    expect(result.spent).toBeCloseTo(
      result.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
      9,
    );
    expect(result.best).toMatchObject({ trialIndex: 2, objective: 1.5 });

    // Every trial workflow shows as Completed in the UI; its MemotuneStatus says how the trial went.
    const trialsWith = async (status: string) => {
      const query = `MemotuneKind = 'trial' AND MemotuneStudy = 'failures' AND WorkflowId STARTS_WITH '${result.studyId}/' AND MemotuneStatus = '${status}'`;
      const ids: string[] = [];
      for await (const workflow of env.client.workflow.list({ query })) ids.push(workflow.workflowId);
      return ids.sort();
    };
    // Visibility is eventually consistent: the trials' last upserts land within a moment.
    for (let attempt = 0; ; attempt++) {
      const [failed, completed] = [await trialsWith('failed'), await trialsWith('completed')];
      if ((failed.length === 1 && completed.length === 2) || attempt > 50) {
        expect({ failed, completed }).toEqual({
          failed: [`${result.studyId}/trial-1`],
          completed: [`${result.studyId}/trial-0`, `${result.studyId}/trial-2`],
        });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('stops with status exhausted once every configuration of a finite space was evaluated', async () => {
    const { handle } = await startStudy(
      env.client,
      {
        name: 'exhausted',
        pipeline: {
          stages: [
            { name: 'prepare', params: [{ name: 'a', type: 'categorical', choices: [0.1, 0.2] }] },
            { name: 'train', taskQueue: 'gpu', params: [{ name: 'mode', type: 'categorical', choices: ['ok'] }] },
          ],
        },
        objective: { metric: 'score' },
        budget: 1000,
        optimizer: { method: 'eeipu', warmup: 1 },
      },
      { studyId: `${env.taskQueuePrefix}-exhausted`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('exhausted');
    expect(result.history.map((trial) => trial.config[0]!.a).sort()).toEqual([0.1, 0.2]);
    expect(result.spent).toBeLessThan(1000);
  });

  it('reports a terminated study as failed instead of running', async () => {
    const { handle } = await startStudy(
      env.client,
      config(Array.from({ length: 50 }, (_, i) => ({ a: i / 50, mode: 'ok' }))),
      { studyId: `${env.taskQueuePrefix}-terminated`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const deadline = Date.now() + 30_000;
    while ((await getStudyProgress(env.client, handle.workflowId)).trials < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await handle.terminate('operator: wrong budget');
    const progress = await getStudyProgress(env.client, handle.workflowId);
    expect(progress.status).toBe('failed');
    expect(progress.trials).toBeGreaterThanOrEqual(1);
    // Why, from the event that closed the workflow.
    expect(progress.error).toMatch(/^the study workflow was terminated: operator: wrong budget/);
    await expect(stopStudy(env.client, handle.workflowId)).rejects.toThrow(/already finished/);
  });

  it('cancels a study at once, its running trial with it, even one stuck on a queue no worker serves', async () => {
    const stuck = config([
      { a: 0.5, mode: 'ok' },
      { a: 0.6, mode: 'ok' },
    ]);
    const { handle } = await startStudy(
      env.client,
      {
        ...stuck,
        name: 'stuck',
        // No worker polls <prefix>-nowhere: the trial's second stage waits there for ever.
        pipeline: { stages: [stuck.pipeline.stages[0]!, { ...stuck.pipeline.stages[1]!, taskQueue: 'nowhere' }] },
      },
      { studyId: `${env.taskQueuePrefix}-cancelled`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const deadline = Date.now() + 30_000;
    while ((await getStudyProgress(env.client, handle.workflowId)).runningTrial === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await getStudyProgress(env.client, handle.workflowId)).runningTrial).toBe(0);

    await cancelStudy(env.client, handle.workflowId);
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const trial = env.client.workflow.getHandle(`${handle.workflowId}/trial-0`);
    await expect
      .poll(async () => (await trial.describe()).status.name, { timeout: 10_000, interval: 100 })
      .not.toBe('RUNNING');
    const progress = await getStudyProgress(env.client, handle.workflowId);
    expect(progress).toMatchObject({ status: 'failed', trials: 0, runningTrial: null, runningTrials: [] });
    expect(progress.error).toMatch(/^the study workflow was cancelled/);
    await expect(cancelStudy(env.client, handle.workflowId)).rejects.toThrow(/already finished \(failed: cancelled\)/);
    // Waiting for its result gives the same report, not the bare "Workflow execution cancelled".
    const waited = await getStudyOutcome(env.client, handle.workflowId, { wait: true });
    expect(waited).toMatchObject({ status: 'failed', trials: 0 });
    expect(waited.error).toMatch(/^the study workflow was cancelled/);
  });

  it('says why a study was terminated even when no worker can replay it', async () => {
    // No worker polls this prefix's queues: the study never ran a workflow task.
    const prefix = `${env.taskQueuePrefix}-nobody`;
    const { handle } = await startStudy(env.client, config([{ a: 0.5, mode: 'ok' }]), {
      studyId: `${env.taskQueuePrefix}-unserved`,
      taskQueuePrefix: prefix,
    });
    await handle.terminate('its workers were never deployed');
    const progress = await getStudyProgress(env.client, handle.workflowId);
    expect(progress).toMatchObject({ studyId: handle.workflowId, name: 'failures', status: 'failed', trials: 0 });
    expect(progress.error).toMatch(/^the study workflow was terminated: its workers were never deployed/);
  });

  it('ends the study within one trial, naming the stage, when no worker has its implementation', async () => {
    const bad = config(Array.from({ length: 5 }, (_, i) => ({ a: i / 5, mode: 'ok' })));
    const { handle } = await startStudy(
      env.client,
      {
        ...bad,
        name: 'unknown-stage',
        pipeline: { stages: [{ ...bad.pipeline.stages[0]!, implementation: 'missing' }, bad.pipeline.stages[1]!] },
      },
      { studyId: `${env.taskQueuePrefix}-unknown`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('failed');
    expect(result.history).toHaveLength(1);
    expect(result.history[0]!).toMatchObject({ status: 'failed', failureType: 'UnknownStage' });
    // Scheduled again for the queue's other workers first (a fleet mid-deploy may have it on some).
    const trialEvents =
      (await env.client.workflow.getHandle(`${handle.workflowId}/trial-0`).fetchHistory()).events ?? [];
    const runs = trialEvents.filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'runStage',
    );
    expect(runs).toHaveLength(1 + maxUnknownStageReruns);
    expect(result.error).toContain("no stage implementation named 'missing'");
    expect(result.error).toContain(`task queue '${env.taskQueuePrefix}-cpu'`);
    expect(result.spent).toBe(0);
    // The Temporal UI shows a failed study as Failed, with the study's reason as the failure.
    expect((await handle.describe()).status.name).toBe('FAILED');
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'StudyFailed', message: result.error });
    // memotune's readers take the outcome from the failure, as from a completed study's result.
    expect(await getStudyProgress(env.client, handle.workflowId)).toMatchObject({
      status: 'failed',
      trials: 1,
      error: result.error,
    });
    expect(await getStudyOutcome(env.client, handle.workflowId, { wait: true })).toMatchObject({
      status: 'failed',
      trials: 1,
      error: result.error,
    });
    // Starting it again names the failure and suggests continuing it once fixed.
    const again = startStudy(
      env.client,
      { ...bad, name: 'unknown-stage' },
      { studyId: handle.workflowId, taskQueuePrefix: env.taskQueuePrefix },
    );
    await expect(again).rejects.toThrow(
      `a study with id '${handle.workflowId}' ran before and failed: continue it once the cause is fixed`,
    );
    // Fixed (a worker with the stage joins the queue), it is continued as it was, nothing added:
    // its failed trial stays in the log, the others run (the old worker's tasks go to the new one).
    const stopFixed = await env.startWorkers({ missing: stages.prepare! }, ['cpu']);
    try {
      const second = await env.result(await continueStudy(env.client, handle.workflowId, {}));
      expect(second.status).toBe('completed');
      expect(second.history.map((trial) => trial.status)).toEqual([
        'failed',
        'completed',
        'completed',
        'completed',
        'completed',
      ]);
      expect(second.history[0]).toEqual(result.history[0]);
    } finally {
      await stopFixed();
    }
  });

  it('runs a stage that one worker of its queue lacks on another (a fleet in the middle of a deploy)', async () => {
    // A second worker on train's queue without train, as an old release beside the new one.
    const stopLacking = await env.startWorkers({ prepare: stages.prepare! }, ['gpu']);
    try {
      const mixed = config(Array.from({ length: 6 }, (_, i) => ({ a: (i + 1) / 10, mode: 'ok' })));
      const { handle } = await startStudy(
        env.client,
        { ...mixed, name: 'mixed-fleet' },
        { studyId: `${env.taskQueuePrefix}-mixed-fleet`, taskQueuePrefix: env.taskQueuePrefix },
      );
      const result = await env.result(handle);
      // Before, the first task the old worker took ended the study (here 5 of 11 train tasks went to it).
      expect(result.status).toBe('completed');
      expect(result.history.map((trial) => trial.status)).toEqual(Array.from({ length: 6 }, () => 'completed'));
    } finally {
      await stopLacking();
    }
  });

  it("runs a stage on the worker with the config's version (a rolling deploy of versioned code), and fails the study when none has it", async () => {
    // Beside the suite's workers (train unversioned: any version goes), one whose train still
    // declares version 1, as an old release mid-deploy: its tasks go to the others.
    const stopVersioned = await env.startWorkers({ train: versioned('1', stages.train!) }, ['gpu']);
    try {
      const wanted = config([
        { a: 0.3, mode: 'ok' },
        { a: 0.6, mode: 'ok' },
      ]);
      const onTwo = await startStudy(
        env.client,
        {
          ...wanted,
          name: 'versioned',
          pipeline: { stages: [wanted.pipeline.stages[0]!, { ...wanted.pipeline.stages[1]!, version: '2' }] },
        },
        { studyId: `${env.taskQueuePrefix}-versioned`, taskQueuePrefix: env.taskQueuePrefix },
      );
      expect((await env.result(onTwo.handle)).status).toBe('completed');
    } finally {
      await stopVersioned();
    }
    // Only workers whose train declares version 2 (an env of its own), and a config giving 3: the
    // stage goes round the queue's workers, then the study fails at its first trial.
    const only = await createTestEnv('failures-v2');
    try {
      await only.startWorkers({ ...stages, train: versioned('2', stages.train!) });
      const three = config([
        { a: 0.3, mode: 'ok' },
        { a: 0.6, mode: 'ok' },
      ]);
      const onThree = await startStudy(
        only.client,
        {
          ...three,
          name: 'versioned-none',
          pipeline: { stages: [three.pipeline.stages[0]!, { ...three.pipeline.stages[1]!, version: '3' }] },
        },
        { studyId: `${only.taskQueuePrefix}-versioned-none`, taskQueuePrefix: only.taskQueuePrefix },
      );
      const failed = await only.result(onThree.handle);
      expect(failed.status).toBe('failed');
      expect(failed.history).toHaveLength(1);
      expect(failed.history[0]).toMatchObject({ failureType: 'StageVersionMismatch' });
      expect(failed.error).toContain(
        "this worker's code is version '2' (versioned()), but the study config gives the stage version '3'",
      );
    } finally {
      await only.close();
    }
  });

  it("waits, ever longer, for a worker with a stage's version once the stage has run (a rolling deploy with busy workers)", async () => {
    // Trial 1's prepare stage holds until the test has swapped the gpu workers: the right version's
    // worker goes away and one with another version takes train's tasks, as mid rolling deploy.
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: StageRegistry = {
      ...stages,
      prepare: async (context) => {
        if (context.trial.trialIndex === 1) await gate;
        return stages.prepare!(context);
      },
    };
    const rolling = await createTestEnv('failures-rolling');
    try {
      await rolling.startWorkers(held, ['orchestration', 'cpu']);
      let stopRight = await rolling.startWorkers({ train: versioned('2', stages.train!) }, ['gpu']);
      const wanted = config([
        { a: 0.3, mode: 'ok' },
        { a: 0.6, mode: 'ok' },
      ]);
      const { handle } = await startStudy(
        rolling.client,
        {
          ...wanted,
          name: 'rolling',
          pipeline: { stages: [wanted.pipeline.stages[0]!, { ...wanted.pipeline.stages[1]!, version: '2' }] },
        },
        { studyId: `${rolling.taskQueuePrefix}-rolling`, taskQueuePrefix: rolling.taskQueuePrefix },
      );
      for (let poll = 0; poll < 300 && (await getStudyProgress(rolling.client, handle.workflowId)).trials < 1; poll++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      await stopRight();
      const stopWrong = await rolling.startWorkers({ train: versioned('3', stages.train!) }, ['gpu']);
      release();
      // Before, ten reruns at once all reached the wrong worker and the study failed in a second.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      await stopWrong();
      stopRight = await rolling.startWorkers({ train: versioned('2', stages.train!) }, ['gpu']);
      try {
        const result = await rolling.result(handle);
        expect(result.status).toBe('completed');
        expect(result.history.map((trial) => trial.status)).toEqual(['completed', 'completed']);
        const trialEvents =
          (await rolling.client.workflow.getHandle(`${handle.workflowId}/trial-1`).fetchHistory()).events ?? [];
        const waits = trialEvents.filter((event) => event.timerStartedEventAttributes != null);
        expect(waits.length).toBeGreaterThanOrEqual(2);
        // The waits double: 1 s, 2 s, 4 s, …
        expect(Number(waits[1]!.timerStartedEventAttributes!.startToFireTimeout!.seconds)).toBe(2);
        // The waits are behind a workflow patch: the trial's history replays with today's code.
        const trialHistory = await rolling.client.workflow.getHandle(`${handle.workflowId}/trial-1`).fetchHistory();
        await expect(
          Worker.runReplayHistory({ workflowBundle: { codePath: testStack().workflowBundlePath } }, trialHistory),
        ).resolves.toBeUndefined();
      } finally {
        await stopRight();
      }
    } finally {
      release();
      await rolling.close();
    }
  }, 90_000);

  it('ends the study at the first trial whose objective metric was never reported, naming what was', async () => {
    // The stage reports `score`; the config asks for `Score`: every trial would run in full to fail.
    const misnamed = config([
      { a: 0.1, mode: 'ok' },
      { a: 0.2, mode: 'ok' },
      { a: 0.3, mode: 'ok' },
    ]);
    const { handle } = await startStudy(
      env.client,
      { ...misnamed, name: 'misnamed', objective: { metric: 'Score' } },
      { studyId: `${env.taskQueuePrefix}-misnamed`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('failed');
    expect(result.history).toHaveLength(1);
    expect(result.history[0]).toMatchObject({ status: 'failed', failureType: 'ObjectiveNotReported' });
    expect(result.error).toMatch(
      /^trial 0: the last stage did not report the objective metric 'Score' \(it reported score/,
    );
    expect(result.error).toContain("make the stage's metric name and the config's objective.metric agree");
  });

  it('goes on when a trial that was running as another left the objective out reports it', async () => {
    const mixed = config([
      { a: 0.1, mode: 'nometric' },
      { a: 0.2, mode: 'slow' },
      { a: 0.3, mode: 'ok' },
    ]);
    const { handle } = await startStudy(
      env.client,
      { ...mixed, name: 'nometric-then-ok', parallelism: 2 },
      { studyId: `${env.taskQueuePrefix}-nometric-then-ok`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    // By trial index: the log is in finish order, which a loaded machine may shuffle (CI saw 1, 2, 0).
    const byIndex = [...result.history].sort((x, y) => x.trialIndex - y.trialIndex);
    expect(byIndex.map((trial) => [trial.trialIndex, trial.status, trial.failureType ?? null])).toEqual([
      [0, 'failed', 'ObjectiveNotReported'],
      [1, 'completed', null],
      [2, 'completed', null],
    ]);
  });

  it('keeps a halt that holds whatever completes over one a completing trial drops (parallel)', async () => {
    // Trial 0 leaves the objective out (a halt until a trial completes), trial 1 fails (the second
    // failure in a row: a halt that holds), trial 2 completes after both: the study fails. Before,
    // the second halt was ignored and, once trial 2 completed, the study went on. The order is
    // made certain: three train slots (the suite's gpu queue has one: a fresh-clone CI run's trial 2
    // took it first), and trial 2's prepare stage takes a second.
    const ordered = await createTestEnv('failures-halts');
    try {
      await ordered.startWorkers(
        {
          ...stages,
          prepare: async (context) => {
            if (Number(context.params.a) >= 0.3) await new Promise((resolve) => setTimeout(resolve, 1000));
            return stages.prepare!(context);
          },
        },
        undefined,
        { maxConcurrentStages: 3 },
      );
      const mixed = config([
        { a: 0.1, mode: 'nometric' },
        { a: 0.2, mode: 'broken' },
        { a: 0.3, mode: 'slower' },
        { a: 0.4, mode: 'ok' },
        { a: 0.5, mode: 'ok' },
      ]);
      const { handle } = await startStudy(
        ordered.client,
        {
          ...mixed,
          name: 'hard-halt',
          parallelism: 3,
          maxConsecutiveFailures: 2,
          pipeline: {
            stages: [mixed.pipeline.stages[0]!, { ...mixed.pipeline.stages[1]!, retry: { maximumAttempts: 1 } }],
          },
        },
        { studyId: `${ordered.taskQueuePrefix}-hard-halt`, taskQueuePrefix: ordered.taskQueuePrefix },
      );
      const result = await ordered.result(handle);
      const byIndex = [...result.history].sort((a, b) => a.trialIndex - b.trialIndex);
      // Says what happened if the order was not the one the test means.
      expect(
        byIndex.map((trial) => `${trial.trialIndex} ${trial.status} ${trial.finishedAt ?? ''}`),
        result.error ?? 'no error',
      ).toHaveLength(3);
      expect(result.status).toBe('failed');
      expect(result.error).toContain('2 trials in a row failed');
      expect(byIndex.map((trial) => trial.status)).toEqual(['failed', 'failed', 'completed']);
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: testStack().workflowBundlePath } },
          await handle.fetchHistory(),
        ),
      ).resolves.toBeUndefined();
    } finally {
      await ordered.close();
    }
  }, 60_000);

  it('fails the study after maxConsecutiveFailures failed trials in a row, with the last error', async () => {
    const broken = config([
      { a: 0.1, mode: 'ok' },
      { a: 0.2, mode: 'broken' },
      { a: 0.3, mode: 'ok' },
      { a: 0.4, mode: 'broken' },
      { a: 0.5, mode: 'broken' },
      { a: 0.6, mode: 'ok' },
    ]);
    const { handle } = await startStudy(
      env.client,
      {
        ...broken,
        name: 'streak',
        maxConsecutiveFailures: 2,
        pipeline: {
          stages: [broken.pipeline.stages[0]!, { ...broken.pipeline.stages[1]!, retry: { maximumAttempts: 1 } }],
        },
      },
      { studyId: `${env.taskQueuePrefix}-streak`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('failed');
    expect(result.history.map((trial) => trial.status)).toEqual([
      'completed',
      'failed',
      'completed',
      'failed',
      'failed',
    ]);
    expect(result.error).toContain('2 trials in a row failed');
    expect(result.error).toContain('boom: out of GPU memory');
  });
});
