/**
 * A payload codec that asks a Temporal codec server (https://docs.temporal.io/production-deployment/data-encryption):
 * what the Temporal Web UI and CLI use to show payloads a team's codec encrypts or compresses.
 * memotune's commands read such a study the same way (`--codec-endpoint`, `TEMPORAL_CODEC_ENDPOINT`)
 * instead of loading the team's codec code. The protocol: POST `<endpoint>/encode` or `/decode`
 * with `{"payloads": [...]}` (protobuf JSON: metadata values and data in base64), the namespace in
 * `X-Namespace`, the optional credential in `Authorization`; the answer has the same shape.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ConnectionSettingsError } from '../core/settings-error.js';

export interface CodecServer {
  /** The codec server's base URL (http or https); `/encode` and `/decode` are appended. */
  readonly endpoint: string;
  /** Sent as the `Authorization` header (e.g. `Bearer <token>`), as Temporal's CLI sends `--codec-auth`. */
  readonly auth?: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {}))
    if (value !== null && value !== undefined) metadata[key] = Buffer.from(value).toString('base64');
  return { metadata, ...(payload.data ? { data: Buffer.from(payload.data).toString('base64') } : {}) };
}

function fromJson(payload: JsonPayload, endpoint: string): Payload {
  if (typeof payload !== 'object' || payload === null)
    throw new Error(`codec server ${endpoint} answered a payload that is not an object`);
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) metadata[key] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

/** Checks the URL once, where it is given: a typo is named before anything connects. */
export function checkCodecEndpoint(endpoint: string, source: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    // Not a URL, so not redactable as one: what looks like a credential (user:password@, a query) is hidden.
    const shown = endpoint.replace(/\/\/[^/@]*@/, '//***@').replace(/\?.*$/, '?***');
    throw new ConnectionSettingsError(`codec endpoint must be an http(s) URL, not '${shown}' (from ${source})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConnectionSettingsError(
      `codec endpoint must be an http(s) URL, not '${url.username || url.password || url.search ? redactedUrl(url) : endpoint}' (from ${source})`,
    );
  if (url.username !== '' || url.password !== '')
    // fetch refuses such a URL; the credential has its own setting, which no message shows.
    throw new ConnectionSettingsError(
      `codec endpoint must not hold a user name or password ('${redactedUrl(url)}', from ${source}): give the credential as --codec-auth or TEMPORAL_CODEC_AUTH (sent as the Authorization header)`,
    );
  url.pathname = url.pathname.replace(/\/+$/, '');
  // No trailing slash where nothing follows the path (`https://codec.internal`, as given).
  return url.search === '' && url.hash === '' ? url.href.replace(/\/+$/, '') : url.href;
}

/** `endpoint` with `/encode` or `/decode` added to its path (its query, if any, kept after it). */
function codecUrl(endpoint: string, direction: 'encode' | 'decode'): URL {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${direction}`;
  return url;
}

/**
 * `url` for a message: a user name, password or query value (a credential some codec servers
 * take there) replaced by `***` (a security review found them echoed in errors).
 */
export function redactedUrl(url: URL): string {
  const shown = new URL(url.href);
  if (shown.username !== '') shown.username = '***';
  if (shown.password !== '') shown.password = '***';
  for (const key of [...new Set(shown.searchParams.keys())]) shown.searchParams.set(key, '***');
  return shown.href.replace(/%2A%2A%2A/g, '***');
}

/** A codec whose encode and decode are the codec server's, for the given namespace. */
export function remotePayloadCodec(server: CodecServer, namespace: string): PayloadCodec {
  const call = async (direction: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> => {
    if (payloads.length === 0) return payloads;
    const target = codecUrl(server.endpoint, direction);
    const url = redactedUrl(target); // for messages
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Namespace': namespace,
          ...(server.auth === undefined ? {} : { Authorization: server.auth }),
        },
        body: JSON.stringify({ payloads: payloads.map(toJson) }),
      });
    } catch (error) {
      const reason =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new Error(`cannot reach the codec server at ${url}: ${reason}`, { cause: error });
    }
    if (!response.ok) {
      const body = (await response.text()).slice(0, 300);
      throw new Error(
        `the codec server at ${url} answered ${response.status} ${response.statusText}${body ? `: ${body}` : ''}`,
      );
    }
    const answer = (await response.json()) as { payloads?: JsonPayload[] };
    if (!Array.isArray(answer.payloads) || answer.payloads.length !== payloads.length)
      throw new Error(
        `the codec server at ${url} answered ${answer.payloads?.length ?? 'no'} payloads for ${payloads.length}`,
      );
    return answer.payloads.map((payload) => fromJson(payload, url));
  };
  return { encode: (payloads) => call('encode', payloads), decode: (payloads) => call('decode', payloads) };
}
