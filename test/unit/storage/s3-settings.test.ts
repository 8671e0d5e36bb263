import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectionSettingsError } from '../../../src/core/settings-error.js';
import { createS3Client } from '../../../src/storage/s3-object-store.js';
import { s3EnvironmentOf, s3SettingsFromEnvironment } from '../../../src/storage/s3-settings.js';

const localStack = {
  endpoint: 'http://127.0.0.1:7070',
  bucket: 'memotune',
  accessKeyId: 'memotune',
  secretAccessKey: 'memotune-local-secret',
};

describe('s3SettingsFromEnvironment', () => {
  it('uses the local stack, with its own key pair, when nothing is configured', () => {
    expect(s3SettingsFromEnvironment({}, localStack)).toEqual({
      ...localStack,
      region: 'us-east-1',
      forcePathStyle: true,
      keyPrefix: '',
    });
  });

  it('leaves credentials to the AWS chain once the user configures S3', () => {
    const settings = s3SettingsFromEnvironment(
      { MEMOTUNE_S3_ENDPOINT: 'http://minio:9000', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' },
      localStack,
    );
    expect(settings).toEqual({
      endpoint: 'http://minio:9000',
      bucket: 'memotune',
      region: 'us-east-1',
      forcePathStyle: true,
      keyPrefix: '',
    });
    expect(settings.accessKeyId).toBeUndefined();
  });

  it('reaches AWS S3 with only a bucket: virtual-hosted URLs, the region from the AWS variables', () => {
    expect(
      s3SettingsFromEnvironment({
        MEMOTUNE_S3_BUCKET: 'team-cache',
        AWS_REGION: 'eu-west-1',
        MEMOTUNE_S3_PREFIX: 'ml/',
      }),
    ).toEqual({ bucket: 'team-cache', region: 'eu-west-1', forcePathStyle: false, keyPrefix: 'ml/' });
    expect(s3SettingsFromEnvironment({ MEMOTUNE_S3_BUCKET: 'b' }).region).toBeUndefined();
  });

  it("takes the AWS CLI's endpoint variables and an explicit path style", () => {
    const settings = s3SettingsFromEnvironment({
      AWS_ENDPOINT_URL_S3: 'https://acct.r2.cloudflarestorage.com',
      MEMOTUNE_S3_REGION: 'auto',
      MEMOTUNE_S3_FORCE_PATH_STYLE: 'false',
    });
    expect(settings).toMatchObject({
      endpoint: 'https://acct.r2.cloudflarestorage.com',
      region: 'auto',
      forcePathStyle: false,
    });
  });

  it('refuses malformed values, naming the variable, and says what to set when nothing is there', () => {
    expect(() => s3SettingsFromEnvironment({ MEMOTUNE_S3_ENDPOINT: '127.0.0.1:7070' })).toThrow(/MEMOTUNE_S3_ENDPOINT/);
    expect(() => s3SettingsFromEnvironment({ MEMOTUNE_S3_ENDPOINT: 'ftp://host' })).toThrow(/MEMOTUNE_S3_ENDPOINT/);
    expect(() => s3SettingsFromEnvironment({ MEMOTUNE_S3_BUCKET: 'b', MEMOTUNE_S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(
      /MEMOTUNE_S3_FORCE_PATH_STYLE/,
    );
    expect(() => s3SettingsFromEnvironment({}, null)).toThrow(/MEMOTUNE_S3_BUCKET.*memotune dev/);
    expect(() => s3SettingsFromEnvironment({}, null)).toThrow(ConnectionSettingsError);
  });

  it("finds the project's local stack by itself, as connectTemporalWorker finds its Temporal server", () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'memotune-s3-settings-'));
    writeFileSync(
      join(stateDir, 'stack.json'),
      JSON.stringify({
        temporalAddress: '127.0.0.1:27233',
        namespace: 'default',
        uiUrl: null,
        s3: { ...localStack, endpoint: 'http://127.0.0.1:27070' },
        stateDir,
        pids: { temporal: null, s3: null },
      }),
    );
    const saved = process.env.MEMOTUNE_STATE_DIR;
    process.env.MEMOTUNE_STATE_DIR = stateDir;
    try {
      expect(s3SettingsFromEnvironment({})).toMatchObject({ endpoint: 'http://127.0.0.1:27070', bucket: 'memotune' });
    } finally {
      if (saved === undefined) delete process.env.MEMOTUNE_STATE_DIR;
      else process.env.MEMOTUNE_STATE_DIR = saved;
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('hands a child process the same bucket; explicit keys only when there are some', () => {
    expect(s3EnvironmentOf({ bucket: 'b', region: 'eu-west-1', forcePathStyle: false })).toEqual({
      MEMOTUNE_S3_BUCKET: 'b',
      MEMOTUNE_S3_PREFIX: '',
      MEMOTUNE_S3_FORCE_PATH_STYLE: 'false',
      MEMOTUNE_S3_REGION: 'eu-west-1',
    });
    expect(s3EnvironmentOf(s3SettingsFromEnvironment({}, localStack))).toMatchObject({
      MEMOTUNE_S3_ENDPOINT: localStack.endpoint,
      AWS_ACCESS_KEY_ID: 'memotune',
      AWS_SECRET_ACCESS_KEY: 'memotune-local-secret',
    });
  });
});

describe('createS3Client', () => {
  it('checksums only when an operation requires it, so S3-compatible stores accept uploads', async () => {
    const client = createS3Client({ endpoint: 'http://127.0.0.1:1', bucket: 'b' });
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.region()).toBe('us-east-1');
  });

  it('refuses half a key pair', () => {
    expect(() => createS3Client({ bucket: 'b', accessKeyId: 'k' })).toThrow(/accessKeyId and secretAccessKey/);
  });
});
