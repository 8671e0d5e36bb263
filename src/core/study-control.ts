/**
 * What a running study may be asked to do (the control updates of `workflows/definitions.ts`),
 * and why a request is refused. Workflow-safe and pure: the study's update validators call these,
 * so a refused request never reaches the study's history.
 */
import { padStages } from '../space/partial.js';
import { validateConfiguration } from '../space/validate.js';
import { maxBudget, maxEnqueued, maxParallelism } from '../space/limits.js';
import { planSearchSpace, type StudyPlan, type StudyState } from './study.js';
import type { Configuration } from './types.js';

/** The budget in force: the plan's, or what the study was extended to. */
export function budgetOf(plan: Pick<StudyPlan, 'budget'>, state: Pick<StudyState, 'budget'>): number {
  return state.budget ?? plan.budget;
}

/** The parallelism in force: the plan's, or what the study was changed to. */
export function parallelismIn(plan: Pick<StudyPlan, 'parallelism'>, state: Pick<StudyState, 'parallelism'>): number {
  return state.parallelism ?? plan.parallelism ?? 1;
}

/** Why the study cannot take a control request now (it is ending), or undefined. */
function endingProblem(state: StudyState, ending: boolean): string | undefined {
  if (state.stopRequested) return 'the study is stopping: it finishes its running trials and ends';
  if (ending) return 'the study is ending: it finishes its running trials and ends';
  return undefined;
}

export function pauseProblem(state: StudyState, ending: boolean): string | undefined {
  return endingProblem(state, ending) ?? (state.paused === true ? 'the study is already paused' : undefined);
}

export function resumeProblem(state: StudyState, ending: boolean): string | undefined {
  return endingProblem(state, ending) ?? (state.paused === true ? undefined : 'the study is not paused');
}

export function extendBudgetProblem(plan: StudyPlan, state: StudyState, amount: unknown): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
    return `budget: the extension must be a positive number of cost units (got ${JSON.stringify(amount)})`;
  if (budgetOf(plan, state) + amount > maxBudget)
    return `budget: ${budgetOf(plan, state)} + ${amount} is over the limit of ${maxBudget}`;
  return state.stopRequested ? 'the study is stopping: resume it with more budget once it has ended' : undefined;
}

/**
 * The configurations an accepted enqueue request queues: with `{}` for the stages left out at the
 * end. They may leave parameters out: the trial's suggestion fills those when it starts.
 */
export function enqueuedConfigurations(plan: StudyPlan, configs: readonly Configuration[]): Configuration[] {
  const space = planSearchSpace(plan);
  return configs.map((config) => padStages(space, config));
}

export function enqueueProblem(plan: StudyPlan, state: StudyState, configs: unknown): string | undefined {
  if (!Array.isArray(configs) || configs.length === 0) return 'configurations: give a non-empty list';
  const queued = state.queued?.length ?? 0;
  if (queued + configs.length > maxEnqueued)
    return `configurations: ${queued} are queued already; at most ${maxEnqueued} may wait at once`;
  const space = planSearchSpace(plan);
  for (const [index, config] of configs.entries()) {
    try {
      validateConfiguration(space, config as Configuration, { partial: true });
    } catch (error) {
      return `configurations[${index}]: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return endingProblem(state, false);
}

export function parallelismProblem(state: StudyState, parallelism: unknown): string | undefined {
  if (
    typeof parallelism !== 'number' ||
    !Number.isInteger(parallelism) ||
    parallelism < 1 ||
    parallelism > maxParallelism
  )
    return `parallelism: must be an integer from 1 to ${maxParallelism} (got ${JSON.stringify(parallelism)})`;
  return endingProblem(state, false);
}
