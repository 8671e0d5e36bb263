/**
 * memotune, worker side (`memotune/worker`): the plugin for your own stage workers, the workers
 * memotune runs itself (orchestration and stage queues), the activities, and the object stores
 * the stage cache lives in.
 */
export { MemotunePlugin } from '../plugin.js';
export { createWorkers, runWorkers, workflowsPath, type WorkersOptions, type QueueRole } from './run-workers.js';
export {
  createActivities,
  type ActivityDependencies,
  type Activities,
  type AncestorRef,
  type CacheLookup,
  type CacheLookupInput,
  type RunStageInput,
  type RunStageOutput,
} from '../../activities/index.js';
export { MemoryObjectStore, type ObjectStore } from '../storage/object-store.js';
export { S3ObjectStore, createS3Client, type S3Settings } from '../storage/s3-object-store.js';
export { s3SettingsFromEnvironment } from '../storage/s3-settings.js';
export { connectTemporalWorker } from './temporal-connection.js';
export { StageCache, type StageOutputMeta } from '../storage/stage-cache.js';
export { SuggestPool, SuggestThreadError, type SuggestPoolOptions } from './suggest-pool.js';
export { activityMetrics } from './metrics.js';
export { metricHistogramBuckets, metricNames } from '../core/metric-names.js';
export {
  defineStages,
  defineStudy,
  outputDirectory,
  outputFile,
  outputStream,
  TrialPruned,
  versioned,
} from '../stages/types.js';
export type { StageContext, StageImplementation, StageOutput, StageRegistry, StageResult } from '../stages/types.js';
