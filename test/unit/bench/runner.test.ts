import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrefixMemo } from '../../../src/bench/memo.js';
import { runBench } from '../../../src/bench/pool.js';
import { runStudy, type BenchRun } from '../../../src/bench/runner.js';
import type { SuggestRequest } from '../../../src/core/types.js';
import { evaluateSynthetic, parseSyntheticSpec } from '../../../src/synthetic/index.js';
import { suggest } from '../../../src/optimizer/index.js';
import { suggest as fakeSuggest } from './fixtures/fake-optimizer.js';

const paper = parseSyntheticSpec({
  ...JSON.parse(readFileSync(new URL('../../../benchmarks/paper-3stage.json', import.meta.url), 'utf8')),
  budget: 120,
  warmup: 5,
});
const FAKE = new URL('./fixtures/fake-optimizer.ts', import.meta.url).href;

function checkAccounting(run: BenchRun): void {
  const memo = new PrefixMemo(paper.stages.length);
  let spent = 0;
  for (const trial of run.trials) {
    expect(spent).toBeLessThan(paper.budget);
    const { delta } = memo.lookup(trial.config);
    expect(trial.delta).toBe(delta);
    const full = evaluateSynthetic(paper, trial.config);
    expect(trial.stageCosts).toEqual(full.stageCosts);
    expect(trial.objective).toBe(full.objective);
    const charged = delta * paper.epsilon + full.stageCosts.slice(delta).reduce((a, b) => a + b, 0);
    expect(trial.chargedCost).toBeCloseTo(charged, 12);
    memo.record(trial.config, full.stageCosts);
    spent += trial.chargedCost;
    expect(trial.spent).toBeCloseTo(spent, 9);
  }
  expect(spent).toBeGreaterThanOrEqual(paper.budget);
  expect(run.truncated).toBe(false);
}

describe('runStudy with training curves (pruning)', () => {
  const curved = parseSyntheticSpec({ ...paper, curves: { epochs: 10, gap: 5 } });

  it('stops a trial whose curve falls behind the median, charging its last stage by the epochs it ran', () => {
    const run = runStudy({ spec: curved, method: 'random', seed: 3, suggest });
    const pruned = run.trials.filter((trial) => trial.prunedAt !== undefined);
    expect(pruned.length).toBeGreaterThan(0);
    const last = curved.stages.length - 1;
    for (const trial of run.trials) {
      const full = evaluateSynthetic(curved, trial.config);
      if (trial.prunedAt === undefined) {
        expect(trial.objective).toBe(full.objective);
        continue;
      }
      expect(trial.objective).toBeNull();
      expect(trial.prunedAt).toBeLessThan(9);
      expect(trial.stageCosts[last]).toBeCloseTo((full.stageCosts[last]! * (trial.prunedAt + 1)) / 10, 12);
    }
    // Nothing is pruned before 5 completed trials (the median pruner's startup).
    const firstPruned = run.trials.indexOf(pruned[0]!);
    expect(run.trials.slice(0, firstPruned).filter((trial) => trial.objective !== null).length).toBeGreaterThanOrEqual(
      5,
    );
  });

  it('gives the same trials as without curves when the pruner is none', () => {
    const none = runStudy({ spec: { ...curved, pruner: { type: 'none' } }, method: 'random', seed: 3, suggest });
    const plain = runStudy({ spec: paper, method: 'random', seed: 3, suggest });
    // Everything but the optimizer's wall time.
    const shown = (run: BenchRun) => run.trials.map(({ optimizerMs: _, ...trial }) => trial);
    expect(shown(none)).toEqual(shown(plain));
  });
});

describe('runStudy', () => {
  it('runs a failing stage for its cost, stops the trial there, caches nothing from it on, and records it failed', () => {
    const failing = parseSyntheticSpec({
      ...JSON.parse(readFileSync(new URL('../../../benchmarks/failing-regions.json', import.meta.url), 'utf8')),
      budget: 120,
      warmup: 5,
    });
    const memo = new PrefixMemo(failing.stages.length);
    const run = runStudy({ spec: failing, method: 'eeipu', seed: 2, suggest: fakeSuggest });
    let failed = 0;
    for (const trial of run.trials) {
      const { delta } = memo.lookup(trial.config);
      expect(trial.delta).toBe(delta);
      const full = evaluateSynthetic(failing, trial.config);
      const ran = full.failedAt ?? failing.stages.length - 1;
      expect(trial.objective).toBe(full.objective);
      expect(trial.stageCosts).toEqual(full.stageCosts.map((cost, s) => (s <= ran ? cost : 0)));
      const charged = delta * failing.epsilon + full.stageCosts.slice(delta, ran + 1).reduce((a, b) => a + b, 0);
      expect(trial.chargedCost).toBeCloseTo(charged, 12);
      memo.record(trial.config, trial.stageCosts, undefined, full.failedAt ?? failing.stages.length);
      if (full.failedAt !== null) {
        failed++;
        expect(trial.objective).toBeNull();
        expect(delta).toBeLessThanOrEqual(full.failedAt);
      }
    }
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(run.trials.length);
  });

  it('ends a run early by cost-aware stopping when it is on, and says so', () => {
    // A weight no expected improvement can pay: the first BO suggestion stops the run.
    const settings = { costAwareStopping: true, stoppingCostWeight: 1e12, rawSamples: 64, mcSamples: 64 };
    const run = runStudy({ spec: paper, method: 'pbgi-memo', seed: 1, suggest, settings });
    expect(run.trials.map((t) => t.phase)).toEqual(Array(paper.warmup).fill('warmup'));
    expect(run.earlyStop).toBe('costAwareStopping');
    expect(run.truncated).toBe(false);
    const off = runStudy({ spec: paper, method: 'eips', seed: 1, suggest: fakeSuggest, settings });
    // No evidence (the fake optimizer gives none): nothing stops.
    expect(off.earlyStop).toBeUndefined();
  });

  it('spends the budget, charges ε per reused stage and full cost for the rest', () => {
    for (const method of ['random', 'eeipu'] as const)
      checkAccounting(runStudy({ spec: paper, method, seed: 3, suggest: fakeSuggest }));
  });

  it('counts cache hits: δ = S − 1 for prefix reuse and for an exact duplicate', () => {
    const run = runStudy({ spec: paper, method: 'eeipu', seed: 1, suggest: fakeSuggest });
    const post = run.trials.slice(paper.warmup);
    expect(post.length).toBeGreaterThan(3);
    expect(post.every((t) => t.delta === 2)).toBe(true);
    const duplicate = post[1];
    expect(duplicate?.config).toEqual(run.trials.find((t) => t.objective === duplicate?.objective)?.config);
    // ε-charged prefixes make each post-warm-up trial cheaper than running the same config whole.
    for (const t of post) expect(t.chargedCost).toBeLessThan(t.stageCosts.reduce((a, b) => a + b, 0));
  });

  it('builds requests from the spec and passes the optimizer state along', () => {
    const requests: SuggestRequest[] = [];
    runStudy({
      spec: paper,
      method: 'ei',
      seed: 2,
      settings: { topQ: 3 },
      suggest: (request) => {
        requests.push(request);
        return fakeSuggest(request);
      },
    });
    expect(requests[0]?.state).toBeUndefined();
    requests.forEach((request, i) => {
      expect(request.settings).toEqual({ topQ: 3, method: 'ei', epsilon: 0.1, warmup: 5 });
      expect(request.direction).toBe('maximize');
      expect(request.seed).toBe(2);
      expect(request.history).toHaveLength(i);
      expect(request.budget.total).toBe(120);
      if (i > 0) expect(request.state).toEqual({ calls: i });
    });
    const last = requests.at(-1) as SuggestRequest;
    const spent = last.history.reduce((sum, obs) => sum + obs.chargedCost, 0);
    expect(last.budget.spent).toBeCloseTo(spent, 9);
    expect(last.budget.spent).toBeLessThan(120);
  });

  it('gives every method the same warm-up for a seed', () => {
    const a = runStudy({ spec: paper, method: 'random', seed: 4, suggest: fakeSuggest });
    const b = runStudy({ spec: paper, method: 'eeipu', seed: 4, suggest: fakeSuggest });
    expect(a.trials.slice(0, 5).map((t) => t.config)).toEqual(b.trials.slice(0, 5).map((t) => t.config));
  });

  it('stops at maxTrials and flags the run as truncated', () => {
    const run = runStudy({ spec: paper, method: 'random', seed: 0, suggest: fakeSuggest, maxTrials: 3 });
    expect(run.trials).toHaveLength(3);
    expect(run.truncated).toBe(true);
  });
});

/** The fake optimizer, keyed by the trial being suggested (history + pending) as the real one is. */
const pendingAwareFake = (request: SuggestRequest) => {
  const pending = request.pending ?? [];
  const shifted = {
    ...request,
    history: [...request.history, ...pending.map((p) => ({ ...request.history[0]!, ...p }))],
  };
  return fakeSuggest(request.history.length === 0 ? { ...request, seed: request.seed + pending.length * 7 } : shifted);
};

describe('runStudy with parallel trials on a simulated clock', () => {
  const makespan = (run: BenchRun) => Math.max(...run.trials.map((t) => t.finishedAt!));

  it('runs up to `parallelism` trials at once, lists them in finish order and charges them in that order', () => {
    const requests: SuggestRequest[] = [];
    const run = runStudy({
      spec: paper,
      method: 'random',
      seed: 3,
      parallelism: 3,
      suggest: (request) => (requests.push(request), pendingAwareFake(request)),
    });
    expect(run.parallelism).toBe(3);
    let spent = 0;
    run.trials.forEach((trial, i) => {
      spent += trial.chargedCost;
      expect(trial.spent).toBeCloseTo(spent, 9);
      if (i > 0) expect(trial.finishedAt!).toBeGreaterThanOrEqual(run.trials[i - 1]!.finishedAt!);
      const overlapping = run.trials.filter(
        (t) => t.startedAt! <= trial.startedAt! && t.finishedAt! > trial.startedAt!,
      );
      expect(overlapping.length).toBeLessThanOrEqual(3);
    });
    expect(new Set(run.trials.map((t) => t.index)).size).toBe(run.trials.length);
    expect(Math.max(...requests.map((r) => r.pending?.length ?? 0))).toBe(2);
    // Three at once spend the same budget in well under the sequential time.
    const sequential = runStudy({ spec: paper, method: 'random', seed: 3, suggest: pendingAwareFake });
    expect(makespan(run)).toBeLessThan(0.6 * makespan(sequential));
  });

  it('single-flights a prefix a running trial is computing: the next trial waits for it and pays ε', () => {
    // After the warm-up, every suggestion copies the prefix of the latest running trial.
    const sharing = (request: SuggestRequest) => {
      const suggestion = pendingAwareFake(request);
      const running = request.pending?.at(-1);
      if (suggestion.phase === 'warmup' || running === undefined) return suggestion;
      return { ...suggestion, config: [...running.config.slice(0, 2), suggestion.config[2]!], cachedPrefix: 2 };
    };
    const run = runStudy({ spec: paper, method: 'eeipu', seed: 1, parallelism: 2, suggest: sharing });
    const shared = run.trials.filter((t) => (t.sharedInFlight ?? 0) > 0);
    expect(shared.length).toBeGreaterThan(0);
    for (const trial of shared) {
      const rest = trial.stageCosts.slice(trial.delta).reduce((a, b) => a + b, 0);
      expect(trial.chargedCost).toBeCloseTo(trial.delta * paper.epsilon + rest, 12);
      // It could not finish before the prefix it waited for was committed and its own stages ran.
      expect(trial.finishedAt! - trial.startedAt!).toBeGreaterThan(trial.delta * paper.epsilon + rest);
    }
  });

  it('with parallelism 1 gives exactly the sequential study', () => {
    const a = runStudy({ spec: paper, method: 'eeipu', seed: 2, suggest: fakeSuggest });
    const b = runStudy({ spec: paper, method: 'eeipu', seed: 2, suggest: fakeSuggest, parallelism: 1 });
    const strip = (run: BenchRun) => run.trials.map(({ optimizerMs: _ms, ...rest }) => rest);
    expect(strip(b)).toEqual(strip(a));
    expect(a.trials.every((t, i) => t.index === i && t.startedAt === (a.trials[i - 1]?.finishedAt ?? 0))).toBe(true);
  });
});

describe('runBench', () => {
  it('runs every method on every seed, in worker threads with the same results as sequentially', async () => {
    const options = { spec: paper, methods: ['random', 'eeipu'] as const, seeds: [0, 1], suggestModule: FAKE };
    const progress: string[] = [];
    const sequential = await runBench({
      ...options,
      jobs: 1,
      onProgress: (p) => p.done && progress.push(`${p.method}/${p.seed}`),
    });
    const parallel = await runBench({ ...options, jobs: 2 });
    expect(sequential.map((r) => `${r.method}/${r.seed}`)).toEqual(['random/0', 'random/1', 'eeipu/0', 'eeipu/1']);
    expect(progress).toEqual(['random/0', 'random/1', 'eeipu/0', 'eeipu/1']);
    const strip = (runs: BenchRun[]) => runs.map((r) => r.trials.map(({ optimizerMs: _ms, ...rest }) => rest));
    expect(strip(parallel)).toEqual(strip(sequential));
  });

  it('reports a failing optimizer module with the study it broke', async () => {
    const broken = 'data:text/javascript,export function suggest() { throw new Error("boom"); }';
    await expect(
      runBench({ spec: paper, methods: ['ei'], seeds: [0], suggestModule: broken, jobs: 1 }),
    ).rejects.toThrow('boom');
    await expect(
      runBench({ spec: paper, methods: ['ei', 'eips'], seeds: [0], suggestModule: broken, jobs: 2 }),
    ).rejects.toThrow(/seed 0: .*boom/);
  });
});
