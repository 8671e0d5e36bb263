import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelStudy,
  continueStudy,
  getStudyPlan,
  getStudyProgress,
  getStudyResult,
  pauseStudy,
  scheduleStudy,
  startStudy,
  StudyExistsError,
  studyStartedAt,
} from '../../src/client/index.js';
import { failingWorkflowTask } from '../../src/client/worker-wait.js';
import { parseStudyConfig } from '../../src/config/study-config.js';
import { planStudy } from '../../src/config/plan.js';
import { cliEnv, runCli } from './cli.js';
import { stageKeys } from '../../src/core/keys.js';
import { StageCache } from '../../src/storage/stage-cache.js';
import { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';

const { Payload } = temporal.api.common.v1;
import { createWorkers, runWorkers } from '../../src/worker/run-workers.js';
import { connectTemporalWorker } from '../../src/worker/temporal-connection.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { serveCodec } from '../fixtures/codec-server.js';
import { paper3, paper3Config, paper3Stages, paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('study');
  await env.startWorkers(paper3Stages);
});

afterAll(async () => {
  await env?.close();
});

describe('a study on the example pipeline (real Temporal + S3)', () => {
  it('runs until the budget is spent, charging exactly the sum of its trials', async () => {
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: 'budget', budget: 45, optimizer: { method: 'eeipu', warmup: 4, epsilon: 0.1 } }),
      { studyId: `${env.taskQueuePrefix}-budget`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.history.length).toBeGreaterThan(4);
    const charged = result.history.reduce((sum, trial) => sum + trial.chargedCost, 0);
    expect(result.spent).toBeCloseTo(charged, 9);
    expect(result.spent).toBeGreaterThanOrEqual(45);
    // Only the last trial may overshoot: before it, the budget was not yet spent.
    expect(result.spent - result.history.at(-1)!.chargedCost).toBeLessThan(45);
    expect(result.history.map((trial) => trial.trialIndex)).toEqual(result.history.map((_, index) => index));
    for (const trial of result.history) {
      expect(trial.status).toBe('completed');
      expect(trial.stageCosts.every((cost) => cost !== null && cost > 0)).toBe(true);
      // What each stage charged sums to the trial's charge: ε for each reused stage.
      expect(trial.stageCharges!.reduce((sum: number, charge) => sum + charge!, 0)).toBeCloseTo(trial.chargedCost, 9);
      expect(trial.stageCharges!.slice(0, trial.cachedPrefix).every((charge) => charge === 0.1)).toBe(true);
      // The objective is the sum of the stage objectives, read from the last stage's output.
      expect(Number.isFinite(trial.objective)).toBe(true);
    }
    expect(result.history.slice(0, 4).every((trial) => trial.phase === 'warmup')).toBe(true);
    expect(result.history.slice(4).every((trial) => trial.phase === 'bo')).toBe(true);
    expect(result.best).not.toBeNull();
    expect(result.best!.objective).toBe(Math.max(...result.history.map((trial) => trial.objective!)));

    // Its id again is refused by default (as Optuna refuses an existing study name): nothing
    // starts, and the finished study stays what memotune reads.
    const again = startStudy(env.client, paper3Study({ name: 'budget', budget: 5 }), {
      studyId: `${env.taskQueuePrefix}-budget`,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    await expect(again).rejects.toThrow(StudyExistsError);
    await expect(again).rejects.toThrow(/ran before \(completed\): continue it/);
    expect((await getStudyProgress(env.client, `${env.taskQueuePrefix}-budget`)).trials).toBe(result.history.length);
  });

  it('stops early by the cost-aware stopping rule when asked, and says so', async () => {
    // A steep exchange rate: any candidate's expected improvement is worth less than its cost,
    // so the first BO step after warm-up halts the study.
    const { handle } = await startStudy(
      env.client,
      paper3Study({
        name: 'stopping',
        budget: 200,
        optimizer: { method: 'eeipu', warmup: 4, costAwareStopping: true, stoppingCostWeight: 1e6 },
      }),
      { studyId: `${env.taskQueuePrefix}-stopping`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.earlyStop).toBe('costAwareStopping');
    // What the rule compared: the best candidate's log(EI / cost) at or below log(stoppingCostWeight).
    const { bestLogEipc, logThreshold } = result.earlyStopEvidence!;
    expect(Number.isFinite(logThreshold)).toBe(true);
    expect(bestLogEipc).toBeLessThanOrEqual(logThreshold);
    const status = await runCli(['study', 'status', `${env.taskQueuePrefix}-stopping`], cliEnv(env.s3KeyPrefix));
    expect(status.stdout).toMatch(
      /ended {5}early, by cost-aware stopping: .*\(the best candidate's log\(EI \/ cost\) -?[\d.]+ ≤ the threshold/,
    );
    expect(result.history).toHaveLength(4);
    expect(result.spent).toBeLessThan(200);
  });

  it('stops when the best reaches stopWhen.bestReaches or stops improving, says why, and continues afresh', async () => {
    const configs = [
      paper3Config([0.5, -0.5, 0.1, 0.2, 0.3, 3, 4]),
      paper3Config([0.5, -0.5, 0.1, 0.2, 0.3, 7, 1]),
      paper3Config([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
      paper3Config([-1, 1, 0.3, 0.4, 0.5, 0.6, 0.7]),
    ];
    const probe = await startStudy(
      env.client,
      paper3Study({ name: 'probe', budget: 1e6, maxTrials: 4, enqueue: configs }),
      { studyId: `${env.taskQueuePrefix}-probe`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const objectives = [...(await env.result(probe.handle)).history]
      .sort((a, b) => a.trialIndex - b.trialIndex)
      .map((trial) => trial.objective!);
    // The best of them is the target: the study stops at the trial that reaches it.
    const target = Math.max(...objectives);
    const firstBest = objectives.indexOf(target);
    const reach = await startStudy(
      env.client,
      paper3Study({ name: 'reach', budget: 1e6, maxTrials: 20, enqueue: configs, stopWhen: { bestReaches: target } }),
      { studyId: `${env.taskQueuePrefix}-reach`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const reached = await env.result(reach.handle);
    expect(reached).toMatchObject({ status: 'completed', earlyStop: 'bestReached', trials: firstBest + 1 });
    const status = await runCli(['study', 'status', `${env.taskQueuePrefix}-reach`], cliEnv(env.s3KeyPrefix));
    expect(status.stdout).toContain(`ended     early, as the best objective reached stopWhen.bestReaches = ${target}`);

    const plateauId = `${env.taskQueuePrefix}-plateau`;
    const plateau = await startStudy(
      env.client,
      paper3Study({
        name: 'plateau',
        budget: 1e6,
        maxTrials: 40,
        optimizer: { method: 'random' },
        stopWhen: { trialsWithoutImprovement: 3 },
      }),
      { studyId: plateauId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const first = await env.result(plateau.handle);
    expect(first).toMatchObject({
      status: 'completed',
      earlyStop: 'noImprovement',
      stopWhen: { trialsWithoutImprovement: 3 },
    });
    const ordered = [...first.history].sort((a, b) => a.trialIndex - b.trialIndex);
    const bestAt = ordered.findIndex((trial) => trial.trialIndex === first.best!.trialIndex);
    expect(ordered.length - 1 - bestAt).toBe(3);
    // Continued with more trials, the patience counts anew: at least 3 more trials run.
    const next = await continueStudy(env.client, plateauId, { trials: 10 });
    const second = await env.result(next);
    expect(second.trials - first.trials).toBeGreaterThanOrEqual(3);

    // A time limit (Optuna's timeout): checked as trials finish; a continuation gets its own.
    const timedId = `${env.taskQueuePrefix}-timed`;
    const timed = await startStudy(
      env.client,
      paper3Study({
        name: 'timed',
        budget: 1e6,
        maxTrials: 2000,
        optimizer: { method: 'random' },
        stopWhen: { afterSeconds: 1.5 },
      }),
      { studyId: timedId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const startedAt = Date.now();
    const timedOut = await env.result(timed.handle);
    expect(timedOut).toMatchObject({ status: 'completed', earlyStop: 'timeLimit' });
    expect(timedOut.trials).toBeLessThan(2000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1400);
    const timedStatus = await runCli(['study', 'status', timedId], cliEnv(env.s3KeyPrefix));
    expect(timedStatus.stdout).toContain('ended     early, as its time, stopWhen.afterSeconds = 1.5 s, was up');
    // Nothing added: a study stopWhen ended goes on, its clock anew.
    const more = await env.result(await continueStudy(env.client, timedId, {}));
    expect(more.trials - timedOut.trials).toBeGreaterThanOrEqual(1);
    expect(more).toMatchObject({ status: 'completed', earlyStop: 'timeLimit' });
    // Paused (or waiting on long trials), a study still ends at its deadline: a timer wakes it.
    const pausedId = `${env.taskQueuePrefix}-timed-paused`;
    const paused = await startStudy(
      env.client,
      paper3Study({
        name: 'timed-paused',
        budget: 1e6,
        maxTrials: 2000,
        optimizer: { method: 'random' },
        stopWhen: { afterSeconds: 2 },
      }),
      { studyId: pausedId, taskQueuePrefix: env.taskQueuePrefix },
    );
    await pauseStudy(env.client, pausedId);
    const pausedAt = (await getStudyProgress(env.client, pausedId)).trials;
    const endedPaused = await env.result(paused.handle);
    expect(endedPaused).toMatchObject({ status: 'completed', earlyStop: 'timeLimit' });
    // No trial started after the pause (those running then finished).
    expect(endedPaused.trials).toBeLessThanOrEqual(pausedAt + 1);
    // Cancelled before its deadline, its timer is cancelled with it: the study ends as cancelled.
    const cancelledId = `${env.taskQueuePrefix}-timed-cancelled`;
    const cancelled = await startStudy(
      env.client,
      paper3Study({ name: 'timed-cancelled', budget: 1e6, maxTrials: 2000, stopWhen: { afterSeconds: 600 } }),
      { studyId: cancelledId, taskQueuePrefix: env.taskQueuePrefix },
    );
    await cancelStudy(env.client, cancelledId);
    await expect(cancelled.handle.result()).rejects.toThrow();
    expect((await cancelled.handle.describe()).status.name).toBe('CANCELLED');
    expect((await getStudyProgress(env.client, cancelledId)).status).toBe('failed');
  }, 120_000);

  it('ends as cancelled when cancelled while its optimizer runs (not as refused by the optimizer)', async () => {
    const studyId = `${env.taskQueuePrefix}-suggest-cancelled`;
    // A slow suggestion (2^24 cost draws per stage) and quick stages: cancelled while one is in flight.
    const { handle } = await startStudy(
      env.client,
      paper3Study({
        name: 'suggest-cancelled',
        budget: 1e6,
        maxTrials: 200,
        optimizer: { warmup: 2, mcSamples: 4096, rawSamples: 4096 },
      }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const suggesting = async (): Promise<boolean> => {
      const { raw } = await handle.describe();
      return (raw.pendingActivities ?? []).some((activity) => activity.activityType?.name === 'suggestFromLog');
    };
    const deadline = Date.now() + 60_000;
    while (!((await getStudyProgress(env.client, studyId)).trials >= 2 && (await suggesting()))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await cancelStudy(env.client, studyId);
    await expect(handle.result()).rejects.toThrow();
    // It used to end FAILED: "the optimizer refused the study: Activity cancelled".
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('records a finished trial before it starts another: suggestions slower than trials see every result', async () => {
    const studyId = `${env.taskQueuePrefix}-records-first`;
    // Quick stages, slow suggestions (2^24 cost draws per stage), four trials at once. A review saw
    // such a study keep three finished trials unrecorded, shown as running and told to the
    // optimizer as pending, with one trial computing at a time.
    const { handle } = await startStudy(
      env.client,
      paper3Study({
        name: 'records-first',
        budget: 1e6,
        maxTrials: 14,
        parallelism: 4,
        optimizer: { warmup: 2, mcSamples: 4096, rawSamples: 4096 },
      }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.trials).toBe(14);
    const { events } = await handle.fetchHistory();
    const pending = (events ?? []).flatMap((event) => {
      const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      if (payload === undefined || payload === null) return [];
      const answer = JSON.parse(new TextDecoder().decode(payload)) as {
        phase?: string;
        diagnostics?: { pending?: number };
      };
      return answer.phase === 'bo' && typeof answer.diagnostics?.pending === 'number'
        ? [answer.diagnostics.pending]
        : [];
    });
    expect(pending.length).toBeGreaterThanOrEqual(8);
    // Each suggestion sees as pending only the trial launched just before it (its stages run
    // during the suggestion); it used to see parallelism − 1 = 3 finished ones.
    const median = [...pending].sort((a, b) => a - b)[Math.floor(pending.length / 2)]!;
    expect(median, `pending per suggestion: ${pending.join(' ')}`).toBeLessThanOrEqual(1);
  });

  it('reuses a cached prefix: its stages are not scheduled again and cost ε each', async () => {
    const first = paper3Config([0.5, -0.5, 0.1, 0.2, 0.3, 3, 4]);
    const second = paper3Config([0.5, -0.5, 0.1, 0.2, 0.3, 7, 1]);
    const studyId = `${env.taskQueuePrefix}-reuse`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: 'reuse', budget: 1000, maxTrials: 2, enqueue: [first, second] }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    const [a, b] = result.history;
    expect(a!.cachedPrefix).toBe(0);
    expect(a!.stagesRun).toEqual([0, 1, 2]);
    expect(b!.cachedPrefix).toBe(2);
    expect(b!.stagesRun).toEqual([2]);
    // Stage costs of reused stages are the costs measured when they were computed.
    expect(b!.stageCosts[0]).toBe(a!.stageCosts[0]);
    expect(b!.stageCosts[1]).toBe(a!.stageCosts[1]);
    expect(b!.chargedCost).toBeCloseTo(2 * 0.1 + b!.stageCosts[2]!, 12);
    expect(a!.chargedCost).toBeCloseTo(
      a!.stageCosts.reduce((s, c) => s! + c!, 0)!,
      12,
    );

    // The Temporal history of trial 1 schedules exactly one runStage activity (the last stage).
    const history = await env.client.workflow.getHandle(`${studyId}/trial-1`).fetchHistory();
    const scheduled = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes);
    const stageRuns = scheduled.filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'runStage',
    );
    expect(stageRuns).toHaveLength(1);

    // Outputs live in S3 under the chained keys, the third stage read the cached second one.
    // The default pipeline id: the study name under its queue prefix.
    const keys = stageKeys(
      `${env.taskQueuePrefix}/reuse`,
      paper3.stages.map((s) => ({ name: s.name })),
      second,
    );
    expect(b!.keys).toEqual(keys);
    const cache = new StageCache(env.store);
    const last = await cache.readOutput(keys[2]!);
    const parent = await cache.readOutput(keys[1]!);
    const lastPartial = (JSON.parse(new TextDecoder().decode(last.body)) as { partialObjective: number })
      .partialObjective;
    const parentPartial = (JSON.parse(new TextDecoder().decode(parent.body)) as { partialObjective: number })
      .partialObjective;
    expect(lastPartial).toBeCloseTo(b!.objective!, 12);
    expect(lastPartial - parentPartial).toBeCloseTo(b!.metrics.stageObjective!, 12);
    // Every stage's metrics are in the record; a reused stage's as it reported them when it ran.
    expect(a!.stageMetrics).toHaveLength(3);
    expect(a!.stageMetrics![2]).toEqual(a!.metrics);
    expect(b!.stageMetrics![0]).toEqual(a!.stageMetrics![0]);
    expect(b!.stageMetrics![1]).toEqual(a!.stageMetrics![1]);
    expect(Object.keys(b!.stageMetrics![1]!)).toContain('stageObjective');
    expect(b!.stageMetrics![2]).toEqual(b!.metrics);
    const status = await getStudyResult(env.client, studyId, { store: env.store });
    expect(status.reusedTrials).toBe(1);
  });

  it('gives the same trials and results for the same config and seed', async () => {
    const config = paper3Study({ name: 'determinism', budget: 40, seed: 7, optimizer: { method: 'eeipu', warmup: 3 } });
    // A second environment: fresh task queues and a fresh (empty) stage cache.
    const other = await createTestEnv('determinism-b');
    try {
      await other.startWorkers(paper3Stages);
      const [r1, r2] = await Promise.all([
        startStudy(env.client, config, {
          studyId: `${env.taskQueuePrefix}-det`,
          taskQueuePrefix: env.taskQueuePrefix,
        }).then((s) => env.result(s.handle)),
        startStudy(other.client, config, {
          studyId: `${other.taskQueuePrefix}-det`,
          taskQueuePrefix: other.taskQueuePrefix,
        }).then((s) => other.result(s.handle)),
      ]);
      const summary = (r: typeof r1) =>
        r.history.map((t) => ({
          config: t.config,
          objective: t.objective,
          charged: t.chargedCost,
          reused: t.cachedPrefix,
        }));
      expect(r1.history.length).toBeGreaterThan(3);
      expect(summary(r2)).toEqual(summary(r1));
    } finally {
      await other.close();
    }
  });

  it('continues as new when a run reaches its trial limit, losing no trial', async () => {
    const studyId = `${env.taskQueuePrefix}-can`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name: 'can', budget: 10_000, maxTrials: 7, optimizer: { method: 'random' } }),
      { studyId, taskQueuePrefix: env.taskQueuePrefix, trialsPerRun: 3 },
    );
    const result = await env.result(handle);
    expect(result.runs).toBe(3);
    expect(result.history.map((trial) => trial.trialIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // `study list` dates the study from its first run, not from the run that continued it.
    const first = await env.client.workflow.getHandle(studyId, handle.firstExecutionRunId).describe();
    const latest = await env.client.workflow.getHandle(studyId).describe();
    expect(latest.runId).not.toBe(first.runId);
    expect(studyStartedAt(latest).toISOString()).toBe(studyStartedAt(first).toISOString());
    expect(studyStartedAt(latest).getTime()).toBeLessThanOrEqual(first.startTime.getTime());
    expect(first.startTime.getTime() - studyStartedAt(latest).getTime()).toBeLessThan(10_000);
    expect(latest.startTime.getTime()).toBeGreaterThan(first.startTime.getTime());
    const listed = await runCli(['study', 'list', '--json', '--limit', '100'], cliEnv(env.s3KeyPrefix));
    expect(listed.code).toBe(0);
    const row = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; started: string; runStarted: string })
      .find((entry) => entry.id === studyId);
    expect(row).toMatchObject({
      started: studyStartedAt(first).toISOString(),
      runStarted: latest.startTime.toISOString(),
      // Whose it is: its workers' prefix and its pipeline (an ops review could not tell teams apart).
      prefix: env.taskQueuePrefix,
      pipeline: expect.any(String),
    });
    const byPrefix = await runCli(
      ['study', 'list', '--json', '--prefix', env.taskQueuePrefix, '--id', studyId],
      cliEnv(env.s3KeyPrefix),
    );
    expect(byPrefix.stdout.trim().split('\n')).toHaveLength(1);
    const otherPrefix = await runCli(
      ['study', 'list', '--prefix', `${env.taskQueuePrefix}-other`, '--id', studyId],
      cliEnv(env.s3KeyPrefix),
    );
    expect(otherPrefix.stdout.trim()).toBe('no matching studies');
    // Filtered by id and status; what the limit leaves out is said, not dropped silently.
    const filtered = await runCli(
      ['study', 'list', '--json', '--id', studyId, '--status', 'completed'],
      cliEnv(env.s3KeyPrefix),
    );
    expect(
      filtered.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: string }).id),
    ).toEqual([studyId]);
    const none = await runCli(['study', 'list', '--id', studyId, '--status', 'failed'], cliEnv(env.s3KeyPrefix));
    expect(none.stdout.trim()).toBe('no matching studies');
    const studies = listed.stdout.trim().split('\n').length;
    const one = await runCli(['study', 'list', '--json', '--limit', '1'], cliEnv(env.s3KeyPrefix));
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
    // (Run alone, this study may be the server's only one.)
    if (studies > 1) expect(one.stderr).toMatch(/^\d+( or more)? studies not shown: raise --limit \(now 1\)/);
    else expect(one.stderr).toBe('');
  });
  it("runs a study in the namespace the workers' connection resolved (TEMPORAL_NAMESPACE), not 'default'", async () => {
    // A review's workers got only the connection of TEMPORAL_NAMESPACE=mlteam from
    // connectTemporalWorker, polled 'default', and its study waited for ever.
    const namespace = `${env.taskQueuePrefix}-ns`;
    await env.client.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const { connection } = await connectTemporalWorker({ address: testStack().servers.temporalAddress, namespace });
    // A namespace just registered reaches the frontend's cache within seconds.
    const create = () =>
      createWorkers({
        connection,
        store: env.store,
        stages: paper3Stages,
        taskQueuePrefix: env.taskQueuePrefix,
        workflowBundle: { codePath: testStack().workflowBundlePath },
      });
    let workers = await create().catch(() => null);
    for (let attempt = 0; workers === null && attempt < 60; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      workers = await create().catch((error: unknown) => (attempt === 59 ? Promise.reject(error) : null));
    }
    expect(workers!.every((worker) => worker.options.namespace === namespace)).toBe(true);
    const controller = new AbortController();
    const running = runWorkers(workers!, controller.signal);
    try {
      const client = new Client({ connection: env.client.connection, namespace });
      const { handle } = await startStudy(client, paper3Study({ name: 'namespaced', budget: 1e6, maxTrials: 2 }), {
        studyId: `${env.taskQueuePrefix}-namespaced`,
        taskQueuePrefix: env.taskQueuePrefix,
      });
      const result = await env.result(handle);
      expect(result.status).toBe('completed');
      expect(result.history).toHaveLength(2);
      // The namespace has no memotune search attributes: asking for them says so and what to do.
      await expect(
        startStudy(client, paper3Study({ name: 'namespaced', budget: 1e6, maxTrials: 1 }), {
          studyId: `${env.taskQueuePrefix}-namespaced-2`,
          taskQueuePrefix: env.taskQueuePrefix,
          searchAttributes: true,
        }),
      ).rejects.toThrow(/lacks memotune's search attributes .*memotune cluster setup/);
    } finally {
      controller.abort();
      await running;
      await connection.close();
    }
  }, 120_000);
  it('runs a study whose workers and client share a payload codec (workerOptions.dataConverter)', async () => {
    // A codec that wraps each payload: nothing of it is readable without the codec.
    const codec: PayloadCodec = {
      encode: async (payloads) =>
        payloads.map((payload) => ({
          metadata: { encoding: new TextEncoder().encode('binary/x-test-wrapped') },
          data: Payload.encode(payload).finish(),
        })),
      decode: async (payloads) => payloads.map((payload) => Payload.decode(payload.data!)),
    };
    // Queues of its own: the suite's workers (no codec) cannot read these tasks.
    const prefix = `${env.taskQueuePrefix}-codec`;
    const connection = await NativeConnection.connect({ address: testStack().servers.temporalAddress });
    const workers = await createWorkers({
      connection,
      store: env.store,
      stages: paper3Stages,
      taskQueuePrefix: prefix,
      workflowBundle: { codePath: testStack().workflowBundlePath },
      workerOptions: { dataConverter: { payloadCodecs: [codec] } },
    });
    const controller = new AbortController();
    const running = runWorkers(workers, controller.signal);
    const stop = async () => {
      controller.abort();
      await running;
      await connection.close();
    };
    try {
      const client = new Client({ connection: env.client.connection, dataConverter: { payloadCodecs: [codec] } });
      const studyId = `${env.taskQueuePrefix}-codec`;
      const { handle } = await startStudy(client, paper3Study({ name: 'codec', budget: 1e6, maxTrials: 3 }), {
        studyId,
        taskQueuePrefix: prefix,
      });
      const result = await env.result(handle);
      expect(result.status).toBe('completed');
      expect(result.history).toHaveLength(3);
      // What the server holds is the codec's.
      const history = await env.client.workflow.getHandle(studyId).fetchHistory();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      expect(new TextDecoder().decode(input.metadata!.encoding!)).toBe('binary/x-test-wrapped');
      // The CLI has no codec: it still lists every study (this one from what the server knows).
      const listed = await runCli(['study', 'list', '--json', '--limit', '1000'], cliEnv(env.s3KeyPrefix));
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain(`"id":"${studyId}"`);
      const cached = await runCli(['cache', 'ls', '--by', 'study', '--json'], cliEnv(env.s3KeyPrefix));
      expect(cached.code, cached.stderr).toBe(0);
      // Reading it needs the codec: the message says how to give it.
      const blind = await runCli(['study', 'status', studyId, '--json'], cliEnv(env.s3KeyPrefix));
      expect(blind.code).toBe(1);
      expect(blind.stderr).toContain('--codec-endpoint');
      // With the team's codec server (as the Temporal UI and CLI read such a namespace), the
      // commands read it: status, and the trials (their log's place is in the study's input).
      const server = await serveCodec(codec);
      try {
        const status = await runCli(
          ['study', 'status', studyId, '--json', '--codec-endpoint', server.url],
          cliEnv(env.s3KeyPrefix),
        );
        expect(status.code, status.stderr).toBe(0);
        expect(JSON.parse(status.stdout)).toMatchObject({ studyId, status: 'completed', trials: 3 });
        const withCodec = { ...cliEnv(env.s3KeyPrefix), TEMPORAL_CODEC_ENDPOINT: server.url };
        const trials = await runCli(['study', 'trials', studyId, '--format', 'csv'], withCodec);
        expect(trials.code, trials.stderr).toBe(0);
        expect(trials.stdout.trim().split('\n')).toHaveLength(4);
        expect(server.requests.every((request) => request.headers['x-namespace'] === 'default')).toBe(true);
      } finally {
        await server.close();
      }
    } finally {
      await stop();
    }
  }, 120_000);
  it('deletes a study that has ended (trial log and workflow histories), after a dry run; refuses a running one', async () => {
    const studyId = `${env.taskQueuePrefix}-deleted`;
    const { handle } = await startStudy(env.client, paper3Study({ name: 'deleted', budget: 1e6, maxTrials: 3 }), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const result = await env.result(handle);
    const trialLog = result.trialLog!;
    const logged = (await env.store.list(trialLog)).length;
    expect(logged).toBeGreaterThanOrEqual(3);
    const dry = await runCli(['study', 'delete', studyId, '--json'], cliEnv(env.s3KeyPrefix));
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({
      studyId,
      trialLog,
      trialLogObjects: logged,
      executions: 4, // the study's run and its 3 trials
      applied: false,
    });
    expect(await env.store.list(trialLog)).toHaveLength(logged);
    // A crafted study workflow whose input names this study's log (of the right shape): refused.
    const crafted = await env.client.workflow.start('studyWorkflow', {
      workflowId: `${studyId}-crafted`,
      taskQueue: `${env.taskQueuePrefix}-nobody-crafted`,
      args: [{ state: { trialLog } } as never],
    });
    await crafted.terminate('test');
    const stolen = await runCli(['study', 'delete', crafted.workflowId, '--apply'], cliEnv(env.s3KeyPrefix));
    expect(stolen.code).toBe(2);
    expect(stolen.stderr).toContain(`its input names the trial log ${trialLog}, which study '${studyId}' writes`);
    // Its trial log alone is refused while the server has the study.
    const owned = await runCli(['study', 'delete', '--trial-log', trialLog, '--apply'], cliEnv(env.s3KeyPrefix));
    expect(owned.code).toBe(2);
    expect(owned.stderr).toContain(`it is the trial log of study '${studyId}', which the server still has`);
    expect(await env.store.list(trialLog)).toHaveLength(logged);
    const applied = await runCli(['study', 'delete', studyId, '--apply'], cliEnv(env.s3KeyPrefix));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      `deleted study ${studyId}: its trial log ${trialLog} (${logged} objects), 4 workflow executions`,
    );
    expect(await env.store.list(trialLog)).toEqual([]);
    // The server deletes asynchronously: the study is gone within seconds.
    let status = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
    for (let wait = 0; status.code !== 2 && wait < 50; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      status = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
    }
    expect(status.stderr).toContain(`no study with id '${studyId}'`);

    // A trial log left behind by a study the server no longer has (retention removed its history).
    const orphan = 'studies/0194a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/';
    await env.store.put(`${orphan}trials/000000000.json`, new TextEncoder().encode('{}'));
    const orphanDry = await runCli(['study', 'delete', '--trial-log', orphan, '--json'], cliEnv(env.s3KeyPrefix));
    expect(orphanDry.code, orphanDry.stderr).toBe(0);
    expect(JSON.parse(orphanDry.stdout)).toEqual({
      studyId: null,
      trialLog: orphan,
      trialLogObjects: 1,
      executions: 0,
      applied: false,
    });
    const orphanApplied = await runCli(['study', 'delete', '--trial-log', orphan, '--apply'], cliEnv(env.s3KeyPrefix));
    expect(orphanApplied.stdout).toContain(
      `deleted a study no longer on the server: its trial log ${orphan} (1 objects)`,
    );
    expect(await env.store.list(orphan)).toEqual([]);
    const notALog = await runCli(['study', 'delete', '--trial-log', 'outputs/'], cliEnv(env.s3KeyPrefix));
    expect(notALog.code).toBe(2);
    expect(notALog.stderr).toContain('a trial log is named studies/<run id>/');

    // A running study (here: waiting on queues no worker serves) is refused, exit 2, nothing deleted.
    const runningId = `${env.taskQueuePrefix}-deleted-running`;
    const running = await startStudy(env.client, paper3Study({ name: 'deleted-running', budget: 10 }), {
      studyId: runningId,
      taskQueuePrefix: `${env.taskQueuePrefix}-nobody-delete`,
    });
    try {
      const refused = await runCli(['study', 'delete', runningId, '--apply'], cliEnv(env.s3KeyPrefix));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`study '${runningId}' is running: stop it first`);
      expect((await running.handle.describe()).status.name).toBe('RUNNING');
    } finally {
      await running.handle.terminate('test done');
    }
  }, 120_000);

  it("keeps a continued study's trial log when its first run is gone (retention): --trial-log refuses it", async () => {
    const studyId = `${env.taskQueuePrefix}-continued-log`;
    const { handle } = await startStudy(env.client, paper3Study({ name: 'continued-log', budget: 1e6, maxTrials: 2 }), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const trialLog = (await env.result(handle)).trialLog!;
    const firstRunId = (await handle.describe()).runId;
    await env.result(await continueStudy(env.client, studyId, { trials: 1 }));
    // What the namespace's retention does to the first run.
    await env.client.workflowService.deleteWorkflowExecution({
      namespace: env.client.options.namespace,
      workflowExecution: { workflowId: studyId, runId: firstRunId },
    });
    const listed = async () => {
      const runs: string[] = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${studyId}'` }))
        runs.push(execution.runId);
      return runs;
    };
    for (let wait = 0; (await listed()).includes(firstRunId) && wait < 160; wait++)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await listed()).not.toContain(firstRunId);
    const refused = await runCli(['study', 'delete', '--trial-log', trialLog, '--apply'], cliEnv(env.s3KeyPrefix));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`it is the trial log of study '${studyId}', which the server still has`);
    expect((await env.store.list(trialLog)).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it("deletes nothing but the study: refuses another application's workflow and a crafted trial log; an id made to inject into the listing deletes only its own runs", async () => {
    const park = `${env.taskQueuePrefix}-nobody-delete-guard`; // no worker: the workflows just wait
    const ended = async (type: string, workflowId: string, input: unknown) => {
      const handle = await env.client.workflow.start(type, { workflowId, taskQueue: park, args: [input] });
      await handle.terminate('test');
      return handle;
    };
    const canary = 'outputs/canary-delete-guard';
    await env.store.put(canary, new TextEncoder().encode('keep me'));
    const deleteCli = (id: string) => runCli(['study', 'delete', id, '--apply'], cliEnv(env.s3KeyPrefix));

    // Another application's workflow, its input shaped like a study's: refused, exit 2, kept.
    const other = await ended('PaymentsWorkflow', `${env.taskQueuePrefix}-payments`, {
      state: { trialLog: 'outputs/' },
    });
    const refusedOther = await deleteCli(other.workflowId);
    expect(refusedOther.code).toBe(2);
    expect(refusedOther.stderr).toContain(
      'is not a memotune study that can be deleted: its workflow type is PaymentsWorkflow',
    );
    // A study workflow whose input names a trial log that is not one (here: the whole stage cache).
    const crafted = await ended('studyWorkflow', `${env.taskQueuePrefix}-crafted-log`, {
      state: { trialLog: 'outputs/' },
    });
    const refusedCrafted = await deleteCli(crafted.workflowId);
    expect(refusedCrafted.code).toBe(2);
    expect(refusedCrafted.stderr).toContain('its input names the trial log "outputs/", not studies/<run id>/');
    expect(await env.store.list('outputs/canary-delete-guard')).toEqual([canary]);
    for (const handle of [other, crafted]) expect((await handle.describe()).status.name).toBe('TERMINATED');

    // A victim study, and workflows under the injecting study's id that are not its trials.
    const victim = await ended('studyWorkflow', `${env.taskQueuePrefix}-victim`, {});
    const injectingId = `${env.taskQueuePrefix}-x\\' OR WorkflowId STARTS_WITH "${env.taskQueuePrefix}-victim" #`;
    await ended('studyWorkflow', injectingId, {});
    const notTrials = [
      await ended('PaymentsWorkflow', `${injectingId}/refund-1`, {}),
      await ended('PaymentsWorkflow', `${injectingId}/trial-9`, {}),
    ];
    const dry = await runCli(['study', 'delete', injectingId, '--json'], cliEnv(env.s3KeyPrefix));
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ studyId: injectingId, executions: 1 });
    const applied = await deleteCli(injectingId);
    expect(applied.code, applied.stderr).toBe(0);
    for (const handle of [victim, ...notTrials]) expect((await handle.describe()).status.name).toBe('TERMINATED');
  }, 60_000);

  it('a plan needing what this release does not know fails the workflow task (retried), and status says why', async () => {
    // What a plan from a newer client looks like to this release's worker: it must not run it
    // without the feature (an older release ignored stopWhen, and its history then broke replay).
    const studyId = `${env.taskQueuePrefix}-from-the-future`;
    const plan = planStudy(parseStudyConfig(paper3Study({ name: 'future', budget: 10 })), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const handle = await env.client.workflow.start('studyWorkflow', {
      workflowId: studyId,
      taskQueue: plan.orchestrationQueue,
      args: [{ plan: { ...plan, requires: ['teleport'] } }],
    });
    try {
      let failing = await failingWorkflowTask(env.client, studyId);
      for (let wait = 0; failing === null && wait < 100; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        failing = await failingWorkflowTask(env.client, studyId);
      }
      expect(failing?.reason).toContain(
        "this study needs teleport, which this orchestration worker's memotune release does not know",
      );
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const status = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
      expect(status.code).toBe(1);
      expect(status.stderr).toContain('fails its workflow task');
      expect(status.stderr).toContain('this study needs teleport');
      expect(status.stderr).not.toContain('no worker');
    } finally {
      await handle.terminate('test done');
    }
  }, 120_000);
  it('starts a study of its own at each run of a Temporal Schedule, read and continued by its id', async () => {
    const scheduleId = `${env.taskQueuePrefix}-nightly`;
    // A bad config is refused when the schedule is made, not at every run.
    await expect(
      scheduleStudy(env.client, scheduleId, { ...paper3Study({ name: 'nightly' }), budget: -1 }, { spec: {} }),
    ).rejects.toThrow(/budget/);
    const schedule = await scheduleStudy(
      env.client,
      scheduleId,
      paper3Study({ name: 'nightly', budget: 1e6, maxTrials: 3 }),
      {
        spec: { intervals: [{ every: '1 day' }] },
        taskQueuePrefix: env.taskQueuePrefix,
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      },
    );
    try {
      // Two runs at once: two studies, each with its own trials.
      await schedule.trigger();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await schedule.trigger();
      let ids: string[] = [];
      for (let attempt = 0; attempt < 100 && ids.length < 2; attempt++) {
        ids = (await schedule.describe()).info.recentActions.map((action) => action.action.workflow.workflowId);
        if (ids.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      for (const studyId of ids) {
        expect(studyId.startsWith(`${scheduleId}-`)).toBe(true);
        const result = await getStudyResult(env.client, studyId, { wait: true, store: env.store });
        expect(result).toMatchObject({ studyId, name: 'nightly', status: 'completed', trials: 3 });
        expect((await getStudyPlan(env.client, studyId)).studyId).toBe(studyId);
        const status = await runCli(['study', 'status', studyId], cliEnv(env.s3KeyPrefix));
        expect(status.stdout).toContain(`study     ${studyId} (completed)`);
      }
      // Continued like any study.
      const next = await continueStudy(env.client, ids[0]!, { trials: 1 });
      expect((await env.result(next)).trials).toBe(4);
    } finally {
      await schedule.delete();
    }
    // The same workflow, started by its type with only a config (as a workflow of your own would
    // start it with executeChild), is a study under its own id; a bad config fails it, naming why.
    const childId = `${env.taskQueuePrefix}-from-config`;
    const fromConfig = await env.client.workflow.start('studyFromConfigWorkflow', {
      workflowId: childId,
      taskQueue: `${env.taskQueuePrefix}-orchestration`,
      args: [
        {
          config: paper3Study({ name: 'from-config', budget: 1e6, maxTrials: 2 }),
          taskQueuePrefix: env.taskQueuePrefix,
        },
      ],
    });
    expect(await fromConfig.result()).toMatchObject({ studyId: childId, status: 'completed', trials: 2 });
    expect((await getStudyResult(env.client, childId, { store: env.store })).history).toHaveLength(2);
    const badConfig = await env.client.workflow.start('studyFromConfigWorkflow', {
      workflowId: `${childId}-bad`,
      taskQueue: `${env.taskQueuePrefix}-orchestration`,
      args: [{ config: { ...paper3Study({ name: 'bad' }), budget: -1 }, taskQueuePrefix: env.taskQueuePrefix }],
    });
    await expect(badConfig.result()).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^the study cannot start: .*budget/s) },
    });

    // From the CLI: bad flags exit 2 naming them, before anything connects; a good one makes it.
    const file = join(tmpdir(), `${env.taskQueuePrefix}-schedule.json`);
    writeFileSync(file, JSON.stringify(paper3Study({ name: 'nightly', budget: 1e6, maxTrials: 1 })));
    const cliId = `${env.taskQueuePrefix}-cli-nightly`;
    const scheduleCli = (...args: string[]) =>
      runCli(['study', 'schedule', file, '--prefix', env.taskQueuePrefix, ...args], cliEnv(env.s3KeyPrefix));
    const neither = await scheduleCli('--id', cliId);
    expect([neither.code, neither.stderr]).toEqual([2, expect.stringContaining('give one of --cron and --every')]);
    const badEvery = await scheduleCli('--id', cliId, '--every', 'daily');
    expect([badEvery.code, badEvery.stderr]).toEqual([2, expect.stringContaining('--every must be')]);
    const badId = await scheduleCli('--id', 'a/b', '--every', '1d');
    expect(badId.code).toBe(2);
    const made = await scheduleCli('--id', cliId, '--cron', '0 2 * * *', '--json');
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toEqual({ scheduleId: cliId });
    const described = await env.client.schedule.getHandle(cliId).describe();
    expect(described.spec.calendars?.length ?? 0).toBeGreaterThan(0);
    await env.client.schedule.getHandle(cliId).delete();
  }, 120_000);
});
