/**
 * memotune: memoization-aware hyperparameter tuning (EEIPU) for multi-stage pipelines on Temporal.
 * This entry point is for clients and workers; workflow code imports `memotune/workflow`.
 */
export * from './core/types.js';
export type {
  StudyPlan,
  StagePlan,
  StudyProgress,
  StudyResult,
  StudyState,
  TrialRecord,
  BestTrial,
} from './core/study.js';
export { FailureType } from './core/errors.js';
export { stageKeys, type StageIdentity } from './core/keys.js';
export { canonicalJson } from './core/canonical-json.js';
export {
  parseStudyConfig,
  StudyConfigError,
  studyConfigSchema,
  type StudyConfig,
  type StudyConfigInput,
} from './config/study-config.js';
export { planStudy, type PlanOptions } from './config/plan.js';
export type { StageContext, StageImplementation, StageRegistry, StageResult, ParentOutput } from './stages/types.js';
export { defineStages } from './stages/types.js';
export { MemoryObjectStore, type ObjectStore } from './storage/object-store.js';
export { S3ObjectStore, createS3Client, type S3Settings } from './storage/s3-object-store.js';
export { StageCache, type StageOutputMeta } from './storage/stage-cache.js';
export { createActivities, type ActivityDependencies, type Activities } from '../activities/index.js';
export { createWorkers, runWorkers, workflowsPath, type WorkersOptions, type QueueRole } from './worker/run-workers.js';
export { MemotunePlugin } from './plugin.js';
export {
  startStudy,
  getStudyHandle,
  getStudyProgress,
  getStudyResult,
  stopStudy,
  StudyAlreadyRunningError,
  StudyNotFoundError,
  NoWorkerError,
  type StartStudyOptions,
  type StudyHandle,
} from './client/index.js';
export { startStack, stopStack, readStackInfo, type StackInfo, type StackOptions } from './dev/stack.js';
export { suggest, resolveSettings, methodNames } from './optimizer/index.js';
export { GaussianProcess, type GPHyperparameters, type GPFitOptions, type Points } from './gp/index.js';
export { minimizeBounded, type MinimizeOptions, type MinimizeResult } from './optim/index.js';
