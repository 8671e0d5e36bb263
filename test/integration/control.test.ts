import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  continueStudy,
  enqueueConfigurations,
  extendStudyBudget,
  getStudyOutcome,
  getStudyProgress,
  pauseStudy,
  readStudyTrials,
  getStudyPlan,
  resumeStudy,
  setStudyParallelism,
  stageQueuesWaitedOn,
  stopStudy,
  runningStages,
  type RunningStage,
  startStudy,
  StudyControlRefusedError,
  StudyNotContinuableError,
  type WaitingStageQueue,
} from '../../src/client/index.js';
import type { StudyProgress } from '../../src/core/study.js';
import type { Configuration } from '../../src/core/types.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import type { StageContext } from '../../src/stages/types.js';
import { memotuneBest, memotuneSpent, memotuneStatus } from '../../workflows/search-attributes.js';
import { cliEnv, runCli, runProcess, spawnCli } from './cli.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { pacedStages } from './fixtures/paced-stages.js';
import { paper3Config, paper3Stages, paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('control');
  const stages = pacedStages(paper3Stages, { delayMs: 300 });
  await env.startWorkers(stages, ['orchestration']);
  for (let worker = 0; worker < 2; worker++) await env.startWorkers(stages, ['cpu', 'gpu'], { maxConcurrentStages: 1 });
}, 120_000);

afterAll(async () => {
  await env?.close();
});

async function until(studyId: string, done: (progress: StudyProgress) => boolean): Promise<StudyProgress> {
  for (;;) {
    const progress = await getStudyProgress(env.client, studyId);
    if (done(progress)) return progress;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A one-trial random study whose stage s1 has these settings (its own queue, say). */
function oneTrialWithStage1On(studyId: string, settings: Record<string, unknown>): StudyConfigInput {
  const config = paper3Study({ name: studyId, budget: 10, maxTrials: 1, optimizer: { method: 'random' } });
  return {
    ...config,
    pipeline: {
      ...config.pipeline,
      stages: config.pipeline.stages.map((stage, i) => (i === 1 ? { ...stage, ...settings } : stage)),
    },
  };
}

/**
 * A worker on the suite's `<prefix>-<queue>` running the paper pipeline's stage s1 after `before`,
 * held until `release` (so the test can look at it while it runs).
 */
async function heldStage1(
  queue: string,
  before: (context: StageContext) => void,
): Promise<{ release: () => void; stopWorker: () => Promise<void> }> {
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const implementation = 'synthetic/paper-3stage/s1';
  const s1 = paper3Stages[implementation]!;
  const stopWorker = await env.startWorkers(
    {
      [implementation]: async (context) => {
        before(context);
        await held;
        return s1(context);
      },
    },
    [queue],
  );
  return { release: () => release(), stopWorker };
}

/** A study's progress as Python's `memotune.study_progress` reads it. */
async function progressFromPython(studyId: string): Promise<Record<string, unknown>> {
  const script = `
import asyncio, json, sys, memotune
print(json.dumps(asyncio.run(memotune.study_progress(sys.argv[1]))))
`;
  const ran = await runProcess(testStack().python, ['-c', script, studyId], cliEnv(''));
  expect(ran.stderr).toBe('');
  return JSON.parse(ran.stdout) as Record<string, unknown>;
}

describe('controlling a running study (real Temporal + S3)', () => {
  it('pauses, refuses bad requests before they reach history, enqueues, widens, extends and resumes', async () => {
    const studyId = `${env.taskQueuePrefix}-control`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: studyId, budget: 1e5, maxTrials: 10, optimizer: { method: 'random', warmup: 3 } }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    await until(studyId, (progress) => progress.trials >= 2);

    const paused = await pauseStudy(env.client, studyId);
    expect(paused.status).toBe('paused');
    // Running trials finish, then nothing starts.
    const settled = await until(studyId, (progress) => (progress.runningTrials?.length ?? 0) === 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const still = await getStudyProgress(env.client, studyId);
    expect(still.trials).toBe(settled.trials);
    expect(still.status).toBe('paused');
    // The UI's filters and `study list` see it paused too (MemotuneStatus).
    expect((await handle.describe()).typedSearchAttributes.get(memotuneStatus)).toBe('paused');

    // Refused, with the reason, and not recorded.
    await expect(pauseStudy(env.client, studyId)).rejects.toThrow(/already paused/);
    await expect(extendStudyBudget(env.client, studyId, -5)).rejects.toThrow(StudyControlRefusedError);
    await expect(enqueueConfigurations(env.client, studyId, [paper3Config([9, 0, 0, 0, 0, 0, 0])])).rejects.toThrow(
      /configurations\[0\]: .*x0.*9 is outside \[-2, 2\]/,
    );
    await expect(setStudyParallelism(env.client, studyId, 0)).rejects.toThrow(/parallelism: must be an integer/);

    const enqueued = paper3Config([0.25, -0.25, 0.5, 0.5, 0.5, 1, 2]);
    // A partial configuration (Optuna's enqueue_trial with some parameters): the trial's suggestion gives the rest.
    const partial: Configuration = [{ x0: 1.5 }, { x3: -1 }];
    expect((await enqueueConfigurations(env.client, studyId, [enqueued, partial])).status).toBe('paused');
    // skipExisting (Optuna's skip_if_exists) leaves out what the study has: queued, run, or twice in one call.
    const ran = (await readStudyTrials(await getStudyOutcome(env.client, studyId), env.store))[0]!.config;
    const fresh = paper3Config([-0.5, 0.5, 0, 0, 0, 0, 0]);
    const skipping = await enqueueConfigurations(env.client, studyId, [enqueued, ran, [{ x0: 1.5 }], fresh, fresh], {
      skipExisting: { store: env.store },
    });
    expect(skipping.skipped).toEqual([0, 1, 2, 4]);
    expect(skipping.queued).toBe(3);
    // Nothing new: no update is sent.
    expect(
      (await enqueueConfigurations(env.client, studyId, [ran], { skipExisting: { store: env.store } })).skipped,
    ).toEqual([0]);
    await setStudyParallelism(env.client, studyId, 2);
    expect((await extendStudyBudget(env.client, studyId, 10)).budget).toBe(1e5 + 10);
    expect((await resumeStudy(env.client, studyId)).status).toBe('running');
    await expect(resumeStudy(env.client, studyId)).rejects.toThrow(/not paused/);

    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.history).toHaveLength(10);
    expect(result.budget).toBe(1e5 + 10);
    // The enqueued configuration ran as the first trial after the pause.
    const next = result.history.find((trial) => trial.trialIndex === still.trials)!;
    expect(next.config).toEqual(enqueued);
    expect(next.source).toBe('enqueued');
    expect(result.history.find((trial) => trial.trialIndex === still.trials + 2)!.config).toEqual(fresh);
    const filled = result.history.find((trial) => trial.trialIndex === still.trials + 1)!;
    expect(filled.source).toBe('enqueued');
    expect(filled.config[0]!.x0).toBe(1.5);
    expect(filled.config[1]!.x3).toBe(-1);
    expect(filled.config.map((stage) => Object.keys(stage))).toEqual([
      ['x0', 'x1'],
      ['x2', 'x3', 'x4'],
      ['x5', 'x6'],
    ]);
    for (const value of filled.config.flatMap((stage) => Object.values(stage))) {
      expect(typeof value).toBe('number');
    }
    expect(filled.status).toBe('completed');
    expect(filled.optimizerFilled).toBe(true);
    expect(next.optimizerFilled).toBeUndefined();

    // Only the accepted requests are in history: pause, enqueue, parallelism, extend, resume.
    const events = (await handle.fetchHistory()).events ?? [];
    // No trial started between the pause and the resume (not even one whose suggestion was under way).
    const acceptedAt = (name: string) =>
      events.findIndex(
        (event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name,
      );
    const whilePaused = events.slice(acceptedAt('memotune.pause'), acceptedAt('memotune.resume'));
    expect(whilePaused.filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    const accepted = events.filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes);
    const names = accepted.map(
      (event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name,
    );
    expect(names).toEqual([
      'memotune.pause',
      'memotune.enqueue',
      'memotune.enqueue',
      'memotune.setParallelism',
      'memotune.extendBudget',
      'memotune.resume',
    ]);
  }, 180_000);

  it('fills partial enqueued warm-up trials from successive design points, which later warm-up trials do not repeat', async () => {
    const studyId = `${env.taskQueuePrefix}-partial-warmup`;
    // Optuna fills each partial enqueued trial with a fresh draw; a review saw four filled alike
    // (the same design point), and the first warm-up trial after them run that point again.
    const given = [-1.5, -0.5, 0.5, 1.5];
    const { handle } = await startStudy(
      env.client,
      paper3Study({
        name: studyId,
        budget: 1e5,
        maxTrials: 6,
        optimizer: { method: 'random', warmup: 6 },
        enqueue: given.map((x0) => [{ x0 }]),
      }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.history.map((trial) => [trial.source, trial.optimizerFilled ?? false])).toEqual([
      ...given.map(() => ['enqueued', true]),
      ['optimizer', false],
      ['optimizer', false],
    ]);
    expect(result.history.slice(0, 4).map((trial) => trial.config[0]!.x0)).toEqual(given);
    // What the optimizer gave (every parameter but x0) differs from trial to trial, filled or not.
    const rest = result.history.map((trial) =>
      JSON.stringify(trial.config.flatMap((stage) => Object.values(stage)).slice(1)),
    );
    expect(new Set(rest).size).toBe(6);
  });

  it('keeps studies and their trials searchable: one query for studies, one for the trials of one', async () => {
    const studyId = `${env.taskQueuePrefix}-search`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: studyId, budget: 1e5, maxTrials: 3, optimizer: { method: 'random', warmup: 2 } }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    const count = async (query: string) => {
      let found = 0;
      for await (const _ of env.client.workflow.list({ query })) found++;
      return found;
    };
    // Visibility is eventually consistent: the final upsert lands within a moment.
    for (let attempt = 0; ; attempt++) {
      const studies = await count(
        `MemotuneKind = 'study' AND MemotuneStudy = '${studyId}' AND MemotuneStatus = 'completed'`,
      );
      const trials = await count(`MemotuneKind = 'trial' AND MemotuneStudy = '${studyId}'`);
      const best = await count(`MemotuneStudy = '${studyId}' AND MemotuneTrials = 3 AND MemotuneSpent > 0`);
      if ((studies === 1 && trials === 3 && best === 1) || attempt > 50) {
        expect({ studies, trials, best }).toEqual({ studies: 1, trials: 3, best: 1 });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(memotuneBest)).toBe(result.best!.objective);
    // The progress card is in the memo too, readable with no worker.
    const card = (description.memo?.memotune as { card?: string } | undefined)?.card;
    expect(card).toMatch(/— completed/);
    expect(card).toMatch(/\*\*Trials\*\* 3 \(0 failed\)/);
    expect(description.typedSearchAttributes.get(memotuneSpent)).toBeCloseTo(result.spent / 1e5, 12);
    expect(await description.staticSummary()).toMatch(new RegExp(`^memotune study ${studyId}: random, budget 100000`));
  }, 120_000);

  it('says within seconds that no worker serves a study, instead of hanging on the query', async () => {
    const studyId = `${env.taskQueuePrefix}-no-worker`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: studyId, budget: 10, optimizer: { method: 'random' } }),
      { studyId, taskQueuePrefix: `${env.taskQueuePrefix}-nobody` },
    );
    try {
      const failFast = { failWithoutWorkerMs: 3000 };
      for (const ask of [
        () => getStudyProgress(env.client, studyId, failFast),
        () => pauseStudy(env.client, studyId, failFast),
      ]) {
        const started = Date.now();
        await expect(ask()).rejects.toThrow(
          new RegExp(`no worker is polling ${env.taskQueuePrefix}-nobody-orchestration; start one with`),
        );
        expect(Date.now() - started).toBeLessThan(5000);
      }
      // `study status --json` still answers in the shape of a progress (a monitoring probe's
      // fields, null where the server keeps nothing), says where it came from, and exits 1.
      const json = await runCli(['study', 'status', studyId, '--json'], cliEnv(env.s3KeyPrefix));
      expect(json.code).toBe(1);
      const kept = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(Object.keys(kept)).toEqual(
        expect.arrayContaining([
          'studyId',
          'status',
          'budget',
          'spent',
          'trials',
          'failedTrials',
          'reusedTrials',
          'best',
        ]),
      );
      expect(kept).toMatchObject({ studyId, failedTrials: null, source: 'server (no worker answered)' });
      expect(kept.noAnswer).toMatch(/start one with `memotune worker --prefix .*-nobody`/);
    } finally {
      await handle.terminate('test over');
    }
  }, 60_000);

  it('names the stage queue a running trial waits on when no worker polls it (status, --json)', async () => {
    const studyId = `${env.taskQueuePrefix}-stage-nobody`;
    const config = paper3Study({ name: studyId, budget: 10, optimizer: { method: 'random' } });
    const stalled = {
      ...config,
      pipeline: {
        ...config.pipeline,
        stages: config.pipeline.stages.map((stage, i) => (i === 1 ? { ...stage, taskQueue: 'nobody' } : stage)),
      },
    };
    const { handle } = await startStudy(env.client, stalled, { studyId, taskQueuePrefix: env.taskQueuePrefix });
    try {
      const expected = [{ taskQueue: `${env.taskQueuePrefix}-nobody`, stages: ['s1'], lastPollAgeMs: null }];
      let waiting: WaitingStageQueue[] = [];
      for (let attempt = 0; attempt < 150 && waiting.length === 0; attempt++) {
        waiting = await stageQueuesWaitedOn(env.client, await getStudyProgress(env.client, studyId));
        if (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // s0 and s2 run on queues the workers poll: only s1's is named.
      expect(waiting).toEqual(expected);
      const text = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `waiting   a trial's stage waits on ${env.taskQueuePrefix}-nobody \\(stage s1\\): no worker has polled`,
        ),
      );
      const json = await runCli(['study', 'status', studyId, '--json'], cliEnv(env.s3KeyPrefix));
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 'running', waitingOn: expected, direction: 'maximize' });
      // Python's study_progress says it as --json does (it left it out: a review's study read "running" for ever).
      expect(await progressFromPython(studyId)).toMatchObject({ status: 'running', waitingOn: expected });
      // `study watch` (and `study start --wait`) say it too, on stderr, instead of watching in silence.
      const log = join(mkdtempSync(join(tmpdir(), 'memotune-watch-')), 'watch.log');
      const watch = spawnCli(['study', 'watch', studyId, '--json'], cliEnv(env.s3KeyPrefix), log);
      try {
        let said = '';
        for (let attempt = 0; attempt < 150 && !said.includes('waits on'); attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          said = existsSync(log) ? readFileSync(log, 'utf8') : '';
        }
        expect(said).toContain(`a trial's stage waits on ${env.taskQueuePrefix}-nobody (stage s1)`);
      } finally {
        watch.kill();
      }
    } finally {
      await handle.terminate('test over');
    }
    // A study that is not running waits on nothing.
    expect(await stageQueuesWaitedOn(env.client, await getStudyProgress(env.client, studyId))).toEqual([]);
  }, 90_000);

  it("shows what each computing trial's stage is doing: stage, attempt, time and its last progress (status, --json)", async () => {
    const studyId = `${env.taskQueuePrefix}-progress`;
    const onItsOwnQueue = oneTrialWithStage1On(studyId, { taskQueue: 'progress' });
    // Stage s1 reports progress, then holds until the test has seen it.
    const { release, stopWorker } = await heldStage1('progress', (context) => {
      context.heartbeat({ epoch: 3, loss: 0.25 });
    });
    const { handle } = await startStudy(env.client, onItsOwnQueue, { studyId, taskQueuePrefix: env.taskQueuePrefix });
    try {
      let seen: RunningStage[] = [];
      // The attempt's first heartbeat (sent as it starts) opens the SDK's throttle window: the
      // progress reaches the server 0.8 × heartbeatSeconds later.
      for (let attempt = 0; attempt < 300 && seen[0]?.progress === undefined; attempt++) {
        seen = await runningStages(env.client, await getStudyProgress(env.client, studyId));
        if (seen[0]?.progress === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(seen).toEqual([
        expect.objectContaining({ trialIndex: 0, stage: 's1', attempt: 1, progress: { epoch: 3, loss: 0.25 } }),
      ]);
      const text = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
      expect(text.stdout).toMatch(
        /trial 0 +s1, attempt 1\/\d+, running [\d.]+ s on \d+@\S+; progress \{"epoch":3,"loss":0.25\}/,
      );
      const json = await runCli(['study', 'status', studyId, '--json'], cliEnv(env.s3KeyPrefix));
      expect(JSON.parse(json.stdout)).toMatchObject({ runningStages: [{ trialIndex: 0, stage: 's1' }] });
      expect(await progressFromPython(studyId)).toMatchObject({
        runningStages: [{ trialIndex: 0, stage: 's1', attempt: 1, progress: { epoch: 3, loss: 0.25 } }],
      });
      release();
      await handle.result();
    } finally {
      release();
      await handle.terminate('test over').catch(() => {});
      await stopWorker();
    }
  }, 90_000);

  it("shows a stage's retry in its backoff with why its attempt failed, then the worker running the next", async () => {
    const studyId = `${env.taskQueuePrefix}-retrying`;
    const onItsOwnQueue = oneTrialWithStage1On(studyId, {
      taskQueue: 'retrying',
      retry: { maximumAttempts: 3, initialIntervalSeconds: 8 },
    });
    const { release, stopWorker } = await heldStage1('retrying', (context) => {
      // What an S3 outage looks like to a stage writing its output.
      if (context.trial.attempt === 1) throw new Error('write s3://bucket/out: connect ECONNREFUSED 127.0.0.1:9');
      context.heartbeat({ epoch: 1 });
    });
    const { handle } = await startStudy(env.client, onItsOwnQueue, { studyId, taskQueuePrefix: env.taskQueuePrefix });
    try {
      const until = async (done: (seen: RunningStage[]) => boolean): Promise<RunningStage[]> => {
        for (let attempt = 0; attempt < 300; attempt++) {
          const seen = await runningStages(env.client, await getStudyProgress(env.client, studyId));
          if (done(seen)) return seen;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error('not seen');
      };
      const backoff = await until((seen) => seen[0]?.retryInSeconds !== undefined);
      expect(backoff[0]).toMatchObject({ trialIndex: 0, attempt: 2, maximumAttempts: 3 });
      expect(backoff[0]!.lastFailure).toContain('ECONNREFUSED');
      const text = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
      expect(text.stdout).toMatch(
        /trial 0 .*attempt 2\/3, (retrying in \d+ s|retry due).*; attempt 1 failed: .*ECONNREFUSED/,
      );
      const running = await until((seen) => seen[0]?.runningSeconds !== undefined);
      expect(running[0]!.worker).toMatch(/@/);
      expect(running[0]!.lastFailure).toContain('ECONNREFUSED');
      // Asked to stop, it says so while its running trial finishes.
      await stopStudy(env.client, studyId);
      // (The signal may be behind the first query.)
      let asked = await getStudyProgress(env.client, studyId);
      for (let attempt = 0; attempt < 50 && asked.stopping !== true; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        asked = await getStudyProgress(env.client, studyId);
      }
      expect(asked).toMatchObject({ status: 'running', stopping: true });
      const stopping = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
      expect(stopping.stdout).toContain('(running, stopping: it finishes its running trials, then ends)');
      release();
      expect((await env.result(handle)).status).toBe('stopped');
    } finally {
      release();
      await handle.terminate('test over').catch(() => {});
      await stopWorker();
    }
  }, 90_000);

  it('continues an ended study with more budget: same log, trials numbered on, best kept', async () => {
    const studyId = `${env.taskQueuePrefix}-continue`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: studyId, budget: 20, optimizer: { method: 'eeipu', warmup: 3 } }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const first = await env.result(handle);
    expect(first.status).toBe('completed');
    await expect(continueStudy(env.client, studyId, { budget: -1 })).rejects.toThrow(/^budget:/);
    const next = await continueStudy(env.client, studyId, { budget: 15 });
    // While that run goes on, the study is extended, not continued (bad input: the CLI exits 2).
    await expect(continueStudy(env.client, studyId, { budget: 1 })).rejects.toThrow(StudyNotContinuableError);
    const second = await env.result(next);
    expect(second.status).toBe('completed');
    expect(second.budget).toBe(35);
    expect(second.trialLog).toBe(first.trialLog);
    expect(second.history.slice(0, first.history.length)).toEqual(first.history);
    expect(second.history.length).toBeGreaterThan(first.history.length);
    expect(second.history.map((trial) => trial.trialIndex)).toEqual(second.history.map((_, index) => index));
    expect(second.spent).toBeCloseTo(
      second.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
      9,
    );
    expect(second.best!.objective).toBeGreaterThanOrEqual(first.best!.objective);
    // The best trial's last output, and a named stage of another trial, fetched by the CLI.
    const out = mkdtempSync(join(tmpdir(), 'memotune-artifact-'));
    const best = await runCli(
      ['study', 'artifact', studyId, '--out', join(out, 'best.json'), '--json'],
      cliEnv(env.s3KeyPrefix),
    );
    expect(best.stderr).toBe('');
    expect(JSON.parse(best.stdout)).toMatchObject({ trial: second.best!.trialIndex, stage: 's2', format: 'json' });
    expect(JSON.parse(readFileSync(join(out, 'best.json'), 'utf8'))).toMatchObject({ stage: 's2' });
    const first0 = await runCli(
      ['study', 'artifact', studyId, '--trial', '0', '--stage', 's0', '--out', join(out, 's0.json')],
      cliEnv(env.s3KeyPrefix),
    );
    expect(first0.code).toBe(0);
    const bad = await runCli(
      ['study', 'artifact', studyId, '--stage', 'nope', '--out', join(out, 'x')],
      cliEnv(env.s3KeyPrefix),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--stage nope: the stages are s0, s1, s2/);
    // A running study is extended, not continued.
    await expect(continueStudy(env.client, `${env.taskQueuePrefix}-nonexistent`, { budget: 1 })).rejects.toThrow(
      /no study/,
    );
    // The CLI says what the new run gets: the extra plus what the study had not spent.
    const more = await runCli(['study', 'continue', studyId, '--budget', '5', '--json'], cliEnv(env.s3KeyPrefix));
    expect(more.stderr).toBe('');
    const continued = JSON.parse(more.stdout) as { totalBudget: number; remaining: number; budget: number };
    expect(continued).toMatchObject({ studyId, budget: 5, totalBudget: 40 });
    expect(continued.remaining).toBeCloseTo(40 - second.spent, 5);
    const third = await env.result(env.client.workflow.getHandle(studyId));
    expect(third.budget).toBe(40);
    // Its budget is spent: more trials alone would run none, so they are refused, saying so.
    await expect(continueStudy(env.client, studyId, { trials: 2 })).rejects.toThrow(
      /has spent its budget \(spent [\d.]+ of 40\): more trials alone would run none; add budget too/,
    );
    await expect(continueStudy(env.client, studyId, {})).rejects.toThrow(/^budget, trials, enqueue:/);
    const neither = await runCli(['study', 'continue', studyId], cliEnv(env.s3KeyPrefix));
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give --budget <extra>, --trials <extra>, --enqueue <file>, or a mix');
    const badTrials = await runCli(['study', 'continue', studyId, '--trials', '2.5'], cliEnv(env.s3KeyPrefix));
    expect(badTrials.code).toBe(2);
    expect(badTrials.stderr).toContain("--trials must be a positive whole number, got '2.5'");
  }, 120_000);

  it('continues a study that ran its maxTrials with more trials (more budget alone is refused)', async () => {
    const studyId = `${env.taskQueuePrefix}-continue-trials`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: studyId, budget: 1000, maxTrials: 4, optimizer: { method: 'eeipu', warmup: 3 } }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const first = await env.result(handle);
    expect(first.history).toHaveLength(4);
    await expect(continueStudy(env.client, studyId, { budget: 5 })).rejects.toThrow(
      /ran its maxTrials \(4\): more budget alone would run no trial; add trials too/,
    );
    await expect(continueStudy(env.client, studyId, { trials: 0 })).rejects.toThrow(/^trials:/);
    const more = await runCli(['study', 'continue', studyId, '--trials', '3', '--json'], cliEnv(env.s3KeyPrefix));
    expect(more.stderr).toBe('');
    expect(JSON.parse(more.stdout)).toMatchObject({ studyId, trials: 3, maxTrials: 7 });
    const second = await env.result(env.client.workflow.getHandle(studyId));
    expect(second.status).toBe('completed');
    expect(second.history).toHaveLength(7);
    expect(second.history.slice(0, 4)).toEqual(first.history);
    expect(second.history.map((trial) => trial.trialIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await getStudyPlan(env.client, studyId)).maxTrials).toBe(7);
    // Continued with configurations to run first (Optuna's enqueue_trial, then optimize): they run
    // as the new run's first trials; one the space refuses is named and starts nothing.
    const dir = mkdtempSync(join(tmpdir(), 'memotune-continue-'));
    const good = [paper3Config([0.5, -0.5, 0.1, 0.2, 0.3, 3, 4]), paper3Config([1, 1, 0, 0, 0, 5, 5])];
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([paper3Config([9, 0, 0, 0, 0, 1, 1])]));
    const refused = await runCli(
      ['study', 'continue', studyId, '--trials', '2', '--enqueue', join(dir, 'bad.json')],
      cliEnv(env.s3KeyPrefix),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--enqueue[0]: stage "s0" param "x0": 9 is outside [-2, 2]');
    writeFileSync(join(dir, 'good.json'), JSON.stringify(good));
    const queued = await runCli(
      ['study', 'continue', studyId, '--trials', '2', '--enqueue', join(dir, 'good.json'), '--json'],
      cliEnv(env.s3KeyPrefix),
    );
    expect(queued.stderr).toBe('');
    expect(JSON.parse(queued.stdout)).toMatchObject({ studyId, trials: 2, enqueued: 2, maxTrials: 9 });
    const third = await env.result(env.client.workflow.getHandle(studyId));
    expect(third.history).toHaveLength(9);
    expect(third.history.slice(7).map((trial) => [trial.source, trial.config])).toEqual([
      ['enqueued', good[0]],
      ['enqueued', good[1]],
    ]);
  }, 120_000);
});
