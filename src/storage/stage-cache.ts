import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { artifactKind, artifactOf, type OutputFormat } from '../stages/types.js';
import {
  digestOf,
  digestOfFile,
  extractDirectoryWhole,
  hashing,
  spool,
  tarDirectory,
  writeFileWhole,
  type Digest,
} from './data-streams.js';
import type { BodyCheck, ObjectStore } from './object-store.js';

/**
 * Stage outputs in the object store, one folder per chained stage key:
 *   outputs/<key>/data-<sha256>  the stage's output (JSON, raw bytes or a directory's tar archive),
 *                                content-addressed
 *   outputs/<key>/meta.json      written last: cost, metrics, checksum, which data object
 * `meta.json` is the commit marker. A crash between the two writes leaves data without meta,
 * which reads as "not cached" and is simply recomputed. Data objects are immutable (named by
 * their checksum), so two writers of the same key — a zombie attempt after a heartbeat timeout,
 * two studies sharing a pipeline — each commit a meta that points at their own complete data:
 * whichever meta wins, it matches its data. The cache is never half-valid.
 *
 * Outputs of any size are streamed (see {@link StageCache.writePrepared}): the checksum names the
 * data object, so it is known before the upload starts. A file or a directory is read twice —
 * hashed, then uploaded while it is hashed again, and the upload completes only when both hashes
 * agree (a file changed in between never lands under a checksum it does not have). A one-shot
 * stream is hashed while it is written to a temporary file, then uploaded from that file. Either
 * way a retried upload re-reads its source from the start, and no data object ever appears under
 * a name that is not its checksum, so no copy on the server is needed.
 */
export interface StageOutputMeta {
  readonly key: string;
  readonly pipelineId: string;
  readonly stage: string;
  readonly version: string;
  /** Full cost of computing this output (what the per-stage cost model trains on). */
  readonly cost: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly format: OutputFormat;
  /** Size of the data object (for a directory, of its tar archive). */
  readonly bytes: number;
  readonly sha256: string;
  /**
   * The name of the file a stage output with `outputFile` (a plain file name, no folder), so that a
   * later stage's local copy keeps its extension: loaders that go by it (a `.csv.gz`, an xgboost
   * `.json` or `.ubj` model) read it as written. Absent for other outputs and for outputs from
   * before it was recorded.
   */
  readonly fileName?: string;
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

const contentTypes: Readonly<Record<OutputFormat, string>> = {
  json: 'application/json',
  bytes: 'application/octet-stream',
  directory: 'application/x-tar',
};

export interface StageCacheOptions {
  /** Where one-shot stream outputs are written while they are hashed. @default the OS temp folder */
  readonly spoolDir?: string;
}

/** How a write may be stopped. */
export interface WriteOptions {
  /** Aborts the write (hashing, spooling, the upload); nothing is stored. */
  readonly signal?: AbortSignal;
}

/** Codes node-tar gives errors about the archive itself (as opposed to the local file system). */
function isArchiveError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('TAR_');
}

function corrupted(meta: Pick<StageOutputMeta, 'key' | 'sha256'>, digest: string): CacheReadError {
  return new CacheReadError(`stage output ${meta.key} is corrupted (sha256 ${digest} != ${meta.sha256})`);
}

export class StageCache {
  private readonly spoolDir: string;

  constructor(
    private readonly store: ObjectStore,
    options: StageCacheOptions = {},
  ) {
    this.spoolDir = options.spoolDir ?? tmpdir();
  }

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

  /** The data of a committed output, in memory, checked against its recorded checksum. */
  async readData(meta: StageOutputMeta): Promise<Uint8Array> {
    const { key } = meta;
    const body = await this.store.get(dataKey(key, meta.sha256));
    if (body === null) throw new CacheReadError(`stage output ${key} has metadata but no data`);
    const digest = sha256Hex(body);
    if (digest !== meta.sha256) throw corrupted(meta, digest);
    return body;
  }

  /**
   * The data of a committed output as a stream that hashes what passes through it and errors with
   * a {@link CacheReadError} at the end when the checksum does not match.
   */
  async streamData(meta: StageOutputMeta): Promise<Readable> {
    const source = await this.store.getStream(dataKey(meta.key, meta.sha256));
    if (source === null) throw new CacheReadError(`stage output ${meta.key} has metadata but no data`);
    return hashing(source, ({ sha256 }) => {
      if (sha256 !== meta.sha256) throw corrupted(meta, sha256);
    });
  }

  /**
   * Streams a committed output's data into the file `path`, which appears (or is replaced) only
   * once the data matched its checksum.
   * @throws CacheReadError when the data is missing or does not match its checksum
   */
  async downloadData(meta: StageOutputMeta, path: string): Promise<void> {
    await writeFileWhole(await this.streamData(meta), path);
  }

  /**
   * Extracts a committed `directory` output into `dest` (absent or an empty directory), which
   * appears only once the archive matched its checksum.
   * @throws CacheReadError when the data is missing, does not match its checksum or is not a
   *   valid archive; Error when the output is not a directory or `dest` is in the way
   */
  async extractDirectory(meta: StageOutputMeta, dest: string): Promise<void> {
    if (meta.format !== 'directory') {
      throw new Error(`stage output ${meta.key} is not a directory (format '${meta.format}'): read it with toFile()`);
    }
    try {
      await extractDirectoryWhole(await this.streamData(meta), dest);
    } catch (error) {
      if (!isArchiveError(error)) throw error;
      throw new CacheReadError(
        `stage output ${meta.key} is not a valid directory archive: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Writes data, then the commit marker. Returns the committed metadata. */
  async write(key: string, output: unknown, fields: CommitFields, now: Date): Promise<StageOutputMeta> {
    return this.commit(await this.writeData(key, output), fields, now);
  }

  /**
   * Stores an output's data (immutable, named by its checksum); not yet visible as cached.
   * @throws OutputEncodingError when the output cannot be stored (see {@link prepareOutput})
   */
  async writeData(key: string, output: unknown, options: WriteOptions = {}): Promise<StoredData> {
    return this.writePrepared(key, prepareOutput(output), options);
  }

  /** Stores an output encoded by {@link encodeOutput}; not yet visible as cached. */
  async writeEncoded(key: string, encoded: EncodedOutput): Promise<StoredData> {
    const { format, body } = encoded;
    const data: StoredData = { key, format, bytes: body.byteLength, sha256: sha256Hex(body) };
    await this.store.put(dataKey(key, data.sha256), body, contentTypes[format]);
    return data;
  }

  /**
   * Stores an output checked by {@link prepareOutput}; not yet visible as cached. A value in
   * memory is put in one request; a file, a directory or a stream is streamed (see the layout
   * notes above), never held in memory whole.
   * @throws Error when a file or directory changed while it was being stored, or its source
   *   failed; store errors propagate unchanged
   */
  async writePrepared(key: string, prepared: PreparedOutput, options: WriteOptions = {}): Promise<StoredData> {
    switch (prepared.source) {
      case 'memory':
        return this.writeEncoded(key, prepared.encoded);
      case 'file': {
        // Hashed, then uploaded straight from the file while hashed again: a file that changed in
        // between is refused before the upload completes.
        const what = `the output file ${prepared.path}`;
        const digest = await digestOfFile(prepared.path, options.signal);
        await this.store.putFile(dataKey(key, digest.sha256), prepared.path, {
          ...this.#putOptions('bytes', digest, options),
          check: () => unchangedSince(digest, what),
        });
        return { key, format: 'bytes', ...digest, fileName: basename(prepared.path) };
      }
      case 'directory':
        return this.writeTwice(
          key,
          'directory',
          () => tarDirectory(prepared.path),
          `the output directory ${prepared.path}`,
          options,
        );
      case 'stream': {
        const spooled = await spool(prepared.stream, this.spoolDir, options.signal);
        try {
          // The spooled file is private to this write: nothing can change it between the passes.
          await this.store.putFile(
            dataKey(key, spooled.digest.sha256),
            spooled.path,
            this.#putOptions('bytes', spooled.digest, options),
          );
          return { key, format: 'bytes', ...spooled.digest };
        } finally {
          await spooled.remove();
        }
      }
    }
  }

  /** Hashes a source that can be read again, then uploads it while checking it is unchanged. */
  private async writeTwice(
    key: string,
    format: OutputFormat,
    open: () => Readable,
    what: string,
    options: WriteOptions,
  ): Promise<StoredData> {
    const digest = await digestOf(open(), options.signal);
    const checked = () => hashing(open(), (again) => assertUnchanged(again, digest, what));
    await this.store.putStream(dataKey(key, digest.sha256), checked, this.#putOptions(format, digest, options));
    return { key, format, ...digest };
  }

  #putOptions(format: OutputFormat, digest: Digest, options: WriteOptions) {
    return { contentType: contentTypes[format], size: digest.bytes, signal: options.signal };
  }

  /** Writes the commit marker of stored data: from now on the output counts as cached. */
  async commit(data: StoredData, fields: CommitFields, now: Date): Promise<StageOutputMeta> {
    const meta: StageOutputMeta = { ...fields, ...data, createdAt: now.toISOString() };
    await this.store.put(metaKey(data.key), encoder.encode(JSON.stringify(meta)), 'application/json');
    return meta;
  }
}

/** Refuses a source whose second read does not hash to what its first read did. */
function assertUnchanged(again: Digest, digest: Digest, what: string): void {
  if (again.sha256 !== digest.sha256 || again.bytes !== digest.bytes) {
    throw new Error(`${what} changed while it was being stored`);
  }
}

/** A check that the bytes written hash to `digest` (the source did not change since it was hashed). */
function unchangedSince(digest: Digest, what: string): BodyCheck {
  const hash = createHash('sha256');
  let bytes = 0;
  return {
    update(chunk) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    },
    end: () => assertUnchanged({ sha256: hash.digest('hex'), bytes }, digest, what),
  };
}

/** A stage output as the bytes the cache stores. */
export interface EncodedOutput {
  readonly format: 'json' | 'bytes';
  readonly body: Uint8Array;
}

/**
 * A stage output checked and ready to store: a value encoded in memory, or where to stream it from
 * (a file, a directory, a one-shot stream).
 */
export type PreparedOutput =
  | { readonly source: 'memory'; readonly encoded: EncodedOutput }
  | { readonly source: 'file' | 'directory'; readonly path: string }
  | { readonly source: 'stream'; readonly stream: AsyncIterable<unknown> };

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
  const shown = () => JSON.stringify(key.length > maxQuotedKeyLength ? `${key.slice(0, maxQuotedKeyLength)}…` : key);
  if (artifactOf(value) !== undefined || value instanceof Readable) {
    // JSON would keep only its plain fields (a path) and silently lose the data it stands for.
    throw new OutputEncodingError(
      `the output contains a file, directory or stream at key ${shown()}: one can only be the whole output`,
    );
  }
  if (typeof value !== 'function' && typeof value !== 'symbol') return value;
  throw new OutputEncodingError(`the output contains a ${typeof value} at key ${shown()}, which has no JSON encoding`);
}

/**
 * Checks a stage's output without storing anything: an {@link outputFile} must be a regular file
 * and an {@link outputDirectory} a directory (relative paths are resolved against the working
 * directory now); an {@link outputStream} or a Node `Readable` is read only when it is stored;
 * anything else is encoded by {@link encodeOutput}.
 * @throws OutputEncodingError naming the problem
 */
export function prepareOutput(output: unknown): PreparedOutput {
  if (output instanceof Readable) return { source: 'stream', stream: output };
  const artifact = artifactOf(output);
  if (artifact === undefined) return { source: 'memory', encoded: encodeOutput(output) };
  if (artifact[artifactKind] === 'stream') return { source: 'stream', stream: artifact.source };
  const kind = artifact[artifactKind];
  const helper = kind === 'file' ? 'outputFile' : 'outputDirectory';
  const path = resolve(artifact.path);
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OutputEncodingError(
      code === 'ENOENT'
        ? `${helper}(${JSON.stringify(path)}): no such ${kind}`
        : `${helper}(${JSON.stringify(path)}): ${code ?? String(error)}`,
    );
  }
  if (kind === 'file' && !stats.isFile()) {
    throw new OutputEncodingError(
      `outputFile(${JSON.stringify(path)}): not a regular file${stats.isDirectory() ? ' (use outputDirectory)' : ''}`,
    );
  }
  if (kind === 'directory' && !stats.isDirectory()) {
    throw new OutputEncodingError(
      `outputDirectory(${JSON.stringify(path)}): not a directory${stats.isFile() ? ' (use outputFile)' : ''}`,
    );
  }
  return { source: kind, path };
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
export type StoredData = Pick<StageOutputMeta, 'key' | 'format' | 'bytes' | 'sha256' | 'fileName'>;
/** What the writer states about an output when committing it. */
export type CommitFields = Omit<StageOutputMeta, 'key' | 'format' | 'bytes' | 'sha256' | 'fileName' | 'createdAt'>;

export function decodeJsonOutput(body: Uint8Array): unknown {
  return JSON.parse(decoder.decode(body));
}
