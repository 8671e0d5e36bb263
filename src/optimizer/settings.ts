import type { MethodName, OptimizerSettings } from '../core/types.js';

/** Every acquisition family of the spec, in the order of its table. */
export const methodNames = Object.freeze([
  'eeipu',
  'ms-carbo',
  'carbo',
  'eips',
  'ei',
  'random',
] as const) satisfies readonly MethodName[];

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
}

/**
 * Fills in every default of {@link OptimizerSettings} (the only place defaults live) and checks
 * the values.
 *
 * Defaults: method `'eeipu'`, warmup 10, epsilon 0.1, topQ 5, mcSamples 1000, rawSamples 512,
 * restarts 10, startsPerPrefix 1, eta null (budget-linear).
 *
 * @throws {RangeError} for an unknown method, a negative or non-integer count, a negative or
 *   non-finite epsilon, or an eta outside [0, 1].
 */
export function resolveSettings(settings: OptimizerSettings): Required<OptimizerSettings> {
  const resolved: Required<OptimizerSettings> = {
    method: settings.method ?? 'eeipu',
    warmup: settings.warmup ?? 10,
    epsilon: settings.epsilon ?? 0.1,
    topQ: settings.topQ ?? 5,
    mcSamples: settings.mcSamples ?? 1000,
    rawSamples: settings.rawSamples ?? 512,
    restarts: settings.restarts ?? 10,
    startsPerPrefix: settings.startsPerPrefix ?? 1,
    eta: settings.eta ?? null,
  };
  if (!methodNames.includes(resolved.method)) throw new RangeError(`unknown method ${JSON.stringify(resolved.method)}`);
  checkInteger('warmup', resolved.warmup, 0);
  checkInteger('topQ', resolved.topQ, 0);
  checkInteger('mcSamples', resolved.mcSamples, 1);
  checkInteger('rawSamples', resolved.rawSamples, 1);
  checkInteger('restarts', resolved.restarts, 0);
  checkInteger('startsPerPrefix', resolved.startsPerPrefix, 1);
  if (resolved.eta !== null && !(resolved.eta >= 0 && resolved.eta <= 1)) {
    throw new RangeError('eta must be a number in [0, 1] or null');
  }
  if (!(Number.isFinite(resolved.epsilon) && resolved.epsilon >= 0)) {
    throw new RangeError('epsilon must be a finite number >= 0');
  }
  return resolved;
}
