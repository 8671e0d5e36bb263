import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outputDirectory, outputFile, outputStream } from '../../../src/stages/types.js';
import { MemoryObjectStore, type ObjectStore, type PutFileOptions } from '../../../src/storage/object-store.js';
import { retryingStore } from '../../../src/storage/retry.js';
import {
  CacheReadError,
  OutputEncodingError,
  outputDataKey,
  prepareOutput,
  StageCache,
  type StageOutputMeta,
} from '../../../src/storage/stage-cache.js';
import { FlakyStore } from './flaky-store.js';

const fields = { pipelineId: 'p', stage: 's', version: '1', cost: 1, metrics: {} };
const sha256 = (body: Uint8Array) => createHash('sha256').update(body).digest('hex');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'memotune-artifacts-'));
});
afterEach(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic bytes that are not all alike. */
function pattern(length: number, seed = 1): Buffer {
  const body = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    body[index] = state >>> 24;
  }
  return body;
}

/** A small checkpoint folder: nested files, an empty folder, a link, a non-ASCII name. */
function makeTree(root: string): string {
  mkdirSync(join(root, 'weights'), { recursive: true });
  writeFileSync(join(root, 'weights', 'layer0.bin'), pattern(300_000));
  writeFileSync(join(root, 'weights', 'layer1.bin'), '');
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'config.json'), '{"lr":0.1}');
  writeFileSync(join(root, 'notes-é.txt'), 'ünïcode');
  symlinkSync('weights/layer0.bin', join(root, 'latest'));
  return root;
}

/** Everything under `root`: file contents (as hashes), link targets, folders. */
function tree(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const key = relative(root, path);
      const stats = statSync(path, { throwIfNoEntry: false });
      const link = (() => {
        try {
          return readlinkSync(path);
        } catch {
          return null;
        }
      })();
      if (link !== null) found[key] = `link ${link}`;
      else if (stats?.isDirectory()) {
        found[key] = 'dir';
        walk(path);
      } else found[key] = sha256(readFileSync(path));
    }
  };
  walk(root);
  return found;
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function commit(cache: StageCache, key: string, output: unknown): Promise<StageOutputMeta> {
  return cache.commit(await cache.writeData(key, output), fields, new Date(0));
}

describe('stage outputs streamed from files, directories and streams', () => {
  it('stores a file as bytes under its checksum and writes it back to a file, verified', async () => {
    const store = new MemoryObjectStore();
    const cache = new StageCache(store);
    const body = pattern(2_500_000);
    writeFileSync(join(dir, 'model.bin'), body);
    const meta = await commit(cache, 'k', outputFile(join(dir, 'model.bin')));
    expect(meta).toMatchObject({ format: 'bytes', bytes: body.length, sha256: sha256(body) });
    // Its name is kept (a later stage's local copy keeps the extension); bytes have none.
    expect(meta.fileName).toBe('model.bin');
    expect(JSON.parse(new TextDecoder().decode((await store.get('outputs/k/meta.json'))!))).toMatchObject({
      fileName: 'model.bin',
    });
    expect(Buffer.from((await store.get(outputDataKey(meta)))!).equals(body)).toBe(true);

    await cache.downloadData(meta, join(dir, 'deep', 'copy.bin'));
    expect(readFileSync(join(dir, 'deep', 'copy.bin')).equals(body)).toBe(true);
    // The same bytes as a JSON-less `Uint8Array` output would have: old and new outputs read alike.
    const bytes = await commit(cache, 'k2', new Uint8Array(body));
    expect(bytes.sha256).toBe(meta.sha256);
    expect(bytes).not.toHaveProperty('fileName');
  });

  it('refuses to store a file that changed between its hash and its upload, and stores nothing', async () => {
    const inner = new MemoryObjectStore();
    const path = join(dir, 'model.bin');
    writeFileSync(path, pattern(10_000));
    const store: ObjectStore = Object.assign(Object.create(inner) as MemoryObjectStore, {
      putFile: (key: string, from: string, options: PutFileOptions) => {
        writeFileSync(from, pattern(10_000, 2));
        return inner.putFile(key, from, options);
      },
    });
    await expect(new StageCache(store).writeData('k', outputFile(path))).rejects.toThrow(
      /the output file .*model\.bin changed while it was being stored/,
    );
    expect(await inner.list('')).toEqual([]);
  });

  it('spools a one-shot stream to a temporary file while hashing it, and removes the spool', async () => {
    const spoolDir = join(dir, 'spool');
    mkdirSync(spoolDir);
    const store = new MemoryObjectStore();
    const cache = new StageCache(store, { spoolDir });
    const body = pattern(3_000_000);
    async function* chunks() {
      for (let offset = 0; offset < body.length; offset += 65_536) yield body.subarray(offset, offset + 65_536);
    }
    for (const [key, output] of [
      ['a', outputStream(chunks())],
      ['b', Readable.from([body.subarray(0, 10), body.subarray(10)])],
    ] as const) {
      const meta = await commit(cache, key, output);
      expect(meta).toMatchObject({ format: 'bytes', bytes: body.length, sha256: sha256(body) });
      expect(Buffer.from((await store.get(outputDataKey(meta)))!).equals(body)).toBe(true);
    }
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('round-trips a directory through a tar archive, extracting it only once verified', async () => {
    const store = new MemoryObjectStore();
    const cache = new StageCache(store);
    const source = makeTree(join(dir, 'ckpt'));
    const meta = await commit(cache, 'k', outputDirectory(source));
    const data = (await store.get(outputDataKey(meta)))!;
    expect(meta).toMatchObject({ format: 'directory', bytes: data.byteLength, sha256: sha256(data) });

    await cache.extractDirectory(meta, join(dir, 'out', 'restored'));
    expect(tree(join(dir, 'out', 'restored'))).toEqual(tree(source));
    expect(readdirSync(join(dir, 'out'))).toEqual(['restored']);
    // The same directory archives to the same bytes, whenever and wherever it is written.
    expect((await commit(new StageCache(new MemoryObjectStore()), 'k', outputDirectory(source))).sha256).toBe(
      meta.sha256,
    );

    mkdirSync(join(dir, 'empty-src'));
    const empty = await commit(cache, 'e', outputDirectory(join(dir, 'empty-src')));
    mkdirSync(join(dir, 'empty-dest'));
    await cache.extractDirectory(empty, join(dir, 'empty-dest'));
    expect(readdirSync(join(dir, 'empty-dest'))).toEqual([]);
  });

  it('detects a checksum mismatch on every read path and leaves nothing behind', async () => {
    const store = new MemoryObjectStore();
    const cache = new StageCache(store);
    const dirMeta = await commit(cache, 'd', outputDirectory(makeTree(join(dir, 'ckpt'))));
    const good = (await store.get(outputDataKey(dirMeta)))!;
    const flipped = good.slice();
    flipped[2000]! ^= 1;
    await store.put(outputDataKey(dirMeta), flipped);
    mkdirSync(join(dir, 'out'));
    await expect(cache.extractDirectory(dirMeta, join(dir, 'out', 'a'))).rejects.toThrow(CacheReadError);
    await expect(cache.extractDirectory(dirMeta, join(dir, 'out', 'a'))).rejects.toThrow(/corrupted/);
    // Not an archive at all: a CacheReadError too, whichever of tar or the checksum notices first.
    await store.put(outputDataKey(dirMeta), new Uint8Array(good.length).fill(1));
    await expect(cache.extractDirectory(dirMeta, join(dir, 'out', 'b'))).rejects.toBeInstanceOf(CacheReadError);

    const fileMeta = await commit(cache, 'f', pattern(100_000));
    await store.put(outputDataKey(fileMeta), pattern(100_000, 9));
    await expect(cache.downloadData(fileMeta, join(dir, 'out', 'c.bin'))).rejects.toThrow(/corrupted/);
    await expect(drain(await cache.streamData(fileMeta))).rejects.toBeInstanceOf(CacheReadError);
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });

  it('refuses to archive a directory holding something that is not a file, directory or link', async () => {
    const { createServer } = await import('node:net');
    const root = join(dir, 'with-socket');
    mkdirSync(root);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'control.sock'), resolve));
    try {
      await expect(new StageCache(new MemoryObjectStore()).writeData('k', outputDirectory(root))).rejects.toThrow(
        /control\.sock: not a file, directory or symbolic link/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses archive entries that would land outside the directory', async () => {
    const store = new MemoryObjectStore();
    const header = new Header({ path: '../escaped.txt', type: 'File', size: 2, mode: 0o644, mtime: new Date(0) });
    header.encode();
    const data = Buffer.alloc(512);
    data.write('hi');
    const body = Buffer.concat([header.block!, data, Buffer.alloc(1024)]);
    const key = 'outputs/x/data-' + sha256(body);
    await store.put(key, body);
    const meta = { key: 'x', format: 'directory', bytes: body.length, sha256: sha256(body) } as StageOutputMeta;
    mkdirSync(join(dir, 'out'));
    await expect(new StageCache(store).extractDirectory(meta, join(dir, 'out', 'x'))).rejects.toThrow(
      /not a valid directory archive: .*\.\./,
    );
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('refuses to extract a non-directory output or into a non-empty directory', async () => {
    const cache = new StageCache(new MemoryObjectStore());
    const dirMeta = await commit(cache, 'd', outputDirectory(makeTree(join(dir, 'ckpt'))));
    mkdirSync(join(dir, 'full'));
    writeFileSync(join(dir, 'full', 'x'), 'x');
    await expect(cache.extractDirectory(dirMeta, join(dir, 'full'))).rejects.toThrow(/not empty/);
    const fileMeta = await commit(cache, 'f', new Uint8Array([1]));
    await expect(cache.extractDirectory(fileMeta, join(dir, 'y'))).rejects.toThrow(/not a directory/);
  });

  it('checks file and directory outputs before anything is read, and refuses them inside a JSON value', () => {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'f'), 'x');
    expect(() => prepareOutput(outputFile(join(dir, 'missing')))).toThrow(/outputFile\(".*missing"\): no such file/);
    expect(() => prepareOutput(outputFile(join(dir, 'd')))).toThrow(/not a regular file \(use outputDirectory\)/);
    expect(() => prepareOutput(outputDirectory(join(dir, 'f')))).toThrow(/not a directory \(use outputFile\)/);
    expect(() => prepareOutput({ model: outputFile(join(dir, 'f')) })).toThrow(OutputEncodingError);
    expect(() => prepareOutput([Readable.from([])])).toThrow(/at key "0": one can only be the whole output/);
    expect(() => outputStream('text' as never)).toThrow(TypeError);
    // A plain object that merely looks like one is JSON.
    expect(prepareOutput({ file: 'x', path: 'y' })).toMatchObject({ source: 'memory' });
  });

  it('stops a write whose signal aborts, storing nothing', async () => {
    const store = new MemoryObjectStore();
    writeFileSync(join(dir, 'f'), pattern(1000));
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      new StageCache(store).writeData('k', outputFile(join(dir, 'f')), { signal: controller.signal }),
    ).rejects.toThrow();
    expect(await store.list('')).toEqual([]);
  });
});

describe('streamed writes during an outage', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('re-reads a file or a directory from its start when an upload breaks off', async () => {
    const flaky = new FlakyStore();
    const cache = new StageCache(retryingStore(flaky, fast));
    const source = makeTree(join(dir, 'ckpt'));
    flaky.breakUploadsAfter(100_000, 1);
    const meta = await commit(cache, 'd', outputDirectory(source));
    const dataWrites = flaky.calls.filter((call) => call.op === 'put' && call.key === outputDataKey(meta));
    expect(dataWrites).toHaveLength(3);
    await new StageCache(flaky.inner).extractDirectory(meta, join(dir, 'restored'));
    expect(tree(join(dir, 'restored'))).toEqual(tree(source));

    const body = pattern(1_000_000);
    writeFileSync(join(dir, 'model.bin'), body);
    flaky.failNext(2, ['put']);
    const fileMeta = await commit(cache, 'f', outputFile(join(dir, 'model.bin')));
    expect(flaky.failedCalls('put')).toBe(2);
    expect(Buffer.from((await flaky.inner.get(outputDataKey(fileMeta)))!).equals(body)).toBe(true);
  });

  it('uploads a one-shot stream again from its spool, so an outage costs no data', async () => {
    const flaky = new FlakyStore();
    const cache = new StageCache(retryingStore(flaky, fast), { spoolDir: dir });
    const body = pattern(500_000);
    flaky.breakUploadsAfter(200_000);
    flaky.failNext(1, ['put']);
    const meta = await commit(cache, 's', Readable.from([body]));
    expect(Buffer.from((await flaky.inner.get(outputDataKey(meta)))!).equals(body)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up at once on a write the server refuses', async () => {
    const flaky = new FlakyStore();
    writeFileSync(join(dir, 'f'), pattern(1000));
    const refused = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    flaky.failNext(1, ['put'], () => refused);
    await expect(new StageCache(retryingStore(flaky, fast)).writeData('k', outputFile(join(dir, 'f')))).rejects.toBe(
      refused,
    );
  });
});
