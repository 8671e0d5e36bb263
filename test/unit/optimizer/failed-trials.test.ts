/** `failedTrials`: what a failed trial tells the objective model (src/optimizer/bo-step.ts). */
import { describe, expect, it } from 'vitest';
import { suggest } from '../../../src/optimizer/index.js';
import type { FailedTrialPolicy, Observation, SearchSpace, SuggestRequest } from '../../../src/core/types.js';

const space: SearchSpace = [{ name: 'train', params: [{ name: 'lr', type: 'float', low: 0, high: 1 }] }];

/** Better with a higher lr up to 0.75; every trial above 0.8 diverged (failed). */
function history(): Observation[] {
  const ok = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75].map((lr): Observation => ({
    config: [{ lr }],
    objective: lr,
    stageCosts: [1],
    cachedPrefix: 0,
    chargedCost: 1,
    phase: 'warmup',
  }));
  const failed = [0.8, 0.85, 0.9, 0.95, 1].map((lr): Observation => ({
    config: [{ lr }],
    objective: null,
    stageCosts: [null],
    cachedPrefix: 0,
    chargedCost: 1,
    phase: 'bo',
  }));
  return [...ok, ...failed];
}

function next(policy: FailedTrialPolicy | undefined, method: 'ei' | 'eeipu'): number {
  const request: SuggestRequest = {
    space,
    history: history(),
    budget: { total: 100, spent: 14 },
    direction: 'maximize',
    settings: { method, warmup: 9, ...(policy === undefined ? {} : { failedTrials: policy }) },
    seed: 3,
  };
  const suggestion = suggest(request);
  expect(suggestion.phase).toBe('bo');
  return suggestion.config[0]!.lr as number;
}

describe('failed trials in the objective model', () => {
  it.each(['ei', 'eeipu'] as const)('%s: ignored, EI keeps pointing into the failing region', (method) => {
    expect(next('ignore', method)).toBeGreaterThan(0.8);
  });

  it.each(['ei', 'eeipu'] as const)('%s: at the worst value seen (the default), EI turns away from it', (method) => {
    expect(next('worst', method)).toBeLessThan(0.8);
    expect(next(undefined, method)).toBe(next('worst', method));
  });
});
