import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { cliEnv, runCli } from './cli.js';
import { createTestEnv, type TestEnv } from './harness.js';
import { paper3Stages, paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;
const dir = mkdtempSync(join(tmpdir(), 'memotune-cli-'));

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

beforeAll(async () => {
  env = await createTestEnv('cli');
  await env.startWorkers(paper3Stages);
});

afterAll(async () => {
  await env?.close();
});

const valid = () => paper3Study({ name: 'cli-valid', budget: 25, optimizer: { method: 'random' } });

describe('memotune study (CLI against the real server)', () => {
  const invalid: [string, (config: ReturnType<typeof valid>) => unknown, string[]][] = [
    ['missing fields', ({ budget: _b, objective: _o, ...rest }) => rest, ['budget: ', 'objective: ']],
    [
      'low > high',
      (c) => ({
        ...c,
        pipeline: { stages: [{ ...c.pipeline.stages[0], params: [{ name: 'x0', type: 'float', low: 3, high: 1 }] }] },
      }),
      ['pipeline.stages[0].params[0].low: must be at most high'],
    ],
    [
      'a malformed task queue kind',
      (c) => ({
        ...c,
        pipeline: { stages: c.pipeline.stages.map((s, i) => (i === 1 ? { ...s, taskQueue: 'GPU/0' } : s)) },
      }),
      ['pipeline.stages[1].taskQueue: must be a queue kind'],
    ],
    ['empty pipeline', (c) => ({ ...c, pipeline: { stages: [] } }), ['pipeline.stages: must have at least one stage']],
    [
      'duplicate stage names',
      (c) => ({ ...c, pipeline: { stages: c.pipeline.stages.map((s) => ({ ...s, name: 'same' })) } }),
      ["pipeline.stages[1].name: duplicate stage name 'same'", 'pipeline.stages[2].name'],
    ],
    ['negative budget', (c) => ({ ...c, budget: -5 }), ['budget: must be positive']],
  ];

  for (const [label, mutate, messages] of invalid) {
    it(`refuses a config with ${label}, naming each field, and starts nothing`, async () => {
      const id = `${env.taskQueuePrefix}-bad-${label.replace(/\W+/g, '-')}`;
      const path = writeConfig(label.replace(/\W+/g, '-'), mutate(valid()));
      const { code, stderr } = await runCli(
        ['study', 'start', path, '--id', id, '--prefix', env.taskQueuePrefix],
        cliEnv(env.s3KeyPrefix),
      );
      expect(code).toBe(2);
      for (const message of messages) expect(stderr).toContain(message);
      await expect(env.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });
  }

  it('starts a study, waits for it, and reports status and result as JSON', async () => {
    const id = `${env.taskQueuePrefix}-ok`;
    const path = writeConfig('valid', valid());
    const started = await runCli(
      ['study', 'start', path, '--id', id, '--prefix', env.taskQueuePrefix, '--wait'],
      cliEnv(env.s3KeyPrefix),
      120_000,
    );
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`started study ${id}`);
    expect(started.stdout).toContain('(completed)');
    const status = await runCli(['study', 'status', id, '--json'], cliEnv(env.s3KeyPrefix));
    expect(status.code).toBe(0);
    const progress = JSON.parse(status.stdout) as { status: string; spent: number; budget: number; trials: number };
    // `direction` says what `best` means (a script reading the JSON need not read the config).
    expect(progress).toMatchObject({ status: 'completed', budget: 25, direction: 'maximize' });
    expect(progress.spent).toBeGreaterThanOrEqual(25);
    // The text form names the best configuration too, as `study result` does.
    const statusText = await runCli(['study', 'status', id], cliEnv(env.s3KeyPrefix));
    const resultText = await runCli(['study', 'result', id], cliEnv(env.s3KeyPrefix));
    const configLine = resultText.stdout.split('\n').find((line) => line.startsWith('config    '));
    expect(configLine).toBeDefined();
    const statusLines = statusText.stdout.split('\n');
    // Right under the best value, never under a running trial's line.
    expect(statusLines.indexOf(configLine!)).toBe(statusLines.findIndex((line) => line.startsWith('best ')) + 1);
    const result = await runCli(['study', 'result', id, '--json'], cliEnv(env.s3KeyPrefix));
    const parsed = JSON.parse(result.stdout) as {
      history: { chargedCost: number }[];
      best: { objective: number };
      savedByReuse: { saved: number; charged: number };
    };
    expect(parsed.history).toHaveLength(progress.trials);
    // Random search reuses nothing: saved 0 of what the trials were charged.
    expect(parsed.savedByReuse.saved).toBe(0);
    expect(parsed.savedByReuse.charged).toBeCloseTo(
      parsed.history.reduce((sum, trial) => sum + trial.chargedCost, 0),
      9,
    );
    expect(Number.isFinite(parsed.best.objective)).toBe(true);
    // The same id again: refused (the earlier study stays what memotune's commands read), with
    // the ways to go on; with --new-run a new run, and the CLI says that one ran before.
    const refused = await runCli(
      ['study', 'start', path, '--id', id, '--prefix', env.taskQueuePrefix],
      cliEnv(env.s3KeyPrefix),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`a study with id '${id}' ran before (completed): continue it`);
    expect(refused.stderr).toContain('--new-run');
    const unchanged = JSON.parse((await runCli(['study', 'status', id, '--json'], cliEnv(env.s3KeyPrefix))).stdout) as {
      trials: number;
    };
    expect(unchanged.trials).toBe(progress.trials);
    const again = await runCli(
      ['study', 'start', path, '--id', id, '--prefix', env.taskQueuePrefix, '--new-run', '--wait'],
      cliEnv(env.s3KeyPrefix),
      120_000,
    );
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`note: study ${id} ran before (completed); this is a new run`);
    // Under another prefix (another team's), --new-run would take the id over: refused, naming the owner.
    const takeover = await runCli(
      ['study', 'start', path, '--id', id, '--prefix', `${env.taskQueuePrefix}-other`, '--new-run'],
      cliEnv(env.s3KeyPrefix),
    );
    expect(takeover.code).toBe(2);
    expect(takeover.stderr).toContain(
      `a study with id '${id}' ran before under another task-queue prefix (its orchestration queue is '${env.taskQueuePrefix}-orchestration'`,
    );
    expect(started.stderr).not.toContain('ran before');
    expect(started.stderr).not.toContain('no worker polls');
    // Under a prefix no worker serves, start says so at once (the study waits for one), then it is cancelled.
    const orphan = await runCli(
      ['study', 'start', path, '--id', `${id}-orphan`, '--prefix', `${env.taskQueuePrefix}-nobody`],
      cliEnv(env.s3KeyPrefix),
    );
    expect(orphan.code).toBe(0);
    expect(orphan.stderr).toContain(
      `note: no worker polls ${env.taskQueuePrefix}-nobody-orchestration yet: the study starts when one does (memotune worker --prefix ${env.taskQueuePrefix}-nobody)`,
    );
    await env.client.workflow.getHandle(`${id}-orphan`).terminate('test over');
    const missing = await runCli(['study', 'status', `${id}-nope`], cliEnv(env.s3KeyPrefix));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no study with id');
    expect(missing.stderr).toContain('memotune study list');
    // Commander's own refusals are bad input on every command: exit 2, with what was wrong.
    const unknown = await runCli(['study', 'status', id, '--frob'], cliEnv(env.s3KeyPrefix));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frob'");
    const noArgument = await runCli(['study', 'extend', id], cliEnv(env.s3KeyPrefix));
    expect(noArgument.code).toBe(2);
    // A malformed connection setting is bad input too, named by its variable.
    const badAddress = await runCli(['study', 'list'], { ...cliEnv(env.s3KeyPrefix), TEMPORAL_ADDRESS: 'http://x:1' });
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toContain("not 'http://x:1' (from TEMPORAL_ADDRESS)");
    const badEndpoint = await runCli(['cache', 'ls'], {
      ...cliEnv(env.s3KeyPrefix),
      MEMOTUNE_S3_ENDPOINT: 'minio:9000',
    });
    expect(badEndpoint.code).toBe(2);
    expect(badEndpoint.stderr).toContain("MEMOTUNE_S3_ENDPOINT must be an http:// or https:// URL, not 'minio:9000'");
  });

  it('speaks JSON for scripts: start --wait --json, watch --json, cluster check --json', async () => {
    const id = `${env.taskQueuePrefix}-json`;
    const path = writeConfig('json', paper3Study({ name: 'cli-json', budget: 20, optimizer: { method: 'random' } }));
    const started = await runCli(
      ['study', 'start', path, '--id', id, '--prefix', env.taskQueuePrefix, '--wait', '--json'],
      cliEnv(env.s3KeyPrefix),
      120_000,
    );
    expect(started.code, started.stderr).toBe(0);
    // Every line is JSON: the start, one line per change, the outcome.
    const lines = started.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ studyId: id });
    expect(typeof lines[0]!.runId).toBe('string');
    const changes = lines.slice(1, -1);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.at(-1)).toMatchObject({ status: 'completed', budget: 20 });
    for (const change of changes)
      expect(Object.keys(change)).toEqual(expect.arrayContaining(['trials', 'spent', 'best']));
    expect(lines.at(-1)).toMatchObject({ status: 'completed' });

    const watched = await runCli(['study', 'watch', id, '--json'], cliEnv(env.s3KeyPrefix));
    expect(watched.code).toBe(0);
    const watchLines = watched.stdout.trim().split('\n');
    expect(JSON.parse(watchLines[0]!)).toMatchObject({ status: 'completed' });
    expect(JSON.parse(watchLines.at(-1)!)).toMatchObject({ status: 'completed', budget: 20 });
    // Stopping or cancelling a study that has ended does nothing and says so, exit 0 (cleanup scripts).
    const stopped = await runCli(['study', 'stop', id], cliEnv(env.s3KeyPrefix));
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`study ${id} has already ended (completed): nothing to stop`);
    const cancelled = await runCli(['study', 'cancel', id, '--json'], cliEnv(env.s3KeyPrefix));
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toEqual({ studyId: id, cancelled: false, endedAs: 'completed' });

    const check = await runCli(['cluster', 'check', '--json'], cliEnv(env.s3KeyPrefix));
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({ namespace: 'default', missing: [], ready: true });
  });
});
