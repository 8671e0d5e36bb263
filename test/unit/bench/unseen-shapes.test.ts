import { describe, expect, it } from 'vitest';
import { unseenShapes } from '../../../benchmarks/unseen-shapes.js';
import { evaluateSynthetic, parseSyntheticSpec } from '../../../src/synthetic/index.js';

describe('unseen pipeline shapes (benchmarks/unseen-shapes.ts)', () => {
  const shapes = unseenShapes(2026, 8);

  it('is a pure function of the seed: the same seed, the same specs; another seed, others', () => {
    expect(unseenShapes(2026, 8)).toEqual(shapes);
    expect(unseenShapes(2027, 8)).not.toEqual(shapes);
    // A longer run starts with the same shapes (one stream, drawn in order).
    expect(unseenShapes(2026, 9).slice(0, 8)).toEqual(shapes);
  });

  it('writes valid specs of 2–6 stages whose budget buys the warm-up and more', () => {
    expect(shapes.map((s) => s.name)).toEqual(Array.from({ length: 8 }, (_, k) => `unseen-${k + 1}`));
    for (const spec of shapes) {
      expect(parseSyntheticSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
      expect(spec.stages.length).toBeGreaterThanOrEqual(2);
      expect(spec.stages.length).toBeLessThanOrEqual(6);
      // The budget is 30–50 mean full runs: the 10 warm-up runs at the box's centre cost far less.
      const centre = spec.stages.map((stage) =>
        Object.fromEntries(stage.params.map((p) => [p.name, (p.low + p.high) / 2])),
      );
      const run = evaluateSynthetic(spec, centre).stageCosts.reduce((a, b) => a + b, 0);
      expect(spec.budget).toBeGreaterThan(10 * run);
    }
  });

  it('draws varied cost profiles: some stage dominates in some shape, and stage counts differ', () => {
    const counts = new Set(shapes.map((s) => s.stages.length));
    expect(counts.size).toBeGreaterThanOrEqual(3);
    const levels = shapes.map((spec) => spec.description!.split('levels ')[1]!.split(' → ').map(Number));
    expect(levels.some((l) => Math.max(...l) > 5 * Math.min(...l))).toBe(true);
    expect(levels.some((l) => Math.max(...l) < 5 * Math.min(...l))).toBe(true);
  });
});
