/**
 * Large stage outputs through the stage cache and the local S3 server (versitygw), next to a plain
 * copy of the same bytes on the same disk. On a private stack (fresh state), per repeat:
 *   copy      fs.copyFile and a stream copy (read + write through this process) of a 1 GiB file
 *   write     a 1 GiB output from a seeded one-shot stream (outputStream: spooled while hashed,
 *             then a multipart upload), and the same bytes from a file (outputFile: hashed, then
 *             uploaded while hashed again), each committed like runStage does
 *   read      the output streamed back into a file with its checksum verified (StageOutput.toFile)
 *   raw       the same upload (the file read straight into the part buffers) and download
 *             through the S3 store, nothing hashed: what the server itself can take, the ceiling of
 *             any client
 * Prints medians of MB/s (10^6 bytes per second), the ratios to the plain copy and to the raw
 * transfers, and the peak RSS growth of this process during each operation (sampled every 10 ms,
 * from a collected heap).
 *
 *   npm run bench:artifacts -- [--mib 1024] [--repeats 3] [--port 38233] [--keep]
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { startStack, stopStack } from '../src/dev/stack.js';
import { outputFile, outputStream } from '../src/stages/types.js';
import { retryingStore } from '../src/storage/retry.js';
import { defaultPartSizeBytes, defaultUploadConcurrency, S3ObjectStore } from '../src/storage/s3-object-store.js';
import { outputDataKey, StageCache, type StageOutputMeta } from '../src/storage/stage-cache.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    repeats: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    // Temporal's port; S3 listens on port − 163. Two runs need two ports.
    port: { type: 'string', default: '38233' },
    keep: { type: 'boolean', default: false },
  },
});
const size = Number(args.mib) * 1024 * 1024;
const repeats = Number(args.repeats);
const seed = Number(args.seed);
const chunkBytes = 1024 * 1024;

/**
 * `size` seeded bytes, made on the fly: a 1 MiB block derived from the seed, each copy stamped with
 * its index, so no two chunks are alike and nothing is held beyond the chunk being read.
 */
function seededStream(): Readable {
  const block = Buffer.alloc(chunkBytes);
  for (let offset = 0; offset < chunkBytes; offset += 32) {
    createHash('sha256').update(`${seed}:${offset}`).digest().copy(block, offset);
  }
  function* chunks(): Generator<Buffer> {
    for (let index = 0, written = 0; written < size; index++) {
      const chunk = Buffer.from(block.subarray(0, Math.min(chunkBytes, size - written)));
      chunk.writeUInt32LE(index, 0);
      written += chunk.length;
      yield chunk;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

interface Measured {
  readonly seconds: number;
  /** Peak RSS during the operation minus RSS before it, in bytes. */
  readonly rssGrowth: number;
}

const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Writes dirty pages out, so that one operation's writeback does not slow the next one down. */
function flushDisk(): void {
  execFileSync('sync');
}

async function measure(operation: () => Promise<unknown>): Promise<Measured> {
  flushDisk();
  collect();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  try {
    await operation();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, rssGrowth: peak - before };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const temporalPort = Number(args.port);
const stateDir = join(process.cwd(), '.memotune', `bench-artifacts-${temporalPort}`);
rmSync(stateDir, { recursive: true, force: true });
const stackOptions = { stateDir, temporalPort, s3Port: temporalPort - 163, headless: true, log: () => {} };
const stack = await startStack(stackOptions);
// The copies and the spool live next to the S3 server's data: the same disk for every figure.
const scratch = join(stateDir, 'scratch');
mkdirSync(scratch, { recursive: true });

const fields = { pipelineId: 'bench', stage: 'artifact', version: '1', cost: 0, metrics: {} };
const prefix = `bench-artifacts-${Date.now()}/`;
const s3 = S3ObjectStore.fromSettings({ ...stack.s3, keyPrefix: prefix });
await s3.ensureBucket();
// As runStage uses it: every store call retried through outages (none here), one-shot streams
// spooled next to the data.
const cache = new StageCache(retryingStore(s3), { spoolDir: scratch });

const names = ['copyFile', 'streamCopy', 'rawPut', 'rawGet', 'writeStream', 'writeFile', 'read'] as const;
const results: Record<(typeof names)[number], Measured[]> = {
  copyFile: [],
  streamCopy: [],
  rawPut: [],
  rawGet: [],
  writeStream: [],
  writeFile: [],
  read: [],
};

try {
  const source = join(scratch, 'source.bin');
  await pipeline(seededStream(), createWriteStream(source));
  if (statSync(source).size !== size) throw new Error('the source file has the wrong size');
  console.log(
    `artifacts: ${args.mib} MiB, ${repeats} repeats, parts of ${defaultPartSizeBytes / 1024 / 1024} MiB × ${defaultUploadConcurrency} in flight, S3 at ${stack.s3.endpoint}`,
  );

  for (let repeat = 0; repeat < repeats; repeat++) {
    const copy = join(scratch, 'copy.bin');
    results.copyFile.push(await measure(() => copyFile(source, copy)));
    rmSync(copy);
    results.streamCopy.push(
      await measure(() => pipeline(createReadStream(source, { highWaterMark: chunkBytes }), createWriteStream(copy))),
    );
    rmSync(copy);

    results.rawPut.push(await measure(() => s3.putFile('raw', source, { size })));
    results.rawGet.push(await measure(async () => pipeline((await s3.getStream('raw'))!, createWriteStream(copy))));
    await s3.delete('raw');
    rmSync(copy);

    let streamed: StageOutputMeta | undefined;
    results.writeStream.push(
      await measure(async () => {
        streamed = await cache.commit(
          await cache.writeData(`stream-${repeat}`, outputStream(seededStream())),
          fields,
          new Date(),
        );
      }),
    );
    let filed: StageOutputMeta | undefined;
    results.writeFile.push(
      await measure(async () => {
        filed = await cache.commit(await cache.writeData(`file-${repeat}`, outputFile(source)), fields, new Date());
      }),
    );
    if (streamed!.sha256 !== filed!.sha256 || streamed!.bytes !== size) {
      throw new Error('the streamed and the file output differ');
    }

    const restored = join(scratch, 'restored.bin');
    results.read.push(await measure(() => cache.downloadData(streamed!, restored)));
    if (statSync(restored).size !== size) throw new Error('the restored file has the wrong size');
    rmSync(restored);

    for (const meta of [streamed!, filed!]) {
      await s3.delete(outputDataKey(meta));
      await s3.delete(`outputs/${meta.key}/meta.json`);
    }
    const line = names
      .map((name) => `${name} ${(size / 1e6 / results[name].at(-1)!.seconds).toFixed(0)} MB/s`)
      .join(', ');
    console.log(`  repeat ${repeat + 1}: ${line}`);
  }

  const mbps = (name: (typeof names)[number]) => median(results[name].map((r) => size / 1e6 / r.seconds));
  const rssMb = (name: (typeof names)[number]) => median(results[name].map((r) => r.rssGrowth / 1e6));
  const maxRssMb = (name: (typeof names)[number]) => Math.max(...results[name].map((r) => r.rssGrowth / 1e6));
  const summary = Object.fromEntries(
    names.map((name) => [
      name,
      {
        mbPerSecond: Number(mbps(name).toFixed(1)),
        seconds: Number(median(results[name].map((r) => r.seconds)).toFixed(2)),
        rssGrowthMb: Number(rssMb(name).toFixed(1)),
        maxRssGrowthMb: Number(maxRssMb(name).toFixed(1)),
      },
    ]),
  );
  const ratio = (name: (typeof names)[number], baseline: (typeof names)[number]) =>
    Number((mbps(name) / mbps(baseline)).toFixed(2));
  console.log(
    JSON.stringify(
      {
        bytes: size,
        repeats,
        medians: summary,
        ratios: {
          writeStreamVsCopyFile: ratio('writeStream', 'copyFile'),
          writeStreamVsStreamCopy: ratio('writeStream', 'streamCopy'),
          writeFileVsCopyFile: ratio('writeFile', 'copyFile'),
          writeFileVsStreamCopy: ratio('writeFile', 'streamCopy'),
          readVsCopyFile: ratio('read', 'copyFile'),
          readVsStreamCopy: ratio('read', 'streamCopy'),
          rawPutVsStreamCopy: ratio('rawPut', 'streamCopy'),
          rawGetVsStreamCopy: ratio('rawGet', 'streamCopy'),
          writeStreamVsRawPut: ratio('writeStream', 'rawPut'),
          writeFileVsRawPut: ratio('writeFile', 'rawPut'),
          readVsRawGet: ratio('read', 'rawGet'),
        },
        targets: { ratio: '>= 0.5 of the plain copy', rssGrowthMb: '<= 100' },
      },
      null,
      2,
    ),
  );
} finally {
  await stopStack(stackOptions);
  if (!args.keep) rmSync(stateDir, { recursive: true, force: true });
}
