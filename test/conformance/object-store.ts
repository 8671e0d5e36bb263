import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { CacheReadError, outputDataKey, StageCache } from '../../src/storage/stage-cache.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Behaviour every ObjectStore must have (memory in unit tests, S3 in integration tests). */
export function describeObjectStore(name: string, makeStore: () => Promise<ObjectStore>): void {
  describe(`${name} object store`, () => {
    it('returns null for a missing object and reports it as absent', async () => {
      const store = await makeStore();
      expect(await store.get('missing/key')).toBeNull();
      expect(await store.exists('missing/key')).toBe(false);
    });

    it('reads back exactly the bytes it stored, and replaces on a second put', async () => {
      const store = await makeStore();
      const body = new Uint8Array([0, 1, 2, 254, 255]);
      await store.put('a/b/c', body);
      expect(await store.exists('a/b/c')).toBe(true);
      expect(Array.from((await store.get('a/b/c'))!)).toEqual([0, 1, 2, 254, 255]);
      await store.put('a/b/c', bytes('new'));
      expect(new TextDecoder().decode((await store.get('a/b/c'))!)).toBe('new');
    });

    it('streams an object without buffering it, and returns null for a missing one', async () => {
      const store = await makeStore();
      const body = new Uint8Array(300_000).map((_, index) => index % 251);
      await store.put('stream/obj', body);
      const stream = await store.getStream('stream/obj');
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream!) chunks.push(chunk as Uint8Array);
      expect(Buffer.concat(chunks).equals(Buffer.from(body))).toBe(true);
      expect(await store.getStream('stream/missing')).toBeNull();
    });

    it('writes streams and files of a declared size, and stores nothing of another size or refused by its check', async () => {
      const store = await makeStore();
      const body = Buffer.from(new Uint8Array(300_000).map((_, index) => (index * 7) % 251));
      const chunks = () => Readable.from([body.subarray(0, 1000), body.subarray(1000)]);
      await store.putStream('sized/stream', chunks, { size: body.length });
      expect(Buffer.from((await store.get('sized/stream'))!).equals(body)).toBe(true);
      await expect(store.putStream('sized/wrong', chunks, { size: body.length + 1 })).rejects.toThrow();
      expect(await store.exists('sized/wrong')).toBe(false);

      const dir = await mkdtemp(join(tmpdir(), 'memotune-conformance-'));
      try {
        const path = join(dir, 'file.bin');
        await writeFile(path, body);
        const seen: Uint8Array[] = [];
        await store.putFile('sized/file', path, {
          size: body.length,
          check: () => ({ update: (part) => void seen.push(part.slice()), end: () => undefined }),
        });
        expect(Buffer.from((await store.get('sized/file'))!).equals(body)).toBe(true);
        expect(Buffer.concat(seen).equals(body)).toBe(true);
        await expect(store.putFile('sized/long', path, { size: body.length - 1 })).rejects.toThrow();
        expect(await store.exists('sized/long')).toBe(false);
        const refusing = () => ({
          update: () => undefined,
          end: () => {
            throw new Error('refused');
          },
        });
        await expect(store.putFile('sized/refused', path, { size: body.length, check: refusing })).rejects.toThrow(
          'refused',
        );
        expect(await store.exists('sized/refused')).toBe(false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('lists keys under a prefix in sorted order and deletes', async () => {
      const store = await makeStore();
      await store.put('p/2', bytes('2'));
      await store.put('p/1', bytes('1'));
      await store.put('q/1', bytes('x'));
      expect(await store.list('p/')).toEqual(['p/1', 'p/2']);
      await store.delete('p/1');
      expect(await store.list('p/')).toEqual(['p/2']);
      expect(await store.exists('p/1')).toBe(false);
    });

    it('holds stage outputs whose metadata is the commit marker, and detects corruption', async () => {
      const store = await makeStore();
      const cache = new StageCache(store);
      const meta = await cache.write(
        'k1',
        { weights: [1, 2, 3] },
        { pipelineId: 'p', stage: 'train', version: '1', cost: 4.5, metrics: { loss: 0.25 } },
        new Date('2026-01-01T00:00:00Z'),
      );
      expect(meta).toMatchObject({
        key: 'k1',
        format: 'json',
        cost: 4.5,
        metrics: { loss: 0.25 },
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      expect(await cache.readMeta('k1')).toEqual(meta);
      const { body } = await cache.readOutput('k1');
      expect(JSON.parse(new TextDecoder().decode(body))).toEqual({ weights: [1, 2, 3] });

      // Data without its commit marker (a crash between the two writes) reads as not cached.
      await store.put('outputs/k2/data-0000', bytes('partial'));
      expect(await cache.readMeta('k2')).toBeNull();
      await expect(cache.readOutput('k2')).rejects.toBeInstanceOf(CacheReadError);

      // A second writer of the same key (a zombie attempt) commits its own consistent pair.
      const second = await cache.write(
        'k1',
        { weights: [9] },
        { pipelineId: 'p', stage: 'train', version: '1', cost: 5, metrics: { loss: 0.5 } },
        new Date(0),
      );
      const reread = await cache.readOutput('k1');
      expect(reread.meta).toEqual(second);
      expect(JSON.parse(new TextDecoder().decode(reread.body))).toEqual({ weights: [9] });

      const streamed: Buffer[] = [];
      for await (const chunk of await cache.streamData(second)) streamed.push(chunk as Buffer);
      expect(JSON.parse(Buffer.concat(streamed).toString('utf8'))).toEqual({ weights: [9] });

      await store.put(outputDataKey(second), bytes('tampered'));
      await expect(cache.readOutput('k1')).rejects.toThrow(/corrupted/);
      const drain = async () => {
        for await (const chunk of await cache.streamData(second)) void chunk;
      };
      await expect(drain()).rejects.toBeInstanceOf(CacheReadError);
    });

    it('stores binary outputs as bytes', async () => {
      const store = await makeStore();
      const cache = new StageCache(store);
      const meta = await cache.write(
        'bin',
        new Uint8Array([9, 8, 7]),
        { pipelineId: 'p', stage: 's', version: '1', cost: 1, metrics: {} },
        new Date(0),
      );
      expect(meta.format).toBe('bytes');
      expect(meta.bytes).toBe(3);
      expect(Array.from((await cache.readOutput('bin')).body)).toEqual([9, 8, 7]);
    });
  });
}
