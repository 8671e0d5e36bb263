import type { Client } from '@temporalio/client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the trial's stage attempt is running on a worker (its runStage activity started). */
export async function stageRunning(client: Client, trialWorkflowId: string, timeoutMs = 30_000): Promise<void> {
  const handle = client.workflow.getHandle(trialWorkflowId);
  for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
    if (Date.now() > deadline) throw new Error(`${trialWorkflowId}: no stage attempt started`);
    const description = await handle.describe().catch(() => null);
    // 2 = PENDING_ACTIVITY_STATE_STARTED
    const stage = description?.raw.pendingActivities?.find((activity) => activity.activityType?.name === 'runStage');
    if (stage?.state === 2) return;
  }
}
