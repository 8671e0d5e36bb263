import { describe, expect, it } from 'vitest';
import { parseStudyConfig, StudyConfigError } from '../../../src/config/study-config.js';
import type { ParamSpec, SearchSpace } from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import { resolveSettings } from '../../../src/optimizer/settings.js';
import { searchSpaceIssues, validateSpace } from '../../../src/space/index.js';
import { parseSyntheticSpec } from '../../../src/synthetic/index.js';

const float = (name: string, low = 0, high = 1): ParamSpec => ({ name, type: 'float', low, high });

function configIssues(input: unknown): string[] {
  try {
    parseStudyConfig(input);
  } catch (error) {
    if (error instanceof StudyConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

function specIssues(input: unknown): string[] {
  try {
    parseSyntheticSpec(input);
  } catch (error) {
    return (error as Error).message.split('\n').slice(1);
  }
  return [];
}

const study = (stages: SearchSpace, optimizer: Record<string, unknown> = {}) => ({
  name: 'one-validator',
  pipeline: { stages },
  objective: { metric: 'm' },
  budget: 100,
  optimizer,
});

/** A synthetic spec of the float stages of `space` (ackley objective, one square cost term per param). */
const spec = (space: SearchSpace, extra = {}) => ({
  name: 'one-validator',
  budget: 100,
  ...extra,
  stages: space.map((stage) => ({
    name: stage.name,
    params: stage.params.map((param) => {
      if (param.type !== 'float') throw new Error('a spec has float params only');
      return { name: param.name, low: param.low, high: param.high };
    }),
    objective: 'ackley',
    cost: stage.params.map(() => ({ f: 'square', scale: 1, shift: 1 })),
  })),
});

describe('one search-space validator for the config schema, the spec schema and the optimizer', () => {
  // [label, space, path under the space, message]: every rule written once, reported alike.
  const rules: [string, SearchSpace, string, string][] = [
    [
      'low > high',
      [{ name: 's', params: [float('x', 1, 0), float('y')] }],
      '[0].params[0].low',
      'must be at most high (1 > 0)',
    ],
    [
      'log scale from 0',
      [{ name: 's', params: [{ name: 'x', type: 'float', low: 0, high: 1, log: true }] }],
      '[0].params[0].low',
      'must be positive for a log-scale parameter',
    ],
    [
      'int bounds beyond safe integers',
      [{ name: 's', params: [{ name: 'k', type: 'int', low: 0, high: 1e300 }] }],
      '[0].params[0].low',
      'int bounds must be safe integers',
    ],
    [
      'a step that is not a whole number of steps from low to high',
      [{ name: 's', params: [{ name: 'x', type: 'float', low: 0, high: 1, step: 0.3 }] }],
      '[0].params[0].high',
      'must be low plus a whole number of steps (0 + k × 0.3): 0.9 or 1.2, not 1',
    ],
    [
      'a step on a log scale',
      [{ name: 's', params: [{ name: 'k', type: 'int', low: 1, high: 65, log: true, step: 2 }] }],
      '[0].params[0].step',
      'cannot be combined with log: a log-scale parameter has no even step',
    ],
    [
      'an int step that is not whole',
      [{ name: 's', params: [{ name: 'k', type: 'int', low: 0, high: 10, step: 2.5 }] }],
      '[0].params[0].step',
      'must be a whole number for an int parameter',
    ],
    [
      'a step that is not positive',
      [{ name: 's', params: [{ name: 'x', type: 'float', low: 0, high: 1, step: -0.5 }] }],
      '[0].params[0].step',
      'must be a positive number',
    ],
    [
      'duplicate choices',
      [{ name: 's', params: [{ name: 'c', type: 'categorical', choices: ['a', 'a'] }] }],
      '[0].params[0].choices[1]',
      'duplicate choice "a"',
    ],
    [
      'duplicate stage names',
      [
        { name: 's', params: [float('x'), float('y')] },
        { name: 's', params: [float('x'), float('y')] },
      ],
      '[1].name',
      "duplicate stage name 's' (also stages[0])",
    ],
    [
      'duplicate parameter names',
      [{ name: 's', params: [float('x'), float('x')] }],
      '[0].params[1].name',
      "duplicate parameter name 'x'",
    ],
  ];

  it.each(rules)('%s', (_, space, path, message) => {
    expect(configIssues(study(space))).toContain(`pipeline.stages${path}: ${message}`);
    expect(searchSpaceIssues(space).map((issue) => issue.message)).toContain(message);
    expect(() => validateSpace(space)).toThrow(message);
    // The spec has float params only: the rules that can apply to it are reported the same way.
    const specShaped = (param: ParamSpec) => param.type === 'float' && param.log !== true && param.step === undefined;
    if (space.every((stage) => stage.params.every(specShaped))) {
      expect(specIssues(spec(space))).toContain(`  stages${path}: ${message}`);
    }
  });

  it('the spec schema applies the space limits too (here: at most 1,024 parameters)', () => {
    const wide = Array.from({ length: 5 }, (_, s) => ({
      name: `s${s}`,
      params: Array.from({ length: 250 }, (_, p) => float(`p${p}`)),
    }));
    expect(specIssues(spec(wide))).toEqual(['  stages: must have at most 1024 parameters in all stages (has 1250)']);
  });
});

describe('one rule per optimizer setting', () => {
  const space: SearchSpace = [{ name: 's', params: [float('x')] }];

  it('refuses warm-up 0 and topQ 0 everywhere, and accepts restarts 0 everywhere', () => {
    expect(configIssues(study(space, { warmup: 0, topQ: 0, restarts: 0 }))).toEqual([
      'optimizer.warmup: must be at least 1',
      'optimizer.topQ: must be at least 1',
    ]);
    expect(() => resolveSettings({ warmup: 0 })).toThrow('warmup must be at least 1');
    expect(() => resolveSettings({ topQ: 0 })).toThrow('topQ must be at least 1');
    expect(resolveSettings({ restarts: 0 }).restarts).toBe(0);
    expect(specIssues(spec(space, { warmup: 0 }))).toEqual(['  warmup: must be at least 1']);
  });

  it('caps warm-up at the same 10,000 in a spec as in a study config', () => {
    expect(specIssues(spec(space, { warmup: 20_000 }))).toEqual(['  warmup: must be at most 10000']);
    expect(configIssues(study(space, { warmup: 20_000 }))).toEqual(['optimizer.warmup: must be at most 10000']);
  });

  it('suggest refuses the effort the config schema refuses', () => {
    const settings = { mcSamples: 100_000, rawSamples: 1000 };
    expect(configIssues(study(space, settings))).toEqual([
      'optimizer.mcSamples: mcSamples × rawSamples must be at most 16777216 cost draws per stage and suggestion (is 100000000)',
    ]);
    expect(() =>
      suggest({
        space,
        history: [],
        budget: { total: 10, spent: 0 },
        direction: 'maximize',
        seed: 0,
        settings,
      }),
    ).toThrow('mcSamples × rawSamples must be at most 16777216');
  });
});
