/**
 * Stepped parameters: a float or int with `step` takes only the values low, low + step, ...,
 * high (Optuna's `suggest_float(..., step=)` / `suggest_int(..., step=)`, W&B's `q_uniform`).
 * `high − low` must be a whole number of steps ({@link stepIssue}); the optimizer encodes such a
 * parameter by its step index, as it encodes an int by its value.
 */
import type { FloatParam, IntParam, ParamSpec } from '../core/types.js';

/** A float or int parameter with a step that makes it a grid (an int's step 1 is its default, no grid). */
export type SteppedParam = (FloatParam | IntParam) & { readonly step: number };

export function isStepped(spec: ParamSpec): spec is SteppedParam {
  return spec.type !== 'categorical' && spec.step !== undefined && !(spec.type === 'int' && spec.step === 1);
}

/** How close (in steps) a value must be to a grid point to count as on it: float rounding only. */
const onGridTolerance = 1e-9;

/** Index of the last grid point: high = low + lastIndex · step. */
export function lastGridIndex(spec: SteppedParam): number {
  return Math.round((spec.high - spec.low) / spec.step);
}

/** The step index of `value` (not rounded: a value off the grid has a fractional index). */
export function gridIndex(spec: SteppedParam, value: number): number {
  return (value - spec.low) / spec.step;
}

/** Decimal places of a number as written (`0.25` → 2, `1e-7` → 7, `1.5e-3` → 4, `40` → 0). */
function decimalPlaces(value: number): number {
  const [mantissa, exponent] = String(Math.abs(value)).split('e');
  const fraction = mantissa!.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/**
 * The grid point of index `index`: `low + index · step`, rounded to the decimals of low and step,
 * so a step of 0.1 gives 0.3, never 0.30000000000000004. Ints are exact.
 */
export function gridValue(spec: SteppedParam, index: number): number {
  return Math.min(spec.high, Math.max(spec.low, gridPoint(spec, index)));
}

/** `low + index · step` as {@link gridValue} writes it, without keeping it within the bounds. */
function gridPoint(spec: SteppedParam, index: number): number {
  const raw = spec.low + index * spec.step;
  if (spec.type === 'int') return raw;
  const decimals = Math.max(decimalPlaces(spec.low), decimalPlaces(spec.step));
  return decimals <= 15 ? Number(raw.toFixed(decimals)) : raw;
}

/** Whether `value` (already known to be in range) is a grid point: exactly for ints, up to float rounding for floats. */
export function isOnGrid(spec: SteppedParam, value: number): boolean {
  if (spec.type === 'int') return (value - spec.low) % spec.step === 0;
  const index = gridIndex(spec, value);
  return Math.abs(index - Math.round(index)) <= onGridTolerance * Math.max(1, Math.abs(index));
}

/**
 * Why `spec.step` does not fit its parameter, with the field it is about; undefined when it does
 * (or there is no step). Assumes finite bounds with low ≤ high (low == high: the one grid point).
 */
export function stepIssue(spec: FloatParam | IntParam): { field: 'step' | 'high'; message: string } | undefined {
  const { step } = spec;
  if (step === undefined) return undefined;
  if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0)
    return { field: 'step', message: 'must be a positive number' };
  if (spec.type === 'int' && !Number.isSafeInteger(step))
    return { field: 'step', message: 'must be a whole number for an int parameter' };
  if (spec.log === true && !(spec.type === 'int' && step === 1))
    return { field: 'step', message: 'cannot be combined with log: a log-scale parameter has no even step' };
  const steps = (spec.high - spec.low) / step;
  if (steps < 1 && spec.high > spec.low)
    return { field: 'step', message: `must be at most high - low (${spec.high - spec.low})` };
  const whole = Math.round(steps);
  if (Math.abs(steps - whole) > onGridTolerance * Math.max(1, steps)) {
    const below = gridPoint({ ...spec, step }, Math.floor(steps));
    const above = gridPoint({ ...spec, step }, Math.ceil(steps));
    return {
      field: 'high',
      message: `must be low plus a whole number of steps (${spec.low} + k × ${step}): ${below} or ${above}, not ${spec.high}`,
    };
  }
  return undefined;
}
