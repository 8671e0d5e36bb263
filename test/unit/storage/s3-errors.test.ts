/** An S3 error never carries the request's signing details (the session token among them) into a log. */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTimeoutFor, S3ObjectStore } from '../../../src/storage/s3-object-store.js';
import { isTransientError } from '../../../src/storage/retry.js';

const token = 'SESSIONTOKEN-SECRET-55bb';
let server: Server;
let endpoint: string;

beforeAll(async () => {
  // What S3 (and versitygw) answer a request signed with the wrong secret: the canonical request
  // they computed, session token header included.
  server = createServer((request, response) => {
    response.writeHead(403, { 'content-type': 'application/xml' });
    // An ExpiredToken body carries the token itself.
    if (request.url?.includes('expired')) {
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Token-0>${token}</Token-0><RequestId>r-2</RequestId></Error>`,
      );
      return;
    }
    response.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><AWSAccessKeyId>memotune</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261208T000000Z</StringToSign><SignatureProvided>abc123</SignatureProvided><StringToSignBytes>41 57</StringToSignBytes><CanonicalRequest>GET\n/memotune/k\n\nhost:127.0.0.1\nx-amz-security-token:${token}\n</CanonicalRequest><CanonicalRequestBytes>47 45</CanonicalRequestBytes><RequestId>r-1</RequestId></Error>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('S3 errors', () => {
  it.each([
    ['k', 'SignatureDoesNotMatch', 'does not match'],
    ['expired', 'ExpiredToken', 'has expired'],
  ])('keep the code, message and status, and lose the signing details (%s)', async (key, name, message) => {
    const store = S3ObjectStore.fromSettings({
      endpoint,
      bucket: 'memotune',
      accessKeyId: 'memotune',
      secretAccessKey: 'wrong',
      sessionToken: token,
    });
    const error = (await store.get(key).then(
      () => null,
      (thrown: unknown) => thrown,
    )) as Record<string, unknown> & { $metadata?: { httpStatusCode?: number } };
    expect(error).not.toBeNull();
    expect(error.name, String(error.message)).toBe(name);
    expect(error.message).toContain(message);
    expect(error.$metadata?.httpStatusCode).toBe(403);
    // Hidden fields too: the SDK's $response holds the request's headers.
    const logged = inspect(error, { depth: 8, showHidden: true });
    expect(logged).not.toContain(token);
    for (const field of [
      'CanonicalRequest',
      'StringToSign',
      'SignatureProvided',
      'AWSAccessKeyId',
      'Token-0',
      '$response',
    ])
      expect(logged).not.toContain(field);
  });
});

describe('a store that stops answering', () => {
  it('fails the request after requestTimeoutMs as a transient TimeoutError (waited out as an outage, not charged)', async () => {
    // Accepts the connection, reads the request, never answers: a paused or wedged server.
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const store = S3ObjectStore.fromSettings({
        endpoint: `http://127.0.0.1:${(silent.address() as { port: number }).port}`,
        bucket: 'memotune',
        accessKeyId: 'memotune',
        secretAccessKey: 'secret',
        requestTimeoutMs: 300,
      });
      const started = Date.now();
      const error = (await store.get('k').then(
        () => null,
        (thrown: unknown) => thrown,
      )) as Error | null;
      expect(error?.name).toBe('TimeoutError');
      expect(isTransientError(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe("a request's limit", () => {
  const request = (method: string, headers: Record<string, string>, query: Record<string, string> = {}) =>
    ({ method, headers, query, protocol: 'http:', hostname: 'h', path: '/b/k' }) as unknown as Parameters<
      typeof requestTimeoutFor
    >[0];
  it('adds the time its body takes at 50 kB/s to the base, and gives a multipart completion half an hour', () => {
    expect(requestTimeoutFor(request('GET', {}), 120_000)).toBe(120_000);
    // An 8 MiB part: 120 s + 168 s; a 300 MB output: 120 s + 100 min (a fixed limit killed it for ever).
    expect(requestTimeoutFor(request('PUT', { 'content-length': String(8 * 1024 * 1024) }), 120_000)).toBe(
      120_000 + 167_773,
    );
    expect(requestTimeoutFor(request('PUT', { 'content-length': '300000000' }), 120_000)).toBe(120_000 + 6_000_000);
    expect(requestTimeoutFor(request('POST', {}, { uploadId: 'u1' }), 120_000)).toBe(1_800_000);
  });
});
