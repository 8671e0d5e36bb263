import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig } from '../../../src/config/study-config.js';
import { initialStudyState, type StudyState } from '../../../src/core/study.js';
import type { Configuration } from '../../../src/core/types.js';
import {
  enqueuedConfigurations,
  enqueueProblem,
  extendBudgetProblem,
  parallelismProblem,
  pauseProblem,
  resumeProblem,
} from '../../../src/core/study-control.js';

const plan = planStudy(
  parseStudyConfig({
    name: 's',
    pipeline: {
      stages: [
        { name: 'prep', params: [{ name: 'mode', type: 'categorical', choices: ['a', 'b'] }] },
        { name: 'train', params: [{ name: 'lr', type: 'float', low: 0.001, high: 0.1 }] },
      ],
    },
    objective: { metric: 'm' },
    budget: 100,
  }),
);
const running: StudyState = initialStudyState('studies/r/');

describe('study control requests', () => {
  it('pauses a running study once and resumes a paused one only', () => {
    expect(pauseProblem(running, false)).toBeUndefined();
    expect(pauseProblem({ ...running, paused: true }, false)).toBe('the study is already paused');
    expect(resumeProblem(running, false)).toBe('the study is not paused');
    expect(resumeProblem({ ...running, paused: true }, false)).toBeUndefined();
    expect(pauseProblem({ ...running, stopRequested: true }, false)).toMatch(/stopping/);
    expect(pauseProblem(running, true)).toMatch(/ending/);
  });

  it('extends the budget by a positive amount within the limit', () => {
    expect(extendBudgetProblem(plan, running, 50)).toBeUndefined();
    expect(extendBudgetProblem(plan, running, -5)).toMatch(/^budget: the extension must be a positive number/);
    expect(extendBudgetProblem(plan, running, Number.NaN)).toMatch(/^budget:/);
    expect(extendBudgetProblem(plan, running, '5')).toMatch(/^budget:/);
    expect(extendBudgetProblem(plan, { ...running, budget: 1e9 }, 1)).toMatch(/over the limit/);
  });

  it('enqueues only configurations of the search space, naming the bad one', () => {
    const good: Configuration = [{ mode: 'a' }, { lr: 0.01 }];
    expect(enqueueProblem(plan, running, [good])).toBeUndefined();
    expect(enqueueProblem(plan, running, [])).toMatch(/non-empty/);
    expect(enqueueProblem(plan, running, [good, [{ mode: 'c' }, { lr: 0.01 }]])).toMatch(
      /^configurations\[1\]: .*prep.*mode.*"c" is not one of \["a", "b"\]/,
    );
    expect(enqueueProblem(plan, running, [[{ mode: 'a' }, { lr: 0.01 }, {}]])).toMatch(
      /^configurations\[0\]: configuration must have 1 to 2 stages/,
    );
    const full: StudyState = { ...running, queued: Array.from({ length: 1000 }, () => good) };
    expect(enqueueProblem(plan, full, [good])).toMatch(/at most 1000/);
  });

  it('takes configurations that leave out parameterless stages at their end, and queues them whole', () => {
    const withEvaluate = planStudy(
      parseStudyConfig({
        name: 's',
        pipeline: {
          stages: [
            { name: 'prep', params: [{ name: 'mode', type: 'categorical', choices: ['a', 'b'] }] },
            { name: 'evaluate' },
          ],
        },
        objective: { metric: 'm' },
        budget: 100,
      }),
    );
    expect(enqueueProblem(withEvaluate, running, [[{ mode: 'a' }]])).toBeUndefined();
    expect(enqueuedConfigurations(withEvaluate, [[{ mode: 'a' }], [{ mode: 'b' }, {}]])).toEqual([
      [{ mode: 'a' }, {}],
      [{ mode: 'b' }, {}],
    ]);
    expect(enqueueProblem(withEvaluate, running, [[]])).toMatch(
      /^configurations\[0\]: configuration must have 1 to 2 stages/,
    );
  });

  it('takes configurations that leave out parameters, queued as given for the trial to fill', () => {
    expect(enqueueProblem(plan, running, [[{ mode: 'a' }], [{}, { lr: 0.01 }]])).toBeUndefined();
    expect(enqueuedConfigurations(plan, [[{ mode: 'a' }], [{}, { lr: 0.01 }]])).toEqual([
      [{ mode: 'a' }, {}],
      [{}, { lr: 0.01 }],
    ]);
    expect(enqueueProblem(plan, running, [[{}, {}]])).toMatch(
      /^configurations\[0\]: configuration gives no parameter value/,
    );
    expect(enqueueProblem(plan, running, [[{ mode: 'a' }, { lr: 5 }]])).toMatch(
      /^configurations\[0\]: .*"lr": 5 is outside/,
    );
  });

  it('changes parallelism to an integer from 1 to the limit', () => {
    expect(parallelismProblem(running, 4)).toBeUndefined();
    expect(parallelismProblem(running, 0)).toMatch(/^parallelism: must be an integer from 1 to 64/);
    expect(parallelismProblem(running, 2.5)).toMatch(/^parallelism:/);
    expect(parallelismProblem(running, 65)).toMatch(/^parallelism:/);
  });
});
