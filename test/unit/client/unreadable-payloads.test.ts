import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { isReadablePayload, tolerantOfUnreadablePayloads } from '../../../src/client/unreadable-payloads.js';
import type { Client } from '@temporalio/client';

describe('payloads of a codec this process lacks', () => {
  const encoded = {
    metadata: { encoding: new TextEncoder().encode('binary/encrypted') },
    data: new Uint8Array([1, 2]),
  };

  it('tells the default converter’s encodings from a codec’s', () => {
    expect(isReadablePayload(defaultPayloadConverter.toPayload({ a: 1 }))).toBe(true);
    expect(isReadablePayload(defaultPayloadConverter.toPayload(undefined))).toBe(true);
    expect(isReadablePayload(encoded)).toBe(false);
  });

  it('reads them as null, and the rest as they are, on a client of the same connection and namespace', async () => {
    const connection = {} as Client['connection'];
    const base = {
      connection,
      options: { namespace: 'mlteam', loadedDataConverter: { payloadCodecs: [] } },
    } as unknown as Client;
    const tolerant = tolerantOfUnreadablePayloads(base);
    expect(tolerant.options.namespace).toBe('mlteam');
    const [codec] = tolerant.options.loadedDataConverter.payloadCodecs;
    const readable = defaultPayloadConverter.toPayload({ a: 1 });
    const [first, second] = await codec!.decode([encoded, readable]);
    expect(defaultPayloadConverter.fromPayload(first!)).toBeNull();
    expect(second).toBe(readable);
  });

  it("decodes with the client's own codecs (a codec server's) first, then reads what is left as null", async () => {
    const connection = {} as Client['connection'];
    const unwrapping = {
      encode: (payloads: never[]) => Promise.resolve(payloads),
      decode: (payloads: Payload[]) =>
        Promise.resolve(
          payloads.map((payload) => (payload === encoded ? defaultPayloadConverter.toPayload('plain') : payload)),
        ),
    };
    const base = {
      connection,
      options: { namespace: 'mlteam', loadedDataConverter: { payloadCodecs: [unwrapping] } },
    } as unknown as Client;
    const codecs = tolerantOfUnreadablePayloads(base).options.loadedDataConverter.payloadCodecs;
    // The SDK decodes with the last codec first.
    let payloads: Payload[] = [
      encoded,
      { ...encoded, metadata: { encoding: new TextEncoder().encode('binary/other') } },
    ];
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    expect(defaultPayloadConverter.fromPayload(payloads[0]!)).toBe('plain');
    expect(defaultPayloadConverter.fromPayload(payloads[1]!)).toBeNull();
  });
});
