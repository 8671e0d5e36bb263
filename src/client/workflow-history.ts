/**
 * What the Temporal server itself knows of a workflow, read without a worker: the input its run
 * was started with (whether a worker polls its queue: ./worker-wait.ts).
 */
import { ServiceError, type Client } from '@temporalio/client';
import { fromPayloadsAtIndex, type Payload } from '@temporalio/common';

/**
 * The gRPC status code of a failed server call: a raw service call (`client.workflowService.…`)
 * rejects with the bare gRPC error; a wrapped one carries it as its cause.
 */
export function grpcCode(error: unknown): number | undefined {
  const code =
    error instanceof ServiceError
      ? (error.cause as { code?: unknown } | undefined)?.code
      : (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A workflow's input, from the first event of its (latest, or given) run; `null` when it no longer exists. */
export async function startedWith<T>(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ input: T; firstExecutionRunId: string | null } | null> {
  let response;
  try {
    response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId === undefined ? {} : { runId }) },
      maximumPageSize: 1,
    });
  } catch (error) {
    // gRPC NOT_FOUND: no such workflow, or it ended and left the server's retention between the
    // listing and now.
    if (grpcCode(error) === 5) return null;
    throw error;
  }
  const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) return null;
  const converter = client.options.loadedDataConverter;
  let payloads = (started.input?.payloads ?? []) as Payload[];
  for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return {
    input: fromPayloadsAtIndex<T>(converter.payloadConverter, 0, payloads),
    firstExecutionRunId: started.firstExecutionRunId || null,
  };
}
