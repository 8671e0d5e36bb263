/**
 * Stages written in Python, on Temporal's Python SDK worker, against the real servers: a study of
 * Python stages only, and one that mixes TypeScript and Python stages and reuses cached prefixes
 * across the two languages (the cache protocol is shared, docs/stage-contract.md).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy } from '../../src/client/index.js';
import type { StudyConfigInput } from '../../src/config/study-config.js';
import type { StageRegistry } from '../../src/stages/types.js';
import { StageCache } from '../../src/storage/stage-cache.js';
import { packageVersion } from '../../src/package-root.js';
import { cliEnv, runCli, runProcess } from './cli.js';
import { createTestEnv, freePort, testStack, type TestEnv } from './harness.js';

const pythonStages = join(import.meta.dirname, '..', 'fixtures', 'python-stages', 'stages.py');
let env: TestEnv;
/** Where the Python worker serves its Prometheus metrics. */
let metricsAddress: string;

const tsStages: StageRegistry = {
  'ts-prepare': ({ params }) => ({ output: { base: params.a }, cost: 1 }),
  'ts-score': async ({ parent, ancestors }) => {
    const middle = Number(new TextDecoder().decode(await parent!.bytes()));
    const prepared = await ancestors['prepare']!.json<{ base: number }>();
    return { output: { middle }, metrics: { score: middle + prepared.base } };
  },
};

beforeAll(async () => {
  env = await createTestEnv('python');
  await env.startWorkers(tsStages, ['orchestration', 'cpu']);
  metricsAddress = `127.0.0.1:${await freePort()}`;
  await env.startPythonWorker([pythonStages], 'python', { metrics: metricsAddress });
});

afterAll(async () => {
  await env?.close();
});

describe('Python stages', () => {
  it('runs a study whose stages are all Python functions, with typed params, seeds and reused prefixes', async () => {
    const { handle } = await startStudy(
      env.client,
      {
        name: 'python-only',
        pipeline: {
          stages: [
            {
              name: 'prepare',
              implementation: 'py-prepare',
              taskQueue: 'python',
              params: [
                { name: 'a', type: 'float', low: 0, high: 1 },
                { name: 'mode', type: 'categorical', choices: ['x', 'y'] },
              ],
            },
            {
              name: 'train',
              implementation: 'py-train',
              taskQueue: 'python',
              params: [{ name: 'lr', type: 'float', low: 0.01, high: 1 }],
            },
          ],
        },
        objective: { metric: 'score' },
        budget: 60,
        maxTrials: 8,
        optimizer: { method: 'eeipu', warmup: 3 },
        enqueue: [
          [{ a: 0.5, mode: 'x' }, { lr: 0.2 }],
          [{ a: 0.5, mode: 'x' }, { lr: 0.4 }],
        ],
      },
      { studyId: `${env.taskQueuePrefix}-python-only`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    expect(result.failedTrials).toBe(0);
    expect(result.trials).toBe(8);
    // The second enqueued trial shares the first one's prepare stage: reused, charged ε.
    expect(result.history[1]).toMatchObject({ cachedPrefix: 1, stageCosts: [2, 3] });
    expect(result.history[1]!.chargedCost).toBeCloseTo(0.1 + 3, 9);
    expect(result.history[0]!.objective).toBeCloseTo(-0.01 + 0.05, 9);

    // The Python worker's metrics: one completed attempt per stage the trials ran, by stage name.
    const metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    const attempts = (stage: string) =>
      Number(
        new RegExp(
          `^memotune_stage_attempt_seconds_count\\{[^}]*outcome="completed"[^}]*stage="${stage}"[^}]*\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1] ?? 0,
      );
    const runs = (stage: number) => result.history.filter((trial) => trial.stagesRun.includes(stage)).length;
    expect([attempts('prepare'), attempts('train')]).toEqual([runs(0), runs(1)]);
    expect(runs(0)).toBeGreaterThan(0);
    expect(metrics).toMatch(/^memotune_stage_attempt_seconds_bucket\{[^}]*le="0.1"[^}]*\} \d+$/m);
    expect(metrics).toMatch(/^temporal_activity_execution_latency/m);

    const prepared = await new StageCache(env.store).readOutput(result.history[0]!.keys[0]!);
    const written = JSON.parse(new TextDecoder().decode(prepared.body)) as { seed: number; mode: string };
    expect(written.mode).toBe('x');
    expect(written.seed).toBeGreaterThan(0);
    expect(prepared.meta).toMatchObject({ stage: 'prepare', format: 'json', cost: 2 });

    // From Python (memotune.load_study, `python -m memotune trials`): the Node CLI's CSV, cell for cell.
    const studyId = `${env.taskQueuePrefix}-python-only`;
    const fromNode = await runCli(['study', 'trials', studyId, '--format', 'csv'], cliEnv(env.s3KeyPrefix));
    const fromPython = await runProcess(
      testStack().python,
      ['-m', 'memotune', 'trials', studyId],
      cliEnv(env.s3KeyPrefix),
    );
    expect(fromPython.stderr).toBe('');
    expect(fromPython.stdout).toBe(fromNode.stdout);
    expect(fromPython.stdout.trim().split('\n')).toHaveLength(9);
    // load_study reads the parameter types from the plan: best_params as Optuna gives them.
    const script = [
      'import asyncio, json, memotune',
      `study = asyncio.run(memotune.load_study(${JSON.stringify(studyId)}))`,
      'first = study.artifact(0, "prepare")',
      'print(json.dumps({"types": study.param_types, "best": study.best_params, "value": study.best_value,',
      '  "artifact": [first.stage, first.format, first.json()["mode"], study.artifact().stage]}))',
    ].join('\n');
    const read = await runProcess(testStack().python, ['-c', script], cliEnv(env.s3KeyPrefix));
    expect(read.stderr).toBe('');
    const fromLoad = JSON.parse(read.stdout) as {
      types: unknown;
      best: Record<string, unknown>;
      value: number;
      artifact: unknown[];
    };
    // A stage output from Python as `study artifact` fetches it: trial 0's first stage, the best trial's last.
    expect(fromLoad.artifact).toEqual(['prepare', 'json', 'x', 'train']);
    expect(fromLoad.types).toEqual({ 'prepare.a': 'float', 'prepare.mode': 'categorical', 'train.lr': 'float' });
    expect(Object.keys(fromLoad.best)).toEqual(['prepare.a', 'prepare.mode', 'train.lr']);
    expect(fromLoad.value).toBe(Math.max(...result.history.map((trial) => trial.objective ?? -Infinity)));
    const missing = await runProcess(
      testStack().python,
      ['-m', 'memotune', 'trials', 'no-such-study'],
      cliEnv(env.s3KeyPrefix),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no study 'no-such-study'");
  });

  it("keeps a failing Python stage's traceback, ends it at once when its error class is non-retryable, and names a parameter typo", async () => {
    const { handle } = await startStudy(
      env.client,
      {
        name: 'py-failing',
        pipeline: {
          stages: [
            {
              name: 'divide',
              implementation: 'py-divide',
              taskQueue: 'python',
              params: [{ name: 'd', type: 'float', low: 0, high: 4 }],
              // ZeroDivisionError is an ArithmeticError: not retried.
              retry: { maximumAttempts: 3, initialIntervalSeconds: 0.1, nonRetryableErrors: ['ArithmeticError'] },
            },
          ],
        },
        objective: { metric: 'ratio' },
        budget: 100,
        maxTrials: 3,
        enqueue: [[{ d: 4 }], [{ d: 0 }], [{ d: 2 }]],
      },
      { studyId: `${env.taskQueuePrefix}-py-failing`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    const [fine, divided, typo] = result.history;
    expect(result.history.map((trial) => trial.status)).toEqual(['completed', 'failed', 'failed']);
    expect(fine!.errorTrace).toBeUndefined();
    expect(divided!.error).toBe("stage 'divide' failed: ZeroDivisionError: float division by zero");
    // The traceback starts at the stage's own code: its file and both frames, none of memotune's.
    expect(divided!.errorTrace).toMatch(/^File ".*stages\.py", line \d+, in divide/);
    expect(divided!.errorTrace).toContain('in _ratio');
    expect(divided!.errorTrace).not.toContain('memotune/activity.py');
    // One attempt: the configured class is not retried.
    const events = (await env.client.workflow.getHandle(`${result.studyId}/trial-1`).fetchHistory()).events ?? [];
    const started = events.filter((event) => event.activityTaskStartedEventAttributes);
    expect(started.map((event) => event.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    // A parameter typo is a mismatch between config and code: not retried, and it ends the study.
    expect(typo!.failureType).toBe('StageParamsMismatch');
    expect(typo!.error).toContain(
      "the stage reads parameter 'dd', which the study does not give to this stage (it gives 'd')",
    );
    expect(result.status).toBe('failed');
  });

  it('starts, steers and reads a study from Python: a refused config leaves nothing, the id is then free', async () => {
    const studyId = `${env.taskQueuePrefix}-from-python`;
    const script = `
import asyncio, json, sys, memotune
STUDY, PREFIX = sys.argv[1], sys.argv[2]
config = {
    "name": "from-python",
    "pipeline": {"stages": [
        {"name": "prepare", "implementation": "py-prepare", "taskQueue": "python",
         "params": [{"name": "a", "type": "float", "low": 0, "high": 1},
                    {"name": "mode", "type": "categorical", "choices": ["x", "y"]}]},
        {"name": "train", "implementation": "py-train", "taskQueue": "python",
         "params": [{"name": "lr", "type": "float", "low": 0.01, "high": 1}]}]},
    "objective": {"metric": "score"},
    "budget": 1000, "maxTrials": 3, "optimizer": {"warmup": 2}, "searchAttributes": None,
}
config.pop("searchAttributes")
async def main():
    out = {}
    try:
        await memotune.start_study({**config, "budget": -1}, study_id=STUDY, task_queue_prefix=PREFIX)
    except memotune.StudyConfigRejected as error:
        out["rejected"] = str(error)
    out["started"] = await memotune.start_study(config, study_id=STUDY, task_queue_prefix=PREFIX)
    try:
        await memotune.start_study(config, study_id=STUDY, task_queue_prefix=PREFIX)
    except memotune.StudyExists as error:
        out["exists"] = str(error)
    try:
        await memotune.enqueue_trials(STUDY, [[{"a": 0.5, "mode": "z"}]])
    except ValueError as error:
        out["badEnqueue"] = str(error)
    queued = await memotune.enqueue_trials(STUDY, [[{"a": 0.25, "mode": "y"}]])
    out["queued"] = queued.get("queued")
    again = await memotune.enqueue_trials(STUDY, [[{"a": 0.25, "mode": "y"}], [{"a": 0.25, "mode": "y"}]], skip_existing=True)
    out["skipped"] = again["skipped"]
    progress = await memotune.wait_for_study(STUDY)
    out["status"], out["trials"], out["direction"] = progress["status"], progress["trials"], progress.get("direction")
    study = await memotune.load_study(STUDY)
    out["sources"] = [trial.get("source") for trial in study.trials]
    try:
        await memotune.stop_study(STUDY)
    except memotune.StudyFinished as error:
        out["stopEnded"] = [error.finished_as, str(error)]
    try:
        await memotune.enqueue_trials(STUDY + "-nope", [[{"a": 0.5}]])
    except memotune.StudyNotFound as error:
        out["missing"] = str(error)
    print(json.dumps(out))
asyncio.run(main())
`;
    const ran = await runProcess(
      testStack().python,
      ['-c', script, studyId, env.taskQueuePrefix],
      cliEnv(env.s3KeyPrefix),
    );
    expect(ran.stderr).toBe('');
    const out = JSON.parse(ran.stdout) as Record<string, unknown>;
    expect(out.rejected).toMatch(/budget/);
    expect(out.started).toBe(studyId);
    expect(out.exists).toContain(`a study with id '${studyId}' exists`);
    expect(out.badEnqueue).toMatch(/mode/);
    // An ended study's progress says its direction from Python as from Node (the default here).
    expect(out).toMatchObject({ status: 'completed', trials: 3, direction: 'maximize' });
    expect(out.sources).toContain('enqueued');
    // Both copies are there already (queued, running or run): nothing sent.
    expect(out.skipped).toEqual([0, 1]);
    expect((out.sources as string[]).filter((source) => source === 'enqueued')).toHaveLength(1);
    expect(out.stopEnded).toEqual(['completed', expect.stringContaining('memotune study continue')]);
    expect(out.missing).toContain(`no study '${studyId}-nope'`);
    // Started from Python, read from Node like any other study.
    const status = await runCli(['study', 'status', studyId, '--json'], cliEnv(env.s3KeyPrefix));
    expect(JSON.parse(status.stdout)).toMatchObject({ studyId, status: 'completed', trials: 3, direction: 'maximize' });
  });

  it('exits cleanly after its last call to Temporal on a loaded machine (temporalio/sdk-python#300)', async () => {
    // The SDK's network thread hands an RPC's answer to asyncio holding the GIL; preempted there,
    // it used to meet interpreter finalization and abort the finished script about half the time
    // on a busy machine. Two busy loops make the preemption likely: 12 clean exits in a row.
    const script = `
import asyncio, memotune
async def main():
    try:
        await memotune.study_progress("no-such-study")
    except Exception as error:
        print(type(error).__name__)
asyncio.run(main())
`;
    const busy = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    try {
      for (let run = 0; run < 12; run++) {
        const ran = await runProcess(testStack().python, ['-c', script], cliEnv(env.s3KeyPrefix));
        expect({ run, code: ran.code, stderr: ran.stderr, stdout: ran.stdout.trim() }).toEqual({
          run,
          code: 0,
          stderr: '',
          stdout: 'StudyNotFound',
        });
      }
    } finally {
      for (const child of busy) child.kill('SIGKILL');
    }
  });

  it('mixes TypeScript and Python stages in one pipeline and reuses cached prefixes across languages', async () => {
    const stages: StudyConfigInput['pipeline']['stages'] = [
      {
        name: 'prepare',
        implementation: 'ts-prepare',
        taskQueue: 'cpu',
        params: [{ name: 'a', type: 'float', low: 0, high: 1 }],
      },
      {
        name: 'middle',
        implementation: 'py-middle',
        taskQueue: 'python',
        params: [{ name: 'scale', type: 'float', low: 1, high: 4 }],
      },
      {
        name: 'score',
        implementation: 'ts-score',
        taskQueue: 'cpu',
        params: [{ name: 'k', type: 'int', low: 0, high: 3 }],
      },
    ];
    const { handle } = await startStudy(
      env.client,
      {
        name: 'mixed',
        pipeline: { stages },
        objective: { metric: 'score' },
        budget: 100,
        maxTrials: 3,
        enqueue: [
          [{ a: 0.5 }, { scale: 2 }, { k: 0 }],
          [{ a: 0.5 }, { scale: 2 }, { k: 1 }],
          [{ a: 0.5 }, { scale: 3 }, { k: 1 }],
        ],
      },
      { studyId: `${env.taskQueuePrefix}-mixed`, taskQueuePrefix: env.taskQueuePrefix },
    );
    const result = await env.result(handle);
    expect(result.history.map((trial) => trial.status)).toEqual(['completed', 'completed', 'completed']);
    // TS prepare (0.5) → Python middle (0.5·scale, as bytes) → TS score (middle + base).
    expect(result.history.map((trial) => trial.objective)).toEqual([1.5, 1.5, 2]);
    // Trial 1 reuses the TS stage and the Python stage; trial 2 reuses the TS stage only.
    expect(result.history.map((trial) => trial.cachedPrefix)).toEqual([0, 2, 1]);
    expect(result.history.map((trial) => trial.stagesRun)).toEqual([[0, 1, 2], [2], [1, 2]]);
    expect(result.history[1]!.stageCosts.slice(0, 2)).toEqual([1, 5]);
    // Each record names the worker that ran each of its stages: reused ones have none.
    const sdks = result.history.map((trial) => trial.stageWorkers?.map((worker) => worker?.sdk ?? null));
    expect(sdks).toEqual([
      ['typescript', 'python', 'typescript'],
      [null, null, 'typescript'],
      [null, 'python', 'typescript'],
    ]);
    for (const worker of result.history[0]!.stageWorkers!) {
      expect(worker!.identity).toMatch(/^\d+@/);
      expect(worker!.memotune).toBe(packageVersion);
    }
  });
});
