/**
 * `suggest` with every successful trial in the objective model — no screening subset, hyperparameters
 * fitted on all n — for the benchmarks that compare it with the shipped path
 * (benchmarks/suggest-speed.ts, benchmarks/suggest-subset-quality.ts). Warm-up, random and the
 * no-success fallback are the library's own `suggest`; only the BO step's data limits differ.
 *
 * The limits are an argument of the BO step (src/optimizer/bo.ts, `DataLimits`), not a study
 * setting: nothing outside these benchmarks turns them off.
 */
import type { SuggestRequest, Suggestion } from '../src/core/types.js';
import { boSuggest } from '../src/optimizer/bo-step.js';
import { FULL_DATA } from '../src/optimizer/screening.js';
import { configKey, resolveSettings, suggest } from '../src/optimizer/index.js';
import { SpaceEncoding } from '../src/space/index.js';

export function suggestFullData(request: SuggestRequest): Suggestion {
  const settings = resolveSettings(request.settings);
  const pending = request.pending ?? [];
  if (pending.length > 0) throw new RangeError('suggestFullData is for sequential studies (no running trials)');
  if (request.history.length < settings.warmup || settings.method === 'random') return suggest(request);
  const encoding = new SpaceEncoding(request.space);
  const excluded = {
    observed: new Set<string>(request.history.map((obs) => configKey(obs.config))),
    pending: new Set<string>(),
  };
  return boSuggest(request, encoding, settings, excluded, undefined, FULL_DATA) ?? suggest(request);
}
