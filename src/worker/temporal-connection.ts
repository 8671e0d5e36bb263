import { NativeConnection } from '@temporalio/worker';
import {
  resolveTemporalEndpoint,
  type TemporalEndpoint,
  type TemporalEndpointOptions,
} from '../client/temporal-connection.js';

/**
 * A worker connection on the endpoint the client API would use (flags, TEMPORAL_* variables, the
 * Temporal config file's profile, the local stack): TLS, mTLS and API keys included.
 */
export async function connectTemporalWorker(
  options: TemporalEndpointOptions = {},
): Promise<{ connection: NativeConnection; endpoint: TemporalEndpoint }> {
  const endpoint = resolveTemporalEndpoint(options);
  return { connection: await NativeConnection.connect(endpoint.connectionOptions), endpoint };
}
