import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEndpoint, resolveTemporalEndpoint } from '../../../src/client/temporal-connection.js';
import { ConnectionSettingsError } from '../../../src/core/settings-error.js';
import { readStackInfo } from '../../../src/dev/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'memotune-envconfig-'));
const configFile = join(dir, 'temporal.toml');
writeFileSync(join(dir, 'client.pem'), '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
writeFileSync(join(dir, 'client.key'), '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n');
writeFileSync(
  configFile,
  [
    '[profile.default]',
    'address = "10.0.0.5:7233"',
    'namespace = "ml"',
    '',
    '[profile.cloud]',
    'address = "ml-team.a1b2c.tmprl.cloud:7233"',
    'namespace = "ml-team.a1b2c"',
    'api_key = "sk-cloud-api-key-do-not-print"',
    '',
    '[profile.mtls]',
    'address = "ml-team.a1b2c.tmprl.cloud:7233"',
    'namespace = "ml-team.a1b2c"',
    '[profile.mtls.tls]',
    `client_cert_path = "${join(dir, 'client.pem')}"`,
    `client_key_path = "${join(dir, 'client.key')}"`,
  ].join('\n'),
);

describe('resolveTemporalEndpoint', () => {
  it("reads the config file's default profile", () => {
    const endpoint = resolveTemporalEndpoint({ configFile, env: {} });
    expect(endpoint).toMatchObject({ address: '10.0.0.5:7233', namespace: 'ml', origin: 'profile or environment' });
    expect(endpoint.connectionOptions.tls).toBeUndefined();
  });

  it('an API key turns TLS on (Temporal Cloud) and is never described', () => {
    const endpoint = resolveTemporalEndpoint({ configFile, profile: 'cloud', env: {} });
    expect(endpoint.connectionOptions).toMatchObject({
      address: 'ml-team.a1b2c.tmprl.cloud:7233',
      apiKey: 'sk-cloud-api-key-do-not-print',
      tls: true,
    });
    const description = describeEndpoint(endpoint);
    expect(description).toBe('ml-team.a1b2c.tmprl.cloud:7233 (namespace ml-team.a1b2c, TLS, API key)');
    expect(description).not.toContain('sk-cloud');
  });

  it('mTLS: the client certificate pair from the profile', () => {
    const endpoint = resolveTemporalEndpoint({ configFile, env: { TEMPORAL_PROFILE: 'mtls' } });
    const tls = endpoint.connectionOptions.tls;
    expect(typeof tls).toBe('object');
    if (typeof tls !== 'object') throw new Error('unreachable');
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toContain('secret-key-material');
    expect(describeEndpoint(endpoint)).toBe('ml-team.a1b2c.tmprl.cloud:7233 (namespace ml-team.a1b2c, mTLS)');
  });

  it('TEMPORAL_* variables override the profile, explicit options override both', () => {
    const env = { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_ADDRESS: '10.0.0.9:7233', TEMPORAL_API_KEY: 'k' };
    expect(resolveTemporalEndpoint({ env })).toMatchObject({ address: '10.0.0.9:7233', namespace: 'ml' });
    const explicit = resolveTemporalEndpoint({ env, address: 'localhost:7999', namespace: 'other' });
    expect(explicit).toMatchObject({ address: 'localhost:7999', namespace: 'other', origin: 'option' });
    expect(explicit.connectionOptions.apiKey).toBe('k');
    // An API key against a server without TLS (e.g. behind a proxy) when TLS is turned off explicitly.
    expect(resolveTemporalEndpoint({ env: { ...env, TEMPORAL_TLS: 'false' } }).connectionOptions.tls).toBe(false);
  });

  it('falls back to the local stack, then 127.0.0.1:7233', () => {
    const endpoint = resolveTemporalEndpoint({ env: { TEMPORAL_CONFIG_FILE: join(dir, 'empty.toml') }, configFile });
    expect(endpoint.address).toBe('10.0.0.5:7233');
    writeFileSync(join(dir, 'none.toml'), '');
    const fallback = resolveTemporalEndpoint({ configFile: join(dir, 'none.toml'), env: {} });
    expect(fallback.address).toBe(readStackInfo()?.temporalAddress ?? '127.0.0.1:7233');
    expect(fallback.namespace).toBe('default');
    expect(['local stack', 'default']).toContain(fallback.origin);
    // Naming the implicit default profile is not an error where no file defines it.
    expect(resolveTemporalEndpoint({ configFile: join(dir, 'none.toml'), profile: 'default', env: {} }).address).toBe(
      fallback.address,
    );
    expect(resolveTemporalEndpoint({ profile: 'default', env: {} }).namespace).toBe('default');
  });

  it('refuses what it cannot use, naming the setting', () => {
    expect(() => resolveTemporalEndpoint({ configFile: join(dir, 'missing.toml'), env: {} })).toThrow(
      /missing\.toml does not exist \(from --config-file\)/,
    );
    expect(() => resolveTemporalEndpoint({ env: { TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') } })).toThrow(
      /TEMPORAL_CONFIG_FILE/,
    );
    expect(() => resolveTemporalEndpoint({ configFile, profile: 'prod', env: {} })).toThrow(/Profile 'prod' not found/);
    expect(() => resolveTemporalEndpoint({ configFile, address: 'http://host:7233', env: {} })).toThrow(
      /host:port, not 'http:\/\/host:7233' \(from --address\)/,
    );
    expect(() => resolveTemporalEndpoint({ env: { TEMPORAL_ADDRESS: 'host' } })).toThrow(/from TEMPORAL_ADDRESS/);
    // The CLI exits 2 on these: they are the user's settings.
    expect(() => resolveTemporalEndpoint({ env: { TEMPORAL_ADDRESS: 'host' } })).toThrow(ConnectionSettingsError);
  });
});
