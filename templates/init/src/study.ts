// The study: the pipeline's stages, each with its own hyperparameters, the objective and the
// budget (seconds of stage time unless your stages report their own cost).
import { defineStudy } from 'memotune';

export const study = defineStudy({
  name: '__NAME__',
  pipeline: {
    stages: [
      {
        name: 'prepare',
        taskQueue: 'cpu',
        params: [{ name: 'features', type: 'categorical', choices: ['raw', 'squared'] }],
      },
      {
        name: 'train',
        taskQueue: 'gpu',
        params: [
          { name: 'lr', type: 'float', low: 1e-4, high: 1, log: true },
          { name: 'epochs', type: 'int', low: 1, high: 20 },
        ],
        // Bump when the stage's code changes: its cached outputs stop being reused.
        version: '1',
        heartbeatSeconds: 60,
      },
    ],
  },
  objective: { metric: 'score', direction: 'maximize' },
  budget: 60,
  // Toy stages take milliseconds; a real pipeline's budget (seconds) ends the study first.
  maxTrials: 25,
  // epsilon: what a trial is charged for each stage it reuses from the cache (default 0.1 s).
  // It must stay below the cheapest stage's time or a reuse looks dearer than a re-run; these toy
  // stages take milliseconds.
  optimizer: { method: 'eeipu', warmup: 5, epsilon: 0.001 },
});
