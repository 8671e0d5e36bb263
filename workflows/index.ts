/** Workflow entry point: the worker bundles this module; everything here is deterministic. */
export { studyWorkflow, type StudyWorkflowInput } from './study.js';
export { trialWorkflow, type TrialInput } from './trial.js';
export { studyFromConfigWorkflow, type StudyFromConfigInput } from './study-from-config.js';
export { progressQuery, resultQuery, stopSignal } from './definitions.js';
