import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { testStack } from './harness.js';

const root = join(import.meta.dirname, '..', '..');

/** Environment that points the CLI at the test servers and a test's S3 key prefix. */
export function cliEnv(s3KeyPrefix: string): NodeJS.ProcessEnv {
  const { servers } = testStack();
  return {
    ...process.env,
    TEMPORAL_ADDRESS: servers.temporalAddress,
    MEMOTUNE_S3_ENDPOINT: servers.s3.endpoint,
    MEMOTUNE_S3_BUCKET: servers.s3.bucket,
    MEMOTUNE_S3_PREFIX: s3KeyPrefix,
    AWS_ACCESS_KEY_ID: servers.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: servers.s3.secretAccessKey,
  };
}

/** Runs `memotune <args>` to completion (bounded by timeoutMs). */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess(process.execPath, [join(root, 'bin', 'memotune.js'), ...args], env, timeoutMs);
}

/** Runs `command <args>` in the repository's root to completion (bounded by timeoutMs). */
export function runProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `memotune <args>` in the background, output appended to logFile. `nodeArgs` go to Node
 * itself: `['--import', 'tsx']` lets the compiled CLI load a TypeScript stage fixture.
 */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  nodeArgs: readonly string[] = [],
): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'memotune.js'), ...args], { env, cwd: root });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}
