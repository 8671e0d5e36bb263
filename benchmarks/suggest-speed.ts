/**
 * Wall time of one full EEIPU suggestion (objective GP + S cost GPs + the whole prefix pool,
 * M = 1000 Monte-Carlo draws, 512 raw samples, 10 restarts per prefix) for n ∈ {100, 300, 1000}
 * observations, d ∈ {7, 20} dims, S ∈ {3, 5} stages, next to Optuna 5's GPSampler on the same n, d.
 *
 *   npm run bench:suggest                 # everything (creates .venv-bench/ for Optuna)
 *   npm run bench:suggest -- --quick      # n = 100 only
 *   npm run bench:suggest -- --no-optuna  # memotune alone
 *   npm run bench:suggest -- --cold-repeats 9   # more fresh processes per cold median (default 5)
 *
 * warm = median of 5 consecutive suggestions, each followed by one new observation, passing the
 *        returned `state` along, in a process that has been running the study for a while: after
 *        the first suggestion, 5 timed "early" steps and SETTLE untimed ones (Optuna's side runs
 *        the same sequence of asks and tells, so both are measured at the same n);
 * early = the median of the 5 steps right after the first suggestion (JIT still warming up);
 * cold = one suggestion in a freshly spawned Node process that receives only the serializable
 *        request (history + state): includes JIT warm-up, excludes process start-up, which is
 *        printed separately as the child's total wall time. The median over --cold-repeats fresh
 *        processes on each side (one sample is noise on a shared machine), the two sides'
 *        processes interleaved so that load swings hit both. Compared with Optuna's cold (the first
 *        ask of a fresh sampler on a pre-filled study in a fresh interpreter, with the modules that
 *        ask imports lazily — torch, optuna._gp, scipy.stats — imported before the clock starts, as
 *        ours are) and, stricter, with Optuna's warm-interpreter cold (one sample: a second fresh
 *        sampler's first ask right after another: cold sampler, but torch and Python have run a
 *        whole ask already). memotune's cold step includes compiling its WebAssembly module;
 * cold, no state = the same fresh process given the history without `state`: it fits every GP's
 *        hyperparameters from scratch, as Optuna's fresh sampler does (the cold figure above
 *        reuses the hyperparameters a restarted worker finds in the study state);
 * refit = one suggestion that refits every GP's hyperparameters (warm-started from the state), as
 *        happens whenever the history has grown 10% since the last fit; the warm median mostly
 *        measures steps that reuse them (see docs/optimizer.md);
 * RSS  = peak resident set size of the measuring process (parent for warm, child for cold).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Observation, OptimizerState, SearchSpace, SuggestRequest } from '../src/core/types.js';
import { suggest } from '../src/optimizer/index.js';
import { createRandom } from '../src/random/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const WARMUP = 10;
/** Untimed study steps between the early and the warm measurement (same in optuna_suggest.py). */
const SETTLE = 10;

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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : 0.5 * (sorted[mid - 1]! + sorted[mid]!);
}

function rssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

interface Row {
  n: number;
  d: number;
  S: number;
  earlyS: number;
  warmS: number;
  refitS: number;
  coldS: number;
  coldNoStateS: number;
  childWallS: number;
  poolSize: number;
  warmRssMb: number;
  coldRssMb: number;
}

type WarmRow = Omit<Row, 'coldS' | 'coldNoStateS' | 'childWallS' | 'coldRssMb'> & {
  coldRequestFile: string;
  noStateRequestFile: string;
};

interface ColdSample {
  seconds: number;
  wallS: number;
  rssMb: number;
}

/** One cold suggestion: a fresh Node process given only the serialized request. */
function coldChild(requestFile: string): ColdSample {
  const t0 = performance.now();
  const child = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/run-ts.js'), join(ROOT, 'benchmarks/suggest-speed.ts'), '--child', requestFile],
    { encoding: 'utf8' },
  );
  const wallS = (performance.now() - t0) / 1000;
  if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
  if (process.env.BENCH_VERBOSE) console.error(child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { seconds: number; rssMb: number };
  return { seconds: result.seconds, wallS, rssMb: result.rssMb };
}

function measureWarm(n: number, d: number, stages: number, dir: string): WarmRow {
  const space = benchSpace(d, stages);
  let obs = history(space, n, n * 100 + d * 10 + stages);
  // The previous iteration's call: provides the state a running study would carry.
  let state = suggest(requestFor(space, obs, undefined)).state;
  // What a restarted worker receives for the same n: the history and the state fitted at n.
  const coldRequest = requestFor(space, obs, state);
  let poolSize = 0;
  const step = (): number => {
    const t0 = performance.now();
    const s = suggest(requestFor(space, obs, state));
    const seconds = (performance.now() - t0) / 1000;
    poolSize = s.diagnostics.poolSize as number;
    state = s.state;
    obs = [...obs, evaluate(space, s.config, s.cachedPrefix, 'bo')];
    return seconds;
  };
  const early = Array.from({ length: 5 }, step);
  for (let k = 0; k < SETTLE; k++) step();
  const times = Array.from({ length: 5 }, step);
  // One step that refits every hyperparameter (warm-started from the state): what a step costs when
  // the history has grown 10% since the last fit. The warm median above mostly reuses them.
  const t1 = performance.now();
  suggest(requestFor(space, obs, { ...state, fittedAt: 1 }));
  const refitS = (performance.now() - t1) / 1000;
  const warmRssMb = rssMb();
  const coldRequestFile = join(dir, `request-${n}-${d}-${stages}.json`);
  writeFileSync(coldRequestFile, JSON.stringify(coldRequest));
  const { state: _fitted, ...noStateRequest } = coldRequest;
  const noStateRequestFile = join(dir, `request-${n}-${d}-${stages}-no-state.json`);
  writeFileSync(noStateRequestFile, JSON.stringify(noStateRequest));
  return {
    n,
    d,
    S: stages,
    earlyS: median(early),
    warmS: median(times),
    refitS,
    poolSize,
    warmRssMb,
    coldRequestFile,
    noStateRequestFile,
  };
}

interface OptunaRow {
  n: number;
  d: number;
  cold_s: number;
  warm_interpreter_cold_s: number;
  early_s: number;
  warm_s: number;
  optuna: string;
}

function ensureVenv(): string | null {
  const python = join(ROOT, '.venv-bench/bin/python');
  if (existsSync(python)) return python;
  const made = spawnSync('python3', ['-m', 'venv', join(ROOT, '.venv-bench')], { stdio: 'inherit' });
  if (made.status !== 0) return null;
  // Optuna pinned: optuna_suggest.py pre-imports its private GP modules, which move between versions.
  const pip = spawnSync(python, ['-m', 'pip', 'install', '-q', 'optuna==5.0.0', 'torch', 'scipy', 'greenlet'], {
    stdio: 'inherit',
  });
  return pip.status === 0 ? python : null;
}

function optuna(python: string, n: number, d: number, coldOnly = false): OptunaRow | null {
  const args = [join(ROOT, 'benchmarks/optuna_suggest.py'), String(n), String(d), ...(coldOnly ? ['--cold-only'] : [])];
  const run = spawnSync(python, args, { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`optuna n=${n} d=${d} failed: ${run.stderr.slice(-500)}`);
    return null;
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as OptunaRow;
}

function child(file: string): void {
  const request = JSON.parse(readFileSync(file, 'utf8')) as SuggestRequest;
  const t0 = performance.now();
  const s = suggest(request);
  const seconds = (performance.now() - t0) / 1000;
  if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(s.diagnostics));
  console.log(JSON.stringify({ seconds, rssMb: rssMb() }));
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!);
  const quick = args.includes('--quick');
  const repeatsAt = args.indexOf('--cold-repeats');
  const coldRepeats = repeatsAt === -1 ? 5 : Number(args[repeatsAt + 1]);
  if (!Number.isInteger(coldRepeats) || coldRepeats < 1) throw new Error('--cold-repeats must be a positive integer');
  const withOptuna = !args.includes('--no-optuna');
  const ns = quick ? [100] : [100, 300, 1000];
  const ds = [7, 20];
  const ss = [3, 5];
  const dir = mkdtempSync(join(tmpdir(), 'memotune-bench-'));
  const python = withOptuna ? ensureVenv() : null;
  if (withOptuna && python === null)
    console.log('Optuna unavailable (no Python or pip install failed): memotune alone.');

  const f = (v: number | undefined, digits = 3): string => (v === undefined ? '—' : v.toFixed(digits));
  console.log(
    `memotune suggest speed (node ${process.version}, M=1000, raw=512, restarts=10, warm-up ${WARMUP}, settle ${SETTLE}, ` +
      `cold = median of ${coldRepeats} fresh processes per side; Optuna warm-interpreter cold: one sample)`,
  );
  console.log(
    '| n | d | S | pool | memotune warm s | memotune early s | memotune refit s | memotune cold s | memotune cold, no state s | child wall s | Optuna warm s | Optuna early s | Optuna cold s | Optuna warm-interpreter cold s | warm ratio | early ratio | cold ratio | no-state cold ratio | cold ratio vs warm-interpreter Optuna | RSS warm MB | RSS cold MB |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const spreads: string[] = [];
  for (const n of ns) {
    for (const d of ds) {
      const o = python === null ? null : optuna(python, n, d);
      const warmRows = ss.map((S) => measureWarm(n, d, S, dir));
      // Cold: fresh processes, memotune's (with and without state, one per S) and Optuna's
      // alternating, all in the same rounds.
      const coldSamples = warmRows.map((): ColdSample[] => []);
      const noStateSamples = warmRows.map((): ColdSample[] => []);
      const optunaCold: number[] = [];
      for (let k = 0; k < coldRepeats; k++) {
        warmRows.forEach((w, i) => {
          coldSamples[i]!.push(coldChild(w.coldRequestFile));
          noStateSamples[i]!.push(coldChild(w.noStateRequestFile));
        });
        if (o !== null) {
          const sample = optuna(python!, n, d, true);
          if (sample !== null) optunaCold.push(sample.cold_s);
        }
      }
      if (o !== null && optunaCold.length > 0) o.cold_s = median(optunaCold);
      for (const [i, w] of warmRows.entries()) {
        const samples = coldSamples[i]!;
        const r: Row = {
          ...w,
          coldS: median(samples.map((c) => c.seconds)),
          coldNoStateS: median(noStateSamples[i]!.map((c) => c.seconds)),
          childWallS: median(samples.map((c) => c.wallS)),
          coldRssMb: Math.max(...samples.map((c) => c.rssMb)),
        };
        console.log(
          `| ${n} | ${d} | ${r.S} | ${r.poolSize} | ${f(r.warmS)} | ${f(r.earlyS)} | ${f(r.refitS)} | ${f(r.coldS)} | ${f(r.coldNoStateS)} | ${f(r.childWallS)} | ` +
            `${f(o?.warm_s)} | ${f(o?.early_s)} | ${f(o?.cold_s)} | ${f(o?.warm_interpreter_cold_s)} | ` +
            `${o ? f(r.warmS / o.warm_s, 2) : '—'} | ${o ? f(r.earlyS / o.early_s, 2) : '—'} | ` +
            `${o ? f(r.coldS / o.cold_s, 2) : '—'} | ${o ? f(r.coldNoStateS / o.cold_s, 2) : '—'} | ` +
            `${o ? f(r.coldS / o.warm_interpreter_cold_s, 2) : '—'} | ` +
            `${f(r.warmRssMb, 0)} | ${f(r.coldRssMb, 0)} |`,
        );
      }
      const range = (v: number[]): string => `${f(Math.min(...v))}–${f(Math.max(...v))}`;
      spreads.push(
        `- n=${n} d=${d}: memotune cold ${warmRows.map((w, i) => `S=${w.S} ${range(coldSamples[i]!.map((c) => c.seconds))} s`).join(', ')}` +
          `; no state ${warmRows.map((w, i) => `S=${w.S} ${range(noStateSamples[i]!.map((c) => c.seconds))} s`).join(', ')}` +
          (o === null
            ? ''
            : `; Optuna cold ${range(optunaCold)} s (${optunaCold.length} of ${coldRepeats} runs succeeded)`),
      );
    }
  }
  console.log(`\nCold samples (min–max over the fresh processes behind each median, ${coldRepeats} per figure):`);
  for (const line of spreads) console.log(line);
}

main();
