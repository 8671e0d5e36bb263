/**
 * Where the stage cache lives, read from the environment the way the AWS tools read it, so one
 * set of variables serves the CLI, the TypeScript workers and the Python workers (python/src/
 * memotune/s3.py reads the same names).
 *
 *   MEMOTUNE_S3_BUCKET            the bucket (default: the local stack's, else `memotune`)
 *   MEMOTUNE_S3_ENDPOINT          an S3-compatible server (MinIO, versitygw, R2, Ceph…); unset
 *                                 for AWS S3 (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL work too)
 *   MEMOTUNE_S3_REGION            else AWS_REGION / AWS_DEFAULT_REGION, else the AWS profile's;
 *                                 us-east-1 for a custom endpoint
 *   MEMOTUNE_S3_FORCE_PATH_STYLE  `true`/`false`; default true with a custom endpoint
 *   MEMOTUNE_S3_PREFIX            every key is written under it
 *
 * Credentials are never read here: the AWS SDK's default chain finds them (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE and ~/.aws, SSO, web identity, container
 * and instance roles). Only the local dev stack's own fixed pair is passed explicitly.
 */
import type { S3Settings } from './s3-object-store.js';
import { ConnectionSettingsError } from '../core/settings-error.js';
import { readStackInfo } from '../dev/stack-info.js';

/** The local dev stack's S3 server (src/dev/stack.ts `stack.json`). */
export interface LocalS3Server {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Variables that say the user configured S3 themselves (then the local stack is not used). */
const CONFIGURING_VARIABLES = [
  'MEMOTUNE_S3_ENDPOINT',
  'MEMOTUNE_S3_BUCKET',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL',
] as const;

function set(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function booleanVariable(env: Environment, name: string): boolean | undefined {
  const value = set(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConnectionSettingsError(`${name} must be true or false, not '${env[name]}'`);
}

function endpointVariable(env: Environment): string | undefined {
  for (const name of ['MEMOTUNE_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
    const value = set(env, name);
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConnectionSettingsError(`${name} must be a URL such as http://127.0.0.1:9000, not '${value}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConnectionSettingsError(`${name} must be an http:// or https:// URL, not '${value}'`);
    }
    return value;
  }
  return undefined;
}

/**
 * S3 settings from the environment; with nothing configured, the local stack's server: the one
 * `memotune dev` started for this project (found as `connectTemporalWorker` finds its Temporal
 * server), unless `localStack` names another or is `null` (none). Throws, naming the variable, on
 * a malformed value, and when there is neither configuration nor a local stack.
 */
export function s3SettingsFromEnvironment(
  env: Environment = process.env,
  localStack: LocalS3Server | null = readStackInfo()?.s3 ?? null,
): S3Settings {
  const keyPrefix = set(env, 'MEMOTUNE_S3_PREFIX') ?? '';
  const configured = CONFIGURING_VARIABLES.some((name) => set(env, name) !== undefined);
  if (!configured) {
    if (localStack === null) {
      throw new ConnectionSettingsError(
        'no S3 bucket configured: set MEMOTUNE_S3_BUCKET (and MEMOTUNE_S3_ENDPOINT for an S3-compatible server), ' +
          'or run `memotune dev` for a local one',
      );
    }
    return {
      endpoint: localStack.endpoint,
      bucket: localStack.bucket,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: localStack.accessKeyId,
      secretAccessKey: localStack.secretAccessKey,
      keyPrefix,
    };
  }
  const endpoint = endpointVariable(env);
  const region =
    set(env, 'MEMOTUNE_S3_REGION') ??
    set(env, 'AWS_REGION') ??
    set(env, 'AWS_DEFAULT_REGION') ??
    (endpoint === undefined ? undefined : 'us-east-1');
  const forcePathStyle = booleanVariable(env, 'MEMOTUNE_S3_FORCE_PATH_STYLE') ?? endpoint !== undefined;
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    bucket: set(env, 'MEMOTUNE_S3_BUCKET') ?? localStack?.bucket ?? 'memotune',
    ...(region === undefined ? {} : { region }),
    forcePathStyle,
    keyPrefix,
  };
}

/**
 * The variables a child process (a Python stage worker) needs to reach the same bucket. The AWS
 * credential variables of this process are inherited as they are; only explicit keys (the local
 * stack's) are added.
 */
export function s3EnvironmentOf(settings: S3Settings): Record<string, string> {
  return {
    MEMOTUNE_S3_BUCKET: settings.bucket,
    MEMOTUNE_S3_PREFIX: settings.keyPrefix ?? '',
    MEMOTUNE_S3_FORCE_PATH_STYLE: String(settings.forcePathStyle ?? settings.endpoint !== undefined),
    ...(settings.endpoint === undefined ? {} : { MEMOTUNE_S3_ENDPOINT: settings.endpoint }),
    ...(settings.region === undefined ? {} : { MEMOTUNE_S3_REGION: settings.region }),
    ...(settings.accessKeyId === undefined ? {} : { AWS_ACCESS_KEY_ID: settings.accessKeyId }),
    ...(settings.secretAccessKey === undefined ? {} : { AWS_SECRET_ACCESS_KEY: settings.secretAccessKey }),
    ...(settings.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: settings.sessionToken }),
  };
}
