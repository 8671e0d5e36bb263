import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { readStackInfo } from '../dev/stack.js';
import { S3ObjectStore, type S3Settings } from '../storage/s3-object-store.js';

/** Where to find Temporal and S3: flags, then environment, then the local stack's stack.json. */
export interface EndpointOptions {
  readonly address?: string;
  readonly namespace?: string;
}

export function temporalAddress(options: EndpointOptions): string {
  return options.address ?? process.env.TEMPORAL_ADDRESS ?? readStackInfo()?.temporalAddress ?? '127.0.0.1:7233';
}

export function temporalNamespace(options: EndpointOptions): string {
  return options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
}

export async function connectClient(options: EndpointOptions): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress(options) });
  return { client: new Client({ connection, namespace: temporalNamespace(options) }), close: () => connection.close() };
}

export function connectWorker(options: EndpointOptions): Promise<NativeConnection> {
  return NativeConnection.connect({ address: temporalAddress(options) });
}

/** S3 settings from MEMOTUNE_S3_* / AWS_* variables, else the local stack. */
export function s3Settings(): S3Settings {
  const stack = readStackInfo();
  const endpoint = process.env.MEMOTUNE_S3_ENDPOINT ?? stack?.s3.endpoint;
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID ?? stack?.s3.accessKeyId;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ?? stack?.s3.secretAccessKey;
  if (endpoint === undefined || accessKeyId === undefined || secretAccessKey === undefined) {
    throw new Error(
      'no S3 server configured: run `memotune dev` or set MEMOTUNE_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  return {
    endpoint,
    bucket: process.env.MEMOTUNE_S3_BUCKET ?? stack?.s3.bucket ?? 'memotune',
    accessKeyId,
    secretAccessKey,
    keyPrefix: process.env.MEMOTUNE_S3_PREFIX ?? '',
  };
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
    .option('--address <host:port>', 'Temporal address (default: $TEMPORAL_ADDRESS or the local stack)')
    .option('--namespace <ns>', 'Temporal namespace');
}
