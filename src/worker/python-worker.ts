/**
 * Python stage workers as child processes: the demo, the real-pipeline benchmark and the tests
 * start them next to the TypeScript workers. The Python side is `python -m memotune worker`
 * (python/, docs/stage-contract.md); its environment comes from scripts/ensure-python.sh.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../package-root.js';
import type { S3Settings } from '../storage/s3-object-store.js';
import { s3EnvironmentOf } from '../storage/s3-settings.js';

/** Creates (once) the venv with memotune's Python package and returns its interpreter. */
export async function ensurePythonEnvironment(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(packageRoot, 'scripts', 'ensure-python.sh')], {
    maxBuffer: 16 << 20,
  });
  return stdout.trim();
}

export interface PythonWorkerOptions {
  /** The venv's interpreter ({@link ensurePythonEnvironment}). */
  readonly python: string;
  /** `.py` files (or module names) defining `@stage` functions. */
  readonly stages: readonly string[];
  readonly taskQueue: string;
  readonly address: string;
  /** @default 'default' */
  readonly namespace?: string;
  /** The Temporal config-file profile whose TLS and API key the worker uses (else TEMPORAL_PROFILE's). */
  readonly temporalProfile?: string;
  readonly s3: S3Settings;
  /** Where the worker's log lines go. @default discarded */
  readonly log?: (line: string) => void;
  /** `ip:port` where the worker serves Prometheus metrics (`--metrics`). @default none */
  readonly metrics?: string;
  /** How long to wait for the worker to start polling. @default 60000 */
  readonly startTimeoutMs?: number;
}

export interface PythonWorker {
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs` (default 10 s). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `python -m memotune worker` and resolves once it polls its task queue. */
export function startPythonWorker(options: PythonWorkerOptions): Promise<PythonWorker> {
  const args = ['-m', 'memotune', 'worker', '--task-queue', options.taskQueue, '--address', options.address];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.temporalProfile !== undefined) args.push('--profile', options.temporalProfile);
  for (const file of options.stages) args.push('--stages', file);
  if (options.metrics !== undefined) args.push('--metrics', options.metrics);
  const child = spawn(options.python, args, {
    env: {
      // Temporal's TLS and API key settings (TEMPORAL_* variables, the config file) and the AWS
      // credential chain's variables are inherited; the Python side reads them the same way.
      ...process.env,
      ...s3EnvironmentOf(options.s3),
      PYTHONUNBUFFERED: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = options.log ?? (() => undefined);
  let stderrTail = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim() !== '') log(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      void stop(0);
      reject(new Error(`the Python worker for ${options.taskQueue} did not start polling in time:\n${stderrTail}`));
    }, options.startTimeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim() !== '') log(line);
      if (text.includes('memotune python worker:')) {
        clearTimeout(timeout);
        resolve({ process: child, stop });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      reject(
        new Error(
          `the Python worker for ${options.taskQueue} exited (${signal ?? code}) before polling:\n${stderrTail}`,
        ),
      );
    });
  });
}
