import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { ObjectStore } from './object-store.js';

/**
 * Stage outputs in the object store, one folder per chained stage key:
 *   outputs/<key>/data-<sha256>  the stage's output (JSON or raw bytes), content-addressed
 *   outputs/<key>/meta.json      written last: cost, metrics, checksum, which data object
 * `meta.json` is the commit marker. A crash between the two writes leaves data without meta,
 * which reads as "not cached" and is simply recomputed. Data objects are immutable (named by
 * their checksum), so two writers of the same key — a zombie attempt after a heartbeat timeout,
 * two studies sharing a pipeline — each commit a meta that points at their own complete data:
 * whichever meta wins, it matches its data. The cache is never half-valid.
 */
export interface StageOutputMeta {
  readonly key: string;
  readonly pipelineId: string;
  readonly stage: string;
  readonly version: string;
  /** Full cost of computing this output (what the per-stage cost model trains on). */
  readonly cost: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly format: 'json' | 'bytes';
  readonly bytes: number;
  readonly sha256: string;
  readonly createdAt: string;
}

const dataKey = (key: string, sha256: string) => `outputs/${key}/data-${sha256}`;
const metaKey = (key: string) => `outputs/${key}/meta.json`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** A stage output that is not (validly) in the cache; retrying the read will not help. */
export class CacheReadError extends Error {
  override readonly name = 'CacheReadError';
}

/** Object key of a committed output's data (for tools and tests). */
export function outputDataKey(meta: Pick<StageOutputMeta, 'key' | 'sha256'>): string {
  return dataKey(meta.key, meta.sha256);
}

export class StageCache {
  constructor(private readonly store: ObjectStore) {}

  /** The metadata of a committed output, or `null` when the output is not (fully) cached. */
  async readMeta(key: string): Promise<StageOutputMeta | null> {
    const body = await this.store.get(metaKey(key));
    if (body === null) return null;
    try {
      return JSON.parse(decoder.decode(body)) as StageOutputMeta;
    } catch {
      // A meta object we cannot parse is treated as absent; the next run overwrites it.
      return null;
    }
  }

  /**
   * Reads a committed output and checks its checksum.
   * @throws CacheReadError when the output is missing or does not match its recorded checksum;
   *   store errors (network, throttling) propagate unchanged so callers can retry them.
   */
  async readOutput(key: string): Promise<{ meta: StageOutputMeta; body: Uint8Array }> {
    const meta = await this.readMeta(key);
    if (meta === null) throw new CacheReadError(`stage output ${key} is not cached`);
    return { meta, body: await this.readData(meta) };
  }

  /** The data of a committed output, checked against its recorded checksum. */
  async readData(meta: StageOutputMeta): Promise<Uint8Array> {
    const { key } = meta;
    const body = await this.store.get(dataKey(key, meta.sha256));
    if (body === null) throw new CacheReadError(`stage output ${key} has metadata but no data`);
    const digest = sha256Hex(body);
    if (digest !== meta.sha256) {
      throw new CacheReadError(`stage output ${key} is corrupted (sha256 ${digest} != ${meta.sha256})`);
    }
    return body;
  }

  /**
   * The data of a committed output as a stream that hashes what passes through it and errors with
   * a {@link CacheReadError} at the end when the checksum does not match.
   */
  async streamData(meta: StageOutputMeta): Promise<Readable> {
    const source = await this.store.getStream(dataKey(meta.key, meta.sha256));
    if (source === null) throw new CacheReadError(`stage output ${meta.key} has metadata but no data`);
    const hash = createHash('sha256');
    const verifier = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        const digest = hash.digest('hex');
        callback(
          digest === meta.sha256
            ? null
            : new CacheReadError(`stage output ${meta.key} is corrupted (sha256 ${digest} != ${meta.sha256})`),
        );
      },
    });
    source.on('error', (error) => verifier.destroy(error));
    return source.pipe(verifier);
  }

  /** Writes data, then the commit marker. Returns the committed metadata. */
  async write(key: string, output: unknown, fields: CommitFields, now: Date): Promise<StageOutputMeta> {
    return this.commit(await this.writeData(key, output), fields, now);
  }

  /**
   * Stores an output's data (immutable, named by its checksum); not yet visible as cached.
   * @throws OutputEncodingError when the output cannot be encoded (see {@link encodeOutput})
   */
  async writeData(key: string, output: unknown): Promise<StoredData> {
    return this.writeEncoded(key, encodeOutput(output));
  }

  /** Stores an output encoded by {@link encodeOutput}; not yet visible as cached. */
  async writeEncoded(key: string, encoded: EncodedOutput): Promise<StoredData> {
    const { format, body } = encoded;
    const data: StoredData = { key, format, bytes: body.byteLength, sha256: sha256Hex(body) };
    await this.store.put(
      dataKey(key, data.sha256),
      body,
      format === 'json' ? 'application/json' : 'application/octet-stream',
    );
    return data;
  }

  /** Writes the commit marker of stored data: from now on the output counts as cached. */
  async commit(data: StoredData, fields: CommitFields, now: Date): Promise<StageOutputMeta> {
    const meta: StageOutputMeta = { ...fields, ...data, createdAt: now.toISOString() };
    await this.store.put(metaKey(data.key), encoder.encode(JSON.stringify(meta)), 'application/json');
    return meta;
  }
}

/** A stage output as the bytes the cache stores. */
export interface EncodedOutput {
  readonly format: 'json' | 'bytes';
  readonly body: Uint8Array;
}

/** An output that cannot be stored: it has no JSON encoding. Re-running the stage will not help. */
export class OutputEncodingError extends Error {
  override readonly name = 'OutputEncodingError';
}

const maxQuotedKeyLength = 60;

/**
 * Refuses the values `JSON.stringify` would silently drop from an object: a stage returning one has
 * lost data it meant to pass on.
 */
function refuseUnencodable(key: string, value: unknown): unknown {
  if (typeof value !== 'function' && typeof value !== 'symbol') return value;
  const shown = key.length > maxQuotedKeyLength ? `${key.slice(0, maxQuotedKeyLength)}…` : key;
  throw new OutputEncodingError(
    `the output contains a ${typeof value} at key ${JSON.stringify(shown)}, which has no JSON encoding`,
  );
}

/**
 * The bytes of a stage output: a `Uint8Array` as is (`bytes`), anything else as the UTF-8 of its
 * `JSON.stringify` (`json`; `undefined` as `null`), per docs/stage-contract.md.
 * @throws OutputEncodingError when the value has no JSON encoding: a cycle, a BigInt, a function
 *   or symbol anywhere in it, a `toJSON` that throws, a string too long to build
 */
export function encodeOutput(output: unknown): EncodedOutput {
  if (output instanceof Uint8Array) return { format: 'bytes', body: output };
  if (typeof output === 'function' || typeof output === 'symbol') {
    throw new OutputEncodingError(`the output is a ${typeof output}, which has no JSON encoding`);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(output ?? null, refuseUnencodable) as string | undefined;
  } catch (error) {
    if (error instanceof OutputEncodingError) throw error;
    // V8 explains a cycle over several lines ("--> starting at object ... closes the circle").
    const reason = error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : 'it threw a non-Error value';
    throw new OutputEncodingError(`the output cannot be encoded as JSON: ${reason}`);
  }
  // A toJSON that returns undefined leaves nothing, which is stored as null like undefined itself.
  return { format: 'json', body: encoder.encode(text ?? 'null') };
}

/** What {@link StageCache.writeData} stored. */
export type StoredData = Pick<StageOutputMeta, 'key' | 'format' | 'bytes' | 'sha256'>;
/** What the writer states about an output when committing it. */
export type CommitFields = Omit<StageOutputMeta, 'key' | 'format' | 'bytes' | 'sha256' | 'createdAt'>;

export function decodeJsonOutput(body: Uint8Array): unknown {
  return JSON.parse(decoder.decode(body));
}
