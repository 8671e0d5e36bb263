import { describe, expect, it } from 'vitest';
import { parseStudyConfig, StudyConfigError } from '../../../src/config/study-config.js';
import type { ParamSpec, SearchSpace } from '../../../src/core/types.js';
import { MAX_SOBOL_DIMENSION } from '../../../src/random/index.js';
import {
  choiceProblem,
  configurationBytesBound,
  jsonBytes,
  nameProblem,
  SpaceEncoding,
  spaceLimitIssues,
  utf8Bytes,
  validateSpace,
} from '../../../src/space/index.js';
import * as limits from '../../../src/space/limits.js';

const float = (name: string): ParamSpec => ({ name, type: 'float', low: 0, high: 1 });
const categorical = (name: string, count: number, value = (k: number) => `c${k}`): ParamSpec => ({
  name,
  type: 'categorical',
  choices: Array.from({ length: count }, (_, k) => value(k)),
});
const stages = (count: number, params: (s: number) => ParamSpec[]): SearchSpace =>
  Array.from({ length: count }, (_, s) => ({ name: `s${s}`, params: params(s) }));
const many = (count: number, make: (k: number) => ParamSpec) => Array.from({ length: count }, (_, k) => make(k));

/** Spaces at and just past every limit: [label, space, refused]. */
const spaces: [string, SearchSpace, boolean][] = [
  ['32 stages', stages(limits.maxStages, () => [float('x')]), false],
  ['33 stages', stages(limits.maxStages + 1, () => [float('x')]), true],
  ['256 params in a stage', stages(1, () => many(limits.maxParamsPerStage, (k) => float(`p${k}`))), false],
  ['257 params in a stage', stages(1, () => many(limits.maxParamsPerStage + 1, (k) => float(`p${k}`))), true],
  ['1,025 params', stages(5, () => many(205, (k) => ({ name: `p${k}`, type: 'int', low: 0, high: 1 }))), true],
  ['256 choices', stages(1, () => [categorical('c', limits.maxChoices)]), false],
  ['257 choices', stages(1, () => [categorical('c', limits.maxChoices + 1)]), true],
  ['1,024 dimensions', stages(4, () => [categorical('c', 256)]), false],
  ['1,025 dimensions', stages(4, (s) => [categorical('c', 256), ...(s === 0 ? [float('x')] : [])]), true],
  ['a choice of 256 bytes', stages(1, () => [categorical('c', 2, (k) => 'x'.repeat(253 + k))]), false],
  ['a choice of 257 bytes', stages(1, () => [categorical('c', 2, (k) => 'x'.repeat(254 + k))]), true],
  ['a name of 200 characters', stages(1, () => [float('n'.repeat(200))]), false],
  ['a name of 201 characters', stages(1, () => [float('n'.repeat(201))]), true],
  ['a stage name with ESC', [{ name: 'a\u001b[31m', params: [float('x')] }], true],
  ['a param name with a C1 control', stages(1, () => [float('x\u0085')]), true],
  ['names with "/" and ".."', [{ name: 'data/prep', params: [float('..'), float('../../etc')] }], false],
  ['a 260 KB space', stages(4, () => [categorical('c', 256, (k) => `${k}-${'x'.repeat(240)}`)]), true],
  ['configurations of 44 KB', stages(1, () => many(200, (k) => float(`${k}-${'n'.repeat(190)}`))), true],
];

describe('space limits', () => {
  it('cover what the optimizer itself can encode (Sobol dimension)', () => {
    expect(limits.maxDimensions).toBe(MAX_SOBOL_DIMENSION);
    expect(limits.maxParams).toBeLessThanOrEqual(limits.maxDimensions);
    expect(limits.maxChoices).toBeLessThanOrEqual(limits.maxDimensions);
  });

  it.each(spaces)('%s: validateSpace and the config schema agree', (_, space, refused) => {
    expect(spaceLimitIssues(space).length > 0).toBe(refused);
    if (refused) expect(() => validateSpace(space)).toThrow(RangeError);
    else expect(() => validateSpace(space)).not.toThrow();
    const config = { name: 'limits', pipeline: { stages: space }, objective: { metric: 'm' }, budget: 10 };
    let schemaRefused = false;
    try {
      parseStudyConfig(config);
    } catch (error) {
      if (!(error instanceof StudyConfigError)) throw error;
      schemaRefused = true;
      expect(error.issues.every((issue) => issue.path.startsWith('pipeline.stages'))).toBe(true);
    }
    expect(schemaRefused).toBe(refused);
  });

  it('name the stage and parameter in validateSpace messages, with control characters escaped', () => {
    expect(() => validateSpace(stages(1, () => [categorical('opt', 300)]))).toThrow(
      'stage "s0" param "opt": choices: must list at most 256 choices (has 300)',
    );
    expect(() => validateSpace([{ name: 'a\u001bb', params: [float('x')] }])).toThrow(
      'stage "a\\u001bb": name: must not contain control characters (U+001B at 1)',
    );
    expect(() => validateSpace(stages(40, () => [float('x')]))).toThrow(
      'search space: must have at most 32 stages (has 40)',
    );
    expect(() =>
      validateSpace([{ name: 'a', params: [{ name: 'x', type: 'float', low: -1e308, high: 1e308 }] }]),
    ).toThrow('stage "a" param "x": high: high - low must be a finite number');
  });

  it('the optimizer refuses a space past the limits before any work', () => {
    expect(() => new SpaceEncoding(stages(1, () => [categorical('c', 100_000)]))).toThrow(RangeError);
  });
});

describe('names', () => {
  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(201), 'must be at most 200 characters'],
    ['a\u0000', 'must not contain control characters (U+0000 at 1)'],
    ['\u001b[2J', 'must not contain control characters (U+001B at 0)'],
    ['a\u007f', 'must not contain control characters (U+007F at 1)'],
    ['a\u009b', 'must not contain control characters (U+009B at 1)'],
    ['evil\u202etxt', 'must not contain control characters (U+202E at 4)'],
    ['a\ud83d', 'must be well-formed unicode (lone surrogate U+D83D at 1)'],
    ['__proto__', 'is reserved ("__proto__")'],
  ])('refuses %j: %s', (name, problem) => {
    expect(nameProblem(name)).toBe(problem);
  });

  it.each(['lr', 'data/prep', '..', '学习率', 'η 🚀', 'x'.repeat(200)])('accepts %j', (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });
});

describe('choices', () => {
  it.each([
    ['a\n', 'must not contain control characters (U+000A at 1)'],
    ['\u001b[31mred', 'must not contain control characters (U+001B at 0)'],
    ['on=liaf\u202e', 'must not contain control characters (U+202E at 7)'],
    ['a\ud83d', 'must be well-formed unicode (lone surrogate U+D83D at 1)'],
  ])('refuses the string %j: %s', (choice, problem) => {
    expect(choiceProblem(choice)).toBe(problem);
  });

  it.each(['', 'adam', '学习率', 'η 🚀', 'a b', 3, true])('accepts %j', (choice) => {
    expect(choiceProblem(choice)).toBeUndefined();
  });
});

describe('sizes', () => {
  it('counts UTF-8 bytes as TextEncoder does', () => {
    for (const text of ['', 'abc', 'é', '€', '🚀', 'a\ud800b', 'mixed ü € 🚀 x']) {
      expect(utf8Bytes(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('bounds the JSON of every configuration of a space from above', () => {
    const space: SearchSpace = [
      {
        name: 'a',
        params: [
          { name: 'lr', type: 'float', low: 1e-300, high: 1, log: true },
          { name: 'neg', type: 'float', low: -1e-7, high: 1e-7 },
          { name: 'n', type: 'int', low: -100000, high: 5 },
          categorical('c', 3, (k) => ['x', '€€€', 'quote"\\'][k]!),
        ],
      },
      { name: 'b', params: [] },
    ];
    const encoding = new SpaceEncoding(space);
    const bound = configurationBytesBound(space);
    for (let k = 0; k < 2000; k++) {
      const u = Array.from({ length: encoding.dimension }, (_, d) => ((k * 0.6180339887 + d * 0.41421356) % 1) ** 3);
      expect(jsonBytes(encoding.decode(u))).toBeLessThanOrEqual(bound);
    }
    expect(jsonBytes([{ lr: -1.2345678901234567e-300, neg: 0, n: -100000, c: 'quote"\\' }, {}])).toBeLessThanOrEqual(
      bound,
    );
  });
});
