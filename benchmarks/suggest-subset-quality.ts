/**
 * Does the subset path cost optimization quality? EEIPU studies on a synthetic spec run twice per
 * seed, in-process on the study loop's simulated clock (src/bench/runner.ts): once with the shipped
 * `suggest` (above 256 successful trials the acquisition search runs on a screening subset and the
 * objective GP's hyperparameters are fitted on a 256-point subset) and once with every trial in the
 * objective model (benchmarks/suggest-full-data.ts). The budget is raised so that studies run well
 * past 256 trials; the two runs of a seed are identical until then.
 *
 *   node bin/run-ts.js benchmarks/suggest-subset-quality.ts [--spec benchmarks/paper-3stage.json]
 *       [--budget 1200] [--seeds 4] [--seed-offset 0] [--out benchmarks/out/suggest-subset-quality.json]
 *
 * Reported per path: final best, evaluations after warm-up, trials, and the steps that ran with more
 * than 256 successful trials; paired differences (full − subset) seed by seed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { runMetrics } from '../src/bench/metrics.js';
import { runStudy, type BenchRun, type SuggestFn } from '../src/bench/runner.js';
import { mean, standardError } from '../src/bench/stats.js';
import { SCREEN_MAX_POINTS } from '../src/optimizer/screening.js';
import { suggest } from '../src/optimizer/index.js';
import { readSyntheticSpec } from '../src/synthetic/index.js';
import { suggestFullData } from './suggest-full-data.js';

interface PathSummary {
  readonly finalBest: number;
  readonly evaluations: number;
  readonly trials: number;
  /** Steps suggested with more than SCREEN_MAX_POINTS trials in the history. */
  readonly stepsAboveLimit: number;
  readonly optimizerMsPerStep: number;
  readonly wallS: number;
}

function summarize(run: BenchRun, warmup: number, stageCount: number, wallS: number): PathSummary {
  const metrics = runMetrics(run, warmup, stageCount);
  return {
    finalBest: metrics.finalBest,
    evaluations: metrics.evaluations,
    trials: run.trials.length,
    stepsAboveLimit: Math.max(0, run.trials.length - SCREEN_MAX_POINTS - 1),
    optimizerMsPerStep: metrics.optimizerMsPerIteration,
    wallS,
  };
}

/** Trials with identical configurations from the start (where the two paths' studies diverge). */
function commonPrefix(a: BenchRun, b: BenchRun): number {
  let k = 0;
  while (
    k < a.trials.length &&
    k < b.trials.length &&
    JSON.stringify(a.trials[k]!.config) === JSON.stringify(b.trials[k]!.config)
  )
    k++;
  return k;
}

const fmt = (values: readonly number[], digits = 3): string =>
  `${mean(values).toFixed(digits)} ± ${standardError(values).toFixed(digits)}`;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      spec: { type: 'string', default: 'benchmarks/paper-3stage.json' },
      budget: { type: 'string', default: '1200' },
      seeds: { type: 'string', default: '4' },
      'seed-offset': { type: 'string', default: '0' },
      out: { type: 'string', default: 'benchmarks/out/suggest-subset-quality.json' },
    },
  });
  const base = await readSyntheticSpec(args.spec);
  const spec = { ...base, name: `${base.name}-budget-${args.budget}`, budget: Number(args.budget) };
  const stageCount = spec.stages.length;
  const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i + Number(args['seed-offset']));
  const paths: Record<'subset' | 'full', SuggestFn> = { subset: suggest, full: suggestFullData };
  const rows: Record<'subset' | 'full', PathSummary[]> = { subset: [], full: [] };
  const divergence: number[] = [];
  for (const seed of seeds) {
    const runs = {} as Record<'subset' | 'full', BenchRun>;
    // Alternate which path goes first, so that load drifts hit both.
    const order: ('subset' | 'full')[] = seed % 2 === 0 ? ['subset', 'full'] : ['full', 'subset'];
    for (const path of order) {
      const t0 = performance.now();
      runs[path] = runStudy({ spec, method: 'eeipu', seed, suggest: paths[path] });
      const wallS = (performance.now() - t0) / 1000;
      rows[path].push(summarize(runs[path], spec.warmup, stageCount, wallS));
      const s = rows[path].at(-1)!;
      console.error(
        `seed ${seed} ${path}: final best ${s.finalBest.toFixed(4)}, ${s.trials} trials, ${s.stepsAboveLimit} steps above ${SCREEN_MAX_POINTS}, ${wallS.toFixed(0)} s`,
      );
    }
    divergence.push(commonPrefix(runs.subset, runs.full));
    report(spec.name, seeds.slice(0, divergence.length), rows, divergence, args.out);
  }
}

/** Table and JSON of the seeds done so far (written after every seed: a long run can be stopped). */
function report(
  name: string,
  seeds: readonly number[],
  rows: Record<'subset' | 'full', PathSummary[]>,
  divergence: readonly number[],
  out: string,
): void {
  const diff = rows.full.map((r, i) => r.finalBest - rows.subset[i]!.finalBest);
  console.log(`\n## ${name}: EEIPU, seeds ${seeds[0]}..${seeds.at(-1)} (mean ± SE)\n`);
  console.log('| path | final best | evaluations after warm-up | trials | steps above 256 | optimizer ms/step |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const path of ['subset', 'full'] as const) {
    const r = rows[path];
    console.log(
      `| ${path === 'subset' ? 'subset (shipped)' : 'full data'} | ${fmt(r.map((s) => s.finalBest))} | ${fmt(
        r.map((s) => s.evaluations),
        1,
      )} | ${fmt(
        r.map((s) => s.trials),
        1,
      )} | ${fmt(
        r.map((s) => s.stepsAboveLimit),
        1,
      )} | ${fmt(
        r.map((s) => s.optimizerMsPerStep),
        0,
      )} |`,
    );
  }
  console.log(
    `\nfull − subset final best, paired: ${fmt(diff)} (per seed ${diff.map((d) => d.toFixed(4)).join(', ')}); ` +
      `identical trials before the paths diverge: ${divergence.join(', ')}`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ spec: name, seeds, rows, divergence, diff }, null, 1)}\n`);
}

await main();
