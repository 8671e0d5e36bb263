/**
 * memotune's optimizer entry point: one pure function from a {@link SuggestRequest} to the next
 * {@link Suggestion}. Every random choice is drawn from streams keyed by (seed, trial index,
 * purpose), trial index = history.length + pending.length, so the same request gives the same
 * suggestion bit for bit, in any process.
 *
 * Phases: while the trial index is below `warmup`, the suggestion is that point of the seeded
 * warm-up design (identical for every method); afterwards the configured method runs.
 */
import type { Configuration, PendingTrial, SuggestRequest, Suggestion } from '../core/types.js';
import { SpaceEncoding } from '../space/index.js';
import { configKey, designPoint, randomPoint, type Exclusions, type Pick } from './design.js';
import { effortIssues, resolveSettings } from './settings.js';
import { boSuggest } from './bo-step.js';
import { DEFAULT_PENDING_HANDLING, type PendingHandling } from './pending-handling.js';

export { methodNames, resolveSettings } from './settings.js';
export { configKey } from './design.js';
export { DEFAULT_PENDING_HANDLING, type PendingHandling } from './pending-handling.js';

function checkRequest(request: SuggestRequest, encoding: SpaceEncoding): void {
  if (!Number.isSafeInteger(request.seed)) throw new RangeError('seed must be a safe integer');
  if (request.direction !== 'maximize' && request.direction !== 'minimize') {
    throw new RangeError('direction must be "maximize" or "minimize"');
  }
  const { total, spent } = request.budget;
  if (!Number.isFinite(total) || !Number.isFinite(spent)) throw new RangeError('budget must be finite');
  // The cost cooling divides by the total: zero or less turned EEIPU into something else silently.
  if (total <= 0) throw new RangeError(`budget.total must be positive (got ${total})`);
  const stageCount = encoding.space.length;
  request.history.forEach((obs, i) => {
    try {
      encoding.encode(obs.config);
    } catch (error) {
      throw new RangeError(`history[${i}]: ${(error as Error).message}`);
    }
    if (obs.objective !== null && !Number.isFinite(obs.objective)) {
      throw new RangeError(`history[${i}]: objective must be finite or null`);
    }
    if (obs.stageCosts.length !== stageCount) {
      throw new RangeError(`history[${i}]: stageCosts must have ${stageCount} entries`);
    }
    // A NaN here does not fail later: it reaches the cost models and the budget bookkeeping.
    obs.stageCosts.forEach((cost, s) => {
      if (cost !== null && !Number.isFinite(cost)) {
        throw new RangeError(`history[${i}]: stageCosts[${s}] must be a finite number or null (got ${String(cost)})`);
      }
    });
    if (!Number.isFinite(obs.chargedCost)) {
      throw new RangeError(`history[${i}]: chargedCost must be finite (got ${String(obs.chargedCost)})`);
    }
    const delta = obs.cachedPrefix;
    if (!Number.isSafeInteger(delta) || delta < 0 || delta >= stageCount) {
      throw new RangeError(
        `history[${i}]: cachedPrefix must be an integer in [0, ${stageCount - 1}] (got ${JSON.stringify(delta)})`,
      );
    }
  });
  checkPending(request.pending, encoding.space.length, encoding);
}

function checkPending(pending: unknown, stageCount: number, encoding: SpaceEncoding): void {
  if (pending === undefined) return;
  if (!Array.isArray(pending)) throw new RangeError('pending must be an array of running trials');
  (pending as unknown[]).forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object') {
      throw new RangeError(`pending[${i}] must be an object with config and cachedPrefix`);
    }
    const trial = entry as Partial<PendingTrial>;
    if (!Array.isArray(trial.config)) throw new RangeError(`pending[${i}].config must be an array of stages`);
    try {
      encoding.encode(trial.config);
    } catch (error) {
      throw new RangeError(`pending[${i}].config: ${(error as Error).message}`);
    }
    const delta = trial.cachedPrefix;
    // The last stage is never memoized: δ ≤ S − 1.
    if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || delta < 0 || delta >= stageCount) {
      throw new RangeError(
        `pending[${i}].cachedPrefix must be an integer in [0, ${stageCount - 1}] (got ${JSON.stringify(delta)})`,
      );
    }
  });
}

/**
 * Suggests the next configuration to evaluate.
 *
 * Trial index k = history.length + pending.length (pending: trials running now).
 * - k < warmup: warm-up design point number k (phase `'warmup'`).
 * - method `'random'`: a uniform configuration.
 * - otherwise: the method's acquisition maximized over the prefix pool (see `docs/optimizer.md`,
 *   including "Pending trials" for how running trials are accounted for).
 * Never an observed or running configuration, except:
 * - `diagnostics.exhausted: true` — every configuration is observed; `config` repeats one;
 * - `diagnostics.waitForPending: true` — every configuration is observed or running, and `config`
 *   is a running one that must NOT be run: wait for a running trial to finish, then ask again.
 *
 * @throws {RangeError} for an invalid space, settings, seed, direction, budget, a history entry
 *   whose configuration does not fit the space (message names the entry, stage, param), or a
 *   pending entry with such a configuration or a cachedPrefix outside [0, S − 1]
 *   (`pending[2].cachedPrefix ...`).
 */
export function suggest(request: SuggestRequest): Suggestion {
  return suggestWithPendingHandling(
    request,
    request.shareRunningPrefixes === false
      ? { ...DEFAULT_PENDING_HANDLING, sharePrefixes: 'none' }
      : DEFAULT_PENDING_HANDLING,
  );
}

/**
 * {@link suggest} with another way of accounting for running trials in the BO step (for the
 * ablation in benchmarks/pending-ablation.ts; everything else is identical).
 */
export function suggestWithPendingHandling(request: SuggestRequest, handling: PendingHandling): Suggestion {
  const started = performance.now();
  const encoding = new SpaceEncoding(request.space);
  const settings = resolveSettings(request.settings);
  const [effort] = effortIssues(settings, encoding.space.length, encoding.dimension);
  if (effort !== undefined) throw new RangeError(effort.message);
  checkRequest(request, encoding);
  const pending = request.pending ?? [];
  const excluded: Exclusions = {
    observed: new Set<string>(request.history.map((obs) => configKey(obs.config))),
    pending: new Set<string>(pending.map((trial) => configKey(trial.config))),
    ...(pending.length === 0 ? {} : { pendingPoints: pending.map((trial) => encoding.encode(trial.config)) }),
  };
  const trialIndex = request.history.length + pending.length;

  const plain = (
    config: Configuration,
    phase: 'warmup' | 'bo',
    pick: Pick,
    extra: Record<string, string>,
  ): Suggestion => ({
    config,
    cachedPrefix: 0,
    phase,
    acquisition: null,
    predictedCost: null,
    diagnostics: {
      method: settings.method,
      exhausted: pick.exhausted,
      waitForPending: pick.waitForPending,
      pending: pending.length,
      totalMs: performance.now() - started,
      ...extra,
    },
    ...(request.state === undefined ? {} : { state: request.state }),
  });

  // Enqueued configurations count toward the warm-up but are not design points: the design goes
  // on from its own last point, so an enqueued trial does not displace one (a review saw the only
  // warm-up point of a choice never run because one configuration was enqueued).
  const designIndex =
    trialIndex -
    request.history.filter((observation) => observation.enqueued === true).length -
    pending.filter((trial) => trial.enqueued === true).length;
  if (trialIndex < settings.warmup) {
    const pick = designPoint(encoding, request.seed, designIndex, excluded);
    return plain(pick.config, 'warmup', pick, {});
  }
  if (settings.method === 'random') {
    const pick = randomPoint(encoding, request.seed, trialIndex, excluded);
    return plain(pick.config, 'bo', pick, {});
  }
  const result = boSuggest(request, encoding, settings, excluded, handling);
  if (result !== null) return result;
  // No successful observation to model yet: keep exploring with the design sequence.
  const pick = designPoint(encoding, request.seed, designIndex, excluded);
  return plain(pick.config, 'bo', pick, { fallback: 'no-successful-observations' });
}
