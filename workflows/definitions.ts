/**
 * Messages a client can send to a running study. Clients import this module; it holds only
 * definitions, no workflow logic.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StudyOutcome, StudyProgress } from '../src/core/study.js';

/** Budget spent, trials so far, best so far: cheap, safe to poll. */
export const progressQuery = defineQuery<StudyProgress>('memotune.progress');
/** Progress plus where the trial records are (inline records for studies of older releases). */
export const resultQuery = defineQuery<StudyOutcome>('memotune.result');
/** Finish the running trial, then stop the study (it completes with status 'stopped'). */
export const stopSignal = defineSignal('memotune.stop');
