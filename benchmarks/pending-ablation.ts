/**
 * THROWAWAY-QUALITY MEASUREMENT (issue #10, optimizer side): how should `suggest` account for
 * trials still running? Not the benchmark harness — the real simulated-clock runner is
 * src/bench/runner.ts; this is a small event simulation written only to choose the scheme
 * documented in docs/optimizer.md ("Pending trials (parallel studies)").
 *
 *   node bin/run-ts.js benchmarks/pending-ablation.ts [--spec benchmarks/paper-3stage.json]
 *       [--parallelism 4] [--seeds 5] [--seed-offset 0] [--variants a,b,...] [--check-sequential]
 *
 * Simulation: `parallelism` workers; a trial started at time t with δ reused stages is ready to
 * compute at max(t + δ·ε, the time its δ-stage prefix output commits) — single flight: a prefix
 * another running trial is computing is waited for, never recomputed — then runs its remaining
 * stages for their synthetic costs, committing each proper prefix as it goes. It is charged
 * δ·ε + Σ_{s>δ} c_s (waiting is not charged). When a trial finishes (earliest first, ties by start
 * order) it joins the history in finish order and the next trial is suggested with the others
 * still running as `pending`. New trials start while the budget spent by FINISHED trials is below
 * the spec's budget (what a real study loop knows), so the total may overshoot by the charges of
 * the last running trials. `budget.spent` passed to the optimizer is the same finished-trial sum.
 *
 * Reported per variant (mean ± SE over seeds): final best objective, trials, trials reusing a
 * prefix (δ > 0), single-flight shares (δ > 0 and the δ-prefix still being computed by a running
 * trial when the new one started), total charge, simulated makespan, optimizer ms per BO step,
 * and the best objective among trials finished by simulated time --at (wall-clock view: waiting
 * for a shared prefix leaves a worker idle).
 *
 * --waiting-frees-slot: a trial waiting for an in-flight prefix does not count against the
 * parallelism (another trial may start meanwhile) and computes as soon as the prefix is committed,
 * even if that briefly makes more than `parallelism` trials compute: an OPTIMISTIC bound on what
 * a study loop that does not hold a worker for a waiting trial could gain.
 *
 * --check-sequential: with parallelism 1 this simulation must reproduce the sequential runner's
 * trial configurations bit for bit (src/bench/runner.ts `runStudy`); checks that and exits.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { canonicalJson } from '../src/core/canonical-json.js';
import { trialCharge } from '../src/core/study.js';
import type { Configuration, Observation, OptimizerState, PendingTrial } from '../src/core/types.js';
import { runStudy } from '../src/bench/runner.js';
import {
  DEFAULT_PENDING_HANDLING,
  suggest,
  suggestWithPendingHandling,
  type PendingHandling,
} from '../src/optimizer/index.js';
import {
  evaluateSynthetic,
  parseSyntheticSpec,
  syntheticSearchSpace,
  type SyntheticPipelineSpec,
} from '../src/synthetic/index.js';

const VARIANTS: Readonly<Record<string, PendingHandling>> = {
  // (a) kriging believer + prefixes of running post-warm-up trials in the pool at ε (the default)
  'believer+share-bo': DEFAULT_PENDING_HANDLING,
  // (a') the same with the prefixes of running warm-up trials too
  'believer+share': { believe: true, sharePrefixes: 'all' },
  // (b) pending ignored except that running configurations are never suggested again
  'dedup-only': { believe: false, sharePrefixes: 'none' },
  // (c) plain acquisition with posterior updates only (arXiv 2603.13501) + prefix sharing
  'plain+share': { believe: false, sharePrefixes: 'all' },
  // (d) kriging believer without prefix sharing
  believer: { believe: true, sharePrefixes: 'none' },
};

interface Running {
  readonly config: Configuration;
  readonly delta: number;
  readonly start: number;
  readonly finish: number;
  readonly objective: number;
  readonly stageCosts: readonly number[];
  readonly charge: number;
  readonly phase: Observation['phase'];
  readonly order: number;
  /** When it starts computing: after waiting for an in-flight prefix, if any. */
  readonly resume: number;
}

interface RunResult {
  readonly configs: Configuration[];
  readonly finalBest: number;
  readonly trials: number;
  readonly reused: number;
  readonly shares: number;
  readonly charged: number;
  readonly makespan: number;
  readonly waits: number;
  readonly boMs: number[];
  /** Best objective among the trials finished by `atTime` (−∞ if none). */
  readonly bestAtTime: number;
}

function simulate(
  spec: SyntheticPipelineSpec,
  seed: number,
  parallelism: number,
  handling: PendingHandling,
  atTime = Number.POSITIVE_INFINITY,
  waitingFreesSlot = false,
): RunResult {
  const space = syntheticSearchSpace(spec);
  const stageCount = spec.stages.length;
  const settings = { method: 'eeipu' as const, epsilon: spec.epsilon, warmup: spec.warmup };
  /** Canonical prefix (stages 1..k) → time its output is committed (possibly in the future). */
  const readyAt = new Map<string, number>();
  const history: Observation[] = [];
  const running: Running[] = [];
  const configs: Configuration[] = [];
  let state: OptimizerState | undefined;
  let spent = 0;
  let charged = 0;
  let now = 0;
  let started = 0;
  let reused = 0;
  let shares = 0;
  let waits = 0;
  let best = Number.NEGATIVE_INFINITY;
  let bestAtTime = Number.NEGATIVE_INFINITY;
  let stopped = false;
  const boMs: number[] = [];

  const startTrials = (): void => {
    // A trial waiting for an in-flight prefix holds its slot, unless --waiting-frees-slot.
    const busy = (): number => running.filter((r) => !(waitingFreesSlot && r.resume > now)).length;
    // (At most 2 × parallelism trials in all: waiting trials must not pile up without bound.)
    while (!stopped && busy() < parallelism && running.length < 2 * parallelism && spent < spec.budget) {
      const pending: PendingTrial[] = running.map((r) => ({ config: r.config, cachedPrefix: r.delta }));
      const t0 = performance.now();
      const suggestion = suggestWithPendingHandling(
        {
          space,
          history: history.slice(),
          pending,
          budget: { total: spec.budget, spent },
          direction: 'maximize',
          settings,
          seed,
          ...(state === undefined ? {} : { state }),
        },
        handling,
      );
      if (suggestion.phase === 'bo') boMs.push(performance.now() - t0);
      if (suggestion.diagnostics.waitForPending === true) {
        waits++;
        return;
      }
      if (suggestion.diagnostics.exhausted === true) {
        stopped = true;
        return;
      }
      state = suggestion.state;
      const config = suggestion.config;
      let delta = 0;
      while (delta < stageCount - 1 && readyAt.has(canonicalJson(config.slice(0, delta + 1)))) delta++;
      const prefixReady = delta === 0 ? now : readyAt.get(canonicalJson(config.slice(0, delta)))!;
      if (delta > 0) reused++;
      if (delta > 0 && prefixReady > now) shares++;
      const evaluation = evaluateSynthetic(spec, config);
      let t = Math.max(now + delta * spec.epsilon, prefixReady);
      const resume = t;
      for (let s = delta; s < stageCount; s++) {
        t += evaluation.stageCosts[s]!;
        if (s < stageCount - 1) readyAt.set(canonicalJson(config.slice(0, s + 1)), t);
      }
      const charge = trialCharge(delta, spec.epsilon, evaluation.stageCosts.slice(delta));
      charged += charge;
      running.push({
        config,
        delta,
        start: now,
        finish: t,
        objective: evaluation.objective,
        stageCosts: evaluation.stageCosts,
        charge,
        phase: suggestion.phase,
        order: started++,
        resume,
      });
      configs.push(config);
    }
  };

  startTrials();
  while (running.length > 0) {
    let next = 0;
    for (let i = 1; i < running.length; i++) {
      const r = running[i]!;
      const b = running[next]!;
      if (r.finish < b.finish || (r.finish === b.finish && r.order < b.order)) next = i;
    }
    const done = running.splice(next, 1)[0]!;
    now = done.finish;
    spent += done.charge;
    best = Math.max(best, done.objective);
    if (now <= atTime) bestAtTime = best;
    history.push({
      config: done.config,
      objective: done.objective,
      stageCosts: done.stageCosts,
      cachedPrefix: done.delta,
      chargedCost: done.charge,
      phase: done.phase,
    });
    startTrials();
  }
  return { configs, finalBest: best, trials: started, reused, shares, charged, makespan: now, waits, boMs, bestAtTime };
}

function meanSe(values: readonly number[]): string {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const digits = Math.abs(mean) >= 100 ? 1 : Math.abs(mean) >= 10 ? 2 : 3;
  return `${mean.toFixed(digits)} ± ${Math.sqrt(variance / n).toFixed(digits)}`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
}

const { values: args } = parseArgs({
  options: {
    spec: { type: 'string', default: 'benchmarks/paper-3stage.json' },
    parallelism: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '5' },
    'seed-offset': { type: 'string', default: '0' },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    'check-sequential': { type: 'boolean', default: false },
    'waiting-frees-slot': { type: 'boolean', default: false },
    at: { type: 'string', default: '50' },
  },
});
const spec = parseSyntheticSpec(JSON.parse(readFileSync(args.spec, 'utf8')));
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i + Number(args['seed-offset']));

if (args['check-sequential']) {
  for (const seed of seeds) {
    const reference = runStudy({ spec, method: 'eeipu', seed, suggest }).trials.map((t) => canonicalJson(t.config));
    const mine = simulate(spec, seed, 1, DEFAULT_PENDING_HANDLING).configs.map((c) => canonicalJson(c));
    const same = reference.length === mine.length && reference.every((c, i) => c === mine[i]);
    console.log(`seed ${seed}: ${same ? 'identical' : 'DIFFERENT'} (${reference.length} vs ${mine.length} trials)`);
    if (!same) process.exitCode = 1;
  }
} else {
  const parallelism = Number(args.parallelism);
  const atTime = Number(args.at);
  console.log(
    `## ${spec.name}: budget ${spec.budget}, parallelism ${parallelism}, seeds ${seeds[0]}..${seeds.at(-1)}\n`,
  );
  console.log(
    `| variant | final best | best at t=${atTime} | trials | reused (δ>0) | single-flight shares | waits | charged | makespan | BO step ms (median) |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const name of args.variants.split(',')) {
    const handling = VARIANTS[name];
    if (handling === undefined)
      throw new RangeError(`unknown variant ${name} (known: ${Object.keys(VARIANTS).join(', ')})`);
    const runs = seeds.map((seed) => simulate(spec, seed, parallelism, handling, atTime, args['waiting-frees-slot']));
    const column = (f: (r: RunResult) => number): string => meanSe(runs.map(f));
    console.log(
      `| ${name} | ${column((r) => r.finalBest)} | ${column((r) => r.bestAtTime)} | ${column((r) => r.trials)} | ${column((r) => r.reused)} | ` +
        `${column((r) => r.shares)} | ${column((r) => r.waits)} | ${column((r) => r.charged)} | ` +
        `${column((r) => r.makespan)} | ${median(runs.flatMap((r) => r.boMs)).toFixed(0)} |`,
    );
    console.error(`${name}: final best per seed ${runs.map((r) => r.finalBest.toFixed(3)).join(' ')}`);
    console.error(`${name}: best at t=${atTime} per seed ${runs.map((r) => r.bestAtTime.toFixed(3)).join(' ')}`);
  }
}
