/**
 * Where Temporal is and how to reach it, resolved once for the CLI, the client API and the
 * workers, the way Temporal's own tools do (`@temporalio/envconfig`): explicit options first,
 * then TEMPORAL_* environment variables over a profile of the Temporal config file
 * (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile TEMPORAL_PROFILE, else
 * `default`), then the local dev stack that `memotune dev` runs, then 127.0.0.1:7233.
 *
 * Secrets (API key, client key) only ever go into the connection options: `describeEndpoint` is
 * what messages and logs print.
 */
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { existsSync, readFileSync } from 'node:fs';
import { readStackInfo } from '../dev/stack-info.js';
import { ConnectionSettingsError } from '../core/settings-error.js';
import { checkCodecEndpoint, redactedUrl, remotePayloadCodec, type CodecServer } from './remote-codec.js';

export interface TemporalEndpointOptions {
  /** host:port; overrides the profile and TEMPORAL_ADDRESS. */
  readonly address?: string;
  /** Overrides the profile and TEMPORAL_NAMESPACE. */
  readonly namespace?: string;
  /** Profile of the config file. @default $TEMPORAL_PROFILE, else 'default' */
  readonly profile?: string;
  /** The Temporal config file (TOML). @default $TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml */
  readonly configFile?: string;
  /** The environment to read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long to try to connect. @default Temporal's (10 s) */
  readonly connectTimeoutMs?: number;
  /**
   * A Temporal codec server that decodes the namespace's payloads (as the Web UI's and the CLI's
   * `--codec-endpoint`): a client reads studies whose workers use a payload codec.
   * @default $TEMPORAL_CODEC_ENDPOINT (with $TEMPORAL_CODEC_AUTH), else none
   */
  readonly codecEndpoint?: string;
  /** The codec server's `Authorization` header. @default $TEMPORAL_CODEC_AUTH */
  readonly codecAuth?: string;
}

/** Where the address came from, for messages. */
export type EndpointOrigin = 'option' | 'profile or environment' | 'local stack' | 'default';

export interface TemporalEndpoint {
  readonly address: string;
  readonly namespace: string;
  readonly origin: EndpointOrigin;
  /** What `Connection.connect` and `NativeConnection.connect` take: address, TLS, API key, gRPC metadata. */
  readonly connectionOptions: {
    readonly address: string;
    readonly tls?: TLSConfig | boolean;
    readonly apiKey?: string;
    readonly metadata?: Record<string, string>;
  };
  /** The codec server a client decodes payloads with, if any. */
  readonly codecServer?: CodecServer;
}

const LOCAL_DEFAULT_ADDRESS = '127.0.0.1:7233';
const ADDRESS_PATTERN = /^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

function definedEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

/** Resolves the endpoint; throws with the setting's name when one is malformed or missing. */
export function resolveTemporalEndpoint(options: TemporalEndpointOptions = {}): TemporalEndpoint {
  const env = definedEnvironment(options.env ?? process.env);
  // `default` is the implicit profile: naming it is not an error when no file defines it.
  const profile = options.profile === 'default' ? undefined : options.profile;
  const configFile = options.configFile ?? env.TEMPORAL_CONFIG_FILE;
  if (configFile !== undefined && !existsSync(configFile)) {
    throw new ConnectionSettingsError(
      `Temporal config file ${configFile} does not exist (from ${options.configFile === undefined ? 'TEMPORAL_CONFIG_FILE' : '--config-file'})`,
    );
  }
  // envconfig 1.24 throws a TypeError on a file with no profile tables (e.g. an empty one).
  const withoutProfiles = configFile !== undefined && !/^\s*\[\s*profile\b/m.test(readFileSync(configFile, 'utf8'));
  if (withoutProfiles && profile !== undefined) {
    throw new ConnectionSettingsError(
      `cannot read the Temporal connection settings: Profile '${profile}' not found in ${configFile}`,
    );
  }
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({
      ...(profile === undefined ? {} : { profile }),
      ...(configFile === undefined ? {} : { configSource: { path: configFile } }),
      ...(withoutProfiles ? { disableFile: true } : {}),
      overrideEnvVars: env,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConnectionSettingsError(`cannot read the Temporal connection settings: ${message}`);
  }
  const { connectionOptions } = loaded;
  let address: string;
  let origin: EndpointOrigin;
  if (options.address !== undefined) {
    address = options.address;
    origin = 'option';
  } else if (connectionOptions.address !== undefined) {
    address = connectionOptions.address;
    origin = 'profile or environment';
  } else {
    const stack = readStackInfo();
    address = stack?.temporalAddress ?? LOCAL_DEFAULT_ADDRESS;
    origin = stack === null ? 'default' : 'local stack';
  }
  if (!ADDRESS_PATTERN.test(address)) {
    const source =
      origin === 'option'
        ? '--address'
        : origin === 'profile or environment'
          ? env.TEMPORAL_ADDRESS === address
            ? 'TEMPORAL_ADDRESS'
            : `the address of profile '${profile ?? env.TEMPORAL_PROFILE ?? 'default'}'`
          : origin;
    throw new ConnectionSettingsError(`Temporal address must be host:port, not '${address}' (from ${source})`);
  }
  const apiKey = connectionOptions.apiKey;
  // envconfig's gRPC metadata comes from TEMPORAL_GRPC_META_* and the profile: always strings.
  const metadata = connectionOptions.metadata as Record<string, string> | undefined;
  const codecEndpoint = options.codecEndpoint ?? env.TEMPORAL_CODEC_ENDPOINT;
  const codecAuth = options.codecAuth ?? env.TEMPORAL_CODEC_AUTH;
  const codecServer: CodecServer | undefined =
    codecEndpoint === undefined || codecEndpoint === ''
      ? undefined
      : {
          endpoint: checkCodecEndpoint(
            codecEndpoint,
            options.codecEndpoint === undefined ? 'TEMPORAL_CODEC_ENDPOINT' : '--codec-endpoint',
          ),
          ...(codecAuth === undefined || codecAuth === '' ? {} : { auth: codecAuth }),
        };
  return {
    address,
    namespace: options.namespace ?? loaded.namespace ?? 'default',
    origin,
    connectionOptions: {
      address,
      ...(connectionOptions.tls === undefined || connectionOptions.tls === null ? {} : { tls: connectionOptions.tls }),
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(metadata === undefined ? {} : { metadata }),
    },
    ...(codecServer === undefined ? {} : { codecServer }),
  };
}

/** One line for messages and logs: address, namespace, TLS and whether an API key is used — never the key. */
export function describeEndpoint(endpoint: TemporalEndpoint): string {
  const { tls, apiKey } = endpoint.connectionOptions;
  const security = [
    ...(tls === undefined || tls === false ? [] : [typeof tls === 'object' && tls.clientCertPair ? 'mTLS' : 'TLS']),
    ...(apiKey === undefined ? [] : ['API key']),
  ];
  if (endpoint.codecServer !== undefined)
    security.push(`codec server ${redactedUrl(new URL(endpoint.codecServer.endpoint))}`);
  return `${endpoint.address} (namespace ${endpoint.namespace}${security.length > 0 ? `, ${security.join(', ')}` : ''})`;
}

/** Temporal cannot be reached: say where memotune looked, why it looked there, and what to do. */
export function unreachable(endpoint: TemporalEndpoint, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  const hint =
    endpoint.origin === 'default' || endpoint.origin === 'local stack'
      ? 'start a local server with `memotune dev`, or point memotune at yours with --address, TEMPORAL_ADDRESS or --profile'
      : 'check the address, and the TLS / API key settings of the profile or TEMPORAL_* variables';
  return new Error(
    `cannot reach Temporal at ${describeEndpoint(endpoint)}, from ${endpoint.origin}: ${reason}; ${hint}`,
    {
      cause: error,
    },
  );
}

/** A Temporal client on the resolved endpoint; `close` closes its connection. */
export async function connectTemporalClient(
  options: TemporalEndpointOptions = {},
): Promise<{ client: Client; endpoint: TemporalEndpoint; close: () => Promise<void> }> {
  const endpoint = resolveTemporalEndpoint(options);
  return { ...(await connectClientTo(endpoint, options.connectTimeoutMs)), endpoint };
}

/** A Temporal client on an endpoint resolved before (the CLI resolves once, for messages too). */
export async function connectClientTo(
  endpoint: TemporalEndpoint,
  connectTimeoutMs?: number,
): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...endpoint.connectionOptions,
      ...(connectTimeoutMs === undefined ? {} : { connectTimeout: connectTimeoutMs }),
    });
  } catch (error) {
    throw unreachable(endpoint, error);
  }
  const client = new Client({
    connection,
    namespace: endpoint.namespace,
    ...(endpoint.codecServer === undefined
      ? {}
      : { dataConverter: { payloadCodecs: [remotePayloadCodec(endpoint.codecServer, endpoint.namespace)] } }),
  });
  return { client, close: () => connection.close() };
}
