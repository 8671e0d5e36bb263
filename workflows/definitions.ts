/**
 * Messages a client can send to a running study. Clients import this module; it holds only
 * definitions, no workflow logic.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StudyOutcome, StudyProgress } from '../src/core/study.js';
import type { Configuration } from '../src/core/types.js';

/** Budget spent, trials so far, best so far: cheap, safe to poll. */
export const progressQuery = defineQuery<StudyProgress>('memotune.progress');
/** Progress plus where the trial records are (inline records for studies of older releases). */
export const resultQuery = defineQuery<StudyOutcome>('memotune.result');
/** Finish the running trial, then stop the study (it completes with status 'stopped'). */
export const stopSignal = defineSignal('memotune.stop');

// Control updates: each is validated before it is accepted (a refused request never reaches the
// study's history) and returns the study's progress after it. Durable: an accepted update is in
// history, so a crash loses none.

/** Finish the running trials, start none until resumed. Refused when paused or ending. */
export const pauseUpdate = defineUpdate<StudyProgress>('memotune.pause');
/** Start trials again after a pause. Refused when not paused. */
export const resumeUpdate = defineUpdate<StudyProgress>('memotune.resume');
/** Add cost units to the budget. Refused unless positive and within the budget limit. */
export const extendBudgetUpdate = defineUpdate<StudyProgress, [number]>('memotune.extendBudget');
/** Evaluate these configurations next, in order. Refused when one is outside the search space. */
export const enqueueUpdate = defineUpdate<StudyProgress, [Configuration[]]>('memotune.enqueue');
/** Run this many trials at once from now on. Refused unless an integer from 1 to the limit. */
export const setParallelismUpdate = defineUpdate<StudyProgress, [number]>('memotune.setParallelism');
/** Finish the running trials, then stop (status 'stopped'); the update form of `stopSignal`. */
export const stopUpdate = defineUpdate<StudyProgress>('memotune.stop');
