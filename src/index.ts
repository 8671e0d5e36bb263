/**
 * memotune, client side: start, watch and stop studies, validate study configs, and type stage
 * registries. Loads no worker code — no native bridge, no AWS SDK, no dev-stack spawner — so a
 * web app or script that only talks to Temporal can import it.
 *
 * Other entry points: `memotune/worker` (plugin, activities, workers, object stores),
 * `memotune/workflow` (workflow-safe: the study and trial workflows and their messages),
 * `memotune/optimizer` (the pure EEIPU optimizer and Gaussian process), `memotune/dev` (local stack).
 */
export * from './core/types.js';
export type {
  StudyPlan,
  StagePlan,
  StudyProgress,
  StudyResult,
  StudyOutcome,
  StudyState,
  StudyStatus,
  TrialRecord,
  StageWorker,
  BestTrial,
} from './core/study.js';
export { FailureType } from './core/errors.js';
export { stageKeys, type StageIdentity } from './core/keys.js';
export { stageSeed } from './core/seed.js';
export { canonicalJson } from './core/canonical-json.js';
export {
  parseStudyConfig,
  StudyConfigError,
  studyConfigSchema,
  type StudyConfig,
  type StudyConfigInput,
} from './config/study-config.js';
export { planStudy, type PlanOptions } from './config/plan.js';
export type {
  ArtifactOutput,
  ConfigurationOf,
  EnqueuedConfigurationOf,
  DirectoryOutput,
  FileOutput,
  OutputFormat,
  ParamsOf,
  ParentOutput,
  StageContext,
  StageImplementation,
  StageOutput,
  StageRegistry,
  StageResult,
  StreamOutput,
  TypedStages,
} from './stages/types.js';
export {
  defineStages,
  defineStudy,
  outputDirectory,
  outputFile,
  outputStream,
  TrialPruned,
  versioned,
} from './stages/types.js';
export {
  startStudy,
  scheduleStudy,
  type ScheduleStudyOptions,
  type EnqueueOptions,
  type EnqueueResult,
  getStudyHandle,
  getStudyProgress,
  getStudyResult,
  getStudyOutcome,
  failedStudyOutcome,
  getStudyPlan,
  readStudyTrials,
  withTrials,
  stopStudy,
  cancelStudy,
  type ControlDelivery,
  pauseStudy,
  resumeStudy,
  extendStudyBudget,
  enqueueConfigurations,
  setStudyParallelism,
  continueStudy,
  type ContinueStudyOptions,
  StudyAlreadyRunningError,
  StudyExistsError,
  StudyIdOwnedError,
  StudyControlRefusedError,
  StudyFinishedError,
  StudyNotContinuableError,
  runningStages,
  stageActivity,
  type RunningStage,
  StudyNotFoundError,
  NoWorkerError,
  WorkflowTaskFailingError,
  NoAnswerError,
  stageQueuesWaitedOn,
  type WaitingStageQueue,
  type StartStudyOptions,
  type WorkerWait,
  type StudyHandle,
} from './client/index.js';
export { missingSearchAttributes, registerSearchAttributes } from './client/search-attributes.js';
export {
  connectTemporalClient,
  describeEndpoint,
  resolveTemporalEndpoint,
  type EndpointOrigin,
  type TemporalEndpoint,
  type TemporalEndpointOptions,
} from './client/temporal-connection.js';
export {
  memotuneBest,
  memotuneKind,
  memotuneMethod,
  memotunePipeline,
  memotuneSearchAttributes,
  memotuneSpent,
  memotuneStatus,
  memotuneStudy,
  memotuneTrials,
} from '../workflows/search-attributes.js';
export {
  parameterImportance,
  ImportanceUnavailableError,
  minImportanceTrials,
  type ImportanceEntry,
  type ImportanceOptions,
  type ImportanceResult,
  type ImportanceTarget,
} from './importance/index.js';
export {
  deleteStudy,
  StudyStillRunningError,
  NotAStudyError,
  type DeleteStudyOptions,
  type StudyDeletion,
} from './client/delete-study.js';
