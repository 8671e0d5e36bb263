import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig, StudyConfigError } from '../../../src/config/study-config.js';
import { defaultStudySeed } from '../../../src/core/seed.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';

const valid = () => ({
  name: 'study',
  pipeline: {
    stages: [
      { name: 'prep', params: [{ name: 'frac', type: 'float', low: 0.1, high: 1 }] },
      {
        name: 'train',
        taskQueue: 'gpu',
        params: [
          { name: 'lr', type: 'float', low: 1e-5, high: 1e-1, log: true },
          { name: 'layers', type: 'int', low: 1, high: 8 },
          { name: 'opt', type: 'categorical', choices: ['adam', 'sgd'] },
        ],
      },
    ],
  },
  objective: { metric: 'accuracy' },
  budget: 3600,
});

function issuesOf(input: unknown): string[] {
  try {
    parseStudyConfig(input);
  } catch (error) {
    if (error instanceof StudyConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('config was accepted');
}

describe('the pruner setting', () => {
  it('defaults to the median pruner, fills its defaults in the plan, and accepts none', () => {
    expect(planStudy(parseStudyConfig(valid())).pruner).toEqual({ type: 'median', startupTrials: 5, warmupSteps: 0 });
    expect(planStudy(parseStudyConfig({ ...valid(), pruner: { type: 'median', warmupSteps: 3 } })).pruner).toEqual({
      type: 'median',
      startupTrials: 5,
      warmupSteps: 3,
    });
    expect(planStudy(parseStudyConfig({ ...valid(), pruner: { type: 'none' } })).pruner).toEqual({ type: 'none' });
    expect(planStudy(parseStudyConfig({ ...valid(), pruner: { type: 'percentile', percentile: 25 } })).pruner).toEqual({
      type: 'percentile',
      percentile: 25,
      startupTrials: 5,
      warmupSteps: 0,
    });
    // What an older worker would ignore is listed for the worker to check (plan.requires).
    expect(planStudy(parseStudyConfig(valid())).requires).toBeUndefined();
    expect(
      planStudy(parseStudyConfig({ ...valid(), stopWhen: { bestReaches: 1 }, pruner: { type: 'successiveHalving' } }))
        .requires,
    ).toEqual(['stopWhen', 'successiveHalving']);
    // Optuna's SuccessiveHalvingPruner defaults (reduction factor 4), judged from the first completed trial.
    expect(planStudy(parseStudyConfig({ ...valid(), pruner: { type: 'successiveHalving' } })).pruner).toEqual({
      type: 'successiveHalving',
      minResource: 1,
      reductionFactor: 4,
      startupTrials: 1,
    });
  });
});

describe('study config validation', () => {
  it('accepts a valid config and fills defaults in the plan', () => {
    const plan = planStudy(parseStudyConfig(valid()), { studyId: 'id-1', taskQueuePrefix: 'mt' });
    expect(plan).toMatchObject({
      studyId: 'id-1',
      // Under a queue prefix of its own, the study's default pipeline id (and cache) is the prefix's.
      pipelineId: 'mt/study',
      objective: { metric: 'accuracy', direction: 'maximize' },
      epsilon: 0.1,
      seed: defaultStudySeed('id-1'),
      orchestrationQueue: 'mt-orchestration',
      maxTrials: null,
    });
    // Without a seed each study id draws its own warm-up; a study keeps its seed across its runs.
    const other = planStudy(parseStudyConfig(valid()), { studyId: 'id-2', taskQueuePrefix: 'mt' });
    expect(other.seed).not.toBe(plan.seed);
    expect(planStudy(parseStudyConfig(valid()), { studyId: 'id-1' }).seed).toBe(plan.seed);
    expect(plan.seed).toBeGreaterThanOrEqual(0);
    expect(plan.seed).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(planStudy(parseStudyConfig({ ...valid(), seed: 0 }), { studyId: 'id-1' }).seed).toBe(0);
    expect(planStudy(parseStudyConfig(valid()), { studyId: 'id-1' }).pipelineId).toBe('study');
    const shared = { ...valid(), pipeline: { ...valid().pipeline, id: 'shared' } };
    expect(planStudy(parseStudyConfig(shared), { studyId: 'id-1', taskQueuePrefix: 'mt' }).pipelineId).toBe('shared');
    expect(plan.stages.map((stage) => stage.taskQueue)).toEqual(['mt-cpu', 'mt-gpu']);
    expect(plan.stages[1]).toMatchObject({
      implementation: 'train',
      version: '1',
      retry: { maximumAttempts: 3 },
      timeoutSeconds: 3600,
    });
  });

  it('pins every optimizer default in the plan, keeping the values the config sets', () => {
    const plan = planStudy(parseStudyConfig({ ...valid(), optimizer: { topQ: 3 } }), { studyId: 'id-1' });
    // All of them, so a worker upgrade that changes a default does not change a running study.
    expect(plan.optimizer).toEqual({ ...resolveSettings({}), topQ: 3 });
    expect(plan.epsilon).toBe(plan.optimizer.epsilon);
  });

  const cases: [string, (config: ReturnType<typeof valid>) => unknown, string[]][] = [
    ['missing fields', ({ name: _n, budget: _b, ...rest }) => rest, ['name: is required', 'budget: is required']],
    ['missing objective metric', (c) => ({ ...c, objective: {} }), ['objective.metric: is required']],
    [
      'low > high',
      (c) => ({
        ...c,
        pipeline: {
          stages: [{ ...c.pipeline.stages[0]!, params: [{ name: 'frac', type: 'float', low: 2, high: 1 }] }],
        },
      }),
      ['pipeline.stages[0].params[0].low: must be at most high (2 > 1)'],
    ],
    [
      'a bound of 1e999 (JSON parses it to Infinity)',
      (c) => JSON.parse(JSON.stringify(c).replace('"high":1', '"high":1e999')),
      ['pipeline.stages[0].params[0].high: must be a finite number (got Infinity)'],
    ],
    [
      'a malformed task queue kind',
      (c) => ({
        ...c,
        pipeline: { stages: [c.pipeline.stages[0]!, { ...c.pipeline.stages[1]!, taskQueue: 'GPU/0' }] },
      }),
      [
        'pipeline.stages[1].taskQueue: must be a queue kind: lower-case letters, digits and dashes, starting with a letter (cpu, gpu, python, ...)',
      ],
    ],
    [
      'the reserved orchestration queue',
      (c) => ({
        ...c,
        pipeline: { stages: [c.pipeline.stages[0]!, { ...c.pipeline.stages[1]!, taskQueue: 'orchestration' }] },
      }),
      ['pipeline.stages[1].taskQueue: is reserved for the study workflows (use cpu, gpu or your own kind)'],
    ],
    [
      'a pruner of an unknown type',
      (c) => ({ ...c, pruner: { type: 'hyperband' } }),
      ["pruner.type: must be 'median', 'percentile', 'successiveHalving' or 'none'"],
    ],
    [
      'a percentile pruner without a percentile',
      (c) => ({ ...c, pruner: { type: 'percentile' } }),
      ['pruner.percentile: is required and must be a number'],
    ],
    [
      'a non-retryable error that is no class name',
      (c) => ({
        ...c,
        pipeline: {
          stages: c.pipeline.stages.map((stage, i) =>
            i === 0 ? { ...stage, retry: { nonRetryableErrors: ['Key Error'] } } : stage,
          ),
        },
      }),
      ['pipeline.stages[0].retry.nonRetryableErrors[0]: must be an error class name without its module, e.g. KeyError'],
    ],
    [
      'successive halving by a factor of 1',
      (c) => ({ ...c, pruner: { type: 'successiveHalving', reductionFactor: 1 } }),
      ['pruner.reductionFactor: must be an integer from 2 to 100'],
    ],
    [
      'successive halving with a warm-up (its rungs say when it judges)',
      (c) => ({ ...c, pruner: { type: 'successiveHalving', warmupSteps: 3 } }),
      ['pruner.warmupSteps: not allowed with this type'],
    ],
    [
      'a percentile pruner at 0',
      (c) => ({ ...c, pruner: { type: 'percentile', percentile: 0 } }),
      ['pruner.percentile: must be greater than 0'],
    ],
    [
      'a setting of the median pruner on the none pruner',
      (c) => ({ ...c, pruner: { type: 'none', startupTrials: 3 } }),
      ['pruner.startupTrials: not allowed with this type (another type of this setting takes it)'],
    ],
    [
      'a median pruner with 0 startup trials and a fractional warm-up',
      (c) => ({ ...c, pruner: { type: 'median', startupTrials: 0, warmupSteps: 1.5 } }),
      ['pruner.startupTrials: must be at least 1', 'pruner.warmupSteps: must be an integer'],
    ],
    [
      'maxConsecutiveFailures of 0',
      (c) => ({ ...c, maxConsecutiveFailures: 0 }),
      ['maxConsecutiveFailures: must be at least 1'],
    ],
    ['empty pipeline', (c) => ({ ...c, pipeline: { stages: [] } }), ['pipeline.stages: must have at least one stage']],
    [
      'duplicate stage names',
      (c) => ({ ...c, pipeline: { stages: [c.pipeline.stages[0]!, { ...c.pipeline.stages[1]!, name: 'prep' }] } }),
      ["pipeline.stages[1].name: duplicate stage name 'prep' (also stages[0])"],
    ],
    [
      'a reserved parameter name',
      (c) => ({
        ...c,
        pipeline: {
          stages: [{ ...c.pipeline.stages[0]!, params: [{ name: '__proto__', type: 'float', low: 0, high: 1 }] }],
        },
      }),
      ['pipeline.stages[0].params[0].name: is reserved ("__proto__")'],
    ],
    ['negative budget', (c) => ({ ...c, budget: -1 }), ['budget: must be positive']],
    [
      'log scale with a non-positive bound',
      (c) => ({
        ...c,
        pipeline: {
          stages: [{ ...c.pipeline.stages[0]!, params: [{ name: 'f', type: 'float', low: 0, high: 1, log: true }] }],
        },
      }),
      ['pipeline.stages[0].params[0].low: must be positive for a log-scale parameter'],
    ],
    [
      'an unknown parameter type',
      (c) => ({ ...c, pipeline: { stages: [{ ...c.pipeline.stages[0]!, params: [{ name: 'f', type: 'complex' }] }] } }),
      ['pipeline.stages[0].params[0].type'],
    ],
    [
      'an unknown method',
      (c) => ({ ...c, optimizer: { method: 'tpe' } }),
      ['optimizer.method: must be one of eeipu, ms-carbo, carbo, eips, ei, random, pbgi, pbgi-memo'],
    ],
    ['an unknown top-level field', (c) => ({ ...c, budgte: 3 }), ['budgte: unknown field (did you mean "budget"?)']],
    ['a field of the wrong type', (c) => ({ ...c, budget: '100' }), ['budget: must be a number (got string)']],
    [
      'an enqueued configuration outside the space',
      (c) => ({ ...c, enqueue: [[{ frac: 5 }, { lr: 0.01, layers: 2.5, opt: 'rmsprop', extra: 1 }]] }),
      [
        'enqueue[0][0].frac: 5 is outside [0.1, 1]',
        'enqueue[0][1].extra: unknown parameter "extra"',
        'enqueue[0][1].layers: 2.5 is not an integer (int in [1, 8])',
        'enqueue[0][1].opt: "rmsprop" is not one of ["adam", "sgd"]',
      ],
    ],
  ];

  for (const [label, mutate, expected] of cases) {
    it(`refuses ${label}, naming the field`, () => {
      const issues = issuesOf(mutate(valid()));
      for (const message of expected) expect(issues.some((issue) => issue.startsWith(message))).toBe(true);
    });
  }

  it("checks an enqueued configuration with the optimizer's validator: same problems, at their paths", () => {
    const issues = issuesOf({
      ...valid(),
      enqueue: [
        [{ frac: 0.5 }, {}, {}],
        [{ frac: 0.5 }, { lr: 0.01, layers: 2, opt: 'adma' }],
      ],
    });
    expect(issues).toContain(
      "enqueue[0]: must have 1 to 2 stages (one record per stage from the first; the stages left out at the end take the optimizer's values), got 3",
    );
    expect(
      issues.some((issue) =>
        issue.startsWith('enqueue[1][1].opt: "adma" is not one of ["adam", "sgd"] (did you mean "adam"?)'),
      ),
    ).toBe(true);
  });

  it('lets an enqueued configuration leave out parameterless stages at its end, and plans them as {}', () => {
    const config = {
      ...valid(),
      pipeline: { stages: [...valid().pipeline.stages, { name: 'evaluate' }, { name: 'report' }] },
      enqueue: [[{ frac: 0.5 }, { lr: 0.01, layers: 2, opt: 'adam' }]],
    };
    expect(planStudy(parseStudyConfig(config)).enqueue).toEqual([
      [{ frac: 0.5 }, { lr: 0.01, layers: 2, opt: 'adam' }, {}, {}],
    ]);
  });

  it("lets an enqueued configuration leave out parameters and stages, for its trial's suggestion to give", () => {
    const config = { ...valid(), enqueue: [[{ frac: 0.5 }], [{}, { opt: 'sgd' }]] };
    expect(planStudy(parseStudyConfig(config)).enqueue).toEqual([
      [{ frac: 0.5 }, {}],
      [{}, { opt: 'sgd' }],
    ]);
    // What it gives is checked as always; a configuration that gives nothing is refused.
    expect(issuesOf({ ...valid(), enqueue: [[{}, { opt: 'adma', layrs: 2 }]] })).toEqual([
      'enqueue[0][1].layrs: unknown parameter "layrs" (did you mean "layers"?)',
      'enqueue[0][1].opt: "adma" is not one of ["adam", "sgd"] (did you mean "adam"?)',
    ]);
    expect(issuesOf({ ...valid(), enqueue: [[{}, {}]] })).toEqual([
      'enqueue[0]: gives no parameter value: the optimizer proposes such trials anyway (leave it out)',
    ]);
    expect(issuesOf({ ...valid(), enqueue: [[]] })[0]).toMatch(/^enqueue\[0\]: must have 1 to 2 stages/);
  });

  it('takes stopWhen with a target, a patience or both, and plans it; refuses anything else naming the field', () => {
    expect(planStudy(parseStudyConfig({ ...valid(), stopWhen: { bestReaches: 0.9 } })).stopWhen).toEqual({
      bestReaches: 0.9,
    });
    expect(planStudy(parseStudyConfig(valid())).stopWhen).toBeUndefined();
    expect(planStudy(parseStudyConfig({ ...valid(), stopWhen: { afterSeconds: 3600 } })).stopWhen).toEqual({
      afterSeconds: 3600,
    });
    expect(issuesOf({ ...valid(), stopWhen: { afterSeconds: 0 } })).toEqual([
      'stopWhen.afterSeconds: must be greater than 0',
    ]);
    expect(issuesOf({ ...valid(), stopWhen: {} })).toEqual([
      'stopWhen: give bestReaches, trialsWithoutImprovement, afterSeconds or a mix',
    ]);
    expect(issuesOf({ ...valid(), stopWhen: { trialsWithoutImprovement: 0 } })[0]).toMatch(
      /^stopWhen\.trialsWithoutImprovement: /,
    );
    expect(issuesOf({ ...valid(), stopWhen: { bestReaches: 'high' } })[0]).toMatch(
      /^stopWhen\.bestReaches: must be a number/,
    );
    expect(issuesOf({ ...valid(), stopWhen: { patience: 3 } })[0]).toMatch(/^stopWhen\.patience: unknown field/);
    expect(issuesOf({ ...valid(), stopWhen: 5 })[0]).toMatch(/^stopWhen: must be an object/);
  });

  it('reports every issue at once, not just the first', () => {
    const issues = issuesOf({ ...valid(), budget: 0, pipeline: { stages: [] }, objective: { metric: '' } });
    expect(issues).toHaveLength(3);
  });
});

describe('configs the optimizer would refuse are refused up front', () => {
  const stage = (params: unknown[]) => ({ ...valid(), pipeline: { stages: [{ name: 'only', params }] } });

  it('refuses a pipeline with nothing to tune', () => {
    expect(issuesOf(stage([]))).toEqual(['pipeline.stages: at least one stage must have a parameter to tune']);
  });

  it('refuses int bounds beyond safe integers and float ranges that overflow', () => {
    expect(issuesOf(stage([{ name: 'n', type: 'int', low: 0, high: 1e300 }]))).toContain(
      'pipeline.stages[0].params[0].low: int bounds must be safe integers',
    );
    expect(issuesOf(stage([{ name: 'x', type: 'float', low: -1e308, high: 1e308 }]))).toContain(
      'pipeline.stages[0].params[0].high: high - low must be a finite number',
    );
  });

  it('caps optimizer effort settings', () => {
    expect(issuesOf({ ...valid(), optimizer: { mcSamples: 1e9 } })).toEqual([
      'optimizer.mcSamples: must be at most 100000',
    ]);
  });

  it('checks the ablation settings (refinement starts, fixed cost exponent)', () => {
    expect(issuesOf({ ...valid(), optimizer: { startsPerPrefix: 0, eta: 1.5 } })).toEqual([
      'optimizer.startsPerPrefix: must be at least 1',
      'optimizer.eta: must be in [0, 1]',
    ]);
    expect(() =>
      parseStudyConfig({ ...valid(), optimizer: { startsPerPrefix: 10, restarts: 1, eta: null } }),
    ).not.toThrow();
  });

  it('checks the unpinned-check ablation setting', () => {
    expect(issuesOf({ ...valid(), optimizer: { unpinnedCheck: 'yes' } })).toEqual([
      "optimizer.unpinnedCheck: must be true, false or 'guarded'",
    ]);
    expect(() => parseStudyConfig({ ...valid(), optimizer: { unpinnedCheck: true } })).not.toThrow();
    expect(parseStudyConfig({ ...valid(), optimizer: { unpinnedCheck: 'guarded' } }).optimizer?.unpinnedCheck).toBe(
      'guarded',
    );
  });

  it('checks how the local runs are shared with the unpinned search', () => {
    expect(issuesOf({ ...valid(), optimizer: { unpinnedSearch: true } })).toEqual([
      "optimizer.unpinnedSearch: must be 'shared', 'full' or 'auto'",
    ]);
    expect(parseStudyConfig({ ...valid(), optimizer: { unpinnedSearch: 'full' } }).optimizer?.unpinnedSearch).toBe(
      'full',
    );
  });

  it('checks the local search from the best configuration is true or false', () => {
    expect(issuesOf({ ...valid(), optimizer: { localSearchFromBest: 'yes' } })).toEqual([
      'optimizer.localSearchFromBest: must be true or false (got string)',
    ]);
    expect(
      parseStudyConfig({ ...valid(), optimizer: { localSearchFromBest: false } }).optimizer?.localSearchFromBest,
    ).toBe(false);
  });

  it('names the number that is not an integer', () => {
    expect(issuesOf({ ...valid(), parallelism: 2.5 })).toEqual(['parallelism: must be an integer (got 2.5)']);
  });

  it('checks keepReuseSaving is true or false', () => {
    expect(issuesOf({ ...valid(), optimizer: { keepReuseSaving: 1 } })).toEqual([
      'optimizer.keepReuseSaving: must be true or false (got number)',
    ]);
    expect(parseStudyConfig({ ...valid(), optimizer: { keepReuseSaving: true } }).optimizer?.keepReuseSaving).toBe(
      true,
    );
  });

  it('reports an unknown key at its own path with the known key it most resembles', () => {
    const stage = valid().pipeline.stages[0]!;
    expect(issuesOf({ ...valid(), optimizer: { topq: 3, warmUp: 2, zzz: 1 } })).toEqual([
      'optimizer.topq: unknown field (did you mean "topQ"?)',
      'optimizer.warmUp: unknown field (did you mean "warmup"?)',
      'optimizer.zzz: unknown field',
    ]);
    // Through the stage list and the parameter union (int, float and categorical keys together).
    expect(
      issuesOf({ ...valid(), pipeline: { stages: [{ ...stage, params: [{ ...stage.params[0]!, hgih: 2 }] }] } }),
    ).toEqual(['pipeline.stages[0].params[0].hgih: unknown field (did you mean "high"?)']);
  });

  it('checks the cost-aware stopping settings, naming the field', () => {
    expect(issuesOf({ ...valid(), optimizer: { costAwareStopping: 'yes', stoppingCostWeight: -1 } })).toEqual([
      'optimizer.costAwareStopping: must be true or false (got string)',
      'optimizer.stoppingCostWeight: must be a finite number greater than 0, or null',
    ]);
    expect(issuesOf({ ...valid(), optimizer: { stoppingCostWeight: 'cheap' } })).toEqual([
      'optimizer.stoppingCostWeight: must be a number or null (got string)',
    ]);
    expect(() =>
      parseStudyConfig({
        ...valid(),
        optimizer: { method: 'pbgi-memo', costAwareStopping: true, stoppingCostWeight: null },
      }),
    ).not.toThrow();
    expect(() =>
      parseStudyConfig({
        ...valid(),
        optimizer: { method: 'pbgi', costAwareStopping: false, stoppingCostWeight: 0.5 },
      }),
    ).not.toThrow();
  });
});
