import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMetrics } from '../../../src/bench/metrics.js';
import { bestSoFarCurve, cumulativeCostCurve, summaryMarkdown, writeReportPlots } from '../../../src/bench/report.js';
import type { BenchRun, BenchTrial } from '../../../src/bench/runner.js';
import { summarizeBench } from '../../../src/bench/summary.js';
import type { Configuration, MethodName } from '../../../src/core/types.js';

// A hand-made run: `objectives` in order, each trial charged `cost`, δ from `deltas`.
function run(method: MethodName, seed: number, objectives: number[], cost: number, deltas: number[] = []): BenchRun {
  let spent = 0;
  const trials: BenchTrial[] = objectives.map((objective, index) => {
    spent += cost;
    return {
      index,
      phase: index < 2 ? 'warmup' : 'bo',
      config: [{ x: index }, { y: seed }] as Configuration,
      delta: deltas[index] ?? 0,
      suggestedDelta: deltas[index] ?? 0,
      objective,
      stageCosts: [cost / 2, cost / 2],
      chargedCost: cost,
      spent,
      predictedCost: null,
      optimizerMs: 10 * (index + 1),
    };
  });
  return { method, seed, trials, truncated: false };
}

describe('runMetrics', () => {
  it('measures evaluations, reuse, improvement and optimizer time after the warm-up', () => {
    const m = runMetrics(run('eeipu', 0, [1, 3, 2, 5, 4], 2, [0, 0, 1, 0, 1]), 2, 2);
    expect(m).toEqual({
      evaluations: 3,
      reused: 2,
      byDelta: [1, 2],
      warmupBest: 3,
      finalBest: 5,
      improvement: 2,
      warmupCost: 4,
      totalCost: 10,
      optimizerMsPerIteration: 40,
    });
  });

  it('reports zero improvement when nothing beats the warm-up', () => {
    const m = runMetrics(run('ei', 0, [4, 1, 2], 1), 2, 2);
    expect(m.improvement).toBe(0);
    expect(m.finalBest).toBe(4);
  });
});

describe('summarizeBench', () => {
  // EEIPU: 4 post-warm-up evals, improvement 4 on both seeds; ei: 2 evals, improvement 1;
  // eips: 2 evals, improvement 3 → average baseline 2 evals and improvement 2.
  const runs = [0, 1].flatMap((seed) => [
    run('eeipu', seed, [0, 1, 2, 3, 4, 5], 1),
    run('ei', seed, [0, 1, 1.5, 2], 1),
    run('eips', seed, [0, 1, 3, 4], 1),
    run('random', seed, [0, 1, 2], 1),
  ]);
  const summary = summarizeBench(runs, { warmup: 2, stageCount: 2 });

  it('gives mean ± s.e. per method', () => {
    const eeipu = summary.methods.find((m) => m.method === 'eeipu');
    expect(eeipu?.evaluations).toEqual({ mean: 4, se: 0 });
    expect(eeipu?.improvement).toEqual({ mean: 4, se: 0 });
    expect(summary.methods.map((m) => m.method)).toEqual(['eeipu', 'ei', 'eips', 'random']);
  });

  it('computes EEIPU versus the average of the baselines that ran, and versus random', () => {
    const h = summary.versusBaselines;
    expect(h?.versus).toEqual(['eips', 'ei']);
    expect(h?.evaluationsRatio.estimate).toBeCloseTo(2, 12);
    expect(h?.improvementRatio.estimate).toBeCloseTo(2, 12);
    expect(h?.moreEvaluationsPct).toBeCloseTo(100, 9);
    expect(summary.versusRandom?.evaluationsRatio.estimate).toBeCloseTo(4, 12);
    expect(summary.versusRandom?.improvementRatio.estimate).toBeCloseTo(4, 12);
    expect(summary.pairedSeeds).toEqual([0, 1]);
  });

  it("pairs EEIPU's final best with each baseline's by seed, and says whether it is level with the best", () => {
    // Final bests: EEIPU 5, ei 2, eips 4 on both seeds.
    expect(summary.finalBestCriterion).toEqual({
      differences: [
        { versus: 'eips', baselineFinalBest: 4, difference: { mean: 1, se: 0 } },
        { versus: 'ei', baselineFinalBest: 2, difference: { mean: 3, se: 0 } },
      ],
      bestBaseline: 'eips',
      met: true,
      seeds: 2,
    });
    const behind = summarizeBench(
      [0, 1].flatMap((seed) => [run('eeipu', seed, [0, 1, 2 + seed], 1), run('eips', seed, [0, 1, 4], 1)]),
      { warmup: 2, stageCount: 2 },
    );
    expect(behind.finalBestCriterion).toMatchObject({ bestBaseline: 'eips', met: false });
    expect(summaryMarkdown(behind)).toContain(
      "- EEIPU's final best − each baseline's, paired by seed (mean ± SE over 2 seeds): eips -1.500 ± 0.500",
    );
    expect(summaryMarkdown(behind)).toContain('best baseline eips (4.000): EEIPU is **below**');
  });

  it('has no headline without EEIPU', () => {
    const s = summarizeBench(
      runs.filter((r) => r.method !== 'eeipu'),
      { warmup: 2, stageCount: 2 },
    );
    expect(s.versusBaselines).toBeNull();
    expect(s.versusRandom).toBeNull();
    expect(s.finalBestCriterion).toBeNull();
  });

  it('renders a Markdown table with one row per method and the headline', () => {
    const md = summaryMarkdown(summary);
    const rows = md.split('\n').filter((line) => line.startsWith('| '));
    expect(rows).toHaveLength(5);
    expect(md).toContain('| eeipu | 2 | 4.0 ± 0.0 |');
    expect(md).toContain('EEIPU vs the average baseline (eips, ei): evaluations ×2.000');
    expect(md).toContain('(100.0% more)');
  });
});

describe('report plots', () => {
  const runs = [
    run('eeipu', 0, [0, 1, 2, 5], 2),
    run('eeipu', 1, [0, 3, 2, 4], 2),
    run('ei', 0, [1, 1, 2], 3),
    run('ei', 1, [0, 2, 2], 3),
  ];

  it('computes best-so-far bands over cost from the first point every run has', () => {
    const curve = bestSoFarCurve(runs, 8, 4);
    const eeipu = curve.filter((p) => p.method === 'eeipu');
    expect(eeipu.map((p) => p.x)).toEqual([3, 4.25, 5.5, 6.75, 8]);
    // at cost 3 both eeipu seeds have run one trial (objective 0); at 4.25 their bests are 1 and 3
    expect(eeipu[0]).toMatchObject({ mean: 0, low: 0, high: 0 });
    expect(eeipu[1]).toMatchObject({ mean: 2, low: 1, high: 3 });
    expect(eeipu.at(-1)).toMatchObject({ mean: 4.5 });
  });

  it('computes cumulative cost per iteration', () => {
    const ei = cumulativeCostCurve(runs).filter((p) => p.method === 'ei');
    expect(ei.map((p) => [p.x, p.mean])).toEqual([
      [1, 3],
      [2, 6],
      [3, 9],
    ]);
  });

  it('writes both plots as SVG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memotune-bench-'));
    const files = await writeReportPlots(runs, 8, dir, 'toy');
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['best-so-far.svg', 'cumulative-cost.svg']);
    for (const file of files) {
      const svg = await readFile(file, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('eeipu');
      expect(svg).toContain('<path');
    }
  });
});

describe('cost-aware stopping in the summary', () => {
  it('counts the runs it ended early and says so under the table', () => {
    const runs = [
      { ...run('pbgi', 0, [1, 2, 3], 2), earlyStop: 'costAwareStopping' as const },
      run('pbgi', 1, [1, 2, 3, 4], 2),
      run('eips', 0, [1, 2, 3, 4], 2),
    ];
    const summary = summarizeBench(runs, { warmup: 2, stageCount: 2 });
    expect(summary.methods.find((m) => m.method === 'pbgi')?.earlyStops).toBe(1);
    expect(summary.methods.find((m) => m.method === 'eips')?.earlyStops).toBeUndefined();
    expect(summaryMarkdown(summary)).toContain('ended before the budget by cost-aware stopping: pbgi 1/2 runs');
    const none = summarizeBench([run('pbgi', 1, [1, 2, 3, 4], 2)], { warmup: 2, stageCount: 2 });
    expect(summaryMarkdown(none)).not.toContain('cost-aware stopping');
  });
});
