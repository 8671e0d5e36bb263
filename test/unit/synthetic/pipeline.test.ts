import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/bench/rng.js';
import type { Configuration } from '../../../src/core/types.js';
import {
  evaluateSynthetic,
  parseSyntheticSpec,
  readSyntheticSpec,
  stageCost,
  stageObjective,
  syntheticSearchSpace,
  syntheticStageCost,
  type SyntheticPipelineSpec,
} from '../../../src/synthetic/index.js';

const benchmark = (name: string): SyntheticPipelineSpec =>
  parseSyntheticSpec(JSON.parse(readFileSync(new URL(`../../../benchmarks/${name}.json`, import.meta.url), 'utf8')));

const minimal = {
  name: 'mini',
  budget: 50,
  stages: [
    {
      name: 's0',
      params: [
        { name: 'a', low: -2, high: 2 },
        { name: 'b', low: -2, high: 2 },
      ],
      objective: 'beale',
      cost: [
        { f: 'square', scale: 18, shift: 12 },
        { f: 'sin', scale: 7, shift: 26 },
      ],
    },
  ],
};

function issuesOf(input: unknown): string {
  try {
    parseSyntheticSpec(input);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the spec to be rejected');
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

function uniformCosts(spec: SyntheticPipelineSpec, n: number, seed: number): number[] {
  const rng = createRng(seed);
  const costs: number[] = [];
  for (let i = 0; i < n; i++) {
    const config = spec.stages.map((stage) =>
      Object.fromEntries(stage.params.map((p) => [p.name, p.low + (p.high - p.low) * rng.next()])),
    );
    costs.push(evaluateSynthetic(spec, config).stageCosts.reduce((a, b) => a + b, 0));
  }
  return costs.sort((a, b) => a - b);
}

describe('synthetic pipeline spec', () => {
  it('fills in epsilon 0.1 and warm-up 10 by default', () => {
    const spec = parseSyntheticSpec(minimal);
    expect(spec.epsilon).toBe(0.1);
    expect(spec.warmup).toBe(10);
  });

  it('names the path of low > high', () => {
    const bad = structuredClone(minimal);
    bad.stages[0]!.params[1]!.low = 3;
    expect(issuesOf(bad)).toContain('stages[0].params[1].low: must be at most high (3 > 2)');
  });

  it('names the path of an unknown function and an unknown cost shape', () => {
    const bad = structuredClone(minimal) as unknown as {
      stages: { objective: string; cost: { f: string }[] }[];
    };
    bad.stages[0]!.objective = 'sphere';
    bad.stages[0]!.cost[1]!.f = 'tan';
    const message = issuesOf(bad);
    expect(message).toContain('stages[0].objective:');
    expect(message).toContain('stages[0].cost[1].f:');
  });

  it('rejects fewer params than the function needs and a cost array of the wrong length', () => {
    const bad = structuredClone(minimal);
    bad.stages[0]!.objective = 'hartmann3';
    bad.stages[0]!.cost.pop();
    const message = issuesOf(bad);
    expect(message).toContain('stages[0].params: hartmann3 needs at least 3 params, got 2');
    expect(message).toContain('stages[0].cost: cost needs one term per param (2), got 1');
  });

  it('rejects non-positive budgets and negative epsilon, naming the field', () => {
    expect(issuesOf({ ...minimal, budget: 0 })).toMatch(/^ {2}budget:/m);
    expect(issuesOf({ ...minimal, budget: -5 })).toMatch(/^ {2}budget:/m);
    expect(issuesOf({ ...minimal, epsilon: -0.1 })).toMatch(/^ {2}epsilon:/m);
    expect(issuesOf({ ...minimal, warmup: 2.5 })).toMatch(/^ {2}warmup:/m);
  });

  it('lists every issue at once, including unknown keys and duplicate names', () => {
    const bad = structuredClone(minimal) as Record<string, unknown> & typeof minimal;
    bad.budget = -1;
    bad.stages[0]!.params[1]!.name = 'a';
    (bad as Record<string, unknown>).budjet = 3;
    const lines = issuesOf(bad).split('\n').slice(1);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((line) => line.startsWith('  budget:'))).toBe(true);
    expect(lines.some((line) => line.includes('budjet'))).toBe(true);
  });

  it('rejects duplicate param names within a stage with their path', () => {
    const bad = structuredClone(minimal);
    bad.stages[0]!.params[1]!.name = 'a';
    expect(issuesOf(bad)).toContain(`stages[0].params[1].name: duplicate parameter name 'a'`);
  });

  it('reports the file name when reading a spec from disk fails', async () => {
    await expect(readSyntheticSpec('/nonexistent/spec.json')).rejects.toThrow('/nonexistent/spec.json');
  });
});

describe('synthetic pipeline evaluation', () => {
  it('computes the cost formula on a hand-computed case', () => {
    const spec = parseSyntheticSpec(minimal);
    // ((18·1² + 12)² + (7·sin 0 + 26)²) / (500·2) = (900 + 676) / 1000
    expect(stageCost(spec, 0, { a: 1, b: 0 })).toBeCloseTo(1.576, 12);
    // logistic(0) = 0.5: ((16·0.5 + 10)² + (20·1 + 44)² + (20·0 + 22)²) / 1500
    expect(
      syntheticStageCost(
        [
          { f: 'logistic', scale: 16, shift: 10 },
          { f: 'square', scale: 20, shift: 44 },
          { f: 'square', scale: 20, shift: 22 },
        ],
        [0, 1, 0],
      ),
    ).toBeCloseTo((324 + 4096 + 484) / 1500, 12);
    // cos(0) = 1: ((11 + 11)² + (15 + 36)²) / 1000
    expect(
      syntheticStageCost(
        [
          { f: 'cos', scale: 11, shift: 11 },
          { f: 'cos', scale: 15, shift: 36 },
        ],
        [0, 0],
      ),
    ).toBeCloseTo((484 + 2601) / 1000, 12);
  });

  it('negates the stage function and sums stages into the pipeline objective', () => {
    const spec = benchmark('paper-3stage');
    const config: Configuration = [
      { x0: 1, x1: 1 },
      { x2: 0.114614, x3: 0.555649, x4: 0.852547 },
      { x5: Math.PI, x6: 2.275 },
    ];
    expect(stageObjective(spec, 0, config[0]!)).toBeCloseTo(-(1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2), 12);
    expect(stageObjective(spec, 1, config[1]!)).toBeCloseTo(3.86278, 5);
    expect(stageObjective(spec, 2, config[2]!)).toBeCloseTo(-0.397887, 6);
    const { objective, stageCosts } = evaluateSynthetic(spec, config);
    expect(objective).toBeCloseTo(-(1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2) + 3.86278 - 0.397887, 5);
    expect(stageCosts).toHaveLength(3);
    stageCosts.forEach((cost, s) => expect(cost).toBe(stageCost(spec, s, config[s]!)));
  });

  it('builds a float search space with the declared bounds', () => {
    const space = syntheticSearchSpace(benchmark('paper-5stage'));
    expect(space.map((stage) => stage.params.length)).toEqual([2, 3, 2, 3, 2]);
    expect(space[2]!.params[0]).toEqual({
      name: 'x5',
      type: 'float',
      low: 0,
      high: 10,
    });
  });

  it('rejects missing or non-numeric params and bad stage indexes', () => {
    const spec = parseSyntheticSpec(minimal);
    expect(() => stageObjective(spec, 0, { a: 1 })).toThrow(TypeError);
    expect(() => stageCost(spec, 0, { a: 1, b: 'x' })).toThrow(TypeError);
    expect(() => stageCost(spec, 1, { a: 1, b: 1 })).toThrow(RangeError);
  });

  it('ships the paper 3-stage pipeline at budgets 200 and 400 with identical stages', () => {
    const b200 = benchmark('paper-3stage');
    const b400 = benchmark('paper-3stage-400');
    expect([b200.budget, b400.budget]).toEqual([200, 400]);
    expect(b400.stages).toEqual(b200.stages);
    expect(b200.stages.map((s) => s.objective)).toEqual(['beale', 'hartmann3', 'branin']);
    expect([b200.epsilon, b200.warmup]).toEqual([0.1, 10]);
  });

  it('charges about 3-11 units per paper 3-stage evaluation, median about 6', () => {
    const costs = uniformCosts(benchmark('paper-3stage'), 400, 7);
    expect(quantile(costs, 0.05)).toBeGreaterThan(3);
    expect(quantile(costs, 0.95)).toBeLessThan(11.5);
    expect(quantile(costs, 0.5)).toBeGreaterThan(5.4);
    expect(quantile(costs, 0.5)).toBeLessThan(6.8);
  });

  it('charges about 10-22 units per 5-stage evaluation, median about 15', () => {
    const spec = benchmark('paper-5stage');
    expect(spec.budget).toBe(1000);
    const costs = uniformCosts(spec, 400, 11);
    expect(quantile(costs, 0.05)).toBeGreaterThan(9);
    expect(quantile(costs, 0.95)).toBeLessThan(24);
    expect(quantile(costs, 0.5)).toBeGreaterThan(14);
    expect(quantile(costs, 0.5)).toBeLessThan(16.5);
  });

  it('ships a cheap-prefix pipeline whose first two stages are a small share of the cost', () => {
    const spec = benchmark('cheap-prefix');
    const rng = createRng(3);
    let prefix = 0;
    let total = 0;
    for (let i = 0; i < 300; i++) {
      const config = spec.stages.map((stage) =>
        Object.fromEntries(stage.params.map((p) => [p.name, p.low + (p.high - p.low) * rng.next()])),
      );
      const { stageCosts } = evaluateSynthetic(spec, config);
      prefix += stageCosts[0]! + stageCosts[1]!;
      total += stageCosts.reduce((a, b) => a + b, 0);
    }
    expect(prefix / total).toBeLessThan(0.2);
    expect(total / 300).toBeGreaterThan(5);
  });

  it('ships held-out pipelines whose mean stage costs have the shapes their descriptions state', () => {
    const meanStageCosts = (spec: SyntheticPipelineSpec): number[] => {
      const rng = createRng(5);
      const sums = spec.stages.map(() => 0);
      for (let i = 0; i < 300; i++) {
        const config = spec.stages.map((stage) =>
          Object.fromEntries(stage.params.map((p) => [p.name, p.low + (p.high - p.low) * rng.next()])),
        );
        evaluateSynthetic(spec, config).stageCosts.forEach((c, s) => (sums[s]! += c / 300));
      }
      return sums;
    };
    // The means the specs' descriptions state, within 10%.
    const near = (actual: number[], stated: number[]): void => {
      expect(actual).toHaveLength(stated.length);
      actual.forEach((mean, s) => expect(Math.abs(mean / stated[s]! - 1)).toBeLessThan(0.1));
    };
    const front = meanStageCosts(benchmark('heldout/front-loaded-4stage'));
    near(front, [8.8, 5.0, 2.3, 0.75]);
    for (let s = 1; s < 4; s++) expect(front[s]!).toBeLessThan(front[s - 1]!); // cost falls along the pipeline
    near(meanStageCosts(benchmark('heldout/teacher-student-2stage')), [5.9, 4.4]);
    const even = meanStageCosts(benchmark('heldout/even-6stage'));
    expect(even).toHaveLength(6);
    for (const mean of even) expect(mean >= 2.1 * 0.9 && mean <= 2.6 * 1.1).toBe(true);
    const cheapHead = meanStageCosts(benchmark('heldout/cheap-head-4stage'));
    near(cheapHead, [0.33, 0.57, 1.19, 6.4]);
    for (let s = 1; s < 4; s++) expect(cheapHead[s]!).toBeGreaterThan(cheapHead[s - 1]!); // cost rises along the pipeline
    near(meanStageCosts(benchmark('heldout/dominant-middle-3stage')), [0.74, 6.97, 0.74]);
  });
});

describe('failing regions (`fails`)', () => {
  const spec = (fails: unknown) =>
    parseSyntheticSpec({
      name: 'f',
      budget: 10,
      stages: [
        {
          name: 'a',
          params: [{ name: 'x', low: 0, high: 1 }],
          objective: 'ackley',
          cost: [{ f: 'square', scale: 1, shift: 1 }],
          fails,
        },
        {
          name: 'b',
          params: [{ name: 'y', low: 0, high: 1 }],
          objective: 'ackley',
          cost: [{ f: 'square', scale: 1, shift: 1 }],
        },
      ],
    });

  it('fails a configuration above the threshold at that stage, with every stage cost still known', () => {
    const s = spec({ param: 'x', above: 0.5 });
    expect(evaluateSynthetic(s, [{ x: 0.4 }, { y: 0.5 }]).failedAt).toBeNull();
    const failed = evaluateSynthetic(s, [{ x: 0.6 }, { y: 0.5 }]);
    expect(failed).toMatchObject({ objective: null, failedAt: 0 });
    expect(failed.stageCosts).toHaveLength(2);
  });

  it('names a rule that reads another stage or lies outside the range', () => {
    expect(() => spec({ param: 'y', above: 0.5 })).toThrow('stages[0].fails.param: is not a param of this stage');
    expect(() => spec({ param: 'x', above: 1 })).toThrow('stages[0].fails.above: must be in [0, 1)');
  });
});
