// Stage implementations: params are typed from src/study.ts. Each stage's output (a JSON value or
// bytes) is cached in S3 under a key chained from the stages before it, so later trials that share
// this prefix of hyperparameters reuse it instead of running the stage again.
import { defineStages, TrialPruned } from 'memotune';
import { study } from './study.js';

export const stages = defineStages(study, {
  prepare: ({ params, seed }) => {
    // Every random choice takes the stage's seed: the same prefix gives the same output.
    let state = seed;
    const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const xs = Array.from({ length: 200 }, () => random() * 2 - 1);
    const rows = xs.map((x) => ({ x: params.features === 'squared' ? x * x : x, y: Math.sin(3 * x) }));
    return { output: rows };
  },
  train: async ({ params, parent, heartbeat, signal, report, shouldPrune }) => {
    const rows = await parent!.json<{ x: number; y: number }[]>();
    const mse = (w: number) => rows.reduce((sum, { x, y }) => sum + (y - w * x) ** 2, 0) / rows.length;
    let w = 0;
    for (let epoch = 0; epoch < params.epochs && !signal.aborted; epoch++) {
      for (const { x, y } of rows) w += params.lr * (y - w * x) * x;
      heartbeat({ epoch });
      // The objective so far: a trial behind the earlier ones' median at this epoch stops here,
      // charged what it spent (the study's `pruner`; `study report` draws every trial's curve).
      report(epoch, -mse(w));
      if (shouldPrune()) throw new TrialPruned();
    }
    return { output: { w }, metrics: { score: -mse(w) } };
  },
});
