import { afterEach, describe, expect, it } from 'vitest';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { checkCodecEndpoint, remotePayloadCodec } from '../../../src/client/remote-codec.js';
import { resolveTemporalEndpoint } from '../../../src/client/temporal-connection.js';
import { ConnectionSettingsError } from '../../../src/core/settings-error.js';
import { serveCodec, type TestCodecServer } from '../../fixtures/codec-server.js';

const text = (value: string) => new TextEncoder().encode(value);
const read = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

/** Reverses the data and marks the encoding: what went through it is recognisably changed. */
const reversing: PayloadCodec = {
  encode: async (payloads) =>
    payloads.map((payload) => ({
      metadata: { ...payload.metadata, encoding: text('binary/reversed') },
      data: Uint8Array.from(payload.data ?? []).reverse(),
    })),
  decode: async (payloads) =>
    payloads.map((payload) => ({
      metadata: { ...payload.metadata, encoding: text('json/plain') },
      data: Uint8Array.from(payload.data ?? []).reverse(),
    })),
};

let server: TestCodecServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('remotePayloadCodec (a Temporal codec server)', () => {
  it('encodes and decodes through the server, sending the namespace and the credential', async () => {
    server = await serveCodec(reversing);
    const codec = remotePayloadCodec({ endpoint: server.url, auth: 'Bearer s3cret' }, 'ml-team');
    const payload: Payload = { metadata: { encoding: text('json/plain') }, data: text('{"a":1}') };
    const [encoded] = await codec.encode([payload]);
    expect(read(encoded!.metadata!.encoding)).toBe('binary/reversed');
    expect(read(encoded!.data)).toBe('}1:"a"{');
    const [decoded] = await codec.decode([encoded!]);
    expect(read(decoded!.data)).toBe('{"a":1}');
    expect(read(decoded!.metadata!.encoding)).toBe('json/plain');
    expect(server.requests.map((request) => request.path)).toEqual(['/encode', '/decode']);
    expect(server.requests[0]!.headers['x-namespace']).toBe('ml-team');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer s3cret');
  });

  it('asks nothing for no payloads', async () => {
    server = await serveCodec(reversing);
    expect(await remotePayloadCodec({ endpoint: server.url }, 'default').decode([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('names the server and its answer when it refuses, and when it cannot be reached', async () => {
    server = await serveCodec(reversing, { status: 403 });
    const payload: Payload = { metadata: {}, data: text('x') };
    await expect(remotePayloadCodec({ endpoint: server.url }, 'default').decode([payload])).rejects.toThrow(
      `the codec server at ${server.url}/decode answered 403 Forbidden: no codec here`,
    );
    const gone = server.url;
    await server.close();
    server = undefined;
    await expect(remotePayloadCodec({ endpoint: gone }, 'default').decode([payload])).rejects.toThrow(
      `cannot reach the codec server at ${gone}/decode`,
    );
  });

  it('keeps an endpoint query after the path, and never shows its values in a message', async () => {
    server = await serveCodec(reversing, { status: 403 });
    const endpoint = checkCodecEndpoint(`${server.url}/codec/?token=TOKEN-SECRET`, '--codec-endpoint');
    const payload: Payload = { metadata: {}, data: text('x') };
    const error = await remotePayloadCodec({ endpoint }, 'default')
      .decode([payload])
      .then(
        () => null,
        (thrown: Error) => thrown,
      );
    expect(server.requests.map((request) => request.path)).toEqual(['/codec/decode?token=TOKEN-SECRET']);
    expect(error?.message).toContain(`the codec server at ${server.url}/codec/decode?token=*** answered 403`);
    expect(error?.message).not.toMatch(/SECRET/);
  });
});

describe('the codec endpoint setting', () => {
  it('is read from the option, else TEMPORAL_CODEC_ENDPOINT / TEMPORAL_CODEC_AUTH', () => {
    const fromEnv = resolveTemporalEndpoint({
      address: '127.0.0.1:7233',
      env: { TEMPORAL_CODEC_ENDPOINT: 'https://codec.internal/', TEMPORAL_CODEC_AUTH: 'Bearer t' },
    });
    expect(fromEnv.codecServer).toEqual({ endpoint: 'https://codec.internal', auth: 'Bearer t' });
    const fromOption = resolveTemporalEndpoint({
      address: '127.0.0.1:7233',
      codecEndpoint: 'http://127.0.0.1:8081',
      env: { TEMPORAL_CODEC_ENDPOINT: 'https://codec.internal/' },
    });
    expect(fromOption.codecServer).toEqual({ endpoint: 'http://127.0.0.1:8081' });
    expect(resolveTemporalEndpoint({ address: '127.0.0.1:7233', env: {} }).codecServer).toBeUndefined();
  });

  it('refuses what is not an http(s) URL, naming where it came from', () => {
    expect(() => checkCodecEndpoint('codec.internal:8081', '--codec-endpoint')).toThrow(ConnectionSettingsError);
    expect(() =>
      resolveTemporalEndpoint({ address: '127.0.0.1:7233', env: { TEMPORAL_CODEC_ENDPOINT: 'ftp://codec' } }),
    ).toThrow("codec endpoint must be an http(s) URL, not 'ftp://codec' (from TEMPORAL_CODEC_ENDPOINT)");
    // fetch refuses a URL with a credential: refused here, the credential not shown.
    expect(() => checkCodecEndpoint('https://user:PASS-SECRET@codec.internal/', '--codec-endpoint')).toThrow(
      "codec endpoint must not hold a user name or password ('https://***:***@codec.internal/', from --codec-endpoint): give the credential as --codec-auth",
    );
  });
});
