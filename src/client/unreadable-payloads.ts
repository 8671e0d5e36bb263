/**
 * Listing studies in a namespace where some workflows' payloads are encoded by a payload codec
 * (an encryption codec, say) this process does not have. The Temporal client decodes every listed
 * workflow's memo: one such workflow made `study list` and `cache ls` fail for every study (a
 * review ran one study with a codec; the next `study list` said "Unknown encoding").
 */
import { Client } from '@temporalio/client';
import { encodingTypes, METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';

const readableEncodings: ReadonlySet<string> = new Set(Object.values(encodingTypes));
const decoder = new TextDecoder();

/** A JSON `null`: what a payload this process cannot read decodes to. */
const nullPayload: Payload = {
  metadata: { [METADATA_ENCODING_KEY]: new TextEncoder().encode(encodingTypes.METADATA_ENCODING_JSON) },
  data: new TextEncoder().encode('null'),
};

/** Whether the default payload converter reads this payload (no codec's encoding on it). */
export function isReadablePayload(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding === undefined || encoding === null || readableEncodings.has(decoder.decode(encoding));
}

/** Decodes the payloads another process's codec encoded as `null`, the rest as they are. */
const unreadableAsNull: PayloadCodec = {
  encode: (payloads) => Promise.resolve(payloads),
  decode: (payloads) =>
    Promise.resolve(payloads.map((payload) => (isReadablePayload(payload) ? payload : nullPayload))),
};

/**
 * A client on `client`'s connection and namespace that reads a payload it cannot decode as `null`
 * (a memo, a workflow's input): for listing, where one such workflow must not fail the rest.
 * Callers treat a `null` input or memo as "encoded by a codec this process lacks".
 */
export function tolerantOfUnreadablePayloads(client: Client): Client {
  // Decoding runs the codecs last to first: the client's own (a codec server's) first, then what
  // none of them could read becomes null.
  const own = client.options.loadedDataConverter.payloadCodecs;
  return new Client({
    connection: client.connection,
    namespace: client.options.namespace,
    dataConverter: { payloadCodecs: [unreadableAsNull, ...own] },
  });
}

/** A study whose workflow input a payload codec encoded: this process cannot read its plan. */
export class UnreadableStudyError extends Error {
  constructor(readonly studyId: string) {
    super(
      `study '${studyId}' has payloads encoded by a payload codec this process does not have: ` +
        'give memotune your codec server (--codec-endpoint or TEMPORAL_CODEC_ENDPOINT), or read it with the client API and your data converter',
    );
    this.name = 'UnreadableStudyError';
  }
}
