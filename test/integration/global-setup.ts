/**
 * One real Temporal server and one real S3 server for the whole integration run, plus the
 * workflow bundle built once. Servers come from, in order:
 *   MEMOTUNE_TEST_TEMPORAL_ADDRESS + MEMOTUNE_TEST_S3_ENDPOINT (servers you run yourself; with
 *   MEMOTUNE_TEST_UI_URL for the UI test), or
 *   a private stack this setup starts on ports 17233 / 17070 (state under .memotune/test-stack),
 *   stopped again at the end. There is no skip path: if the servers cannot start, the run fails.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startStack, stopStack, type StackOptions } from '../../src/dev/stack.js';
import { ensurePythonEnvironment } from '../../src/worker/python-worker.js';
import { workflowsPath } from '../../src/worker/run-workers.js';
import type { TestStack } from './stack-context.js';

const stateDir = join(process.cwd(), '.memotune', 'test-stack');
// With the Web UI: the UI test opens it in headless Chromium.
const stackOptions: StackOptions = { stateDir, temporalPort: 17233, s3Port: 17070, uiPort: 18233 };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stack: TestStack['servers'];
  let startedHere = false;
  const external = process.env.MEMOTUNE_TEST_TEMPORAL_ADDRESS;
  if (external !== undefined && process.env.MEMOTUNE_TEST_S3_ENDPOINT !== undefined) {
    stack = {
      temporalAddress: external,
      ...(process.env.MEMOTUNE_TEST_UI_URL === undefined ? {} : { uiUrl: process.env.MEMOTUNE_TEST_UI_URL }),
      s3: {
        endpoint: process.env.MEMOTUNE_TEST_S3_ENDPOINT,
        bucket: process.env.MEMOTUNE_TEST_S3_BUCKET ?? 'memotune-test',
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'memotune',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'memotune-local-secret',
      },
    };
  } else {
    // A fresh server state every run: tests never see a previous run's workflows or cache.
    await stopStack(stackOptions);
    rmSync(stateDir, { recursive: true, force: true });
    const info = await startStack({ ...stackOptions, bucket: 'memotune-test' });
    startedHere = true;
    stack = {
      temporalAddress: info.temporalAddress,
      s3: info.s3,
      ...(info.uiUrl === null ? {} : { uiUrl: info.uiUrl }),
    };
  }

  mkdirSync(stateDir, { recursive: true });
  // Python stage workers' venv (created once, then reused; no skip path either).
  const python = await ensurePythonEnvironment();
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const bundlePath = join(stateDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('memotuneStack', { servers: stack, workflowBundlePath: bundlePath, python } satisfies TestStack);

  return async () => {
    if (startedHere) await stopStack(stackOptions);
  };
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
