import { NativeConnection } from '@temporalio/worker';
import {
  resolveTemporalEndpoint,
  unreachable,
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
  return { connection: await connectWorkerTo(endpoint), endpoint };
}

/** A worker connection on an endpoint resolved before. */
export async function connectWorkerTo(endpoint: TemporalEndpoint): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(endpoint.connectionOptions);
  } catch (error) {
    throw unreachable(endpoint, error);
  }
}
