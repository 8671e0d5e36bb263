/**
 * Parallel trials, measured on the simulated clock (stage costs as durations; src/bench/runner.ts
 * runs the study workflow's own loop): for each spec, method and parallelism, the virtual time to
 * spend the budget, evaluations, final best, duplicate configurations and single-flight shares.
 *
 *   npm run bench:parallel -- [--specs benchmarks/paper-3stage.json,benchmarks/paper-5stage.json]
 *                             [--methods eeipu,ms-carbo,eips] [--parallelism 1,2,4,8] [--seeds 10]
 *                             [--jobs 2] [--out benchmarks/out/parallel.json]
 *
 * Targets (issue #10), at parallelism 4 over the seeds: EEIPU spends the budget ≥ 3.3× faster
 * (mean makespan ratio against parallelism 1), its final best is within one standard error of
 * sequential EEIPU and ≥ every baseline's at parallelism 4, and no configuration runs twice.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../src/bench/pool.js';
import { runMetrics } from '../src/bench/metrics.js';
import type { BenchRun } from '../src/bench/runner.js';
import { mean, standardError } from '../src/bench/stats.js';
import { canonicalJson } from '../src/core/canonical-json.js';
import type { MethodName } from '../src/core/types.js';
import { readSyntheticSpec } from '../src/synthetic/index.js';

const { values: args } = parseArgs({
  options: {
    specs: { type: 'string', default: 'benchmarks/paper-3stage.json,benchmarks/paper-5stage.json' },
    methods: { type: 'string', default: 'eeipu,ms-carbo,eips' },
    parallelism: { type: 'string', default: '1,2,4,8' },
    seeds: { type: 'string', default: '10' },
    jobs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'benchmarks/out/parallel.json' },
  },
});
const list = (value: string) => value.split(',').map((item) => item.trim());
const specPaths = list(args.specs);
const methods = list(args.methods) as MethodName[];
const levels = list(args.parallelism).map(Number);
const seeds = Array.from({ length: Number(args.seeds) }, (_, seed) => seed);

interface Row {
  readonly spec: string;
  readonly method: MethodName;
  readonly parallelism: number;
  readonly makespan: number[];
  readonly evaluations: number[];
  readonly finalBest: number[];
  readonly spent: number[];
  readonly duplicates: number[];
  readonly singleFlight: number[];
}

const makespan = (run: BenchRun) => Math.max(...run.trials.map((trial) => trial.finishedAt ?? 0));
const duplicates = (run: BenchRun) =>
  run.trials.length - new Set(run.trials.map((trial) => canonicalJson(trial.config))).size;
const fmt = (values: number[], digits = 2) =>
  `${mean(values).toFixed(digits)} ± ${(values.length > 1 ? standardError(values) : 0).toFixed(digits)}`;

const rows: Row[] = [];
for (const path of specPaths) {
  const spec = await readSyntheticSpec(path);
  for (const parallelism of levels) {
    const started = performance.now();
    const runs = await runBench({ spec, methods, seeds, jobs: Number(args.jobs), parallelism });
    for (const method of methods) {
      const mine = runs.filter((run) => run.method === method);
      rows.push({
        spec: spec.name,
        method,
        parallelism,
        makespan: mine.map(makespan),
        evaluations: mine.map((run) => run.trials.length),
        finalBest: mine.map((run) => runMetrics(run, spec.warmup, spec.stages.length).finalBest),
        spent: mine.map((run) => run.trials.at(-1)?.spent ?? 0),
        duplicates: mine.map(duplicates),
        singleFlight: mine.map((run) => run.trials.filter((trial) => (trial.sharedInFlight ?? 0) > 0).length),
      });
    }
    console.error(`${spec.name} parallelism ${parallelism}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}

for (const path of specPaths) {
  const name = (await readSyntheticSpec(path)).name;
  console.log(`\n## ${name} (${seeds.length} seeds; mean ± SE)\n`);
  console.log(
    '| method | parallelism | virtual time to spend the budget | speed-up vs 1 | evaluations | spent | final best | duplicates | single-flight shares |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows.filter((r) => r.spec === name)) {
    const sequential = rows.find((r) => r.spec === name && r.method === row.method && r.parallelism === 1);
    const speedUp = sequential === undefined ? '—' : `×${(mean(sequential.makespan) / mean(row.makespan)).toFixed(2)}`;
    console.log(
      `| ${row.method} | ${row.parallelism} | ${fmt(row.makespan, 0)} | ${speedUp} | ${fmt(row.evaluations, 1)} | ${fmt(row.spent, 0)} | ${fmt(row.finalBest, 3)} | ${row.duplicates.reduce((a, b) => a + b, 0)} | ${fmt(row.singleFlight, 1)} |`,
    );
  }
  const at = (method: MethodName, parallelism: number) =>
    rows.find((r) => r.spec === name && r.method === method && r.parallelism === parallelism);
  const eeipu1 = at('eeipu', 1);
  const eeipu4 = at('eeipu', 4);
  if (eeipu1 !== undefined && eeipu4 !== undefined) {
    const speedUp = mean(eeipu1.makespan) / mean(eeipu4.makespan);
    const gap = mean(eeipu4.finalBest) - mean(eeipu1.finalBest);
    const se = standardError(eeipu1.finalBest);
    const baselines = methods.filter((m) => m !== 'eeipu').map((m) => at(m, 4)!);
    const beaten = baselines.filter((b) => mean(b.finalBest) > mean(eeipu4.finalBest)).map((b) => b.method);
    console.log(
      `\nTargets at parallelism 4: speed-up ×${speedUp.toFixed(2)} (target ≥ 3.3) ${speedUp >= 3.3 ? 'met' : 'MISSED'}; ` +
        `final best ${gap >= 0 ? '+' : ''}${gap.toFixed(3)} vs sequential EEIPU (one SE = ${se.toFixed(3)}) ${gap >= -se ? 'met' : 'MISSED'}; ` +
        `≥ every baseline at 4: ${beaten.length === 0 ? 'met' : `MISSED (${beaten.join(', ')} higher)`}; ` +
        `duplicates ${rows.filter((r) => r.spec === name).reduce((n, r) => n + r.duplicates.reduce((a, b) => a + b, 0), 0)}.`,
    );
  }
}

mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify({ seeds, methods, levels, rows }, null, 1)}\n`);
console.error(`wrote ${args.out}`);
