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
  /** Whether an object exists. */
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
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
