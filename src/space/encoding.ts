/**
 * Search space ↔ unit cube. Every parameter maps to [0, 1] by the search-space bounds (never by
 * the bounding box of observed points, which would trap candidates inside it):
 * - float: u = (v − low)/(high − low), on log(v) when `log`;
 * - int: the same on [low − ½, high + ½] (log: on [log(low − ½), log(high + ½)]), so each integer
 *   owns an equal share of the axis; decoding rounds to the nearest integer and clamps;
 * - a float or int with a `step` (src/space/grid.ts): its step index k as an int on [0, K], K the
 *   last index; decoding rounds k and returns low + k · step;
 * - a float fixed by low == high: an axis of width one whose every point decodes to that value
 *   (snapping puts it at 0);
 * - categorical with k choices: k one-hot dims; decoding takes the argmax (ties → first choice).
 * Dimensions are laid out stage by stage, parameters in declaration order, so stage s owns the
 * contiguous block `stageRanges[s]`.
 */
import type { Configuration, ParamSpec, ParamValue, SearchSpace, StageParams } from '../core/types.js';
import { gridIndex, gridValue, isStepped, lastGridIndex } from './grid.js';
import { invalidValueMessage, isFixedParam, isValidValue, validateSpace } from './validate.js';

/** Placement of one parameter in the encoded vector. */
export interface EncodedParam {
  readonly stage: number;
  readonly spec: ParamSpec;
  /** First encoded dimension. */
  readonly offset: number;
  /** Number of encoded dimensions (1, or the number of choices). */
  readonly width: number;
}

/** Encoded dimensions [start, end) of one stage. */
export interface DimensionRange {
  readonly start: number;
  readonly end: number;
}

function axis(spec: ParamSpec & { type: 'float' | 'int' }): { lo: number; hi: number; log: boolean } {
  // A stepped parameter's axis is its step index's, as an int's is its value's.
  if (isStepped(spec)) return { lo: -0.5, hi: lastGridIndex(spec) + 0.5, log: false };
  const pad = spec.type === 'int' ? 0.5 : 0;
  const log = spec.log === true;
  const lo = log ? Math.log(spec.low - pad) : spec.low - pad;
  const hi = log ? Math.log(spec.high + pad) : spec.high + pad;
  // Only a fixed float has no width (an int's axis is one wide); decoding clamps to its value.
  return { lo, hi: hi > lo ? hi : lo + 1, log };
}

function clamp01(u: number): number {
  return u < 0 ? 0 : u > 1 ? 1 : u;
}

/** Index of the largest of u[offset .. offset + width) (ties → the first). */
function oneHotArgmax(u: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (u[offset + k]! > u[offset + best]!) best = k;
  return best;
}

/** A validated search space with its unit-cube layout. Immutable. */
export class SpaceEncoding {
  readonly space: SearchSpace;
  /** Total encoded dimension D. */
  readonly dimension: number;
  readonly params: readonly EncodedParam[];
  readonly stageRanges: readonly DimensionRange[];
  /** Number of distinct configurations (`Infinity` when a float parameter without a step exists). */
  readonly cardinality: number;
  /** Encoded dims that belong to one-hot groups. */
  readonly categoricalDims: readonly number[];
  /** Per parameter (same order as `params`): its unit-cube axis, null for categoricals. */
  readonly #axes: readonly ({ lo: number; hi: number; log: boolean } | null)[];

  /** @throws {RangeError} when the space is invalid (see `validateSpace`). */
  constructor(space: SearchSpace) {
    validateSpace(space);
    this.space = space;
    const params: EncodedParam[] = [];
    const ranges: DimensionRange[] = [];
    const categoricalDims: number[] = [];
    let offset = 0;
    let cardinality = 1;
    space.forEach((stage, s) => {
      const start = offset;
      for (const spec of stage.params) {
        const width = spec.type === 'categorical' ? spec.choices.length : 1;
        params.push({ stage: s, spec, offset, width });
        if (spec.type === 'categorical') {
          for (let k = 0; k < width; k++) categoricalDims.push(offset + k);
          cardinality *= width;
        } else if (isStepped(spec)) {
          cardinality *= lastGridIndex(spec) + 1;
        } else if (spec.type === 'int') {
          cardinality *= spec.high - spec.low + 1;
        } else if (!isFixedParam(spec)) {
          cardinality = Number.POSITIVE_INFINITY;
        }
        offset += width;
      }
      ranges.push({ start, end: offset });
    });
    this.dimension = offset;
    this.params = params;
    this.stageRanges = ranges;
    this.cardinality = cardinality;
    this.categoricalDims = categoricalDims;
    this.#axes = params.map((p) => (p.spec.type === 'categorical' ? null : axis(p.spec)));
  }

  /**
   * Encodes a configuration into [0, 1]^D.
   * @throws {RangeError} when a value is missing or not legal for its parameter.
   */
  encode(config: Configuration): Float64Array {
    if (config.length !== this.space.length)
      throw new RangeError(`configuration must have ${this.space.length} stages`);
    const out = new Float64Array(this.dimension);
    this.params.forEach((p, k) => {
      const values = config[p.stage];
      this.encodeValue(p, k, values?.[p.spec.name], out);
    });
    return out;
  }

  /** Encodes one stage's values into that stage's own dims (length = stage width). */
  encodeStage(stage: number, values: StageParams): Float64Array {
    const range = this.stageRanges[stage];
    if (range === undefined) throw new RangeError(`stage index ${stage} out of range`);
    const full = new Float64Array(this.dimension);
    this.params.forEach((p, k) => {
      if (p.stage === stage) this.encodeValue(p, k, values[p.spec.name], full);
    });
    return full.slice(range.start, range.end);
  }

  /** Writes parameter `k` (= `params[k]`) of value `value` into its dims of `out`. */
  private encodeValue(p: EncodedParam, k: number, value: ParamValue | undefined, out: Float64Array): void {
    const spec = p.spec;
    if (!isValidValue(spec, value)) throw new RangeError(invalidValueMessage(this.space[p.stage]!.name, spec, value));
    if (spec.type === 'categorical') {
      const index = spec.choices.findIndex((choice) => choice === value);
      for (let k = 0; k < p.width; k++) out[p.offset + k] = k === index ? 1 : 0;
      return;
    }
    const { lo, hi, log } = this.#axes[k]!;
    const v = isStepped(spec)
      ? Math.round(gridIndex(spec, value as number))
      : log
        ? Math.log(value as number)
        : (value as number);
    out[p.offset] = clamp01((v - lo) / (hi - lo));
  }

  /** Decodes a point of the cube (values outside [0, 1] are clamped) into a configuration. */
  decode(u: ArrayLike<number>): Configuration {
    if (u.length !== this.dimension) throw new RangeError(`point must have ${this.dimension} dims`);
    const stages: Record<string, ParamValue>[] = this.space.map(() => ({}));
    this.params.forEach((p, k) => {
      stages[p.stage]![p.spec.name] = this.decodeValue(p, k, u);
    });
    return stages;
  }

  /** The value parameter `k` (= `params[k]`) takes at point u. */
  private decodeValue(p: EncodedParam, k: number, u: ArrayLike<number>): ParamValue {
    const spec = p.spec;
    if (spec.type === 'categorical') return spec.choices[oneHotArgmax(u, p.offset, p.width)]!;
    const { lo, hi, log } = this.#axes[k]!;
    const at = clamp01(u[p.offset]!);
    // The ends of a float's axis are its bounds exactly: back from log space the upper end of
    // [0.001, 0.5] came out 0.49999999999999994, which the CLI printed as 0.5.
    if (spec.type === 'float' && !isStepped(spec) && (at === 0 || at === 1)) return at === 0 ? spec.low : spec.high;
    const t = lo + at * (hi - lo);
    if (isStepped(spec)) return gridValue(spec, Math.min(lastGridIndex(spec), Math.max(0, Math.round(t))));
    const v = log ? Math.exp(t) : t;
    if (spec.type === 'int') return Math.min(spec.high, Math.max(spec.low, Math.round(v)));
    // exp/log round-trips can leave the bounds by an ulp.
    return Math.min(spec.high, Math.max(spec.low, v));
  }

  /**
   * Every configuration of a finite space, in lexicographic order of the parameters (last
   * parameter fastest).
   * @throws {RangeError} when the space has more than `limit` configurations (or a float without a step).
   */
  enumerate(limit: number): Configuration[] {
    if (!(this.cardinality <= limit)) throw new RangeError('space too large to enumerate');
    const valueLists: ParamValue[][] = this.params.map((p) => {
      const spec = p.spec;
      if (spec.type === 'categorical') return [...spec.choices];
      if (isStepped(spec)) return Array.from({ length: lastGridIndex(spec) + 1 }, (_, k) => gridValue(spec, k));
      const values: ParamValue[] = [];
      for (let v = spec.low; v <= spec.high; v++) values.push(v);
      return values;
    });
    const out: Configuration[] = [];
    const index = new Array<number>(this.params.length).fill(0);
    for (let n = 0; n < this.cardinality; n++) {
      const stages: Record<string, ParamValue>[] = this.space.map(() => ({}));
      this.params.forEach((p, i) => {
        stages[p.stage]![p.spec.name] = valueLists[i]![index[i]!]!;
      });
      out.push(stages);
      for (let i = this.params.length - 1; i >= 0; i--) {
        index[i] = index[i]! + 1;
        if (index[i]! < valueLists[i]!.length) break;
        index[i] = 0;
      }
    }
    return out;
  }

  /** encode(decode(u)): the representable point nearest to u (ints and steps rounded, one-hot snapped). */
  snap(u: ArrayLike<number>): Float64Array {
    // encode(decode(u)) without building the configuration's records: the same arithmetic per
    // parameter (so bit-identical), but called for every raw sample of every suggestion, and a
    // fresh worker's first suggestion runs it before the JIT has optimized anything.
    if (u.length !== this.dimension) throw new RangeError(`point must have ${this.dimension} dims`);
    const out = new Float64Array(this.dimension);
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      if (p.spec.type === 'categorical') {
        // Choices are distinct (validated), so the decoded choice encodes back to the argmax.
        const best = oneHotArgmax(u, p.offset, p.width);
        for (let j = 0; j < p.width; j++) out[p.offset + j] = j === best ? 1 : 0;
      } else {
        this.encodeValue(p, k, this.decodeValue(p, k, u), out);
      }
    }
    return out;
  }
}
