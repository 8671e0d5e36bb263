/**
 * How one suggestion's time grows with the history: EEIPU on the paper-3stage space (7 encoded
 * dimensions) with n random trials, each step reusing the stored optimizer state (no hyperparameter
 * refit), as most steps of a long study do. The shipped subset path bounds the fit and the
 * screening; the objective GP is conditioned on all n trials, its Cholesky factor continued from
 * the one kept from the step before (src/gp/factor-cache.ts) — or, with --no-factor-cache,
 * computed anew each step, which grows as n³ (docs/reliability.md, "Suggestion time").
 *
 *   node bin/run-ts.js benchmarks/suggest-growth.ts [--no-factor-cache] [--pending K] [500 1000 2000 4000]
 *
 * Prints, per n, the median of three consecutive steps and the three times.
 */
import { readFileSync } from 'node:fs';
import type { Observation, SearchSpace } from '../src/core/types.js';
import { setFactorCacheLimit } from '../src/gp/index.js';
import { suggest } from '../src/optimizer/index.js';
import { createRandom } from '../src/random/index.js';
import { parseSyntheticSpec } from '../src/synthetic/index.js';

const spec = parseSyntheticSpec(
  JSON.parse(readFileSync(new URL('./paper-3stage.json', import.meta.url), 'utf8')) as unknown,
);
const bounds = spec.stages.map((stage) => stage.params.map(({ name, low, high }) => ({ name, low, high })));
const space: SearchSpace = spec.stages.map((stage, s) => ({
  name: stage.name,
  params: bounds[s]!.map((param) => ({ ...param, type: 'float' as const })),
}));
const random = createRandom(1);

/** n random trials with a smooth objective and per-stage costs (their values do not matter here). */
function history(n: number): Observation[] {
  return Array.from({ length: n }, () => {
    const config = bounds.map((params) =>
      Object.fromEntries(params.map((param) => [param.name, param.low + (param.high - param.low) * random.next()])),
    );
    const lead = Object.values(config[0]!) as number[];
    return {
      config,
      objective: -lead.reduce((sum, value) => sum + value * value, 0) + 0.1 * random.next(),
      stageCosts: [1 + random.next(), 2 + random.next(), 3 + random.next()],
      cachedPrefix: 0,
      chargedCost: 6,
      phase: 'bo',
    };
  });
}

const args = process.argv.slice(2);
if (args.includes('--no-factor-cache')) setFactorCacheLimit(0);
// --pending K: the last K trials of each step's history are still running (a parallel study).
const pendingAt = args.indexOf('--pending');
const pendingCount = pendingAt >= 0 ? Number(args.splice(pendingAt, 2)[1]) : 0;
const sizes = args.filter((arg) => !arg.startsWith('--')).map(Number);
for (const n of sizes.length > 0 ? sizes : [500, 1000, 2000, 4000]) {
  const trials = history(n);
  const request = { space, budget: { total: 1e9, spent: 10 }, direction: 'maximize' as const, seed: 0, settings: {} };
  // The first step fits; the next three reuse what it stored.
  const at = (end: number) => ({
    history: trials.slice(0, end - pendingCount),
    pending: trials
      .slice(end - pendingCount, end)
      .map(({ config }) => ({ config, cachedPrefix: 0, phase: 'bo' as const })),
  });
  let state = suggest({ ...request, ...at(n - 3) }).state;
  const seconds: number[] = [];
  for (let left = 2; left >= 0; left--) {
    const started = performance.now();
    const step = suggest({ ...request, ...at(n - left), ...(state ? { state } : {}) });
    seconds.push((performance.now() - started) / 1000);
    state = step.state;
  }
  const median = [...seconds].sort((a, b) => a - b)[1]!;
  console.log(`n = ${n}: ${median.toFixed(2)} s a suggestion (${seconds.map((s) => s.toFixed(2)).join(', ')})`);
}
