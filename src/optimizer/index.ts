/**
 * memotune's optimizer entry point: one pure function from a {@link SuggestRequest} to the next
 * {@link Suggestion}. Every random choice is drawn from streams keyed by (seed, history length,
 * purpose), so the same request gives the same suggestion bit for bit, in any process.
 *
 * Phases: while fewer than `warmup` observations exist, the suggestion is the next point of the
 * seeded warm-up design (identical for every method); afterwards the configured method runs.
 */
import type { Configuration, SuggestRequest, Suggestion } from '../core/types.js';
import { SpaceEncoding } from '../space/index.js';
import { configKey, designPoint, randomPoint } from './design.js';
import { resolveSettings } from './settings.js';
import { boSuggest } from './bo.js';

export { methodNames, resolveSettings } from './settings.js';
export { configKey } from './design.js';

function checkRequest(request: SuggestRequest, encoding: SpaceEncoding): void {
  if (!Number.isSafeInteger(request.seed)) throw new RangeError('seed must be a safe integer');
  if (request.direction !== 'maximize' && request.direction !== 'minimize') {
    throw new RangeError('direction must be "maximize" or "minimize"');
  }
  const { total, spent } = request.budget;
  if (!Number.isFinite(total) || !Number.isFinite(spent)) throw new RangeError('budget must be finite');
  request.history.forEach((obs, i) => {
    try {
      encoding.encode(obs.config);
    } catch (error) {
      throw new RangeError(`history[${i}]: ${(error as Error).message}`);
    }
    if (obs.objective !== null && !Number.isFinite(obs.objective)) {
      throw new RangeError(`history[${i}]: objective must be finite or null`);
    }
    if (obs.stageCosts.length !== encoding.space.length) {
      throw new RangeError(`history[${i}]: stageCosts must have ${encoding.space.length} entries`);
    }
  });
}

/**
 * Suggests the next configuration to evaluate.
 *
 * - history.length < warmup: warm-up design point number `history.length` (phase `'warmup'`).
 * - method `'random'`: a uniform configuration.
 * - otherwise: the method's acquisition maximized over the prefix pool (see `docs/optimizer.md`).
 * An exact duplicate of an observed configuration is returned only when the space is exhausted
 * (`diagnostics.exhausted`).
 *
 * @throws {RangeError} for an invalid space, settings, seed, direction, budget, or a history
 *   entry whose configuration does not fit the space (message names the entry, stage, param).
 */
export function suggest(request: SuggestRequest): Suggestion {
  const started = performance.now();
  const encoding = new SpaceEncoding(request.space);
  const settings = resolveSettings(request.settings);
  checkRequest(request, encoding);
  const observed = new Set<string>(request.history.map((obs) => configKey(obs.config)));
  const n = request.history.length;

  const plain = (
    config: Configuration,
    phase: 'warmup' | 'bo',
    exhausted: boolean,
    extra: Record<string, string>,
  ): Suggestion => ({
    config,
    cachedPrefix: 0,
    phase,
    acquisition: null,
    predictedCost: null,
    diagnostics: { method: settings.method, exhausted, totalMs: performance.now() - started, ...extra },
    ...(request.state === undefined ? {} : { state: request.state }),
  });

  if (n < settings.warmup) {
    const { config, exhausted } = designPoint(encoding, request.seed, n, observed);
    return plain(config, 'warmup', exhausted, {});
  }
  if (settings.method === 'random') {
    const { config, exhausted } = randomPoint(encoding, request.seed, n, observed);
    return plain(config, 'bo', exhausted, {});
  }
  const result = boSuggest(request, encoding, settings, observed);
  if (result !== null) return result;
  // No successful observation to model yet: keep exploring with the design sequence.
  const { config, exhausted } = designPoint(encoding, request.seed, n, observed);
  return plain(config, 'bo', exhausted, { fallback: 'no-successful-observations' });
}
