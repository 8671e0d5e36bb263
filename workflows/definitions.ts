/**
 * Messages a client can send to a running study. Clients import this module; it holds only
 * definitions, no workflow logic.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StudyProgress, StudyResult } from '../src/core/study.js';

/** Budget spent, trials so far, best so far: cheap, safe to poll. */
export const progressQuery = defineQuery<StudyProgress>('memotune.progress');
/** Progress plus every trial record. */
export const resultQuery = defineQuery<StudyResult>('memotune.result');
/** Finish the running trial, then stop the study (it completes with status 'stopped'). */
export const stopSignal = defineSignal('memotune.stop');
