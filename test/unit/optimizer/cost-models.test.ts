import { describe, expect, it } from 'vitest';
import type { Observation, SearchSpace } from '../../../src/core/types.js';
import { fitStageCostModels } from '../../../src/optimizer/models.js';
import { SpaceEncoding } from '../../../src/space/index.js';

const space: SearchSpace = [
  { name: 'prep', params: [{ name: 'a', type: 'float', low: 0, high: 1 }] },
  { name: 'train', params: [{ name: 'b', type: 'float', low: 0, high: 1 }] },
];
const encoding = new SpaceEncoding(space);

function trial(a: number, b: number, cachedPrefix = 0): Observation {
  return {
    config: [{ a }, { b }],
    objective: -((a - 0.3) ** 2) - (b - 0.6) ** 2,
    stageCosts: [1 + 4 * a * a, 2 + Math.sin(6 * b)],
    cachedPrefix,
    chargedCost: 3,
    phase: 'bo',
  };
}

function stagePredictions(history: readonly Observation[], stage: number, points: readonly Float64Array[]) {
  const encoded = history.map((obs) => encoding.encode(obs.config));
  return fitStageCostModels(encoding, history, encoded, 1, undefined, false)[stage]!.predict(points);
}

describe('per-stage cost models', () => {
  it('learn from each computed stage output once, however often a trial reused it', () => {
    const unique = [0.05, 0.2, 0.4, 0.55, 0.7, 0.9].map((a, i) => trial(a, (i * 0.37) % 1));
    // Five later trials reuse the first trial's prep output with new train settings.
    const reusing = [0.11, 0.33, 0.52, 0.74, 0.96].map((b) => trial(0.05, b, 1));
    const points = [0.1, 0.5, 0.8].map((v) => Float64Array.of(v));
    const withReuse = stagePredictions([...unique, ...reusing], 0, points);
    const withoutReuse = stagePredictions(unique, 0, points);
    expect(Array.from(withReuse.mean)).toEqual(Array.from(withoutReuse.mean));
    expect(Array.from(withReuse.sd)).toEqual(Array.from(withoutReuse.sd));
    // The train stage really ran in every trial, so its model does see the extra rows.
    const trainPoints = [Float64Array.of(0.5)];
    expect(stagePredictions([...unique, ...reusing], 1, trainPoints).mean[0]).not.toBe(
      stagePredictions(unique, 1, trainPoints).mean[0],
    );
  });
});
