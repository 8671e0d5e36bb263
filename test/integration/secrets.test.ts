/**
 * Configured secrets never leak. A study runs on the CLI's own worker process and is started,
 * watched, exported and reported by the CLI, with a Temporal API key, a gRPC metadata token and
 * the S3 key pair in the environment, as a user of a real cluster sets them. Then everything
 * memotune writes is scanned for them: the histories of the study and its trials (raw protobuf
 * bytes: inputs, results, memo, search attributes, headers, summaries, failures), their
 * descriptions, the progress query, every object under the study's S3 prefix, the worker's log,
 * every command's output, the report and the trial exports.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/storage/s3-object-store.js';
import { cliEnv, runCli, spawnCli } from './cli.js';
import { paper3Study } from './fixtures/pipelines.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';

let env: TestEnv;
const dir = mkdtempSync(join(tmpdir(), 'memotune-secrets-'));
const apiKey = `tmprl-api-key-${randomUUID()}`;
const metadataToken = `grpc-meta-token-${randomUUID()}`;
const profileApiKey = `tmprl-profile-key-${randomUUID()}`;
/** The worker reads its key from a profile of a Temporal config file, the commands from TEMPORAL_API_KEY. */
const configFile = join(dir, 'temporal.toml');

/** What the user configured: every value here must appear nowhere memotune writes. */
function secrets(): Record<string, string> {
  return {
    TEMPORAL_API_KEY: apiKey,
    PROFILE_API_KEY: profileApiKey,
    TEMPORAL_GRPC_META_X_TEAM_TOKEN: metadataToken,
    AWS_SECRET_ACCESS_KEY: testStack().servers.s3.secretAccessKey,
  };
}

function userEnv(): NodeJS.ProcessEnv {
  const { PROFILE_API_KEY: _inTheConfigFile, ...variables } = secrets();
  return {
    ...cliEnv(env.s3KeyPrefix),
    ...variables,
    // The local server has no TLS; an API key alone would turn TLS on (as Temporal Cloud needs).
    TEMPORAL_TLS: 'false',
  };
}

/** Every form a secret could take in bytes: as is, base64 (payloads in JSON), URL-encoded. */
function needles(): { name: string; bytes: Buffer }[] {
  return Object.entries(secrets()).flatMap(([name, value]) => [
    { name, bytes: Buffer.from(value) },
    { name: `${name} (base64)`, bytes: Buffer.from(Buffer.from(value).toString('base64')) },
    { name: `${name} (url-encoded)`, bytes: Buffer.from(encodeURIComponent(value)) },
  ]);
}

/** Sources scanned, by name, with the bytes each held. */
const sources = new Map<string, Buffer>();
function collect(name: string, content: Buffer | string): void {
  sources.set(name, Buffer.concat([sources.get(name) ?? Buffer.alloc(0), Buffer.from(content)]));
}

beforeAll(async () => {
  env = await createTestEnv('secrets');
});

afterAll(async () => {
  await env?.close();
});

describe('configured secrets (real Temporal + S3, CLI worker process)', () => {
  const studyId = `secrets-${randomUUID().slice(0, 8)}`;
  const studyName = `secrets-canary-${randomUUID().slice(0, 8)}`;

  it('runs a study with an API key, a metadata token and S3 keys configured', async () => {
    const workerLog = join(dir, 'worker.log');
    writeFileSync(
      configFile,
      [
        '[profile.secrets]',
        `address = "${testStack().servers.temporalAddress}"`,
        `api_key = "${profileApiKey}"`,
        '[profile.secrets.tls]',
        'disabled = true',
      ].join('\n'),
    );
    // The worker's address and key come from the profile alone.
    const { TEMPORAL_API_KEY: _fromEnvironment, TEMPORAL_ADDRESS: _address, ...workerEnv } = userEnv();
    const worker = spawnCli(
      ['worker', '--prefix', env.taskQueuePrefix, '--config-file', configFile, '--profile', 'secrets'],
      workerEnv,
      workerLog,
    );
    try {
      // The worker says how it connects (the key is in use) without printing the key.
      await expect
        .poll(() => readFileSync(workerLog, 'utf8'), { timeout: 60_000, interval: 250 })
        .toMatch(/memotune worker on .*API key/);
      const config = join(dir, 'study.json');
      writeFileSync(
        config,
        JSON.stringify(paper3Study({ name: studyName, budget: 30, parallelism: 2, optimizer: { method: 'random' } })),
      );
      const commands: string[][] = [
        ['study', 'start', config, '--id', studyId, '--prefix', env.taskQueuePrefix, '--wait'],
        ['study', 'status', studyId, '--json'],
        ['study', 'status', studyId],
        ['study', 'result', studyId, '--json'],
        ['study', 'trials', studyId, '--format', 'json'],
        ['study', 'trials', studyId, '--format', 'csv'],
        ['study', 'watch', studyId],
        ['study', 'list', '--json'],
        ['study', 'report', studyId, '--out', dir],
        ['cache', 'ls', '--json'],
      ];
      for (const args of commands) {
        const run = await runCli(args, userEnv(), 120_000);
        expect(run.code, `memotune ${args.join(' ')}\n${run.stderr}`).toBe(0);
        collect(`output of memotune ${args.slice(0, 2).join(' ')}`, run.stdout + run.stderr);
      }
      collect('the report', readFileSync(join(dir, `${studyId}.html`)));
      collect(
        'the progress query',
        JSON.stringify(await env.client.workflow.getHandle(studyId).query('memotune.progress')),
      );
    } finally {
      worker.kill('SIGTERM');
      if (worker.exitCode === null) await once(worker, 'exit');
    }
    collect("the worker's log", readFileSync(workerLog));
  });

  it('finds the secrets nowhere memotune writes', async () => {
    const { client } = env;
    const study = client.workflow.getHandle(studyId);
    const history = await study.fetchHistory();
    const workflowIds = [
      studyId,
      ...(history.events ?? []).flatMap((event) => {
        const started = event.childWorkflowExecutionStartedEventAttributes;
        return started?.workflowExecution?.workflowId ? [started.workflowExecution.workflowId] : [];
      }),
    ];
    expect(workflowIds.length).toBeGreaterThan(2);
    for (const workflowId of workflowIds) {
      const handle = client.workflow.getHandle(workflowId);
      collect(
        'workflow histories',
        Buffer.from(temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish()),
      );
      const described = await client.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId },
      });
      collect(
        'workflow descriptions (memo, search attributes, summaries)',
        Buffer.from(temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish()),
      );
    }

    const s3 = createS3Client(testStack().servers.s3);
    const bucket = testStack().servers.s3.bucket;
    let token: string | undefined;
    let objects = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: env.s3KeyPrefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        collect(
          'S3 objects (stage outputs, metadata, trial log)',
          Buffer.from(await body.Body!.transformToByteArray()),
        );
        objects += 1;
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(objects).toBeGreaterThan(0);

    // The scan reads what it claims to: the study's name is in the histories, the descriptions,
    // the report and the outputs.
    for (const name of [
      'workflow histories',
      'workflow descriptions (memo, search attributes, summaries)',
      'the report',
    ]) {
      expect(sources.get(name)?.includes(studyName), name).toBe(true);
    }
    const leaks = [...sources].flatMap(([source, content]) =>
      needles()
        .filter((needle) => content.includes(needle.bytes))
        .map((needle) => `${needle.name} in ${source}`),
    );
    expect(leaks).toEqual([]);
    expect(sources.size).toBeGreaterThanOrEqual(12);
  });
});
