/**
 * A multipart upload of a body whose length is known, through a fixed pool of reused part
 * buffers: a file read straight into them, or a stream's chunks copied into them.
 *
 * Why not @aws-sdk/lib-storage's `Upload` (still used for bodies of unknown length): its chunker
 * gathers each part by concatenating the stream's chunks into a freshly allocated buffer, and a
 * file read as a stream allocates every chunk anew, so a 1 GiB upload allocates and frees ~2 GiB
 * and the garbage collector pays for it. Measured against the local S3 server (versitygw), 1 GiB
 * from a file, 8 MiB parts, 3 in flight, medians of 5 interleaved runs: `Upload` of a file stream
 * 217 MB/s and 2.8 s of this process's CPU; a file stream copied into reused buffers 239 MB/s and
 * 2.3 s; the file read into them (`putFile`) ~300 MB/s and ~0.7 s.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { asBytes } from './data-streams.js';
import type { BodyCheck } from './object-store.js';

export interface KnownSizeUpload {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  /** The body's exact length; a body that ends early or runs on is an error (nothing is stored). */
  readonly size: number;
  readonly partSize: number;
  /** Parts uploaded at once (also the number of part buffers). */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
}

/** Where the parts come from, in order. */
export interface PartSource {
  /** Fills `into` with the next `into.byteLength` bytes of the body. */
  fill(into: Uint8Array): Promise<void>;
  /** After the last part: checks the body ends there (and anything checked at its end). */
  finish(): Promise<void>;
}

/**
 * Uploads the body as one PutObject when it fits in one part, else as a multipart upload. The
 * object appears only once the source has been read to its end and `finish` passed; on any
 * failure or abort a started multipart upload is aborted after its parts in flight settle.
 */
export async function uploadKnownSize(source: PartSource, upload: KnownSizeUpload): Promise<void> {
  const { client, bucket, key, contentType, size, partSize, signal } = upload;
  const requestOptions = signal === undefined ? {} : { abortSignal: signal };
  const buffers = new BufferPool(partSize, Math.max(1, upload.concurrency));

  if (size <= partSize) {
    const only = new Uint8Array(size);
    await source.fill(only);
    await source.finish();
    signal?.throwIfAborted();
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: only, ContentLength: size, ContentType: contentType }),
      requestOptions,
    );
    return;
  }

  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }),
    requestOptions,
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error(`S3 returned no upload id for ${key}`);
  const inFlight = new Set<Promise<void>>();
  try {
    const count = Math.ceil(size / partSize);
    const completed = new Array<CompletedPart>(count);
    const failures: unknown[] = [];
    for (let index = 0; index < count && failures.length === 0; index++) {
      signal?.throwIfAborted();
      // Waits for a free buffer: at most `concurrency` parts are read ahead or in flight.
      const buffer = await buffers.acquire();
      const bytes = buffer.subarray(0, Math.min(partSize, size - index * partSize));
      try {
        await source.fill(bytes);
      } catch (error) {
        buffers.release(buffer);
        throw error;
      }
      const partNumber = index + 1;
      const sending: Promise<void> = client
        .send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: bytes,
            ContentLength: bytes.byteLength,
          }),
          requestOptions,
        )
        .then(
          (answer) => {
            completed[index] = { PartNumber: partNumber, ETag: answer.ETag };
          },
          (error: unknown) => {
            failures.push(error);
          },
        )
        .finally(() => {
          buffers.release(buffer);
          inFlight.delete(sending);
        });
      inFlight.add(sending);
    }
    await Promise.all(inFlight);
    if (failures.length > 0) throw failures[0];
    await source.finish();
    signal?.throwIfAborted();
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
      requestOptions,
    );
  } catch (error) {
    // No part may land after the abort: wait for those still being sent (none of them throws).
    await Promise.all(inFlight);
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}

/** `concurrency` part buffers, allocated on first use and handed out again once released. */
class BufferPool {
  readonly #free: Uint8Array[] = [];
  readonly #waiting: ((buffer: Uint8Array) => void)[] = [];
  #allocated = 0;

  constructor(
    private readonly partSize: number,
    private readonly count: number,
  ) {}

  acquire(): Promise<Uint8Array> {
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.#allocated < this.count) {
      this.#allocated++;
      return Promise.resolve(new Uint8Array(this.partSize));
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(buffer: Uint8Array): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter(buffer);
    else this.#free.push(buffer);
  }
}

/** A stream's chunks, copied into the parts (the chunk being cut is kept between parts). */
export function streamParts(body: Readable, size: number): PartSource {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  let carry: Uint8Array = new Uint8Array(0);
  let delivered = 0;
  return {
    async fill(into) {
      let filled = 0;
      while (filled < into.byteLength) {
        if (carry.byteLength === 0) {
          const step = await chunks.next();
          if (step.done === true) throw new Error(`the body ended after ${delivered + filled} of its ${size} bytes`);
          carry = asBytes(step.value);
          continue;
        }
        const take = Math.min(into.byteLength - filled, carry.byteLength);
        into.set(carry.subarray(0, take), filled);
        carry = carry.subarray(take);
        filled += take;
      }
      delivered += filled;
    },
    async finish() {
      // Reading to the end runs whatever the stream checks there (e.g. a checksum).
      let extra = carry.byteLength;
      for (;;) {
        const step = await chunks.next();
        if (step.done === true) break;
        extra += asBytes(step.value).byteLength;
      }
      if (extra > 0) throw new Error(`the body ran ${extra} bytes past its declared ${size}`);
    },
  };
}

/**
 * A file read straight into the parts, each part shown to `check` in order. `close` must be called
 * whatever happens.
 */
export async function fileParts(
  path: string,
  size: number,
  check: BodyCheck | undefined,
): Promise<PartSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  let position = 0;
  return {
    async fill(into) {
      let filled = 0;
      while (filled < into.byteLength) {
        const { bytesRead } = await handle.read(into, filled, into.byteLength - filled, position + filled);
        if (bytesRead === 0) throw new Error(`${path} ended after ${position + filled} of its ${size} bytes`);
        filled += bytesRead;
      }
      position += filled;
      check?.update(into);
    },
    async finish() {
      const { bytesRead } = await handle.read(new Uint8Array(1), 0, 1, position);
      if (bytesRead > 0) throw new Error(`${path} is longer than its declared ${size} bytes`);
      check?.end();
    },
    close: () => handle.close(),
  };
}
