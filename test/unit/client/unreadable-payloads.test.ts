import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { isReadablePayload, tolerantOfUnreadablePayloads } from '../../../src/client/unreadable-payloads.js';
import type { Client } from '@temporalio/client';

describe('payloads of a codec this process lacks', () => {
  const encoded = { metadata: { encoding: new TextEncoder().encode('binary/encrypted') }, data: new Uint8Array([1, 2]) };

  it('tells the default converter’s encodings from a codec’s', () => {
    expect(isReadablePayload(defaultPayloadConverter.toPayload({ a: 1 }))).toBe(true);
    expect(isReadablePayload(defaultPayloadConverter.toPayload(undefined))).toBe(true);
    expect(isReadablePayload(encoded)).toBe(false);
  });

  it('reads them as null, and the rest as they are, on a client of the same connection and namespace', async () => {
    const connection = {} as Client['connection'];
    const base = { connection, options: { namespace: 'mlteam' } } as unknown as Client;
    const tolerant = tolerantOfUnreadablePayloads(base);
    expect(tolerant.options.namespace).toBe('mlteam');
    const [codec] = tolerant.options.loadedDataConverter.payloadCodecs;
    const readable = defaultPayloadConverter.toPayload({ a: 1 });
    const [first, second] = await codec!.decode([encoded, readable]);
    expect(defaultPayloadConverter.fromPayload(first!)).toBeNull();
    expect(second).toBe(readable);
  });
});
