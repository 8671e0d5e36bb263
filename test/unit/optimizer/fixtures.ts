import type { Configuration, MethodName, Observation, SearchSpace, SuggestRequest } from '../../../src/core/types.js';

/** A small 3-stage space with every parameter kind. */
export const mixedSpace: SearchSpace = [
  {
    name: 'prep',
    params: [
      { name: 'a', type: 'float', low: -2, high: 2 },
      { name: 'scale', type: 'float', low: 0.01, high: 10, log: true },
    ],
  },
  {
    name: 'train',
    params: [
      { name: 'k', type: 'int', low: 1, high: 8 },
      { name: 'opt', type: 'categorical', choices: ['sgd', 'adam', 'lbfgs'] },
    ],
  },
  { name: 'eval', params: [{ name: 'b', type: 'float', low: 0, high: 1 }] },
];

/** A deterministic toy objective and per-stage costs over {@link mixedSpace}-like configs. */
export function evaluate(config: Configuration): { objective: number; stageCosts: number[] } {
  let objective = 0;
  const stageCosts: number[] = [];
  config.forEach((stage, s) => {
    let cost = 1 + s;
    for (const [name, value] of Object.entries(stage)) {
      const v = typeof value === 'number' ? value : typeof value === 'string' ? value.length : value ? 1 : 0;
      objective -= (v - 0.3 * (s + 1)) ** 2 / (1 + name.length);
      cost += 0.5 * Math.abs(Math.sin(v * (s + 1)));
    }
    stageCosts.push(cost);
  });
  return { objective, stageCosts };
}

/** Runs `steps` suggestions through the toy evaluator and returns the observations. */
export function observationsFrom(configs: readonly Configuration[], phase: 'warmup' | 'bo' = 'warmup'): Observation[] {
  return configs.map((config) => {
    const { objective, stageCosts } = evaluate(config);
    return {
      config,
      objective,
      stageCosts,
      cachedPrefix: 0,
      chargedCost: stageCosts.reduce((a, b) => a + b, 0),
      phase,
    };
  });
}

export function request(
  space: SearchSpace,
  history: readonly Observation[],
  method: MethodName,
  overrides: Partial<SuggestRequest> = {},
): SuggestRequest {
  const spent = history.reduce((sum, obs) => sum + obs.chargedCost, 0);
  return {
    space,
    history,
    budget: { total: spent + 200, spent },
    direction: 'maximize',
    settings: { method, warmup: 5, rawSamples: 64, restarts: 2, mcSamples: 128 },
    seed: 17,
    ...overrides,
  };
}
