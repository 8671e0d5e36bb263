import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as vl from 'vega-lite';
import type { MethodName } from '../core/types.js';
import type { BenchRun } from './runner.js';
import { mean, standardError } from './stats.js';
import type { BenchSummary, HeadlineComparison, MeanSe } from './summary.js';

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const pm = (v: MeanSe, digits = 2): string => `${fmt(v.mean, digits)} ± ${fmt(v.se, digits)}`;

function headlineLine(label: string, h: HeadlineComparison): string {
  const e = h.evaluationsRatio;
  const i = h.improvementRatio;
  return (
    `- EEIPU vs ${label} (${h.versus.join(', ')}): ` +
    `evaluations ×${fmt(e.estimate, 3)} [${fmt(e.low, 3)}, ${fmt(e.high, 3)}] (${fmt(h.moreEvaluationsPct, 1)}% more); ` +
    `improvement ×${fmt(i.estimate, 3)} [${fmt(i.low, 3)}, ${fmt(i.high, 3)}] (${fmt(h.moreImprovementPct, 1)}% more)`
  );
}

/**
 * The summary as Markdown: one row per method (mean ± standard error over seeds), then EEIPU's
 * headline ratios with 95% paired bootstrap intervals.
 */
export function summaryMarkdown(summary: BenchSummary): string {
  const lines = [
    '| method | seeds | evals after warm-up | reused (δ>0) | evals by δ | best after warm-up | final best | improvement | cost charged | optimizer ms/iter |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const m of summary.methods) {
    lines.push(
      `| ${m.method} | ${m.seeds} | ${pm(m.evaluations, 1)} | ${pm(m.reused, 1)} | ${m.byDelta.map((v) => fmt(v, 1)).join(' / ')} | ` +
        `${pm(m.warmupBest, 3)} | ${pm(m.finalBest, 3)} | ${pm(m.improvement, 3)} | ${pm(m.totalCost, 1)} | ${pm(m.optimizerMsPerIteration, 0)} |`,
    );
  }
  const out = [lines.join('\n')];
  const stopped = summary.methods.filter((m) => m.earlyStops !== undefined);
  if (stopped.length > 0) {
    const counts = stopped.map((m) => `${m.method} ${m.earlyStops}/${m.seeds}`).join(', ');
    out.push('', `- ended before the budget by cost-aware stopping: ${counts} runs`);
  }
  if (summary.versusBaselines !== null || summary.versusRandom !== null) {
    out.push('');
    if (summary.versusBaselines !== null) out.push(headlineLine('the average baseline', summary.versusBaselines));
    if (summary.versusRandom !== null) out.push(headlineLine('random', summary.versusRandom));
    out.push(`  (ratios of means over ${summary.pairedSeeds.length} paired seeds; 95% paired bootstrap intervals)`);
  }
  const criterion = summary.finalBestCriterion;
  if (criterion !== null) {
    const differences = criterion.differences.map(
      (d) => `${d.versus} ${d.difference.mean >= 0 ? '+' : ''}${pm(d.difference, 3)}`,
    );
    const best = criterion.differences.find((d) => d.versus === criterion.bestBaseline)!;
    out.push(
      `- EEIPU's final best − each baseline's, paired by seed (mean ± SE over ${criterion.seeds} seeds): ${differences.join('; ')}`,
      `  best baseline ${best.versus} (${fmt(best.baselineFinalBest, 3)}): EEIPU is ${criterion.met ? 'at least level' : '**below**'} ` +
        '(level: the difference is at least −1 SE, the criterion of docs/benchmarks.md)',
    );
  }
  return out.join('\n');
}

/** One point of a mean ± standard-error curve. */
export interface BandPoint {
  readonly method: MethodName;
  readonly x: number;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

function byMethod(runs: readonly BenchRun[]): Map<MethodName, BenchRun[]> {
  const groups = new Map<MethodName, BenchRun[]>();
  for (const run of runs) groups.set(run.method, [...(groups.get(run.method) ?? []), run]);
  return groups;
}

const band = (method: MethodName, x: number, values: readonly number[]): BandPoint => {
  const m = mean(values);
  const se = standardError(values);
  return { method, x, mean: m, low: m - se, high: m + se };
};

/**
 * Best objective so far against cost spent, on a grid of `points` budgets up to the budget;
 * mean ± standard error over seeds. The grid starts where every run has finished its first
 * `fromTrial` trials (pass the warm-up size to show the BO phase only).
 *
 * @default points 100, fromTrial 1
 */
export function bestSoFarCurve(runs: readonly BenchRun[], budget: number, points = 100, fromTrial = 1): BandPoint[] {
  const start = Math.max(
    ...runs.map((run) => run.trials[Math.max(1, fromTrial) - 1]?.spent ?? Number.POSITIVE_INFINITY),
  );
  if (!Number.isFinite(start) || start > budget) return [];
  const out: BandPoint[] = [];
  for (const [method, group] of byMethod(runs)) {
    for (let p = 0; p <= points; p++) {
      const x = start + ((budget - start) * p) / points;
      const bests = group.map((run) => {
        let best = Number.NEGATIVE_INFINITY;
        for (const trial of run.trials) {
          if (trial.spent > x) break;
          if (trial.objective !== null) best = Math.max(best, trial.objective);
        }
        return best;
      });
      out.push(band(method, x, bests));
    }
  }
  return out;
}

/** Cumulative cost charged against iteration, up to the shortest run of each method. */
export function cumulativeCostCurve(runs: readonly BenchRun[]): BandPoint[] {
  const out: BandPoint[] = [];
  for (const [method, group] of byMethod(runs)) {
    const length = Math.min(...group.map((run) => run.trials.length));
    for (let i = 0; i < length; i++) {
      out.push(
        band(
          method,
          i + 1,
          group.map((run) => (run.trials[i] as BenchRun['trials'][number]).spent),
        ),
      );
    }
  }
  return out;
}

function bandChart(
  title: string,
  xTitle: string,
  yTitle: string,
  data: readonly BandPoint[],
  interpolate: 'linear' | 'step-after',
): vl.TopLevelSpec {
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle };
  // Methods keep their order of appearance (the order given on the command line) in the legend.
  const methods = [...new Set(data.map((d) => d.method))];
  const color = { field: 'method', type: 'nominal' as const, title: 'method', scale: { domain: methods } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 340,
    data: { values: data.map((d) => ({ ...d })) },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18, interpolate },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative', title: yTitle, scale: { zero: false } },
          y2: { field: 'high' },
          color,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2, interpolate },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle }, color },
      },
    ],
  };
}

/**
 * Vega and Vega-Lite render the benchmark plots only, so they are optional peer dependencies of
 * the package (a clone has them as dev dependencies): loaded on first use, with a clear message.
 */
async function loadVega(): Promise<{ vega: typeof import('vega'); vegaLite: typeof import('vega-lite') }> {
  try {
    return { vega: await import('vega'), vegaLite: await import('vega-lite') };
  } catch (error) {
    throw new Error(
      `benchmark plots need the optional packages vega and vega-lite: npm install vega vega-lite (${String(error)})`,
    );
  }
}

/** Renders a Vega-Lite spec to an SVG string, headless. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Writes the report plots into `dir` (created if needed): `best-so-far.svg` (best objective vs
 * cost spent, from the end of the warm-up) and `cumulative-cost.svg` (cost charged vs
 * iteration), both mean ± standard error over seeds. Returns the written file paths.
 */
export async function writeReportPlots(
  runs: readonly BenchRun[],
  budget: number,
  dir: string,
  title: string,
  warmup = 0,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const best = bandChart(
    `${title}: best objective so far (mean ± s.e.)`,
    warmup > 0 ? 'cost spent (from the end of the warm-up)' : 'cost spent',
    'best objective',
    bestSoFarCurve(runs, budget, 100, warmup),
    // Best-so-far only changes when a trial finishes.
    'step-after',
  );
  const cumulative = bandChart(
    `${title}: cost charged per iteration (mean ± s.e.)`,
    'iteration',
    'cumulative cost',
    cumulativeCostCurve(runs),
    'linear',
  );
  const files: [string, vl.TopLevelSpec][] = [
    [join(dir, 'best-so-far.svg'), best],
    [join(dir, 'cumulative-cost.svg'), cumulative],
  ];
  for (const [file, spec] of files) await writeFile(file, await renderSvg(spec));
  return files.map(([file]) => file);
}
