/** Workflow entry point: the worker bundles this module; everything here is deterministic. */
export { studyWorkflow, type StudyWorkflowInput } from './study.js';
export { trialWorkflow, type TrialInput } from './trial.js';
export { scheduledStudyWorkflow, type ScheduledStudyInput } from './scheduled-study.js';
export { progressQuery, resultQuery, stopSignal } from './definitions.js';
