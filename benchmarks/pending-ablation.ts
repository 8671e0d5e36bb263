/**
 * THROWAWAY-QUALITY MEASUREMENT (issue #10, optimizer side): how should `suggest` account for
 * trials still running? Each variant is a {@link PendingHandling}; every study runs on the study
 * loop's own simulated clock (src/bench/runner.ts, the harness of `npm run bench:parallel`), so
 * the numbers are comparable with that benchmark's. Results are in docs/optimizer.md ("Pending
 * trials (parallel studies)").
 *
 *   node bin/run-ts.js benchmarks/pending-ablation.ts [--specs benchmarks/paper-5stage.json]
 *       [--parallelism 4] [--seeds 10] [--seed-offset 0] [--jobs 2] [--variants a,b,...]
 *       [--reference] [--lag N] [--barrier] [--slot-free-waiting N] [--sharing RULE] [--out FILE]
 *
 * --reference also runs sequential EEIPU (parallelism 1, `suggest`) on the same seeds.
 * --lag N (with --parallelism 1): the optimizer sees the last N finished trials as running ones.
 * --barrier, --slot-free-waiting N, --sharing RULE: loop rules measured and not adopted
 * (`LoopAblation` of src/bench/runner.ts; the study workflow uses none).
 * Paired differences are against the first variant, seed by seed.
 *
 * This module is also the `suggest` module of the benchmark pool's worker threads: they pick the
 * variant named by the MEMOTUNE_PENDING_VARIANT environment variable (set before each pool starts).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { runBench } from '../src/bench/pool.js';
import { runMetrics } from '../src/bench/metrics.js';
import type { BenchRun } from '../src/bench/runner.js';
import { mean, standardError } from '../src/bench/stats.js';
import type { SharingRule } from '../src/core/study-loop.js';
import type { SuggestRequest, Suggestion } from '../src/core/types.js';
import { DEFAULT_PENDING_HANDLING, suggestWithPendingHandling, type PendingHandling } from '../src/optimizer/index.js';
import { readSyntheticSpec } from '../src/synthetic/index.js';

const VARIANT_ENV = 'MEMOTUNE_PENDING_VARIANT';
/**
 * Information lag (a diagnostic, run with --parallelism 1): the optimizer sees the last `lag`
 * finished trials as running ones, as a study with `lag` + 1 trials at once would at best. Tells
 * a parallel study's loss from what it cannot know apart from how it handles what is running.
 */
const LAG_ENV = 'MEMOTUNE_PENDING_LAG';

const VARIANTS: Readonly<Record<string, PendingHandling>> = {
  default: DEFAULT_PENDING_HANDLING,
  // f* = best of the observed and the believed values (the textbook kriging believer)
  'believed-incumbent': { ...DEFAULT_PENDING_HANDLING, incumbent: 'believed' },
  // η from the spent budget plus the running trials' predicted cost
  'committed-eta': { ...DEFAULT_PENDING_HANDLING, eta: 'committed' },
  'believed-incumbent+committed-eta': { ...DEFAULT_PENDING_HANDLING, incumbent: 'believed', eta: 'committed' },
  // the prefixes of running warm-up trials join the pool too
  'share-all': { ...DEFAULT_PENDING_HANDLING, sharePrefixes: 'all' },
  // running prefixes never join the pool
  'no-share': { ...DEFAULT_PENDING_HANDLING, sharePrefixes: 'none' },
  'believed-incumbent+no-share': { ...DEFAULT_PENDING_HANDLING, incumbent: 'believed', sharePrefixes: 'none' },
  // pending ignored except that running configurations are never suggested again
  'dedup-only': { ...DEFAULT_PENDING_HANDLING, believe: false, sharePrefixes: 'none' },
};

function variant(name: string): PendingHandling {
  const handling = VARIANTS[name];
  if (handling === undefined)
    throw new RangeError(`unknown variant ${name} (known: ${Object.keys(VARIANTS).join(', ')})`);
  return handling;
}

/** `suggest` with the variant of this process (the study loop's shareRunningPrefixes honoured). */
export function suggest(request: SuggestRequest): Suggestion {
  const handling = variant(process.env[VARIANT_ENV] ?? 'default');
  return suggestWithPendingHandling(
    lagged(request, Number(process.env[LAG_ENV] ?? 0)),
    request.shareRunningPrefixes === false ? { ...handling, sharePrefixes: 'none' } : handling,
  );
}

/** The request with its last `lag` finished trials moved to the running ones (see LAG_ENV). */
function lagged(request: SuggestRequest, lag: number): SuggestRequest {
  const hidden = request.history.slice(Math.max(0, request.history.length - lag));
  if (hidden.length === 0) return request;
  return {
    ...request,
    history: request.history.slice(0, request.history.length - hidden.length),
    pending: [...hidden.map(({ config, cachedPrefix }) => ({ config, cachedPrefix })), ...(request.pending ?? [])],
    budget: { ...request.budget, spent: request.budget.spent - hidden.reduce((sum, obs) => sum + obs.chargedCost, 0) },
  };
}

interface Summary {
  readonly finalBest: number;
  readonly evaluations: number;
  readonly reused: number;
  /** Trials that reused a prefix a running trial was still computing. */
  readonly shares: number;
  /** Trials that reused all S − 1 stages of a running trial (a sibling differing only in the last stage). */
  readonly siblings: number;
  readonly makespan: number;
}

function summarize(run: BenchRun, warmup: number, stageCount: number): Summary {
  const metrics = runMetrics(run, warmup, stageCount);
  return {
    finalBest: metrics.finalBest,
    evaluations: metrics.evaluations,
    reused: metrics.reused,
    shares: run.trials.filter((t) => (t.sharedInFlight ?? 0) > 0).length,
    siblings: run.trials.filter((t) => (t.sharedInFlight ?? 0) > 0 && t.delta === stageCount - 1).length,
    makespan: Math.max(...run.trials.map((t) => t.finishedAt ?? 0)),
  };
}

const fmt = (values: readonly number[], digits = 3): string =>
  `${mean(values).toFixed(digits)} ± ${standardError(values).toFixed(digits)}`;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      specs: { type: 'string', default: 'benchmarks/paper-5stage.json' },
      parallelism: { type: 'string', default: '4' },
      seeds: { type: 'string', default: '10' },
      'seed-offset': { type: 'string', default: '0' },
      jobs: { type: 'string', default: '2' },
      variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
      reference: { type: 'boolean', default: false },
      lag: { type: 'string', default: '0' },
      // loop rules measured and not adopted (src/bench/runner.ts, LoopAblation)
      barrier: { type: 'boolean', default: false },
      // LoopView.slotFreeWaiting (absent: the workflow's parallelism − 1; Infinity: every waiting trial leaves its slot)
      'slot-free-waiting': { type: 'string' },
      // SharingRule of src/core/study-loop.ts
      sharing: { type: 'string', default: 'fewerThanWorkers' },
      out: { type: 'string' },
    },
  });
  const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i + Number(args['seed-offset']));
  const parallelism = Number(args.parallelism);
  process.env[LAG_ENV] = args.lag;
  const names = args.variants.split(',').map((name) => name.trim());
  names.forEach(variant);
  const report: Record<string, Record<string, Summary[]>> = {};
  for (const path of args.specs.split(',')) {
    const spec = await readSyntheticSpec(path.trim());
    const stageCount = spec.stages.length;
    const rows: Record<string, Summary[]> = {};
    const runs = async (name: string, level: number): Promise<Summary[]> => {
      process.env[VARIANT_ENV] = name;
      const started = performance.now();
      const result = await runBench({
        spec,
        methods: ['eeipu'],
        seeds,
        jobs: Number(args.jobs),
        parallelism: level,
        loopAblation: {
          warmupBarrier: args.barrier,
          ...(args['slot-free-waiting'] === undefined ? {} : { slotFreeWaiting: Number(args['slot-free-waiting']) }),
          sharing: args.sharing as SharingRule,
        },
        suggestModule: import.meta.url,
      });
      console.error(`${spec.name} ${name} p=${level}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
      return result.map((run) => summarize(run, spec.warmup, stageCount));
    };
    if (args.reference) rows['sequential (p=1)'] = await runs('default', 1);
    for (const name of names) rows[name] = await runs(name, parallelism);
    report[spec.name] = rows;

    console.log(`\n## ${spec.name}: EEIPU, parallelism ${parallelism}, seeds ${seeds[0]}..${seeds.at(-1)}\n`);
    console.log(
      `| variant | final best | Δ vs ${names[0]} (paired) | wins | evaluations | δ > 0 | in-flight shares | siblings | makespan |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    const base = rows[names[0]!]!;
    for (const [name, summaries] of Object.entries(rows)) {
      const diff = summaries.map((s, i) => s.finalBest - base[i]!.finalBest);
      const column = (f: (s: Summary) => number, digits = 1): string => fmt(summaries.map(f), digits);
      console.log(
        `| ${name} | ${column((s) => s.finalBest, 3)} | ${fmt(diff)} | ${diff.filter((d) => d > 0).length}/${diff.filter((d) => d < 0).length} | ` +
          `${column((s) => s.evaluations)} | ${column((s) => s.reused)} | ${column((s) => s.shares)} | ${column((s) => s.siblings)} | ${column((s) => s.makespan, 0)} |`,
      );
      console.error(`${name}: final best per seed ${summaries.map((s) => s.finalBest.toFixed(2)).join(' ')}`);
    }
  }
  if (args.out !== undefined) writeFileSync(args.out, `${JSON.stringify({ seeds, parallelism, report }, null, 1)}\n`);
}

// Not awaited at the top level: with --jobs 1 the pool imports this module in this thread for its
// `suggest`, and that import would wait forever for a top-level await that waits for it.
if (isMainThread)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
