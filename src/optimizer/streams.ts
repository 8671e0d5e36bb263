/**
 * Names of the independent random streams of one suggestion. Every generator is
 * `createRandom(seed, [trialIndex,] STREAM_*)` with trialIndex = history.length + pending.length
 * (the index of the trial being suggested; the history length when trials run one at a time), so
 * a suggestion depends only on its request.
 */
/** Warm-up design scramble: keyed by the seed alone (shared by every method and iteration). */
export const STREAM_WARMUP = 1;
/** Uniform draws of the `random` method. */
export const STREAM_RANDOM = 2;
/** Scramble of the raw acquisition samples (shared by all prefixes of an iteration). */
export const STREAM_RAW = 3;
/** Scramble of the common normal draws of the cost Monte Carlo. */
export const STREAM_MC = 4;
/** Restart seeds of the GP hyperparameter fits. */
export const STREAM_GP = 5;
/** Perturbation of the best observed configuration, the start of the local search from it. */
export const STREAM_BEST = 6;
