/**
 * Wall time of one full EEIPU suggestion next to one Optuna 5 GPSampler ask, with the same work in
 * the timed step on both sides: every timed step fits the GP hyperparameters, both sides run on one
 * thread, and the two sides' samples are taken alternately (medians and quartiles of interleaved
 * repeats).
 *
 *   npm run bench:suggest                      # headline rows (creates .venv-bench/ for Optuna)
 *   npm run bench:suggest -- --quick           # n = 120 only
 *   npm run bench:suggest -- --repeats 9       # interleaved rounds per row (default 7)
 *   npm run bench:suggest -- --no-optuna       # memotune alone
 *   npm run bench:suggest -- --out FILE        # raw samples (default benchmarks/out/suggest-speed.json;
 *                                              # with --quick or --no-optuna: $TMPDIR/suggest-speed.json)
 *
 * One memotune suggestion: objective GP + S stage-cost GPs + the whole prefix pool, M = 1000
 * Monte-Carlo draws, 512 raw samples, 10 restarts. One Optuna ask: one GP (no cost model), its
 * default acquisition search. History: n random configurations of d uniform floats (split over S
 * stages on memotune's side), the same objective on both sides.
 *
 * Rows: (n = 120, d = 7, S = 3) and (n = 1000, d = 20, S = 5), memotune on all the data (no screening
 * subset, hyperparameters fitted on all n: benchmarks/suggest-full-data.ts) as Optuna is; at
 * n = 1000 also memotune's shipped subset path, labelled as such (acquisition search on a
 * 256-trial screening GP, hyperparameters fitted on a 256-trial subset; at n = 120 ≤ 256 the two
 * paths are the same code path).
 *
 * warm refit = one step in a process that has been running the study (JIT and interpreter warm:
 *        SETTLE untimed steps first), each followed by one new observation. memotune: `state`
 *        passed along but marked stale (fittedAt 1), so every GP's hyperparameters are refitted,
 *        warm-started from the previous fit — what Optuna's GPSampler does on every ask (it starts
 *        from its cached kernel parameters). Optuna: its normal ask, then a tell.
 * cold = the first suggestion in a fresh process (Node / Python) with its modules loaded, given only
 *        the history: memotune without `state`, so every GP is fitted from scratch; Optuna: a fresh
 *        sampler's first ask on a pre-filled study (its GP fitted from default parameters). Process
 *        start-up and imports are outside the clock on both sides.
 * cold, refit from stored state = memotune's restarted worker as it really runs: a fresh process
 *        given the history and the state stored in the study, marked stale so that every GP is
 *        refitted (warm-started from it). Optuna's sampler keeps its kernel-parameter cache in
 *        memory only, so its restart is the cold ask above; compared with that.
 * reuse  = (not in the ratios) memotune's step with the state it just returned, which reuses the
 *        stored hyperparameters (the shipped policy until the history grows 10%): what most steps
 *        of a running memotune study cost. Same history as the refit step it follows.
 *
 * Each round runs, for each side in an order that alternates between rounds: one warm refit step
 * and its cold processes. Ratios: median(memotune) / median(Optuna), and the quartiles of the per-round
 * paired ratios.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Observation, OptimizerState, SearchSpace, SuggestRequest, Suggestion } from '../src/core/types.js';
import { suggest } from '../src/optimizer/index.js';
import { createRandom } from '../src/random/index.js';
import { suggestFullData } from './suggest-full-data.js';

const ROOT = resolve(import.meta.dirname, '..');
const VENV = join(ROOT, '.venv-bench');
const WARMUP = 10;
/** Untimed warm steps before the timed ones (same in optuna_suggest.py). */
const SETTLE = 3;

/** The bench venv, pinned; installed with --no-deps so that nothing else (no CUDA) comes along. */
const PYTHON_PACKAGES = [
  'optuna==5.0.0',
  'numpy==2.4.6',
  'scipy==1.17.1',
  'alembic==1.20.1',
  'sqlalchemy==2.1.9',
  'greenlet==3.5.6',
  'mako==1.4.3',
  'colorlog==6.12.0',
  'packaging==26.4',
  'pyyaml==6.0.4',
  'tqdm==4.70.1',
  // torch's pure-Python dependencies
  'filelock==4.3.2',
  'typing-extensions==4.16.0',
  'sympy==1.14.0',
  'mpmath==1.3.0',
  'networkx==3.6.1',
  'jinja2==3.1.6',
  'markupsafe==3.0.4',
  'fsspec==2026.9.0',
];
const TORCH = 'torch==2.14.1';

type Path = 'full' | 'subset';
/** Timing fields of a BO step's `diagnostics`. */
const PHASES = ['fitObjectiveMs', 'fitCostMs', 'setupMs', 'rawScoreMs', 'localOptMs', 'totalMs'] as const;
const SUGGEST: Record<Path, (request: SuggestRequest) => Suggestion> = { full: suggestFullData, subset: suggest };

interface Case {
  readonly n: number;
  readonly d: number;
  readonly S: number;
  /** memotune paths timed (n ≤ 256: the subset path is the full one). */
  readonly paths: readonly Path[];
}

const CASES: readonly Case[] = [
  { n: 120, d: 7, S: 3, paths: ['full'] },
  { n: 1000, d: 20, S: 5, paths: ['full', 'subset'] },
];

/** Stage sizes: d split as evenly as possible over S stages (earlier stages get the extra). */
function stageSizes(d: number, stages: number): number[] {
  return Array.from({ length: stages }, (_, s) => Math.floor(d / stages) + (s < d % stages ? 1 : 0));
}

function benchSpace(d: number, stages: number): SearchSpace {
  let k = 0;
  return stageSizes(d, stages).map((size, s) => ({
    name: `stage${s}`,
    params: Array.from({ length: size }, () => ({ name: `x${k++}`, type: 'float' as const, low: 0, high: 1 })),
  }));
}

/** Same objective as benchmarks/optuna_suggest.py. */
function objectiveOf(x: readonly number[]): number {
  let value = 0;
  for (const v of x) value += -((v - 0.3) ** 2) + 0.1 * Math.sin(5 * v);
  return value;
}

function evaluate(
  space: SearchSpace,
  config: SuggestRequest['history'][number]['config'],
  cachedPrefix: number,
  phase: 'warmup' | 'bo',
): Observation {
  const flat: number[] = [];
  const stageCosts = space.map((stage, s) => {
    let c = 1;
    for (const p of stage.params) {
      const v = config[s]![p.name] as number;
      flat.push(v);
      c += (Math.sin(3 * v + s) + 1) ** 2;
    }
    return c;
  });
  const charged = stageCosts.reduce((sum, c, s) => sum + (s < cachedPrefix ? 0.1 : c), 0);
  return { config, objective: objectiveOf(flat), stageCosts, cachedPrefix, chargedCost: charged, phase };
}

function history(space: SearchSpace, n: number, seed: number): Observation[] {
  const rng = createRandom(seed, 99);
  const out: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const config = space.map((stage) => Object.fromEntries(stage.params.map((p) => [p.name, rng.next()])));
    out.push(evaluate(space, config, 0, i < WARMUP ? 'warmup' : 'bo'));
  }
  return out;
}

function requestFor(
  space: SearchSpace,
  obs: readonly Observation[],
  state: OptimizerState | undefined,
): SuggestRequest {
  const spent = obs.reduce((sum, o) => sum + o.chargedCost, 0);
  return {
    space,
    history: obs,
    budget: { total: spent * 2, spent },
    direction: 'maximize',
    settings: { method: 'eeipu', warmup: WARMUP, mcSamples: 1000, rawSamples: 512, restarts: 10 },
    seed: 7,
    ...(state === undefined ? {} : { state }),
  };
}

/** The state as returned, but fitted "long ago": the next step refits every GP (warm-started). */
function stale(state: OptimizerState | undefined): OptimizerState | undefined {
  return state === undefined ? undefined : { ...state, fittedAt: 1 };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

const median = (values: readonly number[]): number => quantile(values, 0.5);

/** A memotune study in this process on one path: each timed step refits, then observes. */
class MemotuneStudy {
  #obs: Observation[];
  #state: OptimizerState | undefined;
  readonly refitDiagnostics: Suggestion['diagnostics'][] = [];

  constructor(
    private readonly space: SearchSpace,
    initial: readonly Observation[],
    private readonly path: Path,
  ) {
    this.#obs = [...initial];
    this.#state = SUGGEST[path](requestFor(space, this.#obs, undefined)).state;
    this.initialState = this.#state;
  }

  /** The state fitted on the initial history. */
  readonly initialState: OptimizerState | undefined;

  /** One refit step (timed), then the reuse step on the same history (timed), then one observation. */
  step(): { refitS: number; reuseS: number } {
    const t0 = performance.now();
    const s = SUGGEST[this.path](requestFor(this.space, this.#obs, stale(this.#state)));
    const refitS = (performance.now() - t0) / 1000;
    if (s.diagnostics.refit !== true) throw new Error('the timed step did not refit');
    if (this.path === 'full' && s.diagnostics.screeningPoints !== s.diagnostics.successful)
      throw new Error('the full-data step ran on a screening subset');
    this.refitDiagnostics.push(s.diagnostics);
    const t1 = performance.now();
    const again = SUGGEST[this.path](requestFor(this.space, this.#obs, s.state));
    const reuseS = (performance.now() - t1) / 1000;
    if (again.diagnostics.refit !== false) throw new Error('the reuse step refitted');
    this.#state = s.state;
    this.#obs = [...this.#obs, evaluate(this.space, s.config, s.cachedPrefix, 'bo')];
    return { refitS, reuseS };
  }
}

/** One cold memotune suggestion: a fresh Node process given only the serialized request. */
function memotuneCold(requestFile: string, path: Path, warmStarted: boolean): number {
  const child = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/run-ts.js'), join(ROOT, 'benchmarks/suggest-speed.ts'), '--child', requestFile, path],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    seconds: number;
    refit: boolean;
    warmStarted: boolean;
  };
  if (!result.refit || result.warmStarted !== warmStarted) throw new Error('the cold step did not fit as intended');
  return result.seconds;
}

function child(file: string, path: Path): void {
  const request = JSON.parse(readFileSync(file, 'utf8')) as SuggestRequest;
  const t0 = performance.now();
  const s = SUGGEST[path](request);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ seconds, refit: s.diagnostics.refit, warmStarted: s.diagnostics.warmStarted }));
}

function pythonEnv(): NodeJS.ProcessEnv {
  const stubs = join(VENV, 'cuda-stubs');
  return {
    ...process.env,
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
    ...(existsSync(stubs) ? { LD_LIBRARY_PATH: [stubs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
  };
}

/**
 * The bench venv with CPU-only torch and no CUDA package: torch from the CPU wheel index when it can
 * be reached, otherwise PyPI's wheel without its dependencies plus stub CUDA libraries
 * (benchmarks/suggest-torch-stubs.py). Returns null when that fails.
 */
function ensureVenv(): string | null {
  const python = join(VENV, 'bin/python');
  const verify = (): boolean =>
    spawnSync(
      python,
      [
        '-c',
        'import importlib.metadata as m, torch, optuna; ' +
          'assert not [d for d in m.distributions() if d.metadata["Name"].lower().startswith("nvidia")], "CUDA packages"; ' +
          'assert not torch.cuda.is_available(); assert float((torch.ones(64, 64) @ torch.ones(64, 64)).sum()) == 64**3',
      ],
      { stdio: 'inherit', env: pythonEnv() },
    ).status === 0;
  if (existsSync(python)) {
    if (verify()) return python;
    console.log(`${VENV} fails the check above (an older venv with CUDA torch?): remove it to rebuild.`);
    return null;
  }
  const run = (command: string, args: string[]): boolean => spawnSync(command, args, { stdio: 'inherit' }).status === 0;
  if (!run('python3', ['-m', 'venv', VENV])) return null;
  const pip = (...args: string[]): boolean => run(python, ['-m', 'pip', 'install', '-q', '--no-deps', ...args]);
  if (!pip(...PYTHON_PACKAGES)) return null;
  if (!pip('--index-url', 'https://download.pytorch.org/whl/cpu', `${TORCH}+cpu`)) {
    console.log('CPU wheel index unreachable: PyPI torch without its CUDA packages, with stub CUDA libraries.');
    if (!pip(TORCH)) return null;
    if (!run(python, [join(ROOT, 'benchmarks/suggest-torch-stubs.py'), VENV])) return null;
  }
  return verify() ? python : null;
}

/** A running Optuna study in one Python process (optuna_suggest.py --serve). */
class OptunaStudy {
  readonly #process: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  info: Record<string, unknown> = {};

  constructor(python: string, n: number, d: number) {
    this.#process = spawn(python, [join(ROOT, 'benchmarks/optuna_suggest.py'), '--serve', String(n), String(d)], {
      env: pythonEnv(),
    });
    this.#process.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.#lines = createInterface({ input: this.#process.stdout })[Symbol.asyncIterator]();
  }

  async #read(): Promise<Record<string, unknown>> {
    const line = await this.#lines.next();
    if (line.done === true) throw new Error('optuna_suggest.py --serve ended');
    return JSON.parse(line.value) as Record<string, unknown>;
  }

  async ready(): Promise<void> {
    this.info = await this.#read();
  }

  async step(): Promise<number> {
    this.#process.stdin.write('step\n');
    return (await this.#read()).s as number;
  }

  close(): void {
    this.#process.stdin.end('quit\n');
  }
}

function optunaCold(python: string, n: number, d: number): { s: number; modules: string[] } {
  const run = spawnSync(python, [join(ROOT, 'benchmarks/optuna_suggest.py'), '--cold', String(n), String(d)], {
    encoding: 'utf8',
    env: pythonEnv(),
  });
  if (run.status !== 0) throw new Error(`optuna cold failed: ${run.stderr.slice(-500)}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    s: number;
    modules_loaded_during_ask: string[];
  };
  return { s: result.s, modules: result.modules_loaded_during_ask };
}

interface Samples {
  refit: number[];
  reuse: number[];
  /** Fresh process, no state: every GP fitted from scratch. */
  cold: number[];
  /** Fresh process, the stored state marked stale: every GP refitted, warm-started from it. */
  coldState: number[];
}

interface CaseResult {
  readonly n: number;
  readonly d: number;
  readonly S: number;
  readonly memotune: Partial<Record<Path, Samples>>;
  readonly optuna: { warm: number[]; cold: number[] } | null;
  readonly poolSize: number;
  /** Where memotune's timed refit steps spent their time: median ms per phase (`diagnostics`), per path. */
  readonly refitPhasesMs: Partial<Record<Path, Record<string, number>>>;
  readonly loadAverage: { before: number[]; after: number[] };
  readonly optunaModulesLoadedDuringColdAsk: string[];
}

async function measure(c: Case, repeats: number, python: string | null, dir: string): Promise<CaseResult> {
  const space = benchSpace(c.d, c.S);
  const initial = history(space, c.n, c.n * 100 + c.d * 10 + c.S);
  const before = loadavg();
  const coldFile = join(dir, `request-${c.n}-${c.d}-${c.S}.json`);
  writeFileSync(coldFile, JSON.stringify(requestFor(space, initial, undefined)));
  const studies = Object.fromEntries(c.paths.map((p) => [p, new MemotuneStudy(space, initial, p)])) as Partial<
    Record<Path, MemotuneStudy>
  >;
  // What a restarted memotune worker finds in the study: the history and the state fitted at n.
  const stateFiles = Object.fromEntries(
    c.paths.map((p) => {
      const file = join(dir, `request-${c.n}-${c.d}-${c.S}-${p}-state.json`);
      writeFileSync(file, JSON.stringify(requestFor(space, initial, stale(studies[p]!.initialState))));
      return [p, file];
    }),
  ) as Partial<Record<Path, string>>;
  const memotune = Object.fromEntries(
    c.paths.map((p) => [p, { refit: [], reuse: [], cold: [], coldState: [] }]),
  ) as Partial<Record<Path, Samples>>;
  for (let k = 0; k < SETTLE; k++) for (const p of c.paths) studies[p]!.step();
  const optunaStudy = python === null ? null : new OptunaStudy(python, c.n, c.d);
  await optunaStudy?.ready();
  const optuna = python === null ? null : { warm: [] as number[], cold: [] as number[] };
  let modules: string[] = [];

  for (let round = 0; round < repeats; round++) {
    const memotuneTurn = (): void => {
      for (const p of c.paths) {
        const { refitS, reuseS } = studies[p]!.step();
        memotune[p]!.refit.push(refitS);
        memotune[p]!.reuse.push(reuseS);
        memotune[p]!.cold.push(memotuneCold(coldFile, p, false));
        memotune[p]!.coldState.push(memotuneCold(stateFiles[p]!, p, true));
      }
    };
    const optunaTurn = async (): Promise<void> => {
      if (optunaStudy === null || optuna === null) return;
      optuna.warm.push(await optunaStudy.step());
      const cold = optunaCold(python!, c.n, c.d);
      optuna.cold.push(cold.s);
      modules = cold.modules;
    };
    if (round % 2 === 0) {
      memotuneTurn();
      await optunaTurn();
    } else {
      await optunaTurn();
      memotuneTurn();
    }
    process.stderr.write(`n=${c.n} d=${c.d} S=${c.S}: round ${round + 1}/${repeats}\n`);
  }
  optunaStudy?.close();
  const last = studies[c.paths[0]!]!.refitDiagnostics.at(-1)!;
  return {
    n: c.n,
    d: c.d,
    S: c.S,
    memotune,
    optuna,
    poolSize: last.poolSize as number,
    refitPhasesMs: Object.fromEntries(
      c.paths.map((p) => {
        const timed = studies[p]!.refitDiagnostics.slice(SETTLE);
        return [p, Object.fromEntries(PHASES.map((phase) => [phase, median(timed.map((t) => t[phase] as number))]))];
      }),
    ),
    loadAverage: { before, after: loadavg() },
    optunaModulesLoadedDuringColdAsk: modules,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, args[2] as Path);
  const option = (name: string, fallback: string): string => {
    const at = args.indexOf(name);
    return at === -1 ? fallback : args[at + 1]!;
  };
  const repeats = Number(option('--repeats', '7'));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats must be a positive integer');
  const quick = args.includes('--quick');
  // The tracked raw samples behind docs/benchmarks.md are the full run's: a quick or memotune-only
  // run writes its own file unless told where.
  const defaultOut =
    quick || args.includes('--no-optuna')
      ? join(tmpdir(), 'suggest-speed.json')
      : join(ROOT, 'benchmarks/out/suggest-speed.json');
  const out = resolve(option('--out', defaultOut));
  const cases = quick ? CASES.filter((c) => c.n <= 256) : CASES;
  const python = args.includes('--no-optuna') ? null : ensureVenv();
  if (!args.includes('--no-optuna') && python === null)
    console.log('Optuna unavailable (no Python, pip install or CPU-only torch failed): memotune alone.');
  const dir = mkdtempSync(join(tmpdir(), 'memotune-bench-'));

  const results: CaseResult[] = [];
  for (const c of cases) results.push(await measure(c, repeats, python, dir));

  const f = (v: number): string => (v < 1 ? v.toFixed(3) : v.toPrecision(3));
  const summary = (v: readonly number[]): string => `${f(median(v))} [${f(quantile(v, 0.25))}–${f(quantile(v, 0.75))}]`;
  const ratio = (m: readonly number[], o: readonly number[] | undefined): string => {
    if (o === undefined || o.length === 0) return '—';
    const paired = m.map((v, i) => v / o[i]!);
    return `×${(median(m) / median(o)).toFixed(2)} [${quantile(paired, 0.25).toFixed(2)}–${quantile(paired, 0.75).toFixed(2)}]`;
  };
  const optunaInfo = python === null ? '' : `, Optuna ${OPTUNA_VERSION} / torch ${TORCH.split('==')[1]} on 1 thread`;
  console.log(
    `\nSuggest speed, both sides fitting hyperparameters in the timed step (node ${process.version}${optunaInfo}; ` +
      `${cpus().length} cores; ${repeats} interleaved rounds; median [quartiles] in s; ratio = memotune / Optuna, ` +
      `median of medians [quartiles of the per-round paired ratios])\n`,
  );
  console.log(
    '| n | d | S | memotune data | pool | memotune warm refit | Optuna warm ask | warm ratio | memotune cold, no state | Optuna cold | cold ratio | memotune cold, refit from stored state | ratio to Optuna cold | memotune reuse step (not compared) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const [path, m] of Object.entries(r.memotune) as [Path, Samples][]) {
      const label = path === 'subset' ? 'subset path (256-trial screening + fit subset)' : 'all n trials';
      console.log(
        `| ${r.n} | ${r.d} | ${r.S} | ${label} | ${r.poolSize} | ${summary(m.refit)} | ${r.optuna ? summary(r.optuna.warm) : '—'} | ` +
          `${ratio(m.refit, r.optuna?.warm)} | ${summary(m.cold)} | ${r.optuna ? summary(r.optuna.cold) : '—'} | ` +
          `${ratio(m.cold, r.optuna?.cold)} | ${summary(m.coldState)} | ${ratio(m.coldState, r.optuna?.cold)} | ${summary(m.reuse)} |`,
      );
    }
  }
  for (const r of results) {
    console.log(
      `\nn=${r.n}: load average ${r.loadAverage.before.map((v) => v.toFixed(2)).join(' ')} → ` +
        `${r.loadAverage.after.map((v) => v.toFixed(2)).join(' ')}` +
        (r.optuna ? `; modules Optuna's cold ask still imported: ${r.optunaModulesLoadedDuringColdAsk.length}` : ''),
    );
    for (const [path, phases] of Object.entries(r.refitPhasesMs)) {
      const parts = Object.entries(phases).map(([phase, ms]) => `${phase.replace(/Ms$/, '')} ${ms.toFixed(0)}`);
      console.log(`  memotune ${path} refit step, median ms: ${parts.join(', ')}`);
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        node: process.version,
        cores: cpus().length,
        repeats,
        python: python === null ? null : { packages: [...PYTHON_PACKAGES, TORCH] },
        unit: 's',
        results: results.map(({ optunaModulesLoadedDuringColdAsk: _, ...r }) => r),
      },
      (_key, value: unknown) =>
        typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value,
    )}\n`,
  );
  console.log(`\nraw samples: ${out}`);
}

const OPTUNA_VERSION = PYTHON_PACKAGES[0]!.split('==')[1]!;

await main();
