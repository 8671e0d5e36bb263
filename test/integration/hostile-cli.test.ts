/**
 * The real CLI (`memotune study start`, compiled lib/) against the real servers, on a sample of
 * the hostile corpus (test/fixtures/hostile/study-configs.json): every case exits 2 naming the
 * field, prints no raw escape or control character, starts no workflow and writes nothing to S3.
 * No worker is started: a refused study must not need one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { cliEnv, runCli } from './cli.js';
import { createTestEnv, type TestEnv } from './harness.js';
import { configOf, loadCorpus, type HostileCase } from '../fixtures/hostile/corpus.js';

const corpus = loadCorpus('study-configs.json');

/** A sample across the kinds of refusal: durations, escapes, sizes, counts, effort, plan size, ids. */
const sample = [
  'timeoutSeconds 1e308 (Invalid millis Infinity)',
  'name with an ANSI colour sequence',
  'stage name with ANSI escapes',
  'name with a C1 CSI',
  'name that clears the screen (ESC [2J)',
  '100,000 choices',
  'choice of 1 MB',
  '10,000 params in a stage',
  '1,280 encoded dimensions (5 x 256 choices)',
  'budget 1e308',
  'enqueue of 1,001 configurations',
  'mcSamples x rawSamples = 1e10 (minutes per suggestion)',
  'plan above 120 KiB (32 stages, 3-byte names, implementations and versions)',
  '--id colliding with a trial id (coll/trial-2)',
  '--id with an ANSI escape',
  '--id empty',
  '--prefix with a slash',
  'name with a slash as the default id',
].map((name) => {
  const hostile = corpus.cases.find((candidate) => candidate.case === name);
  if (hostile === undefined) throw new Error(`no corpus case named ${name}`);
  return hostile;
});

let env: TestEnv;
const dir = mkdtempSync(join(tmpdir(), 'memotune-hostile-cli-'));

beforeAll(async () => {
  env = await createTestEnv('hostile-cli');
});

afterAll(async () => {
  await env?.close();
});

/** The CLI arguments of a case, and the workflow id the study would have had. */
function invocation(hostile: HostileCase, index: number): { args: string[]; workflowId: string } {
  const path = join(dir, `case-${index}.json`);
  writeFileSync(path, JSON.stringify(configOf(corpus, hostile)));
  const args = ['study', 'start', path, '--prefix', hostile.options?.taskQueuePrefix ?? env.taskQueuePrefix];
  const defaultId = hostile.field === 'name' && hostile.options?.studyId === undefined;
  if (defaultId) {
    return { args, workflowId: (configOf(corpus, hostile) as { name: string }).name };
  }
  const studyId = hostile.options?.studyId ?? `${env.taskQueuePrefix}-case-${index}`;
  return { args: [...args, '--id', studyId], workflowId: studyId };
}

// eslint-disable-next-line no-control-regex -- the characters no output may carry raw
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('memotune study start refuses hostile configs (real CLI, real servers)', () => {
  it.concurrent.for(sample.map((hostile, index) => [hostile.case, hostile, index] as const))(
    'refuses %s: exit 2, the field named, no escape printed, nothing started',
    async ([, hostile, index], { expect: expectHere }) => {
      const { args, workflowId } = invocation(hostile, index);
      const { code, stdout, stderr } = await runCli(args, cliEnv(env.s3KeyPrefix), 30_000);
      expectHere(code, stderr).toBe(2);
      expectHere(stderr).toContain('invalid study config:');
      expectHere(stderr).toContain(hostile.field!);
      if (hostile.says !== undefined) expectHere(stderr).toContain(hostile.says);
      expectHere(stderr).not.toContain('\u001b');
      expectHere(stderr).not.toMatch(rawControl);
      expectHere(stdout).not.toContain('started study');
      if (workflowId !== '') {
        await expectHere(env.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
          WorkflowNotFoundError,
        );
      }
    },
  );

  it('wrote nothing to S3', async () => {
    expect(await env.store.list('')).toEqual([]);
  });
});
