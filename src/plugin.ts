import { SimplePlugin } from '@temporalio/plugin';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { workflowsPath } from './worker/run-workers.js';

/**
 * memotune as a Temporal plugin for your own workers: registers the study/trial workflows and the
 * memotune activities (suggestNext, lookupCache, runStage) with your stage implementations.
 *
 * ```ts
 * const worker = await Worker.create({
 *   connection, taskQueue: 'memotune-orchestration',
 *   plugins: [new MemotunePlugin({ store, stages })],
 * });
 * ```
 * Use `taskQueue` `<prefix>-orchestration` for the worker that runs workflows and suggestions and
 * `<prefix>-cpu` / `<prefix>-gpu` for stage workers (workflows are registered on all; harmless).
 */
export class MemotunePlugin extends SimplePlugin {
  constructor(dependencies: ActivityDependencies) {
    super({
      name: 'memotune',
      activities: createActivities(dependencies),
      workflowsPath,
    });
  }
}
