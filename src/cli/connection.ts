import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Command } from 'commander';
import {
  connectClientTo,
  describeEndpoint,
  resolveTemporalEndpoint,
  type TemporalEndpoint,
} from '../client/temporal-connection.js';
import { readStackInfo } from '../dev/stack-info.js';
import { S3ObjectStore, type S3Settings } from '../storage/s3-object-store.js';
import { s3SettingsFromEnvironment } from '../storage/s3-settings.js';
import { connectWorkerTo } from '../worker/temporal-connection.js';

/** Where to find Temporal: flags, then the Temporal config file's profile and TEMPORAL_* variables, then the local stack. */
export interface EndpointOptions {
  readonly address?: string;
  readonly namespace?: string;
  readonly profile?: string;
  readonly configFile?: string;
  readonly codecEndpoint?: string;
  readonly codecAuth?: string;
}

/** Resolved once per use, and connected to as resolved: the profile's TLS and API key included. */
function endpointOf(options: EndpointOptions): TemporalEndpoint {
  return resolveTemporalEndpoint({
    ...(options.address === undefined ? {} : { address: options.address }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
    ...(options.codecEndpoint === undefined ? {} : { codecEndpoint: options.codecEndpoint }),
    ...(options.codecAuth === undefined ? {} : { codecAuth: options.codecAuth }),
  });
}

export function temporalAddress(options: EndpointOptions): string {
  return endpointOf(options).address;
}

export function temporalNamespace(options: EndpointOptions): string {
  return endpointOf(options).namespace;
}

/** For messages: address, namespace, TLS / API key in use (never the secrets). */
export function temporalEndpointDescription(options: EndpointOptions): string {
  return describeEndpoint(endpointOf(options));
}

export async function connectClient(options: EndpointOptions): Promise<{ client: Client; close: () => Promise<void> }> {
  // A CLI answers within seconds: an unreachable server is reported after 5 s, not Temporal's 10.
  return connectClientTo(endpointOf(options), 5_000);
}

export async function connectWorker(options: EndpointOptions): Promise<NativeConnection> {
  return connectWorkerTo(endpointOf(options));
}

/** S3 settings from the MEMOTUNE_S3_* / AWS_* variables (src/storage/s3-settings.ts), else the local stack. */
export function s3Settings(): S3Settings {
  const stack = readStackInfo();
  return s3SettingsFromEnvironment(process.env, stack?.s3);
}

export function openStore(): S3ObjectStore {
  return S3ObjectStore.fromSettings(s3Settings());
}

export function uiLink(studyId: string, namespace = 'default'): string | null {
  const ui = readStackInfo()?.uiUrl;
  return ui ? `${ui}/namespaces/${namespace}/workflows/${encodeURIComponent(studyId)}` : null;
}

/** Adds the Temporal endpoint options every command that talks to the server takes. */
export function withEndpoint(command: Command): Command {
  return command
    .option('--address <host:port>', 'Temporal address (default: the profile, $TEMPORAL_ADDRESS, or the local stack)')
    .option('--namespace <ns>', 'Temporal namespace (default: the profile, $TEMPORAL_NAMESPACE, or default)')
    .option(
      '--profile <name>',
      'profile of the Temporal config file: TLS, API key, address (default: $TEMPORAL_PROFILE)',
    )
    .option(
      '--config-file <path>',
      'Temporal config file (default: $TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml)',
    )
    .option(
      '--codec-endpoint <url>',
      "a codec server that decodes the namespace's payloads, as for the Temporal UI (default: $TEMPORAL_CODEC_ENDPOINT)",
    )
    .option('--codec-auth <value>', "the codec server's Authorization header (default: $TEMPORAL_CODEC_AUTH)");
}
