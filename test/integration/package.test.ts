/**
 * memotune as a user gets it: `npm pack`, install the tarball into an empty project outside the
 * repo (dependencies from the registry), type-check the user's files strictly against the
 * installed declarations, and run a study whose stages that project defines — with plain Node,
 * the workflows bundled from node_modules, and the user's own workflows kept on the worker that
 * memotune's plugin was added to.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testStack } from './harness.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};

let project: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'memotune-user-'));
  cpSync(join(root, 'test', 'fixtures', 'user-project'), project, { recursive: true });
  // `npm pack` runs the prepack build, exactly as a publish would.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], {
    cwd: root,
    maxBuffer: 64 << 20,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(project, packed!.filename);
  files = packed!.files.map((file) => file.path);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2),
  );
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      tarball,
      `typescript@${manifest.devDependencies.typescript}`,
      `@types/node@${manifest.devDependencies['@types/node']}`,
      // @temporalio/common's declarations import 'ms' (skipLibCheck is off here, to check ours too).
      '@types/ms',
    ],
    { cwd: project, maxBuffer: 64 << 20 },
  );
}, 600_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe('the packed package, installed into an empty project', () => {
  it("shares one copy of the Temporal SDK with the project (peer dependencies): a worker's connection works with memotune's", () => {
    expect(existsSync(join(project, 'node_modules', '@temporalio', 'worker', 'package.json'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'memotune', 'node_modules', '@temporalio'))).toBe(false);
  });

  it('ships compiled JavaScript with declarations and no sources, tests or fixtures', () => {
    expect(files).toContain('lib/src/index.js');
    expect(files).toContain('lib/src/index.d.ts');
    expect(files).toContain('lib/workflows/index.js');
    expect(files).toContain('bin/memotune.js');
    // TypeScript sources only as `memotune init`'s templates, for the user to compile.
    expect(
      files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('templates/')),
    ).toEqual([]);
    expect(files.filter((file) => /^(test|src|workflows|activities)\//.test(file))).toEqual([]);
  });

  it('ships every document the README refers to', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const named = [...new Set(readme.match(/docs\/[\w.-]+\.md/g) ?? [])];
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((doc) => !files.includes(doc))).toEqual([]);
  });

  it("type-checks the user's files strictly against every entry point's declarations", async () => {
    const result = await run('npx', ['tsc', '-p', '.'], { cwd: project }).catch((error: { stdout: string }) => error);
    expect('stdout' in result ? result.stdout : '').toBe('');
  });

  it('loads no worker code, AWS SDK or dev-stack spawner from the client entry point', async () => {
    const probe = `
      await import('memotune');
      const { default: Module } = await import('node:module');
      console.log(JSON.stringify(Object.keys(Module._cache).filter((p) => /core-bridge|@temporalio\\/worker|client-s3|child_process/.test(p))));`;
    const { stdout } = await run('node', ['--input-type=module', '-e', probe], { cwd: project });
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it('scaffolds a project with `memotune init` that type-checks and runs its study with the CLI worker, which serves its metrics to Prometheus and logs JSON lines', async () => {
    const bin = join(project, 'node_modules', '.bin', 'memotune');
    await run(bin, ['init', 'scaffold', '--name', 'scaffolded'], { cwd: project });
    const refused = await run(bin, ['init', 'scaffold'], { cwd: project }).catch((error: { stderr: string }) => error);
    expect('stderr' in refused ? refused.stderr : '').toContain('would overwrite');
    const scaffold = join(project, 'scaffold');
    await run('npx', ['tsc', '-p', '.'], { cwd: scaffold });
    const { servers } = testStack();
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: servers.temporalAddress,
      MEMOTUNE_S3_ENDPOINT: servers.s3.endpoint,
      MEMOTUNE_S3_BUCKET: servers.s3.bucket,
      MEMOTUNE_S3_PREFIX: `scaffold-${Date.now().toString(36)}/`,
      AWS_ACCESS_KEY_ID: servers.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: servers.s3.secretAccessKey,
    };
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const worker = spawn(
      bin,
      ['worker', '--stages', 'dist/stages.js', '--metrics', metricsAddress, '--log-format', 'json'],
      { cwd: scaffold, env: { ...env, MEMOTUNE_LOG_LEVEL: 'INFO' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    let said = '';
    worker.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    worker.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      const { stdout } = await run('node', ['dist/start.js'], { cwd: scaffold, env, timeout: 180_000 });
      expect(stdout).toMatch(/completed: 25 trials, best \{/);
      // Temporal's worker metrics and memotune's own, in Prometheus's text format.
      const metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
      expect(metrics).toMatch(/^temporal_worker_task_slots_available\{/m);
      // Every trial once, whatever its status (the template's pruner prunes some).
      const trials = [
        ...metrics.matchAll(/^memotune_trials\{[^}]*status="(?:completed|failed|pruned)"[^}]*\} (\d+)$/gm),
      ];
      expect(trials.reduce((sum, match) => sum + Number(match[1]), 0)).toBe(25);
      expect(metrics).toMatch(
        /^memotune_stage_attempt_seconds_count\{[^}]*outcome="completed"[^}]*stage="\w+"[^}]*\} \d+$/m,
      );
      expect(metrics).toMatch(/^memotune_suggestion_seconds_bucket\{[^}]*le="0.1"[^}]*\} \d+$/m);
      // Temporal's schedule-to-start latency with buckets up to hours (a stage waiting for a GPU).
      expect(metrics).toMatch(/^temporal_activity_schedule_to_start_latency_bucket\{[^}]*le="3600000"[^}]*\} \d+$/m);
      expect(metrics).toMatch(/^temporal_workflow_completed\{[^}]*workflow_type="studyWorkflow"/m);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
    // The start-up line on stdout is a JSON line too (a log shipper reads the streams merged).
    const started = said.trimEnd().split('\n');
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]!)).toMatchObject({
      level: 'INFO',
      message: expect.stringMatching(/^memotune worker on /),
    });
    // Every line one JSON object, a trial's end among them with its workflow's fields.
    const written = log.trimEnd().split('\n');
    for (const line of written) expect(line).toMatch(/^\{"time":"[^"]+","level":"[A-Z]+","message":/);
    const lines = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.message === 'trial finished')).toHaveLength(25);
    expect(lines.find((line) => line.message === 'trial finished')).toMatchObject({
      level: 'INFO',
      workflowType: 'studyWorkflow',
      trial: expect.any(Number),
    });
  });

  it('runs the CLI with plain Node', async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'memotune'), ['--help'], { cwd: project });
    expect(stdout).toContain('Usage: memotune');
  });

  it('says which build it is: the version and the commit it was built from, the Python package too', async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'memotune'), ['--version'], { cwd: project });
    const version = stdout.trim();
    expect(version).toMatch(new RegExp(`^${manifest.version.replace(/\./g, '\\.')}\\+[0-9a-f]{7}(\\.dirty)?$`));
    const commit = version.split('+')[1]!;
    const pythonBuild = readFileSync(
      join(project, 'node_modules', 'memotune', 'python', 'src', 'memotune', '_build_info.py'),
      'utf8',
    );
    expect(pythonBuild).toContain(`COMMIT = "${commit}"`);
  });

  it("runs a study whose stages the project defines, and keeps the user's own workflows on the plugged worker", async () => {
    const { servers } = testStack();
    const prefix = `user-${Date.now().toString(36)}`;
    const { stdout } = await run('node', ['dist/main.js'], {
      cwd: project,
      timeout: 240_000,
      maxBuffer: 64 << 20,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: servers.temporalAddress,
        MEMOTUNE_S3_ENDPOINT: servers.s3.endpoint,
        MEMOTUNE_S3_BUCKET: servers.s3.bucket,
        AWS_ACCESS_KEY_ID: servers.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: servers.s3.secretAccessKey,
        USER_PROJECT_PREFIX: prefix,
      },
    });
    const summary = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{"status"'))!) as {
      status: string;
      trials: number;
      failed: number;
      best: { objective: number; config: Record<string, unknown>[] } | null;
      greeting: string;
      suggested: number;
    };
    expect(summary).toMatchObject({ status: 'completed', trials: 6, failed: 0, greeting: 'hello, memotune' });
    expect(summary.best?.config[0]).toHaveProperty('scaling');
    expect(summary.suggested).toBe(1);
  });
});
