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
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(endpoint.connectionOptions);
  } catch (error) {
    throw unreachable(endpoint, error);
  }
  resolvedNamespaces.set(connection, endpoint.namespace);
  return connection;
}

/**
 * The namespace resolved with each connection made here. A NativeConnection does not carry one:
 * `createWorkers` defaults to it, so a worker polls the namespace its client starts studies in (a
 * review's workers, given only the connection of `TEMPORAL_NAMESPACE=mlteam`, polled `default`
 * and its study waited for ever).
 */
const resolvedNamespaces = new WeakMap<NativeConnection, string>();

/** The namespace {@link connectTemporalWorker} resolved for `connection`; undefined for one made elsewhere. */
export function namespaceOf(connection: NativeConnection): string | undefined {
  return resolvedNamespaces.get(connection);
}
