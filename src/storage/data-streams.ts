/**
 * Streams of stage output data: hashing them as they pass, spooling a one-shot stream to disk,
 * archiving a directory as tar and extracting it again, writing a file or directory that appears
 * only once its data is complete. Every function holds a bounded amount of the data in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as createTar, extract as extractTar } from 'tar';

/** The sha256 (hex) and length of some data. */
export interface Digest {
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * How much of a file or archive is read at a time: large enough that per-chunk overhead vanishes
 * next to the I/O, small enough that a few of them in flight stay far below the upload's parts.
 */
export const readChunkBytes = 1024 * 1024;

/** A stream chunk as bytes (strings encoded as UTF-8); anything else is refused. */
export function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError(`a stream output yielded ${typeof chunk === 'object' ? 'an object' : typeof chunk}, not bytes`);
}

/**
 * `source` passed through unchanged while it is hashed. At its end `onEnd` receives the digest and
 * may throw, which makes the stream error instead of ending: a consumer that needs the whole
 * stream (an upload, a verified download) then never treats it as complete.
 */
export function hashing(source: AsyncIterable<unknown>, onEnd: (digest: Digest) => void): Readable {
  async function* pass(): AsyncGenerator<Uint8Array> {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of source) {
      const data = asBytes(chunk);
      hash.update(data);
      bytes += data.byteLength;
      yield data;
    }
    onEnd({ sha256: hash.digest('hex'), bytes });
  }
  return Readable.from(pass(), { objectMode: false });
}

/** Reads `source` to its end and returns its digest. */
export async function digestOf(source: AsyncIterable<unknown>, signal?: AbortSignal): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    signal?.throwIfAborted();
    const data = asBytes(chunk);
    hash.update(data);
    bytes += data.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A file's digest, read through one reused buffer (a stream would allocate every chunk anew). */
export async function digestOfFile(path: string, signal?: AbortSignal): Promise<Digest> {
  const hash = createHash('sha256');
  const buffer = new Uint8Array(readChunkBytes);
  let bytes = 0;
  const handle = await open(path, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, bytes);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A file's bytes, read in {@link readChunkBytes} chunks. */
export function readFile(path: string): Readable {
  return createReadStream(path, { highWaterMark: readChunkBytes });
}

/** Paths under `root`, relative and `/`-separated, sorted, each directory before what it holds. */
async function sortedEntries(root: string): Promise<string[]> {
  const entries: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const children = await readdir(relative === '' ? root : join(root, relative), { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const path = relative === '' ? child.name : `${relative}/${child.name}`;
      if (!child.isFile() && !child.isDirectory() && !child.isSymbolicLink()) {
        // node-tar would leave it out without a word.
        throw new Error(`cannot store ${join(root, path)}: not a file, directory or symbolic link`);
      }
      entries.push(path);
      // A symbolic link is archived as a link, never followed.
      if (child.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return entries;
}

/**
 * A tar archive (POSIX ustar with pax headers where needed) of the directory `root`: first the
 * directory itself (`./`, so that even an empty directory's archive has an entry: node-tar refuses
 * archives without one), then what it holds — regular files, directories and symbolic links, in
 * sorted order, paths relative to `root` — without owner names or ids. An entry of another type
 * (a socket, a device) fails the stream rather than being left out silently.
 */
export function tarDirectory(root: string): Readable {
  async function* archive(): AsyncGenerator<Uint8Array> {
    const entries = ['.', ...(await sortedEntries(root))];
    yield* createTar(
      { cwd: root, portable: true, noDirRecurse: true, strict: true, maxReadSize: readChunkBytes },
      entries,
    );
  }
  return Readable.from(archive(), { objectMode: false });
}

/** A hidden sibling of `path` for data that is not complete yet. */
function partialSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial-${randomBytes(6).toString('hex')}`);
}

/**
 * Writes `source` into the file `path` (its folder is created) through a hidden temporary sibling
 * that is renamed into place only once `source` ended without error; an existing file is replaced.
 */
export async function writeFileWhole(source: Readable, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = partialSibling(path);
  try {
    await pipeline(source, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Extracts the tar archive `source` into the directory `dest` through a hidden temporary sibling
 * that is renamed into place only once `source` ended without error (so a checksum mismatch found
 * at the end leaves nothing). Nothing is written outside `dest`: a leading `/` is stripped, an
 * entry with `..` refused (and the whole extraction failed); owners are not restored. `dest` must
 * not exist or be an empty directory.
 * @param source ends with an error when its data is not what it should be
 */
export async function extractDirectoryWhole(source: Readable, dest: string): Promise<void> {
  const existing = await readdir(dest).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    if (error.code === 'ENOTDIR') throw new Error(`cannot extract into ${dest}: it is a file`);
    throw error;
  });
  if (existing !== null && existing.length > 0) {
    throw new Error(`cannot extract into ${dest}: the directory is not empty`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const partial = partialSibling(dest);
  await mkdir(partial);
  try {
    await new Promise<void>((resolve, reject) => {
      let archiveFailure: unknown;
      let sourceFailure: unknown;
      let sourceDone = false;
      let unpackEnded = false;
      let unpackClosed = false;
      // Settles once both sides are done: the extractor's 'close' comes only after its last file
      // write, so the temporary directory is removed below with nothing still writing into it.
      const settle = () => {
        if (!sourceDone || !unpackClosed) return;
        // Data that does not match its checksum explains any archive error it caused.
        const failure = sourceFailure ?? archiveFailure;
        if (failure === undefined) resolve();
        else reject(failure);
      };
      const endUnpack = () => {
        if (unpackEnded) return;
        unpackEnded = true;
        unpack.end();
      };
      const archiveFailed = (error: unknown) => {
        if (archiveFailure !== undefined) return;
        archiveFailure = error;
        // Read the data on to its end all the same, so that its checksum is checked.
        source.unpipe(unpack);
        source.resume();
        endUnpack();
      };
      // Not strict: a problem is a warning, so the extractor always reaches its 'close'.
      const unpack = extractTar({
        cwd: partial,
        preserveOwner: false,
        onwarn: (code: string, message: string, data: unknown) => {
          // Informational only (a leading '/' stripped from a path): the entry stays inside `dest`.
          if (code !== 'TAR_ENTRY_INFO') archiveFailed(warningError(code, message, data));
        },
      });
      unpack.on('error', archiveFailed);
      unpack.on('close', () => {
        unpackClosed = true;
        settle();
      });
      source.on('end', () => {
        sourceDone = true;
        unpackEnded = true; // pipe() ends the extractor itself
        settle();
      });
      source.on('error', (error) => {
        sourceFailure ??= error;
        sourceDone = true;
        source.unpipe(unpack);
        endUnpack();
        settle();
      });
      source.pipe(unpack);
    });
    if (existing !== null) await rmdir(dest);
    await rename(partial, dest);
  } catch (error) {
    source.destroy();
    await rm(partial, { recursive: true, force: true, maxRetries: 3 });
    throw error;
  }
}

/** A node-tar warning as an error with its code (a file system code like ENOSPC, or TAR_...). */
function warningError(code: string, message: string, data: unknown): Error {
  if (data instanceof Error) return data;
  const dataCode = (data as { code?: unknown } | null)?.code;
  return Object.assign(new Error(`${code}: ${message}`), { code: typeof dataCode === 'string' ? dataCode : code });
}

/** A one-shot stream written to a private temporary file, with its digest. */
export interface Spooled {
  readonly path: string;
  readonly digest: Digest;
  /** Removes the file (and its private folder). */
  remove(): Promise<void>;
}

/** Writes `source` to a new temporary file under `dir`, hashing it on the way. */
export async function spool(source: AsyncIterable<unknown>, dir: string, signal?: AbortSignal): Promise<Spooled> {
  const folder = await mkdtemp(join(dir, 'memotune-spool-'));
  const remove = () => rm(folder, { recursive: true, force: true });
  const path = join(folder, 'output');
  let digest: Digest | undefined;
  try {
    const hashed = hashing(source, (result) => {
      digest = result;
    });
    await pipeline(hashed, createWriteStream(path), { signal });
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, digest: digest!, remove };
}
