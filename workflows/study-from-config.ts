/**
 * A study started from its config alone, by a Temporal Schedule or as a child of a workflow of
 * your own: the study's id is this workflow's id (for a schedule's run, `<scheduleId>-<start
 * time>`, as the schedule names it). The workflow plans the study from the config, then continues
 * as new as `studyWorkflow` with the plan, so from its second run on it is an ordinary study: every
 * `memotune study` command and the client API read it by its id. (Running `studyWorkflow` itself
 * from a schedule gives every run the plan's one study id, and overlapping runs collide on their
 * trials' ids; and a plan needs `planStudy`, which a caller's workflow would have to bundle.)
 */
import { ApplicationFailure, makeContinueAsNewFunc, workflowInfo } from '@temporalio/workflow';
import { planStudy } from '../src/config/plan.js';
import { parseStudyConfig, type StudyConfigInput } from '../src/config/study-config.js';
import { FailureType } from '../src/core/errors.js';
import { studyMemo, type StudyPlan } from '../src/core/study.js';
import { studySearchAttributes } from './search-attributes.js';
import type { studyWorkflow } from './study.js';

export interface StudyFromConfigInput {
  /** The study config (plain JSON), as `startStudy` takes it; its `name` is the study's name. */
  readonly config: StudyConfigInput;
  /** The task-queue prefix of the workers (`--prefix`). @default 'memotune' */
  readonly taskQueuePrefix?: string;
  /** Whether the namespace has memotune's search attributes (`scheduleStudy` checks it when it creates the schedule). @default false */
  readonly searchAttributes?: boolean;
}

export async function studyFromConfigWorkflow(input: StudyFromConfigInput): Promise<never> {
  const studyId = workflowInfo().workflowId;
  let plan: StudyPlan;
  try {
    plan = planStudy(parseStudyConfig(input.config), {
      studyId,
      ...(input.taskQueuePrefix === undefined ? {} : { taskQueuePrefix: input.taskQueuePrefix }),
    });
  } catch (error) {
    // A config that cannot run fails this run at once, saying why (a schedule's next run fails alike).
    throw ApplicationFailure.nonRetryable(
      `the study cannot start: ${error instanceof Error ? error.message : String(error)}`,
      FailureType.InvalidStudyConfig,
    );
  }
  if (input.searchAttributes === true) plan = { ...plan, searchAttributes: true };
  const asStudy = makeContinueAsNewFunc<typeof studyWorkflow>({
    workflowType: 'studyWorkflow',
    taskQueue: plan.orchestrationQueue,
    // The sandbox's Date is this workflow task's time, from history: replay gives the same.
    // eslint-disable-next-line no-restricted-globals
    memo: studyMemo(plan, new Date().toISOString()),
    ...(plan.searchAttributes === true ? { typedSearchAttributes: studySearchAttributes(plan) } : {}),
  });
  return asStudy({ plan });
}
