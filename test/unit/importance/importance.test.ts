import { describe, expect, it } from 'vitest';
import type { Configuration, Observation, SearchSpace } from '../../../src/core/types.js';
import { ImportanceUnavailableError, parameterImportance, sobolIndices } from '../../../src/importance/index.js';
import { createRandom } from '../../../src/random/index.js';

// The Ishigami function (Ishigami & Homma 1990), the standard check of Sobol estimators:
// f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [−π, π]³, with analytic indices.
const a = 7;
const b = 0.1;
const ishigami = (x1: number, x2: number, x3: number): number =>
  Math.sin(x1) + a * Math.sin(x2) ** 2 + b * x3 ** 4 * Math.sin(x1);
const v1 = 0.5 * (1 + (b * Math.PI ** 4) / 5) ** 2;
const v2 = a ** 2 / 8;
const vt3 = (8 * b ** 2 * Math.PI ** 8) / 225;
const variance = v1 + v2 + vt3;
const exact = {
  first: [v1 / variance, v2 / variance, 0],
  total: [(v1 + vt3) / variance, v2 / variance, vt3 / variance],
};
const scale = (u: number): number => -Math.PI + 2 * Math.PI * u;

describe('sobolIndices', () => {
  it('recovers the Ishigami function’s analytic first-order and total indices', () => {
    const result = sobolIndices({
      factors: 3,
      groups: [[0], [1], [2], [0, 2]],
      evaluate: (points) => points.map((u) => ishigami(scale(u[0]!), scale(u[1]!), scale(u[2]!))),
      samples: 20_000,
      random: createRandom(1),
    });
    expect(result.variance).toBeCloseTo(variance, 0);
    for (let i = 0; i < 3; i++) {
      const index = result.groups[i]!;
      // Within four Monte-Carlo standard errors of the analytic values.
      expect(Math.abs(index.firstOrder - exact.first[i]!)).toBeLessThan(4 * index.firstOrderSe + 1e-9);
      expect(Math.abs(index.total - exact.total[i]!)).toBeLessThan(4 * index.totalSe + 1e-9);
      expect(index.firstOrderSe).toBeLessThan(0.02);
    }
    // x1 and x3 together: everything but x2's share (x2 interacts with nothing).
    expect(result.groups[3]!.firstOrder).toBeCloseTo(1 - exact.first[1]!, 1);
  });

  it('gives null indices for a flat function and refuses bad problems', () => {
    const flat = sobolIndices({
      factors: 2,
      groups: [[0]],
      evaluate: (p) => p.map(() => 3),
      samples: 64,
      random: createRandom(0),
    });
    expect(flat).toEqual({ variance: 0, groups: [null] });
    const base = { factors: 2, evaluate: (p: readonly Float64Array[]) => p.map((u) => u[0]!), random: createRandom(0) };
    expect(() => sobolIndices({ ...base, groups: [[]], samples: 8 })).toThrow(/at least one factor/);
    expect(() => sobolIndices({ ...base, groups: [[2]], samples: 8 })).toThrow(/\[0, 2\)/);
    expect(() => sobolIndices({ ...base, groups: [[0]], samples: 1 })).toThrow(/samples/);
  });
});

/** x1, x2 in stage `prep`, x3 in stage `train`; all on [−π, π]. */
const twoStageSpace: SearchSpace = [
  {
    name: 'prep',
    params: [
      { name: 'x1', type: 'float', low: -Math.PI, high: Math.PI },
      { name: 'x2', type: 'float', low: -Math.PI, high: Math.PI },
    ],
  },
  { name: 'train', params: [{ name: 'x3', type: 'float', low: -Math.PI, high: Math.PI }] },
];

function observation(config: Configuration, objective: number | null, stageCosts: (number | null)[]): Observation {
  return { config, objective, stageCosts, cachedPrefix: 0, chargedCost: 1, phase: 'bo' };
}

function ishigamiTrials(count: number, seed: number): Observation[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => {
    const [x1, x2, x3] = [scale(random.next()), scale(random.next()), scale(random.next())];
    // The cost depends on x3 only: train takes longer as |x3| grows.
    return observation([{ x1, x2 }, { x3 }], ishigami(x1, x2, x3), [1, Math.exp(Math.abs(x3))]);
  });
}

describe('parameterImportance', () => {
  const trials = ishigamiTrials(250, 7);

  it('ranks parameters and stages as the Ishigami function’s analytic indices do', () => {
    const result = parameterImportance(twoStageSpace, trials, { seed: 3 });
    expect(result.target).toBe('objective');
    expect(result.trials).toBe(250);
    expect(result.parameters.map((entry) => entry.param)).toEqual(['x1', 'x2', 'x3']);
    const byName = Object.fromEntries(result.parameters.map((entry) => [entry.param, entry]));
    // The model is fitted to 250 noise-free trials: within 0.06 of the exact values.
    ['x1', 'x2', 'x3'].forEach((name, i) => {
      expect(Math.abs(byName[name]!.firstOrder - exact.first[i]!)).toBeLessThan(0.06);
      expect(Math.abs(byName[name]!.total - exact.total[i]!)).toBeLessThan(0.06);
    });
    // prep = {x1, x2}: its first-order index includes x1·x2 (none); train's first order is 0 but
    // its total is x3's interaction with x1.
    const [prep, train] = result.stages;
    expect(prep!.stage).toBe('prep');
    expect(prep!.param).toBeUndefined();
    expect(Math.abs(prep!.firstOrder - (exact.first[0]! + exact.first[1]!))).toBeLessThan(0.06);
    expect(Math.abs(train!.firstOrder)).toBeLessThan(0.05);
    expect(Math.abs(train!.total - exact.total[2]!)).toBeLessThan(0.06);
    expect(result.firstOrderSum).toBeCloseTo(
      result.parameters.reduce((sum, e) => sum + e.firstOrder, 0),
      12,
    );
  });

  it('leaves fixed parameters (low == high, one choice) out: no factor, no row, no warning', () => {
    const withFixed: SearchSpace = [
      {
        name: 'prep',
        params: [
          ...twoStageSpace[0]!.params,
          { name: 'seedless', type: 'float', low: 0.5, high: 0.5 },
          { name: 'only', type: 'categorical', choices: ['adam'] },
        ],
      },
      { name: 'train', params: [...twoStageSpace[1]!.params, { name: 'epochs', type: 'int', low: 3, high: 3 }] },
    ];
    const fixedTrials = trials.map((trial) =>
      observation(
        [
          { ...trial.config[0]!, seedless: 0.5, only: 'adam' },
          { ...trial.config[1]!, epochs: 3 },
        ],
        trial.objective,
        [...trial.stageCosts],
      ),
    );
    const result = parameterImportance(withFixed, fixedTrials, { seed: 3 });
    expect(result.parameters.map((entry) => entry.param).sort()).toEqual(['x1', 'x2', 'x3']);
    expect(result.warnings).toEqual([]);
    // The same ranking as without them: they change nothing the model sees.
    const plain = parameterImportance(twoStageSpace, trials, { seed: 3 });
    expect(result.parameters.map((entry) => entry.param)).toEqual(plain.parameters.map((entry) => entry.param));
  });

  it('cautions when interactions hold most of the variance and trials are few for the parameters', () => {
    expect(parameterImportance(twoStageSpace, trials, { seed: 3 }).caution).toBeNull();
    // x1 · x2 on a symmetric range: neither explains anything alone; 20 trials for 3 parameters.
    const random = createRandom(11);
    const product = Array.from({ length: 20 }, () => {
      const [x1, x2, x3] = [scale(random.next()), scale(random.next()), scale(random.next())];
      return observation([{ x1, x2 }, { x3 }], x1 * x2, [1, 1]);
    });
    const result = parameterImportance(twoStageSpace, product, { seed: 3 });
    expect(1 - result.firstOrderSum).toBeGreaterThan(0.5);
    expect(result.caution).toMatch(/^[01]\.\d\d of the variance is in interactions, from 20 trials for 3 parameters: /);
    expect(result.caution).toContain('the ranking is a guess (about 10 trials a parameter, 30 here, make it firmer)');
  });

  it('is a pure function of its inputs and seed', () => {
    const options = { seed: 5, samples: 256 };
    expect(parameterImportance(twoStageSpace, trials, options)).toEqual(
      parameterImportance(twoStageSpace, trials, options),
    );
  });

  it('finds what drives the cost: log of the full cost of every stage', () => {
    const result = parameterImportance(twoStageSpace, trials, { target: 'cost', samples: 1024 });
    expect(result.target).toBe('cost');
    expect(result.parameters[0]!.param).toBe('x3');
    expect(result.parameters[0]!.total).toBeGreaterThan(0.9);
    expect(result.stages[0]!.total).toBeLessThan(0.05);
  });

  it('handles categorical and integer parameters, drawing each choice equally often', () => {
    const space: SearchSpace = [
      {
        name: 'model',
        params: [
          { name: 'kind', type: 'categorical', choices: ['linear', 'tree', 'knn'] },
          { name: 'depth', type: 'int', low: 1, high: 8 },
          { name: 'unused', type: 'float', low: 0, high: 1 },
        ],
      },
    ];
    const random = createRandom(11);
    const shift = { linear: 0, tree: 3, knn: 6 } as const;
    const observations = Array.from({ length: 120 }, () => {
      const kind = (['linear', 'tree', 'knn'] as const)[random.nextInt(3)]!;
      const depth = 1 + random.nextInt(8);
      return observation([{ kind, depth, unused: random.next() }], shift[kind] + 0.3 * depth, [1]);
    });
    const result = parameterImportance(space, observations, { samples: 1024 });
    expect(result.parameters.map((entry) => entry.param)).toEqual(['kind', 'depth', 'unused']);
    // Var(kind) = 6, Var(0.3·depth) = 0.09·63/12: kind's share is 6 / 6.4725.
    expect(result.parameters[0]!.firstOrder).toBeCloseTo(6 / (6 + (0.09 * 63) / 12), 1);
    expect(result.parameters[2]!.total).toBeLessThan(0.02);
  });

  it('leaves out failed trials, and refuses too few or a target with no structure', () => {
    const failed = observation([{ x1: 0, x2: 0 }, { x3: 0 }], null, [1, null]);
    expect(parameterImportance(twoStageSpace, [...trials.slice(0, 20), failed], { samples: 64 }).trials).toBe(20);
    expect(() => parameterImportance(twoStageSpace, [...trials.slice(0, 4), failed])).toThrow(
      ImportanceUnavailableError,
    );
    expect(() => parameterImportance(twoStageSpace, trials.slice(0, 4))).toThrow(
      /at least 5 completed trials; this study has 4/,
    );
    const constant = trials.slice(0, 30).map((trial) => ({ ...trial, objective: 2 }));
    expect(() => parameterImportance(twoStageSpace, constant)).toThrow(/flat/);
  });

  it('warns of a choice few trials tried and of values bunched in a corner, and of nothing on even coverage', () => {
    expect(parameterImportance(twoStageSpace, trials, { samples: 64 }).warnings).toEqual([]);
    const space: SearchSpace = [
      {
        name: 'prep',
        params: [
          { name: 'aug', type: 'categorical', choices: ['none', 'flip'] },
          { name: 'lr', type: 'float', low: 1e-4, high: 1, log: true },
        ],
      },
    ];
    const random = createRandom(3);
    // An exploiting optimizer's history: 'flip' nearly always, lr near 1e-2.
    const bunched = Array.from({ length: 30 }, (_, index) => {
      const lr = 10 ** (-2 + 0.1 * (random.next() - 0.5));
      return observation([{ aug: index < 2 ? 'none' : 'flip', lr }], -((Math.log10(lr) + 2) ** 2), [1]);
    });
    expect(parameterImportance(space, bunched, { samples: 64 }).warnings).toEqual([
      'prep.aug: "none" 2, "flip" 28 trials; a choice with fewer than 3 is a guess, left out of the ranking: the parameter is held at "flip"',
      'prep.lr: 80% of the trials lie within 2% of its range; its effect elsewhere is a guess',
    ]);
  });

  it('ranks over the choices the trials cover: one bad trial of a choice does not make its parameter the most important', () => {
    // A review's study: 'none' tried once and bad, lr what matters. The model's guess for the
    // one-trial choice spread over a third of the space made norm rank first (0.83), lr a distant second.
    const space: SearchSpace = [
      {
        name: 'features',
        params: [
          { name: 'norm', type: 'categorical', choices: ['standard', 'minmax', 'none'] },
          { name: 'dim', type: 'int', low: 8, high: 64 },
        ],
      },
      { name: 'train', params: [{ name: 'lr', type: 'float', low: 1e-4, high: 1, log: true }] },
    ];
    const random = createRandom(11);
    const history = Array.from({ length: 35 }, (_, index) => {
      const norm = index === 7 ? 'none' : random.next() < 0.5 ? 'standard' : 'minmax';
      const dim = 8 + Math.floor(random.next() * 57);
      const lr = 10 ** (-4 + 4 * random.next());
      const objective = -((Math.log10(lr) + 2) ** 2) + 0.002 * dim + (norm === 'none' ? -8 : 0);
      return observation([{ norm, dim }, { lr }], objective, [1, 1]);
    });
    const result = parameterImportance(space, history, { samples: 512 });
    expect(result.parameters[0]!.param).toBe('lr');
    expect(result.warnings[0]).toContain('features.norm: "standard"');
    expect(result.warnings[0]).toContain('left out of the ranking');
  });

  it('conditions on a seeded subset of at most maxTrials trials', () => {
    expect(parameterImportance(twoStageSpace, trials, { maxTrials: 40, samples: 64 }).trials).toBe(40);
  });

  it('names the bad option', () => {
    expect(() => parameterImportance(twoStageSpace, trials, { target: 'loss' as never })).toThrow(/target must be/);
    expect(() => parameterImportance(twoStageSpace, trials, { samples: 1 })).toThrow(/samples/);
    expect(() => parameterImportance(twoStageSpace, trials, { maxTrials: 2 })).toThrow(/maxTrials/);
    expect(() => parameterImportance(twoStageSpace, trials, { seed: 0.5 })).toThrow(/seed/);
  });
});

describe('parameterImportance on a pipeline with a parameterless stage', () => {
  it('leaves that stage out of the stage rows', () => {
    const space: SearchSpace = [...twoStageSpace, { name: 'evaluate', params: [] }];
    const trials = ishigamiTrials(40, 2).map((trial) => ({
      ...trial,
      config: [...trial.config, {}],
      stageCosts: [...trial.stageCosts, 0.5],
    }));
    const result = parameterImportance(space, trials, { samples: 256 });
    expect(result.stages.map((entry) => entry.stage)).toEqual(['prep', 'train']);
  });
});
