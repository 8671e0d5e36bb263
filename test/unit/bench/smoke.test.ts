import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrefixMemo } from '../../../src/bench/memo.js';
import { runMetrics } from '../../../src/bench/metrics.js';
import { runBench } from '../../../src/bench/pool.js';
import { summarizeBench } from '../../../src/bench/summary.js';
import { evaluateSynthetic, parseSyntheticSpec } from '../../../src/synthetic/index.js';

// The real optimizer on a small budget: a smoke run of the whole harness.
const spec = parseSyntheticSpec({
  ...JSON.parse(readFileSync(new URL('../../../benchmarks/paper-3stage.json', import.meta.url), 'utf8')),
  budget: 60,
  warmup: 5,
});

describe('bench smoke run with the real optimizer', () => {
  it('runs random and eeipu on 2 seeds within the budget, with shared warm-up and counted cache hits', async () => {
    const runs = await runBench({ spec, methods: ['random', 'eeipu'], seeds: [0, 1], jobs: 2 });
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      const spent = run.trials.map((t) => t.spent);
      expect(spent.at(-1)).toBeGreaterThanOrEqual(spec.budget);
      expect(spent.at(-2)).toBeLessThan(spec.budget);
      const memo = new PrefixMemo(3);
      let total = 0;
      for (const trial of run.trials) {
        const { delta } = memo.lookup(trial.config);
        expect(trial.delta).toBe(delta);
        const full = evaluateSynthetic(spec, trial.config);
        total += delta * spec.epsilon + full.stageCosts.slice(delta).reduce((a, b) => a + b, 0);
        expect(trial.spent).toBeCloseTo(total, 9);
        memo.record(trial.config, full.stageCosts);
      }
      expect(run.trials.slice(0, 5).every((t) => t.phase === 'warmup')).toBe(true);
    }
    for (const seed of [0, 1]) {
      const [random, eeipu] = ['random', 'eeipu'].map((m) => runs.find((r) => r.method === m && r.seed === seed)!);
      expect(eeipu!.trials.slice(0, 5).map((t) => t.config)).toEqual(random!.trials.slice(0, 5).map((t) => t.config));
    }
    // EEIPU's pinned prefixes are exact raw values of earlier trials, so the harness must see
    // the hits it aimed for (δ ≥ what the optimizer assumed).
    const eeipuTrials = runs.filter((r) => r.method === 'eeipu').flatMap((r) => r.trials.slice(5));
    for (const t of eeipuTrials) expect(t.delta).toBeGreaterThanOrEqual(t.suggestedDelta);
    expect(eeipuTrials.some((t) => t.delta > 0)).toBe(true);
    const reused = runs.filter((r) => r.method === 'eeipu').map((r) => runMetrics(r, 5, 3).reused);
    expect(reused.reduce((a, b) => a + b, 0)).toBe(eeipuTrials.filter((t) => t.delta > 0).length);
    const summary = summarizeBench(runs, { warmup: 5, stageCount: 3 });
    expect(summary.versusRandom?.evaluationsRatio.estimate).toBeGreaterThan(0);
  });
});
