/**
 * EEIPU ablation table: EEIPU runs made with other optimizer settings (`memotune bench --methods
 * eeipu --set ... --json variant.json`), each summarized against the baselines of a main run of
 * the same spec and seeds. `memotune bench --from` refuses to merge reports whose settings differ.
 * The question asked is "EEIPU with this setting vs the baselines as they are by default", so the
 * main run's baseline runs are the comparison even for a setting that would also change a
 * baseline if applied to it (`eta` applies to ms-carbo and carbo too; topQ, startsPerPrefix with
 * restarts 1 and the spec's epsilon — charged only for reused stages, which baselines never
 * have — do not change them at all).
 *
 *   node bin/run-ts.js benchmarks/ablation-summary.ts <main.json> <label>=<variant.json> ...
 *
 * Prints one Markdown row per variant (the main report's own EEIPU runs first, as "default"):
 * evaluations and reuse, the headline ratios with their paired bootstrap intervals (the
 * definitions of src/bench/summary.ts), EEIPU's final best next to the best baseline's, and the
 * optimizer time per iteration.
 */
import { readFileSync } from 'node:fs';
import type { BenchReport } from '../src/cli/commands/bench.js';
import { BASELINE_METHODS, summarizeBench, type BenchRun, type MeanSe } from '../src/bench/index.js';

function load(path: string): BenchReport {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
}

const [mainPath, ...variantArgs] = process.argv.slice(2);
if (mainPath === undefined) {
  console.error('usage: ablation-summary.ts <main.json> <label>=<variant.json> ...');
  process.exit(2);
}
const main = load(mainPath);
const options = { warmup: main.spec.warmup, stageCount: main.spec.stages.length };
const strip = (runs: BenchReport['runs']): BenchRun[] => runs.map(({ metrics: _metrics, ...run }) => run);
const baselines = strip(main.runs.filter((run) => run.method !== 'eeipu'));
const seeds = new Set(main.runs.filter((run) => run.method === 'eeipu').map((run) => run.seed));

const variants: { label: string; runs: BenchRun[] }[] = [
  { label: 'default', runs: strip(main.runs.filter((run) => run.method === 'eeipu')) },
];
for (const arg of variantArgs) {
  const at = arg.lastIndexOf('='); // labels may contain '=' (eta=0.5=file.json)
  if (at < 1) throw new Error(`expected label=file, got ${arg}`);
  const report = load(arg.slice(at + 1));
  // ε may differ (`--epsilon`): it is charged only for reused stages, which the baselines never have.
  const sameSpec = JSON.stringify({ ...report.spec, epsilon: 0 }) === JSON.stringify({ ...main.spec, epsilon: 0 });
  if (!sameSpec) throw new Error(`${arg}: another spec than ${mainPath}`);
  const runs = strip(report.runs.filter((run) => run.method === 'eeipu'));
  if (runs.length !== seeds.size || runs.some((run) => !seeds.has(run.seed))) {
    throw new Error(`${arg}: EEIPU seeds differ from ${mainPath}`);
  }
  variants.push({ label: arg.slice(0, at), runs });
}

const f = (x: number, digits = 3): string => x.toFixed(digits);
const pm = (m: MeanSe, digits = 1): string => `${f(m.mean, digits)} ± ${f(m.se, digits)}`;
console.log(
  '| EEIPU variant | evals after warm-up | reused | final best | best baseline final | evaluations ratio | improvement ratio | ms/iter |',
);
console.log('|---|---:|---:|---:|---:|---|---|---:|');
for (const variant of variants) {
  const summary = summarizeBench([...variant.runs, ...baselines], options);
  const eeipu = summary.methods.find((m) => m.method === 'eeipu')!;
  const best = summary.methods
    .filter((m) => BASELINE_METHODS.includes(m.method))
    .reduce((p, q) => (q.finalBest.mean > p.finalBest.mean ? q : p));
  const versus = summary.versusBaselines!;
  const ratio = (i: { estimate: number; low: number; high: number }): string =>
    `×${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]`;
  console.log(
    `| ${variant.label} | ${pm(eeipu.evaluations)} | ${f(eeipu.reused.mean, 1)} | ${pm(eeipu.finalBest, 3)} | ` +
      `${f(best.finalBest.mean)} (${best.method}) | ${ratio(versus.evaluationsRatio)} | ${ratio(versus.improvementRatio)} | ` +
      `${f(eeipu.optimizerMsPerIteration.mean, 0)} |`,
  );
}
