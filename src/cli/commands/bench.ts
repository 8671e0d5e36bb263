import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultPruner, defaultSuccessiveHalving } from '../../core/pruning.js';
import { runMetrics } from '../../bench/metrics.js';
import { DEFAULT_SUGGEST_MODULE, runBench } from '../../bench/pool.js';
import { summaryMarkdown, writeReportPlots } from '../../bench/report.js';
import { runStudy, type BenchRun } from '../../bench/runner.js';
import { runBenchViaTemporal } from '../../bench/temporal/run-bench.js';
import { compareRuns } from '../../bench/temporal/via-temporal.js';
import { methodNames, suggest } from '../../optimizer/index.js';
import { settingProblem } from '../../optimizer/settings.js';
import { summarizeBench, type BenchSummary } from '../../bench/summary.js';
import { canonicalJson } from '../../core/canonical-json.js';
import type { MethodName, OptimizerSettings } from '../../core/types.js';
import { parseSyntheticSpec, readSyntheticSpec, type SyntheticPipelineSpec } from '../../synthetic/index.js';
import { packageRoot } from '../../package-root.js';

// Optimizer knobs an ablation may override with --set key=value.
const SETTABLE = [
  'topQ',
  'mcSamples',
  'rawSamples',
  'restarts',
  'startsPerPrefix',
  'eta',
  'refitGrowth',
  'unpinnedCheck',
  'unpinnedSearch',
  'localSearchFromBest',
  'keepReuseSaving',
  'failedTrials',
  'prunedTrials',
  'costAwareStopping',
  'stoppingCostWeight',
] as const;

/**
 * Methods run when --methods is not given: the paper's six. The PBGI methods ('pbgi', 'pbgi-memo')
 * are opt-in, so the default run costs what it did and its headline stays comparable with earlier
 * reports (docs/benchmarks.md, "PBGI and cost-aware stopping").
 */
const DEFAULT_METHODS = ['eeipu', 'ms-carbo', 'carbo', 'eips', 'ei', 'random'] as const satisfies readonly MethodName[];

interface BenchFlags {
  via: 'process' | 'temporal';
  methods: MethodName[];
  seeds: number;
  seedOffset: number;
  jobs: number;
  parallel: number;
  budget?: number;
  epsilon?: number;
  curves?: { epochs: number; gap: number };
  pruner?: 'median' | 'successiveHalving' | 'none';
  set: Record<string, number | boolean | string>;
  json?: string;
  report?: string;
  progress: boolean;
  optimizer: string;
  from?: string[];
}

/** `--curves 10:2`: epochs (an integer ≥ 2) and gap (> 0). */
function parseCurves(value: string): { epochs: number; gap: number } {
  const match = /^(\d+):([0-9.eE+-]+)$/.exec(value.trim());
  const epochs = match === null ? Number.NaN : Number(match[1]);
  const gap = match === null ? Number.NaN : Number(match[2]);
  if (!(Number.isInteger(epochs) && epochs >= 2 && epochs <= 1000 && Number.isFinite(gap) && gap > 0))
    throw new InvalidArgumentError('give <epochs>:<gap>, an integer from 2 to 1000 and a positive number (e.g. 10:2)');
  return { epochs, gap };
}

function parseMethods(value: string): MethodName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(methodNames as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown method ${unknown.join(', ')} (known: ${methodNames.join(', ')})`);
  if (names.length === 0) throw new InvalidArgumentError('give at least one method');
  return [...new Set(names)] as MethodName[];
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
};

const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

const nonNegativeNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number');
  return n;
};

/** One `--set key=value` of `memotune bench`, checked by the optimizer's own setting rules. */
export function collectSetting(
  value: string,
  previous: Record<string, number | boolean | string>,
): Record<string, number | boolean | string> {
  const match = /^(\w+)=(.+)$/.exec(value);
  const key = match?.[1];
  if (match === null || key === undefined || !(SETTABLE as readonly string[]).includes(key)) {
    throw new InvalidArgumentError(`expected key=value with key one of ${SETTABLE.join(', ')}`);
  }
  const raw = match[2] as string;
  if (key === 'eta') {
    const eta = /^\s*(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(eta >= 0 && eta <= 1)) throw new InvalidArgumentError('eta must be a number in [0, 1]');
    return { ...previous, eta };
  }
  if (key === 'refitGrowth') {
    const growth = Number(raw);
    const problem = raw.trim() === '' ? 'must be a number' : settingProblem('refitGrowth', growth);
    if (problem !== undefined) throw new InvalidArgumentError(`refitGrowth ${problem}`);
    return { ...previous, refitGrowth: growth };
  }
  if (
    key === 'failedTrials' ||
    key === 'prunedTrials' ||
    key === 'unpinnedSearch' ||
    key === 'costAwareStopping' ||
    key === 'unpinnedCheck' ||
    key === 'localSearchFromBest' ||
    key === 'keepReuseSaving'
  ) {
    // Words and booleans: the optimizer's own rule decides which a setting takes.
    const value = raw === 'true' ? true : raw === 'false' ? false : raw;
    const problem = settingProblem(key, value);
    if (problem !== undefined) throw new InvalidArgumentError(`${key} ${problem}`);
    return { ...previous, [key]: value };
  }
  if (key === 'stoppingCostWeight') {
    // null (the default weight) is what leaving the setting out gives: here only numbers.
    const weight = Number(raw);
    if (settingProblem('stoppingCostWeight', weight) !== undefined)
      throw new InvalidArgumentError('stoppingCostWeight must be a finite number greater than 0');
    return { ...previous, stoppingCostWeight: weight };
  }
  return { ...previous, [key]: positiveInt(raw) };
}

/** Where the package keeps the synthetic pipeline specs it ships (package.json "files"). */
const shippedSpecDirs = [join(packageRoot, 'benchmarks'), join(packageRoot, 'benchmarks', 'heldout')];

/** The synthetic pipeline specs memotune ships, by name (`paper-3stage`) to file. */
export function shippedSpecs(): Map<string, string> {
  const specs = new Map<string, string>();
  for (const dir of shippedSpecDirs) {
    const files = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.json')) : [];
    for (const name of files.map((file) => basename(file, '.json')).sort()) specs.set(name, join(dir, `${name}.json`));
  }
  return specs;
}

/**
 * The file `memotune bench <spec>` reads: `spec` itself when it exists (relative to the working
 * directory), else the shipped spec of that bare name (`paper-3stage` or `paper-3stage.json`).
 *
 * @returns undefined when there is neither.
 */
export function resolveSpecPath(spec: string): string | undefined {
  if (existsSync(spec)) return spec;
  return basename(spec) === spec ? shippedSpecs().get(basename(spec, '.json')) : undefined;
}

/**
 * Reads the spec `memotune bench` was given. No spec, no such file or shipped name, or a file that
 * cannot be read or is not a valid spec is bad input: a usage error naming the argument, exit 2.
 */
async function loadSpec(spec: string | undefined, command: Command): Promise<SyntheticPipelineSpec> {
  const shipped = [...shippedSpecs().keys()].join(', ');
  if (spec === undefined) {
    command.error(
      `memotune: missing argument [spec]: a spec file or a shipped spec's name (${shipped}), or --from results.json`,
      {
        exitCode: 2,
      },
    );
  }
  const path = resolveSpecPath(spec);
  if (path === undefined) {
    command.error(`memotune: [spec] ${spec}: no such file, nor a shipped spec (${shipped})`, { exitCode: 2 });
  }
  try {
    return await readSyntheticSpec(path);
  } catch (error) {
    command.error(`memotune: [spec] ${(error as Error).message}`, { exitCode: 2 });
  }
}

/** The JSON written by `memotune bench --json`. */
export interface BenchReport {
  readonly spec: SyntheticPipelineSpec;
  readonly methods: readonly MethodName[];
  readonly seeds: readonly number[];
  readonly settings: OptimizerSettings;
  readonly summary: BenchSummary;
  readonly runs: readonly (BenchRun & { readonly metrics: ReturnType<typeof runMetrics> })[];
}

/** A report read back from `--json` output (metrics are recomputed, not trusted). */
interface SavedReport {
  readonly spec: SyntheticPipelineSpec;
  readonly methods: MethodName[];
  readonly seeds: number[];
  readonly settings: OptimizerSettings;
  readonly runs: BenchRun[];
}

/**
 * Reads a report written by `--json`, re-validating its spec.
 *
 * @throws Error naming the file when it cannot be read or is not such a report.
 */
async function readSavedReport(path: string): Promise<SavedReport> {
  let saved: BenchReport;
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as BenchReport;
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (!Array.isArray(saved.runs) || !Array.isArray(saved.seeds) || !Array.isArray(saved.methods)) {
    throw new Error(`${path} is not a memotune bench --json report`);
  }
  return {
    settings: saved.settings,
    spec: parseSyntheticSpec(saved.spec),
    runs: saved.runs.map(({ metrics: _metrics, ...run }) => run),
    seeds: [...saved.seeds],
    methods: [...saved.methods],
  };
}

/**
 * Merges saved reports of the same spec and settings (e.g. seeds 0..9 and 10..29): runs and
 * seeds are concatenated, methods keep their first order.
 *
 * @throws Error when specs or settings differ or a (method, seed) study appears twice.
 */
function mergeReports(paths: readonly string[], reports: readonly SavedReport[]): SavedReport {
  const [first, ...rest] = reports;
  if (first === undefined) throw new Error('--from needs at least one file');
  const seen = new Set<string>();
  const runs: BenchRun[] = [];
  const seeds: number[] = [];
  const methods: MethodName[] = [];
  reports.forEach((report, i) => {
    if (i > 0 && canonicalJson(report.spec) !== canonicalJson(first.spec)) {
      throw new Error(`${paths[i]}: spec differs from ${paths[0]}`);
    }
    if (i > 0 && canonicalJson(report.settings) !== canonicalJson(first.settings)) {
      throw new Error(`${paths[i]}: optimizer settings differ from ${paths[0]}`);
    }
    for (const run of report.runs) {
      const key = `${run.method}/${run.seed}`;
      if (seen.has(key)) throw new Error(`${paths[i]}: study ${key} appears twice`);
      seen.add(key);
      runs.push(run);
    }
    for (const seed of report.seeds) if (!seeds.includes(seed)) seeds.push(seed);
    for (const method of report.methods) if (!methods.includes(method)) methods.push(method);
  });
  runs.sort((a, b) => methods.indexOf(a.method) - methods.indexOf(b.method) || a.seed - b.seed);
  return rest.length === 0 ? first : { ...first, runs, seeds, methods };
}

function progressBar(
  enabled: boolean,
  studies: number,
  budget: number,
): {
  update: (key: string, spent: number, done: boolean) => void;
  stop: () => void;
} {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (!process.stderr.isTTY) {
    // Logs (background runs): one line per finished study instead of a redrawn bar.
    let finished = 0;
    return {
      update: (key, _spent, done) => {
        if (done) console.error(`finished ${key} (${++finished}/${studies})`);
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { format: ' bench [{bar}] {percentage}% | studies {done}/{studies} | ETA {eta_formatted}', hideCursor: true },
    Presets.shades_classic,
  );
  const spentBy = new Map<string, number>();
  let done = 0;
  let total = 0;
  bar.start(studies * budget, 0, { done, studies });
  return {
    update: (key, spent, finished) => {
      const capped = Math.min(spent, budget);
      total += capped - (spentBy.get(key) ?? 0);
      spentBy.set(key, capped);
      if (finished) done += 1;
      bar.update(Math.round(total * 100) / 100, { done, studies });
    },
    stop: () => bar.stop(),
  };
}

/**
 * Runs every (method, seed) as a real study through Temporal, and the same in-process, and says
 * whether each pair gave the same trial sequence (they must: same seed, same method).
 * @throws Error when any pair differs.
 */
async function runViaTemporalChecked(
  spec: SyntheticPipelineSpec,
  methods: readonly MethodName[],
  seeds: readonly number[],
  settings: OptimizerSettings,
): Promise<BenchRun[]> {
  const mismatches: string[] = [];
  const runs = await runBenchViaTemporal({
    spec,
    methods,
    seeds,
    settings,
    onStudy: (run, studyId) => {
      const reference = runStudy({ spec, method: run.method, seed: run.seed, suggest, settings });
      const comparison = compareRuns(reference, run);
      const verdict = comparison.identical
        ? `same ${run.trials.length} trials as in-process`
        : `DIFFERS from in-process at trial ${comparison.firstDifference} (${comparison.lengths.join(' vs ')} trials)`;
      if (!comparison.identical) mismatches.push(studyId);
      console.error(`${studyId}: ${verdict}`);
    },
  });
  if (mismatches.length > 0)
    throw new Error(`trial sequences differ from the in-process runs: ${mismatches.join(', ')}`);
  console.error(`all ${runs.length} studies gave the same trial sequence through Temporal as in-process`);
  return runs;
}

/**
 * `memotune bench <spec.json>`: runs optimizer methods on a synthetic pipeline in-process (no
 * Temporal) over several seeds, prints a Markdown summary and optionally writes the full JSON
 * (every trial) and SVG plots.
 */
export function benchCommand(): Command {
  return (
    new Command('bench')
      .description('in-process benchmark of the optimizer methods on a synthetic pipeline (no Temporal)')
      .addHelpText(
        'after',
        `
Examples:
  memotune bench paper-3stage --seeds 10
  memotune bench cheap-prefix --methods eeipu,eips --seeds 30 --json out.json
  memotune bench paper-5stage --parallel 4 --methods eeipu,ms-carbo
  memotune bench my-pipeline.json --seeds 5`,
      )
      .argument(
        '[spec]',
        `synthetic pipeline spec: a JSON file, or the name of a shipped one (${[...shippedSpecs().keys()].join(', ')})`,
      )
      .addOption(
        new Option('--methods <list>', 'comma-separated methods')
          .default([...DEFAULT_METHODS], `${DEFAULT_METHODS.join(',')}; also: pbgi, pbgi-memo`)
          .argParser(parseMethods),
      )
      .addOption(new Option('--seeds <n>', 'number of seeds (seed = index)').default(10).argParser(positiveInt))
      .addOption(new Option('--seed-offset <n>', 'first seed').default(0).argParser(nonNegativeInt))
      .addOption(
        new Option('--jobs <n>', 'worker threads (1 = sequential in this thread)')
          .default(Math.min(2, availableParallelism()))
          .argParser(positiveInt),
      )
      .addOption(
        new Option(
          '--parallel <n>',
          'trials each study runs at once, on a simulated clock (stage costs as durations; in-process only)',
        )
          .default(1)
          .argParser(positiveInt),
      )
      .addOption(new Option('--budget <units>', "override the spec's budget").argParser(positiveNumber))
      .addOption(new Option('--epsilon <units>', "override the spec's retrieval cost ε").argParser(nonNegativeNumber))
      .addOption(
        new Option(
          '--curves <epochs:gap>',
          'the last stage reports its objective per epoch and may be pruned (the spec\'s "curves")',
        ).argParser(parseCurves),
      )
      .addOption(
        new Option(
          '--pruner <type>',
          "the study's pruner for a spec with curves (median: 5 startup trials; successiveHalving: Optuna's defaults)",
        ).choices(['median', 'successiveHalving', 'none']),
      )
      .addOption(
        new Option('--set <key=value>', `optimizer setting for an ablation (${SETTABLE.join(', ')}); repeatable`)
          .default({}, 'none')
          .argParser(collectSetting),
      )
      .option('--json <file>', 'write the summary and every trial as JSON')
      .option('--report <dir>', 'write SVG plots (best-so-far vs cost, cumulative cost vs iteration)')
      .option('--no-progress', 'no progress bar')
      .addOption(
        new Option(
          '--via <runner>',
          'process: in-process (fast); temporal: real studies on the local stack, checked against in-process',
        )
          .choices(['process', 'temporal'])
          .default('process'),
      )
      // Tests (and experiments) can drive the harness with another module exporting suggest().
      .addOption(
        new Option('--optimizer <module-url>', 'module exporting suggest()').default(DEFAULT_SUGGEST_MODULE).hideHelp(),
      )
      .option(
        '--from <results.json...>',
        'do not run: re-summarize and re-plot JSON written by --json (several files of the same spec are merged, e.g. other seeds)',
      )
      .action(async (specArg: string | undefined, flags: BenchFlags, command: Command) => {
        let spec: SyntheticPipelineSpec;
        let runs: BenchRun[];
        let seeds: number[];
        let methods: MethodName[];
        let settings: OptimizerSettings;
        if (flags.from !== undefined) {
          let saved: SavedReport;
          try {
            saved = mergeReports(flags.from, await Promise.all(flags.from.map(readSavedReport)));
          } catch (error) {
            // An unreadable, foreign or mismatched report is bad input, as a bad spec is.
            command.error(`memotune: --from ${(error as Error).message}`, { exitCode: 2 });
          }
          ({ spec, seeds, methods, settings } = saved);
          runs = saved.runs;
        } else {
          const loaded = await loadSpec(specArg, command);
          spec = {
            ...loaded,
            ...(flags.budget === undefined ? {} : { budget: flags.budget }),
            ...(flags.epsilon === undefined ? {} : { epsilon: flags.epsilon }),
            ...(flags.curves === undefined ? {} : { curves: flags.curves }),
            ...(flags.pruner === undefined
              ? {}
              : {
                  pruner:
                    flags.pruner === 'none'
                      ? { type: 'none' as const }
                      : flags.pruner === 'successiveHalving'
                        ? { type: 'successiveHalving' as const, ...defaultSuccessiveHalving }
                        : defaultPruner,
                }),
          };
          seeds = Array.from({ length: flags.seeds }, (_, i) => flags.seedOffset + i);
          methods = flags.methods;
          settings = flags.set;
          if (flags.via === 'temporal') {
            if (flags.parallel !== 1)
              command.error('memotune: --parallel runs in-process only (drop --via temporal)', { exitCode: 2 });
            // The synthetic stage workers know no failing regions; a failure there would be charged
            // its real wall time, not the spec's cost, so the two runs could not agree anyway.
            if (spec.stages.some((stage) => stage.fails !== undefined))
              command.error('memotune: a spec with "fails" rules runs in-process only (drop --via temporal)', {
                exitCode: 2,
              });
            runs = await runViaTemporalChecked(spec, methods, seeds, settings);
          } else {
            const bar = progressBar(flags.progress, methods.length * seeds.length, spec.budget);
            try {
              runs = await runBench({
                spec,
                methods,
                seeds,
                jobs: flags.jobs,
                suggestModule: flags.optimizer,
                settings,
                ...(flags.parallel === 1 ? {} : { parallelism: flags.parallel }),
                onProgress: (p) => bar.update(`${p.method}/${p.seed}`, p.spent, p.done),
              });
            } finally {
              bar.stop();
            }
          }
        }
        const stageCount = spec.stages.length;
        const summary = summarizeBench(runs, { warmup: spec.warmup, stageCount });
        const parallelism = runs[0]?.parallelism ?? 1;
        const title = `${spec.name} (budget ${spec.budget}, ${seeds.length} seeds${parallelism === 1 ? '' : `, parallelism ${parallelism}`})`;
        console.log(`## ${title}\n`);
        console.log(summaryMarkdown(summary));
        if (flags.json !== undefined) {
          const report: BenchReport = {
            spec,
            methods,
            seeds,
            settings,
            summary,
            runs: runs.map((run) => ({ ...run, metrics: runMetrics(run, spec.warmup, stageCount) })),
          };
          await writeFile(flags.json, `${JSON.stringify(report)}\n`);
          console.error(`wrote ${flags.json}`);
        }
        if (flags.report !== undefined) {
          const files = await writeReportPlots(runs, spec.budget, flags.report, title, spec.warmup);
          console.error(`wrote ${files.join(', ')}`);
        }
      })
  );
}
