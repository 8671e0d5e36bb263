import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fileParts,
  streamParts,
  uploadKnownSize,
  type KnownSizeUpload,
} from '../../../src/storage/multipart-upload.js';

const partSize = 1000;

/**
 * Records the commands an upload sends, as S3 would see them (each part's bytes copied when it
 * arrives), and answers after a tick; `failPart` makes that part's upload fail.
 */
function fakeS3(options: { failPart?: number } = {}) {
  const log: { command: string; partNumber?: number; bytes?: Buffer }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      const input = command.input;
      const body = input.Body as Uint8Array | undefined;
      const entry = {
        command: name,
        ...(typeof input.PartNumber === 'number' ? { partNumber: input.PartNumber } : {}),
        ...(body === undefined ? {} : { bytes: Buffer.from(body) }),
      };
      log.push(entry);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      // The buffer must not have been refilled while its part was being sent.
      if (body !== undefined && !Buffer.from(body).equals(entry.bytes!)) throw new Error('part buffer reused early');
      inFlight--;
      if (name === 'UploadPartCommand' && input.PartNumber === options.failPart) throw new Error('part failed');
      if (name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' };
      if (name === 'UploadPartCommand') return { ETag: `"e${String(input.PartNumber)}"` };
      return {};
    },
  };
  return { client: client as unknown as S3Client, log, mostInFlight: () => mostInFlight };
}

function upload(client: S3Client, size: number, concurrency = 2): KnownSizeUpload {
  return { client, bucket: 'b', key: 'k', contentType: 'application/octet-stream', size, partSize, concurrency };
}

const body = (size: number) => Buffer.from(Array.from({ length: size }, (_, index) => (index * 31) % 256));
/** The body in uneven chunks, so that parts cut across them. */
const chunked = (bytes: Buffer) =>
  Readable.from([bytes.subarray(0, 333), bytes.subarray(333, 1777), bytes.subarray(1777)]);

describe('uploadKnownSize', () => {
  it('sends parts of partSize in order with at most `concurrency` in flight, then completes with every ETag', async () => {
    const s3 = fakeS3();
    const bytes = body(4500);
    await uploadKnownSize(streamParts(chunked(bytes), bytes.length), upload(s3.client, bytes.length));
    const parts = s3.log.filter((entry) => entry.command === 'UploadPartCommand');
    expect(parts.map((part) => part.partNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(parts.map((part) => part.bytes!.length)).toEqual([1000, 1000, 1000, 1000, 500]);
    expect(Buffer.concat(parts.map((part) => part.bytes!)).equals(bytes)).toBe(true);
    expect(s3.log[0]!.command).toBe('CreateMultipartUploadCommand');
    expect(s3.log.at(-1)!.command).toBe('CompleteMultipartUploadCommand');
    // Create, then parts: never more than 2 parts at once.
    expect(s3.mostInFlight()).toBeLessThanOrEqual(2);
  });

  it('sends a body that fits in one part as one PutObject (an empty one too)', async () => {
    for (const size of [0, 999, 1000]) {
      const s3 = fakeS3();
      const bytes = body(size);
      await uploadKnownSize(streamParts(Readable.from(size === 0 ? [] : [bytes]), size), upload(s3.client, size));
      expect(s3.log.map((entry) => entry.command)).toEqual(['PutObjectCommand']);
      expect(s3.log[0]!.bytes!.equals(bytes)).toBe(true);
    }
  });

  it('aborts the upload and completes nothing when a part fails, a body is short or long, or errors at its end', async () => {
    const cases: [string, (s3: ReturnType<typeof fakeS3>) => Promise<void>, RegExp][] = [
      [
        'a part fails',
        (s3) => uploadKnownSize(streamParts(chunked(body(4500)), 4500), upload(s3.client, 4500)),
        /part failed/,
      ],
      [
        'short',
        (s3) => uploadKnownSize(streamParts(chunked(body(4400)), 4500), upload(s3.client, 4500)),
        /ended after 4400 of its 4500 bytes/,
      ],
      [
        'long',
        (s3) => uploadKnownSize(streamParts(chunked(body(4600)), 4500), upload(s3.client, 4500)),
        /ran 100 bytes past its declared 4500/,
      ],
      [
        'errors at its end',
        (s3) => {
          const broken = Readable.from(
            (function* () {
              yield body(4500);
              throw new Error('checksum mismatch');
            })(),
          );
          return uploadKnownSize(streamParts(broken, 4500), upload(s3.client, 4500));
        },
        /checksum mismatch/,
      ],
    ];
    for (const [what, run, error] of cases) {
      const s3 = fakeS3(what === 'a part fails' ? { failPart: 2 } : {});
      await expect(run(s3), what).rejects.toThrow(error);
      const commands = s3.log.map((entry) => entry.command);
      expect(commands, what).not.toContain('CompleteMultipartUploadCommand');
      expect(commands.at(-1), what).toBe('AbortMultipartUploadCommand');
    }
  });

  it('stops at an abort signal and aborts the upload', async () => {
    const s3 = fakeS3();
    const controller = new AbortController();
    const slow = Readable.from(
      (async function* () {
        yield body(1500);
        controller.abort(new Error('cancelled'));
        yield body(3000);
      })(),
    );
    await expect(
      uploadKnownSize(streamParts(slow, 4500), { ...upload(s3.client, 4500), signal: controller.signal }),
    ).rejects.toThrow(/cancelled/);
    expect(s3.log.at(-1)!.command).toBe('AbortMultipartUploadCommand');
  });
});

describe('fileParts', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memotune-parts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file straight into the parts, shows each to the check in order, and refuses a longer file', async () => {
    const bytes = body(2500);
    const path = join(dir, 'f.bin');
    await writeFile(path, bytes);
    const seen: Buffer[] = [];
    let ended = false;
    const check = { update: (part: Uint8Array) => void seen.push(Buffer.from(part)), end: () => void (ended = true) };
    const s3 = fakeS3();
    const source = await fileParts(path, bytes.length, check);
    try {
      await uploadKnownSize(source, upload(s3.client, bytes.length));
    } finally {
      await source.close();
    }
    expect(Buffer.concat(seen).equals(bytes)).toBe(true);
    expect(ended).toBe(true);

    const longer = await fileParts(path, 2000, undefined);
    try {
      await expect(uploadKnownSize(longer, upload(fakeS3().client, 2000))).rejects.toThrow(
        /longer than its declared 2000/,
      );
    } finally {
      await longer.close();
    }
  });
});
