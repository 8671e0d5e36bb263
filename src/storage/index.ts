/**
 * memotune/storage: the object stores and the readers of what studies keep in them — for a
 * client that wants a study's trial records (`getStudyResult(client, id, { store })`) without
 * loading any worker code.
 */
export { MemoryObjectStore, type BodySource, type ObjectStore, type PutStreamOptions } from './object-store.js';
export { S3ObjectStore, type S3Settings } from './s3-object-store.js';
export { s3SettingsFromEnvironment, type LocalS3Server } from './s3-settings.js';
export { TrialLog, TrialLogError, type TrialLogOptions } from './trial-log.js';
export { CacheReadError, StageCache, type StageCacheOptions, type StageOutputMeta } from './stage-cache.js';
export {
  deleteOutput,
  deleteOutputs,
  groupOutputs,
  planRetention,
  protectLiveWork,
  readCacheInventory,
  readTrialLogs,
  type CachedOutput,
  type CacheInventory,
  type LiveWork,
  type Protection,
  type RetentionPlan,
  type RetentionPolicy,
} from './retention.js';
