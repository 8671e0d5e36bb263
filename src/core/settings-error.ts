/**
 * A connection setting (Temporal endpoint, S3 bucket) that is malformed or missing: the user's
 * input, so the CLI exits 2. The message names the variable, flag or file to fix.
 */
export class ConnectionSettingsError extends Error {
  override readonly name = 'ConnectionSettingsError';
}
