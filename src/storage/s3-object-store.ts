import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable } from 'node:stream';
import { fileParts, streamParts, uploadKnownSize, type KnownSizeUpload } from './multipart-upload.js';
import type { BodySource, ObjectStore, PutFileOptions, PutStreamOptions } from './object-store.js';

/**
 * Where the bucket is and how to sign requests. Read from the environment by
 * {@link s3SettingsFromEnvironment} (src/storage/s3-settings.ts).
 */
export interface S3Settings {
  /** An S3-compatible server's URL; unset for AWS S3. */
  readonly endpoint?: string;
  readonly bucket: string;
  /** Unset: the AWS SDK's region chain (AWS_REGION, the profile); us-east-1 with an endpoint. */
  readonly region?: string;
  /** Path-style URLs (`endpoint/bucket/key`). @default true with an endpoint, else false */
  readonly forcePathStyle?: boolean;
  /**
   * An explicit key pair (both or neither). Unset: the AWS SDK's default credential chain
   * (environment, AWS_PROFILE and ~/.aws, SSO, web identity, container and instance roles).
   */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** Every key is written under this prefix (e.g. one per test). @default '' */
  readonly keyPrefix?: string;
  /**
   * Milliseconds a request may wait for its answer (its body sent, the response's headers back;
   * a download's body streams without a limit) before it fails as a transient `TimeoutError`,
   * which the stage's store calls wait out as an outage, not charged. @default {@link defaultRequestTimeoutMs}
   */
  readonly requestTimeoutMs?: number;
  /** Streamed writes: size of one part of a multipart upload. @default {@link defaultPartSizeBytes} */
  readonly partSizeBytes?: number;
  /** Streamed writes: parts uploaded at once. @default {@link defaultUploadConcurrency} */
  readonly uploadConcurrency?: number;
}

/**
 * 8 MiB, boto3's default too: a write of known size holds `concurrency` part buffers (reused), one
 * of unknown size about (concurrency + 2) parts; S3 accepts at most 10,000 parts (80 GB at this
 * size; larger bodies of known size get larger parts).
 */
export const defaultPartSizeBytes = 8 * 1024 * 1024;
/**
 * Parts in flight at once: enough to keep a link busy while a part's request is answered. For a
 * body of unknown size (lib-storage's `Upload`) each part is a fresh 8 MiB buffer that the garbage
 * collector frees only some time later, so the memory such a write holds grows with this (1 GiB:
 * at most 92 MB of RSS growth with 3, 111 MB with 4; no faster with 4 on a local server).
 */
export const defaultUploadConcurrency = 3;
/**
 * Two minutes for an answer after the request's body is sent (the time to send it is added: see
 * {@link requestTimeoutFor}). Without a limit a store that accepted the connection and then stopped
 * answering (a paused or overloaded server) held the stage for as long as it lasted, charged as its
 * run (an ops review saw a 2 s stage charged 123 s).
 */
export const defaultRequestTimeoutMs = 120_000;
/** A TCP connection that is not made within this fails the request (transient, retried). */
const connectionTimeoutMs = 10_000;
/**
 * The slowest upload a request's limit allows for: the SDK's request timeout runs from the request's
 * start to the answer's headers, its body's upload included (a 300 MB output at 2 MB/s took 150 s,
 * and a fixed two minutes would kill and retry it for ever).
 */
const slowestUploadBytesPerSecond = 50_000;
type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];
type HttpHandlerOptions = NonNullable<Parameters<NodeHttpHandler['handle']>[1]>;
/** A multipart upload's completion: servers that join the parts (versitygw on disk) answer after. */
const completionTimeoutMs = 30 * 60_000;

/**
 * The limit of one request: `baseMs` plus the time its body takes at {@link slowestUploadBytesPerSecond},
 * or half an hour for a multipart completion.
 */
export function requestTimeoutFor(request: HttpRequest, baseMs: number): number {
  if (request.method === 'POST' && request.query?.uploadId !== undefined) return Math.max(baseMs, completionTimeoutMs);
  const length = Number(request.headers['content-length'] ?? request.headers['Content-Length'] ?? 0);
  return (
    baseMs + (Number.isFinite(length) && length > 0 ? Math.ceil((length / slowestUploadBytesPerSecond) * 1000) : 0)
  );
}

/** Node's HTTP handler with each request's limit set by {@link requestTimeoutFor}. */
class LimitedHttpHandler extends NodeHttpHandler {
  constructor(private readonly baseTimeoutMs: number) {
    super({ connectionTimeout: connectionTimeoutMs, throwOnRequestTimeout: true });
  }

  override handle(request: HttpRequest, options: HttpHandlerOptions = {}) {
    return super.handle(request, { ...options, requestTimeout: requestTimeoutFor(request, this.baseTimeoutMs) });
  }
}
/** S3's smallest part (all but the last) and most parts in one multipart upload. */
const minPartSizeBytes = 5 * 1024 * 1024;
const maxParts = 10_000;

export function createS3Client(settings: S3Settings): S3Client {
  if ((settings.accessKeyId === undefined) !== (settings.secretAccessKey === undefined)) {
    throw new Error('S3 settings: give both accessKeyId and secretAccessKey, or neither (the AWS credential chain)');
  }
  const client = new S3Client({
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    region: settings.region ?? (settings.endpoint === undefined ? undefined : 'us-east-1'),
    forcePathStyle: settings.forcePathStyle ?? settings.endpoint !== undefined,
    ...(settings.accessKeyId === undefined || settings.secretAccessKey === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: settings.accessKeyId,
            secretAccessKey: settings.secretAccessKey,
            ...(settings.sessionToken === undefined ? {} : { sessionToken: settings.sessionToken }),
          },
        }),
    // Only checksum when the operation demands it: S3-compatible servers (and AWS S3) accept it,
    // while the SDK's default CRC32 trailers on every upload are refused by several of them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // No socket idle limit: a stage reading a parent's stream slowly leaves the socket idle by design.
    requestHandler: new LimitedHttpHandler(settings.requestTimeoutMs ?? defaultRequestTimeoutMs),
  });
  // The parts of a streamed write are not hashed for the request signature (the SDK would hash
  // each part here and the server again; uploads to versitygw run ~30% faster without): the stage
  // cache names every data object by its sha256 and checks it on every read, so a part damaged in
  // transit (which TLS already rules out) is still caught, as a cache miss.
  client.middlewareStack.add(
    (next, context) => (args) => {
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (context.commandName === 'UploadPartCommand' && request?.headers !== undefined) {
        request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'memotuneUnsignedParts' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw withSafeFieldsOnly(error);
      }
    },
    { step: 'initialize', name: 'memotuneSafeErrorFields' },
  );
  return client;
}

/**
 * Fields an S3 error keeps (the SDK's `S3ServiceException`): everything else the SDK copied from
 * the error's body goes — a SignatureDoesNotMatch body's canonical request holds the session token
 * (`x-amz-security-token`), an ExpiredToken or InvalidToken body the token itself (`Token-0`) — and
 * so does the raw `$response` (the request's headers). A worker that logged such an error wrote the
 * token (a security review found it 15 times in one log).
 */
const keptServiceErrorFields = new Set([
  'name',
  'message',
  'stack',
  'cause',
  'Code',
  'RequestId',
  'HostId',
  'BucketName',
  'Key',
  'Resource',
  'Region',
  '$fault',
  '$metadata',
  '$retryable',
  '$service',
]);

/**
 * A copy of the error with only {@link keptServiceErrorFields} (same prototype: `instanceof NoSuchKey`
 * still holds): the SDK's `$response` cannot be deleted from the original.
 */
export function withSafeFieldsOnly(error: unknown): unknown {
  if (!(error instanceof S3ServiceException)) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as S3ServiceException;
  for (const field of keptServiceErrorFields) {
    const descriptor = Object.getOwnPropertyDescriptor(error, field);
    if (descriptor !== undefined) Object.defineProperty(copy, field, { ...descriptor, configurable: true });
  }
  return copy;
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}

/** How streamed writes are cut into parts. */
export interface UploadSettings {
  /** @default {@link defaultPartSizeBytes} */
  readonly partSizeBytes?: number;
  /** @default {@link defaultUploadConcurrency} */
  readonly uploadConcurrency?: number;
}

export class S3ObjectStore implements ObjectStore {
  private readonly prefix: string;
  private readonly partSizeBytes: number;
  private readonly uploadConcurrency: number;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    keyPrefix = '',
    upload: UploadSettings = {},
  ) {
    this.prefix = keyPrefix;
    this.partSizeBytes = upload.partSizeBytes ?? defaultPartSizeBytes;
    this.uploadConcurrency = upload.uploadConcurrency ?? defaultUploadConcurrency;
    if (!Number.isInteger(this.partSizeBytes) || this.partSizeBytes < minPartSizeBytes) {
      throw new RangeError(`partSizeBytes must be an integer >= ${minPartSizeBytes} (S3's smallest part)`);
    }
    if (!Number.isInteger(this.uploadConcurrency) || this.uploadConcurrency < 1) {
      throw new RangeError('uploadConcurrency must be an integer >= 1');
    }
  }

  static fromSettings(settings: S3Settings): S3ObjectStore {
    return new S3ObjectStore(createS3Client(settings), settings.bucket, settings.keyPrefix ?? '', settings);
  }

  /** Creates the bucket unless it exists (idempotent). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (response.Body === undefined) return new Uint8Array();
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (response.Body === undefined) return Readable.from([]);
      // In Node the SDK's body is an http.IncomingMessage, a Readable.
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: contentType }),
    );
  }

  /**
   * A multipart upload of `partSizeBytes` parts, `uploadConcurrency` at a time (one PutObject when
   * the body fits in one part). The upload is completed only after the body has ended without
   * error; otherwise it is aborted and no object appears.
   */
  async putStream(key: string, open: BodySource, options: PutStreamOptions = {}): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    const partSize = Math.max(this.partSizeBytes, Math.ceil((options.size ?? 0) / maxParts));
    const abortController = new AbortController();
    const abort = () => abortController.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const body = open();
    try {
      if (options.size !== undefined) {
        await uploadKnownSize(
          streamParts(body, options.size),
          this.#knownSize(key, { ...options, size: options.size }, abortController.signal),
        );
        return;
      }
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentType: options.contentType ?? 'application/octet-stream',
        },
        partSize,
        queueSize: this.uploadConcurrency,
        abortController,
      });
      await upload.done();
    } catch (error) {
      // The upload's own "Upload aborted." says less than the reason the caller aborted with.
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      body.destroy();
    }
  }

  /** The file read straight into reused part buffers (see ./multipart-upload.ts). */
  async putFile(key: string, path: string, options: PutFileOptions): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    const source = await fileParts(path, options.size, options.check?.());
    try {
      await uploadKnownSize(source, this.#knownSize(key, options, signal));
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      await source.close();
    }
  }

  #knownSize(
    key: string,
    options: PutStreamOptions & { size: number },
    signal: AbortSignal | undefined,
  ): KnownSizeUpload {
    return {
      client: this.client,
      bucket: this.bucket,
      key: this.prefix + key,
      contentType: options.contentType ?? 'application/octet-stream',
      size: options.size,
      partSize: Math.max(this.partSizeBytes, Math.ceil(options.size / maxParts)),
      concurrency: this.uploadConcurrency,
      ...(signal === undefined ? {} : { signal }),
    };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(this.prefix.length));
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }
}
