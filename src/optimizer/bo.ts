import type { OptimizerSettings, SuggestRequest, Suggestion } from '../core/types.js';
import type { SpaceEncoding } from '../space/index.js';

/** Placeholder until the acquisition layer lands: returns null (caller falls back to the design). */
export function boSuggest(
  _request: SuggestRequest,
  _encoding: SpaceEncoding,
  _settings: Required<OptimizerSettings>,
  _observed: ReadonlySet<string>,
): Suggestion | null {
  return null;
}
