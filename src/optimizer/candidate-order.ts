import type { Prefix } from './prefix-pool.js';

/** A candidate of one BO step: a prefix, the full encoded point and its α. */
export interface Candidate {
  readonly prefix: Prefix;
  readonly x: Float64Array;
  readonly value: number;
  /** Scored with the full objective GP (false: with the screening subset GP). */
  readonly exact: boolean;
}

/**
 * Indices of the `count` best rows (exact scores before inexact ones, then higher score, then lower
 * index), best first, by insertion into a short sorted list: O(rows × count) without a full sort.
 */
export function bestRows(scores: Float64Array, exact: Uint8Array, count: number): number[] {
  const top: number[] = [];
  const precedes = (a: number, b: number): boolean =>
    exact[a] !== exact[b] ? exact[a]! > exact[b]! : scores[a] !== scores[b] ? scores[a]! > scores[b]! : a < b;
  for (let r = 0; r < scores.length; r++) {
    if (top.length === count && !precedes(r, top[count - 1]!)) continue;
    let at = Math.min(top.length, count - 1);
    if (top.length < count) top.push(r);
    while (at > 0 && precedes(r, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = r;
  }
  return top;
}

/**
 * Hands out candidates best-first: exactly scored before screening-scored, then higher α, then
 * shorter prefix, then raw pairs (by prefix, then raw index) before refined ones (in order of
 * refinement). Each `next()` is a linear scan over what is left.
 */
export class CandidateOrder {
  readonly #entries: readonly { prefix: Prefix; points: Float64Array[]; scores: Float64Array; exact: Uint8Array }[];
  readonly #refined: readonly Candidate[];
  readonly #exactScreen: boolean;
  /** Flat index: raw pairs entry by entry, then refined candidates. */
  readonly #entryOf: Int32Array;
  readonly #rowOf: Int32Array;
  readonly #taken: Uint8Array;
  /** Linear scans before the remaining candidates are sorted once instead. */
  static readonly SCANS_BEFORE_SORT = 16;
  #scans = 0;
  /** Remaining flat indices, worst first (so that pop() hands out the best). */
  #sorted: number[] | undefined;

  constructor(
    entries: readonly { prefix: Prefix; points: Float64Array[]; scores: Float64Array; exact: Uint8Array }[],
    refined: readonly Candidate[],
    exactScreen: boolean,
  ) {
    this.#entries = entries;
    this.#refined = refined;
    this.#exactScreen = exactScreen;
    let total = refined.length;
    for (const entry of entries) total += entry.scores.length;
    this.#entryOf = new Int32Array(total);
    this.#rowOf = new Int32Array(total);
    this.#taken = new Uint8Array(total);
    let i = 0;
    entries.forEach((entry, e) => {
      for (let r = 0; r < entry.scores.length; r++, i++) {
        this.#entryOf[i] = e;
        this.#rowOf[i] = r;
      }
    });
    for (let k = 0; k < refined.length; k++, i++) {
      this.#entryOf[i] = -1;
      this.#rowOf[i] = k;
    }
  }

  #candidate(i: number): Candidate {
    const e = this.#entryOf[i]!;
    const r = this.#rowOf[i]!;
    if (e < 0) return this.#refined[r]!;
    const entry = this.#entries[e]!;
    return {
      prefix: entry.prefix,
      x: entry.points[r]!,
      value: entry.scores[r]!,
      exact: this.#exactScreen && entry.exact[r] === 1,
    };
  }

  #best(skipTaken: boolean): number {
    let best = -1;
    let bestExact = false;
    let bestValue = 0;
    let bestDelta = 0;
    for (let i = 0; i < this.#taken.length; i++) {
      if (skipTaken && this.#taken[i] === 1) continue;
      const e = this.#entryOf[i]!;
      const r = this.#rowOf[i]!;
      let exact: boolean;
      let value: number;
      let delta: number;
      if (e < 0) {
        const c = this.#refined[r]!;
        exact = c.exact;
        value = c.value;
        delta = c.prefix.delta;
      } else {
        const entry = this.#entries[e]!;
        exact = this.#exactScreen && entry.exact[r] === 1;
        value = entry.scores[r]!;
        delta = entry.prefix.delta;
      }
      // Earlier flat indices win full ties, so only strictly better candidates replace the best.
      const better =
        best < 0 || (exact !== bestExact ? exact : value !== bestValue ? value > bestValue : delta < bestDelta);
      if (better) {
        best = i;
        bestExact = exact;
        bestValue = value;
        bestDelta = delta;
      }
    }
    return best;
  }

  /** The next best candidate not handed out yet (undefined when all were). */
  next(): Candidate | undefined {
    // Past a few scans (many observed candidates: a nearly exhausted space) one sort is cheaper.
    if (this.#scans >= CandidateOrder.SCANS_BEFORE_SORT) {
      if (this.#sorted === undefined) this.#sorted = this.#sortRemaining();
      const i = this.#sorted.pop();
      return i === undefined ? undefined : this.#candidate(i);
    }
    this.#scans++;
    const i = this.#best(true);
    if (i < 0) return undefined;
    this.#taken[i] = 1;
    return this.#candidate(i);
  }

  #sortRemaining(): number[] {
    const remaining: number[] = [];
    for (let i = 0; i < this.#taken.length; i++) if (this.#taken[i] === 0) remaining.push(i);
    const key = remaining.map((i) => this.#candidate(i));
    const order = remaining.map((_, k) => k);
    order.sort((p, q) => {
      const a = key[p]!;
      const b = key[q]!;
      return (
        Number(b.exact) - Number(a.exact) ||
        (a.value === b.value ? 0 : a.value > b.value ? -1 : 1) ||
        a.prefix.delta - b.prefix.delta ||
        remaining[p]! - remaining[q]!
      );
    });
    return order.reverse().map((k) => remaining[k]!);
  }

  /** The best candidate of all (there is at least one). */
  first(): Candidate {
    return this.#candidate(this.#best(false));
  }
}
