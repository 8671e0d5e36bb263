/**
 * Outputs of any size through the real S3 server (versitygw): streamed multipart writes, files and
 * directories passed from TypeScript stages to Python stages and back, every read verified.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy } from '../../src/client/index.js';
import type { StudyResult } from '../../src/core/study.js';
import { outputDirectory, outputFile, type StageRegistry } from '../../src/stages/types.js';
import { createS3Client, S3ObjectStore } from '../../src/storage/s3-object-store.js';
import { outputDataKey, StageCache, type StageOutputMeta } from '../../src/storage/stage-cache.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';

const pythonStages = join(import.meta.dirname, 'fixtures', 'artifacts_stages.py');
const MiB = 1024 * 1024;
// Several 8 MiB parts each way (4), and sizes that are not a multiple of anything.
const sizeIn = 26 * MiB + 123;
const sizeOut = 25 * MiB + 77;
const block = 1024;

/** The bytes artifacts_stages.py generates too: block k is sha256("<seed>:<k>") repeated to 1 KiB. */
function* pattern(seed: number, size: number): Generator<Buffer> {
  for (let k = 0, written = 0; written < size; k++) {
    const digest = createHash('sha256').update(`${seed}:${k}`).digest();
    const chunk = Buffer.concat(Array.from({ length: block / 32 }, () => digest)).subarray(0, size - written);
    written += chunk.length;
    yield chunk;
  }
}

async function sameAsPattern(stream: AsyncIterable<unknown>, seed: number, size: number): Promise<boolean> {
  const read = createHash('sha256');
  let total = 0;
  for await (const chunk of stream) {
    read.update(chunk as Buffer);
    total += (chunk as Buffer).length;
  }
  const expected = createHash('sha256');
  for (const chunk of pattern(seed, size)) expected.update(chunk);
  return total === size && read.digest('hex') === expected.digest('hex');
}

/** The tree artifacts_stages.py builds too. */
async function makeTree(root: string, seed: number): Promise<void> {
  mkdirSync(join(root, 'weights'), { recursive: true });
  await pipeline(Readable.from(pattern(seed, 2 * MiB + 5)), createWriteStream(join(root, 'weights', 'layer0.bin')));
  writeFileSync(join(root, 'weights', 'empty.bin'), '');
  mkdirSync(join(root, 'logs'));
  writeFileSync(join(root, 'config.json'), `{"seed":${seed}}`);
  symlinkSync('weights/layer0.bin', join(root, 'latest'));
}

/** One line per entry: relative path and a digest of its content or link target (as the fixture). */
function describeTree(root: string): string[] {
  const lines: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const name = relative(root, path);
      if (entry.isSymbolicLink()) lines.push(`${name} -> ${readlinkSync(path)}`);
      else if (entry.isDirectory()) {
        lines.push(`${name}/`);
        walk(path);
      } else lines.push(`${name} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(root);
  return lines.sort((a, b) => (a.split(' ')[0]! < b.split(' ')[0]! ? -1 : 1));
}

let env: TestEnv;
let scratch: string;
const scratchDir = () => mkdtemp(join(scratch, 'stage-'));

const tsStages: StageRegistry = {
  'ts-big': async () => {
    const path = join(await scratchDir(), 'model.bin');
    await pipeline(Readable.from(pattern(1, sizeIn)), createWriteStream(path));
    return { output: outputFile(path) };
  },
  'ts-big-check': async ({ parent, ancestors }) => {
    const copy = await parent!.toFile(join(await scratchDir(), 'copy.bin'));
    const ok = await sameAsPattern(createReadStream(copy), 2, sizeOut);
    const streamedOk = await sameAsPattern(await parent!.stream(), 2, sizeOut);
    const pyReadOk = ancestors['middle']!.metrics['pyReadOk']!;
    return { output: { ok, streamedOk }, metrics: { score: pyReadOk + Number(ok) + Number(streamedOk) } };
  },
  'ts-dir': async () => {
    const root = join(await scratchDir(), 'checkpoint');
    await makeTree(root, 3);
    return { output: outputDirectory(root) };
  },
  'ts-dir-check': async ({ parent, ancestors }) => {
    const work = await scratchDir();
    const restored = await parent!.toDirectory(join(work, 'restored'));
    await makeTree(join(work, 'expected'), 4);
    writeFileSync(join(work, 'expected', 'logs', 'written-by.txt'), 'python');
    const ok = JSON.stringify(describeTree(restored)) === JSON.stringify(describeTree(join(work, 'expected')));
    return { output: { ok }, metrics: { score: ancestors['middle']!.metrics['pyDirOk']! + Number(ok) } };
  },
};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'memotune-artifacts-it-'));
  env = await createTestEnv('artifacts');
  await env.startWorkers(tsStages, ['orchestration', 'cpu']);
  await env.startPythonWorker([pythonStages]);
});

afterAll(async () => {
  await env?.close();
  await rm(scratch, { recursive: true, force: true });
});

/**
 * A one-trial study of three stages — TypeScript, Python, TypeScript — each with fixed parameters
 * (as single-choice categoricals).
 */
async function runPipeline(
  name: string,
  implementations: readonly [string, string, string],
  params: readonly Record<string, number>[],
): Promise<StudyResult> {
  const queues = ['cpu', 'python', 'cpu'];
  const { handle } = await startStudy(
    env.client,
    {
      name,
      pipeline: {
        stages: ['first', 'middle', 'last'].map((stage, index) => ({
          name: stage,
          implementation: implementations[index]!,
          taskQueue: queues[index]!,
          params: Object.entries(params[index]!).map(([param, value]) => ({
            name: param,
            type: 'categorical',
            choices: [value],
          })),
        })),
      },
      objective: { metric: 'score' },
      budget: 10_000,
      maxTrials: 1,
      enqueue: [params],
    },
    { studyId: `${env.taskQueuePrefix}-${name}`, taskQueuePrefix: env.taskQueuePrefix },
  );
  return env.result(handle);
}

/** The committed metadata of every stage of the study's only trial. */
async function metas(result: StudyResult): Promise<StageOutputMeta[]> {
  const cache = new StageCache(env.store);
  return Promise.all(result.history[0]!.keys.map(async (key) => (await cache.readMeta(key))!));
}

/** The ETag of an object under the test's prefix: a multipart upload's ends in `-<parts>`. */
async function etag(key: string): Promise<string> {
  const { s3 } = testStack().servers;
  const client = createS3Client(s3);
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: env.s3KeyPrefix + key }));
    return head.ETag ?? '';
  } finally {
    client.destroy();
  }
}

describe('artifacts through the real S3 server', () => {
  it('passes large files TypeScript → Python → TypeScript in several multipart parts, verified', async () => {
    const result = await runPipeline(
      'big-files',
      ['ts-big', 'py-big', 'ts-big-check'],
      [{ v: 1 }, { sizeIn, sizeOut }, { v: 1 }],
    );
    expect(result.history[0], result.history[0]!.error ?? '').toMatchObject({ status: 'completed', objective: 3 });
    const [first, middle] = await metas(result);
    expect(first).toMatchObject({ format: 'bytes', bytes: sizeIn, fileName: 'model.bin' });
    expect(middle).toMatchObject({ format: 'bytes', bytes: sizeOut });
    // 8 MiB parts: written by the TypeScript store and by boto3 alike as four parts.
    expect(await etag(outputDataKey(first!))).toMatch(/-4"?$/);
    expect(await etag(outputDataKey(middle!))).toMatch(/-4"?$/);
  });

  it('passes directories TypeScript → Python → TypeScript as tar archives, extracted verified', async () => {
    const result = await runPipeline(
      'directories',
      ['ts-dir', 'py-dir', 'ts-dir-check'],
      [{ v: 1 }, { v: 1 }, { v: 1 }],
    );
    expect(result.history[0], result.history[0]!.error ?? '').toMatchObject({ status: 'completed', objective: 2 });
    const [first, middle] = await metas(result);
    expect(first).toMatchObject({ format: 'directory' });
    expect(middle).toMatchObject({ format: 'directory' });
  });

  it('never leaves an object behind for a body that fails, even at its very end', async () => {
    const store = S3ObjectStore.fromSettings({
      ...testStack().servers.s3,
      keyPrefix: env.s3KeyPrefix,
      partSizeBytes: 5 * MiB,
    });
    const body = () =>
      Readable.from(
        (function* () {
          yield* pattern(5, 12 * MiB);
          throw new Error('the source broke at its end');
        })(),
      );
    await expect(store.putStream('broken/multipart', body)).rejects.toThrow(/broke at its end/);
    expect(await store.exists('broken/multipart')).toBe(false);
    await store.putStream('whole/multipart', () => Readable.from(pattern(5, 12 * MiB)), { size: 12 * MiB });
    expect(await sameAsPattern((await store.getStream('whole/multipart'))!, 5, 12 * MiB)).toBe(true);
    await store.putStream('whole/small', () => Readable.from(pattern(6, 1000)));
    expect(await sameAsPattern((await store.getStream('whole/small'))!, 6, 1000)).toBe(true);
    // Of known size (reused part buffers): the same, and a body of another length stores nothing.
    await expect(store.putStream('broken/sized', body, { size: 12 * MiB })).rejects.toThrow(/broke at its end/);
    expect(await store.exists('broken/sized')).toBe(false);
    const short = () => Readable.from(pattern(5, 12 * MiB - 1));
    await expect(store.putStream('short/sized', short, { size: 12 * MiB })).rejects.toThrow(/ended after/);
    expect(await store.exists('short/sized')).toBe(false);
    await expect(
      store.putStream('long/sized', () => Readable.from(pattern(5, 12 * MiB)), { size: 12 * MiB - 1 }),
    ).rejects.toThrow(/past its declared/);
    expect(await store.exists('long/sized')).toBe(false);
  });

  it('uploads a file straight from disk in parts, checked in order, and stores nothing it refuses', async () => {
    const store = S3ObjectStore.fromSettings({
      ...testStack().servers.s3,
      keyPrefix: env.s3KeyPrefix,
      partSizeBytes: 5 * MiB,
    });
    const dir = await scratchDir();
    const path = join(dir, 'model.bin');
    const size = 12 * MiB + 5;
    await pipeline(Readable.from(pattern(7, size)), createWriteStream(path));
    const seen = createHash('sha256');
    let ended = false;
    await store.putFile('file/whole', path, {
      size,
      check: () => ({ update: (bytes) => void seen.update(bytes), end: () => void (ended = true) }),
    });
    expect(ended).toBe(true);
    expect(await sameAsPattern((await store.getStream('file/whole'))!, 7, size)).toBe(true);
    const expected = createHash('sha256');
    for (const chunk of pattern(7, size)) expected.update(chunk);
    expect(seen.digest('hex')).toBe(expected.digest('hex'));
    // Three 5 MiB parts.
    expect(await etag('file/whole')).toMatch(/-3"?$/);

    const refusing = () => ({
      update: () => undefined,
      end: () => {
        throw new Error('changed while it was being stored');
      },
    });
    await expect(store.putFile('file/refused', path, { size, check: refusing })).rejects.toThrow(/changed/);
    expect(await store.exists('file/refused')).toBe(false);
    await expect(store.putFile('file/short', path, { size: size + 1 })).rejects.toThrow(/ended after/);
    expect(await store.exists('file/short')).toBe(false);
    await expect(store.putFile('file/long', path, { size: size - 1 })).rejects.toThrow(/longer than/);
    expect(await store.exists('file/long')).toBe(false);
    // One part: a single request, checked all the same.
    const small = join(dir, 'small.bin');
    writeFileSync(small, Buffer.concat([...pattern(8, 1000)]));
    await expect(store.putFile('file/refused-small', small, { size: 1000, check: refusing })).rejects.toThrow(
      /changed/,
    );
    expect(await store.exists('file/refused-small')).toBe(false);
  });
});
