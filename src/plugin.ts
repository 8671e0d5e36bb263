import { SimplePlugin } from '@temporalio/plugin';
import { createActivities, type ActivityDependencies } from '../activities/index.js';

/**
 * memotune's stage activity for your own Temporal workers: add it to a worker that polls a
 * memotune stage queue (`<prefix>-gpu`, `<prefix>-cpu`, or a kind of your own) and that worker runs
 * your stage implementations. It registers activities only — your worker's workflows, activities
 * and options stay as they were — so it fits a worker that already serves your own application.
 *
 * ```ts
 * const worker = await Worker.create({
 *   connection, taskQueue: 'memotune-gpu',
 *   workflowsPath: require.resolve('./my-workflows'),   // kept
 *   plugins: [new MemotunePlugin({ store, stages })],
 * });
 * ```
 * The study and trial workflows run on memotune's own queue, `<prefix>-orchestration`, in a worker
 * that {@link createWorkers} builds (`queues: ['orchestration']`) or `memotune worker --queues orchestration`.
 */
export class MemotunePlugin extends SimplePlugin {
  constructor(dependencies: ActivityDependencies) {
    const { runStage } = createActivities(dependencies);
    super({ name: 'memotune', activities: { runStage } });
  }
}
