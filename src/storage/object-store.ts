import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * The object-store port: the few operations memotune needs from S3. One S3 implementation for real
 * use and one in-memory implementation for unit tests; both pass the same conformance suite.
 */
export interface ObjectStore {
  /** Reads an object; `null` when it does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  /** Reads an object as a stream, without buffering it whole; `null` when it does not exist. */
  getStream(key: string): Promise<Readable | null>;
  /** Writes (replaces) an object. */
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /**
   * Writes (replaces) an object from a stream of any size, holding only a bounded part of it in
   * memory (S3: a multipart upload). The object appears whole or not at all: a body that errors,
   * even at its very end, leaves nothing behind. `open` is called once per try, so retrying the
   * call re-reads the body from its start.
   */
  putStream(key: string, open: BodySource, options?: PutStreamOptions): Promise<void>;
  /**
   * Writes (replaces) an object from a file of `options.size` bytes, on the same terms as
   * {@link putStream} (S3: read straight into reused part buffers). A file of another length, or
   * a `check` that throws at its end, stores nothing.
   */
  putFile(key: string, path: string, options: PutFileOptions): Promise<void>;
  /** Whether an object exists. */
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

/** Opens the body of a streamed write from its start. */
export type BodySource = () => Readable;

export interface PutStreamOptions {
  /** @default 'application/octet-stream' */
  readonly contentType?: string;
  /**
   * The body's length when known (a body of another length is then an error and stores nothing):
   * lets the store size its parts for very large bodies and reuse its part buffers.
   */
  readonly size?: number;
  /** Aborts the write; nothing is stored. */
  readonly signal?: AbortSignal;
}

/** Sees a body's bytes in order while it is written, and may refuse it at its end. */
export interface BodyCheck {
  update(bytes: Uint8Array): void;
  /** After the last byte, before the object is stored: throwing stores nothing. */
  end(): void;
}

export interface PutFileOptions extends PutStreamOptions {
  readonly size: number;
  /** A fresh check for each try of the write. */
  readonly check?: () => BodyCheck;
}

/** Unit-test store: a Map, with copies so callers cannot mutate what was stored. */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Uint8Array>();

  get(key: string): Promise<Uint8Array | null> {
    const body = this.objects.get(key);
    return Promise.resolve(body === undefined ? null : body.slice());
  }

  async getStream(key: string): Promise<Readable | null> {
    const body = await this.get(key);
    return body === null ? null : Readable.from([body]);
  }

  put(key: string, body: Uint8Array): Promise<void> {
    this.objects.set(key, body.slice());
    return Promise.resolve();
  }

  /** Collects the body and stores it once the stream has ended without error. */
  async putStream(key: string, open: BodySource, options: PutStreamOptions = {}): Promise<void> {
    const chunks: Uint8Array[] = [];
    const body = open();
    try {
      for await (const chunk of body) {
        options.signal?.throwIfAborted();
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
      }
    } finally {
      body.destroy();
    }
    const bytes = Buffer.concat(chunks);
    if (options.size !== undefined && bytes.byteLength !== options.size) {
      throw new Error(`the body has ${bytes.byteLength} bytes, not its declared ${options.size}`);
    }
    // A plain Uint8Array: its slice() copies (a Buffer's would share memory with the store).
    this.objects.set(key, new Uint8Array(bytes));
  }

  /** Reads the file whole, shows it to the check, and stores it. */
  async putFile(key: string, path: string, options: PutFileOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const body = new Uint8Array(await readFile(path));
    if (body.byteLength !== options.size) {
      throw new Error(`${path} has ${body.byteLength} bytes, not its declared ${options.size}`);
    }
    const check = options.check?.();
    check?.update(body);
    check?.end();
    this.objects.set(key, body);
  }

  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.objects.has(key));
  }

  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort());
  }

  delete(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }
}
