/**
 * Where each method's best configuration is good and where it is not: the synthetic objective is
 * a sum of stage terms (src/synthetic/pipeline.ts), so a final best splits into one term per
 * stage. For every method of a `memotune bench --json` report this prints, per stage, the mean
 * term of the best trial's configuration and on how many seeds that term is "near the stage's
 * best": above the midpoint between the term's median and its maximum over the stage's box (both
 * estimated from 200,000 seeded uniform samples, so the maximum is a slight underestimate).
 *
 * A stage whose term has a narrow peak (Hartmann-3 on the paper specs: ~0 on most of the box,
 * 3.86 at its peak) splits the seeds into those that found the peak and those that did not; the
 * mean final best, and so the improvement ratio, then moves by about peak / seeds per seed.
 *
 *   node bin/run-ts.js benchmarks/stage-terms.ts benchmarks/out/paper-5stage.json [MORE.json ...]
 */
import { readFileSync } from 'node:fs';
import type { BenchRun, BenchTrial } from '../src/bench/runner.js';
import { mean, standardError } from '../src/bench/stats.js';
import { createRandom } from '../src/random/index.js';
import { parseSyntheticSpec, stageObjective, type SyntheticPipelineSpec } from '../src/synthetic/index.js';

const SAMPLES = 200_000;

/** Median and maximum of stage `index`'s term over its box, from seeded uniform samples. */
function termRange(spec: SyntheticPipelineSpec, index: number): { median: number; max: number } {
  const stage = spec.stages[index]!;
  const random = createRandom(index, 0x57a6e);
  const values = new Float64Array(SAMPLES);
  for (let k = 0; k < SAMPLES; k++) {
    const params: Record<string, number> = {};
    for (const p of stage.params) params[p.name] = p.low + (p.high - p.low) * random.next();
    values[k] = stageObjective(spec, index, params);
  }
  values.sort();
  return { median: values[SAMPLES >> 1]!, max: values[SAMPLES - 1]! };
}

/** The run's best successful trial (synthetic specs maximize). */
function bestTrial(run: BenchRun): BenchTrial | undefined {
  let best: BenchTrial | undefined;
  for (const t of run.trials)
    if (t.objective !== null && (best === undefined || t.objective > best.objective!)) best = t;
  return best;
}

function meanSe(values: readonly number[]): string {
  return `${mean(values).toFixed(3)} ± ${standardError(values).toFixed(3)}`;
}

function report(path: string): void {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { spec: unknown; runs: BenchRun[] };
  const spec = parseSyntheticSpec(file.spec);
  const ranges = spec.stages.map((_, i) => termRange(spec, i));
  console.log(`\n${path}: ${spec.name}`);
  console.log(
    `stage term (objective): median / max over the box  ${spec.stages
      .map((s, i) => `${s.name} (${s.objective}) ${ranges[i]!.median.toFixed(2)} / ${ranges[i]!.max.toFixed(2)}`)
      .join(', ')}`,
  );
  const methods = [...new Set(file.runs.map((r) => r.method))];
  console.log(
    `| method | seeds | ${spec.stages.map((s) => `${s.name}: mean term, seeds near its best`).join(' | ')} |`,
  );
  console.log(`|---|---|${spec.stages.map(() => '---|').join('')}`);
  for (const method of methods) {
    const terms: number[][] = spec.stages.map(() => []);
    for (const run of file.runs.filter((r) => r.method === method)) {
      const best = bestTrial(run);
      if (best === undefined) continue;
      spec.stages.forEach((_, i) => terms[i]!.push(stageObjective(spec, i, best.config[i]!)));
    }
    const cells = terms.map((values, i) => {
      const { median, max } = ranges[i]!;
      const near = values.filter((v) => v >= (median + max) / 2).length;
      return `${meanSe(values)}, ${near}/${values.length}`;
    });
    console.log(`| ${method} | ${terms[0]!.length} | ${cells.join(' | ')} |`);
  }
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error('usage: node bin/run-ts.js benchmarks/stage-terms.ts REPORT.json [MORE.json ...]');
  process.exit(2);
}
for (const path of paths) report(path);
