/**
 * Cholesky factors kept between conditionings. A long study conditions its objective GP on every
 * trial at each step, with the hyperparameters of its last refit: the kernel matrix of the trials
 * it saw before is the leading block of the new one, and so is that matrix's factor. Keeping the
 * factor's rows lets the next conditioning compute only the new rows, O(k·n²) for k new trials
 * instead of O(n³/3) — the whole of a suggestion's growth past a few thousand trials
 * (docs/reliability.md, "Suggestion time").
 *
 * A hit changes no bit of any result: the WebAssembly Cholesky continued from a row computes
 * exactly what it computes from row 0 (src/linalg/wasm.ts, `cholesky`), and an entry's rows are
 * matched by the scaled inputs (the inputs divided by the lengthscales, which with the output
 * scale and the noise determine the kernel matrix) compared bit for bit. Only factors computed
 * without jitter are kept: with jitter, the full path's escalation decides.
 *
 * One cache per thread (a suggest thread serves its studies' successive suggestions), bounded in
 * bytes, least recently used out first.
 */

/** Below this many points a factorization takes milliseconds: not worth the copy. */
export const FACTOR_CACHE_MIN_POINTS = 1024;

/** The default bound on the bytes the cache holds (a 8,000-point factor is ~256 MB packed). */
export const FACTOR_CACHE_DEFAULT_BYTES = 1024 * 1024 * 1024;

/** The kernel a factor belongs to, apart from the scaled inputs. */
export interface FactorKernel {
  readonly d: number;
  readonly outputScale: number;
  readonly noise: number;
}

/** Rows of a kept factor that start the factor being computed. */
export interface FactorRows {
  /** How many (a multiple of 4). */
  readonly rows: number;
  /** Writes them into an n×n row-major factor (`stride` = n): the lower triangle of each row. */
  copyInto(target: Float64Array, stride: number): void;
}

/** A factor too large for the cache's bound ({@link FactorCache.takeTooLarge}). */
export interface FactorTooLarge {
  readonly points: number;
  readonly bytes: number;
  readonly limitBytes: number;
}

interface Entry {
  readonly kernel: FactorKernel;
  /** Rows held, a multiple of 4. */
  rows: number;
  /** Scaled inputs, row-major; the first rows·d values are used. */
  xs: Float64Array;
  /** The raw (unscaled) inputs likewise: which history the factor is of, whatever the lengthscales. */
  raw: Float64Array;
  /** L's lower triangle packed by rows: row r at r(r + 1)/2, its r + 1 values. */
  packed: Float64Array;
  lastUsed: number;
}

/** Doubles of a packed lower triangle of `rows` rows. */
function packedLength(rows: number): number {
  return (rows * (rows + 1)) / 2;
}

/** Bytes of an entry with room for `capacity` rows in d dimensions (factor, scaled and raw inputs). */
function entryBytes(capacity: number, d: number): number {
  return 8 * (packedLength(capacity) + 2 * capacity * d);
}

function sameKernel(a: FactorKernel, b: FactorKernel): boolean {
  return a.d === b.d && Object.is(a.outputScale, b.outputScale) && Object.is(a.noise, b.noise);
}

/** Leading rows on which two row-major point sets agree bit for bit (up to `limit`). */
function matchingRows(a: Float64Array, b: Float64Array, d: number, limit: number): number {
  const end = limit * d;
  let i = 0;
  while (i < end && Object.is(a[i], b[i])) i++;
  return Math.floor(i / d);
}

export class FactorCache {
  readonly #entries: Entry[] = [];
  #tooLarge: FactorTooLarge | null = null;
  #limitBytes: number;
  #clock = 0;

  constructor(limitBytes = FACTOR_CACHE_DEFAULT_BYTES) {
    this.#limitBytes = limitBytes;
  }

  /** Bytes the kept factors and inputs take (with their spare capacity). */
  get bytes(): number {
    return this.#entries.reduce(
      (sum, entry) => sum + 8 * (entry.packed.length + entry.xs.length + entry.raw.length),
      0,
    );
  }

  /**
   * The last factor not kept because it alone is over the bound (then every conditioning of that
   * history factors anew), and clears it: for a caller to say so (the suggest thread warns).
   */
  takeTooLarge(): FactorTooLarge | null {
    const tooLarge = this.#tooLarge;
    this.#tooLarge = null;
    return tooLarge;
  }

  /** Sets the bound (0 keeps nothing); drops the least recently used factors beyond it. */
  setLimit(bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError('the factor cache limit must be a number of bytes >= 0');
    this.#limitBytes = bytes;
    this.#evict(null);
  }

  clear(): void {
    this.#entries.length = 0;
  }

  /**
   * The most rows of a kept factor that start the factor of the kernel matrix of `xs` (n points),
   * or null. A row can be reused when every input up to it is the same: each row of L depends only
   * on the rows of K above it.
   */
  find(xs: Float64Array, n: number, kernel: FactorKernel): (FactorRows & { readonly entry: object }) | null {
    let best: Entry | null = null;
    let bestRows = 0;
    for (const entry of this.#entries) {
      if (!sameKernel(entry.kernel, kernel)) continue;
      const rows = matchingRows(entry.xs, xs, kernel.d, Math.min(entry.rows, n)) & ~3;
      if (rows > bestRows) {
        best = entry;
        bestRows = rows;
      }
    }
    if (best === null) return null;
    best.lastUsed = ++this.#clock;
    const { packed } = best;
    const rows = bestRows;
    return {
      entry: best,
      rows,
      copyInto(target, stride) {
        for (let r = 0; r < rows; r++) {
          const from = packedLength(r);
          target.set(packed.subarray(from, from + r + 1), r * stride);
        }
      },
    };
  }

  /**
   * Keeps the factor `l` (n×n row-major, computed without jitter) of the kernel matrix of `xs`
   * (raw inputs `x`): its rows in whole blocks of four (the rows a larger factorization computes
   * the same way). When this factorization continued an entry (`extended`, what {@link find}
   * returned), that entry becomes this factor in place: its rows past the ones reused were of
   * another matrix (failed trials after the successes, running trials believed, a changed trial).
   * A new entry replaces those of the same history under other hyperparameters (a refit).
   */
  keep(
    xs: Float64Array,
    x: Float64Array,
    n: number,
    kernel: FactorKernel,
    l: Float64Array,
    extended: (FactorRows & { readonly entry: object }) | null,
  ): void {
    const rows = n & ~3;
    const { d } = kernel;
    if (n < FACTOR_CACHE_MIN_POINTS) return;
    if (entryBytes(rows, d) > this.#limitBytes) {
      this.#tooLarge = { points: n, bytes: entryBytes(rows, d), limitBytes: this.#limitBytes };
      return;
    }
    const grown = extended === null ? undefined : this.#entries.find((entry) => entry === extended.entry);
    let entry: Entry;
    let start: number;
    if (grown !== undefined && extended !== null) {
      entry = grown;
      start = extended.rows;
      if (entry.packed.length < packedLength(rows)) {
        // Room for a quarter more rows, so that one more trial a step reallocates rarely — as far
        // as the bound allows (an entry grown past it would be dropped at once).
        let capacity = Math.max(rows, Math.floor(rows * 1.25) & ~3);
        while (capacity > rows && entryBytes(capacity, d) > this.#limitBytes) capacity -= 4;
        const packed = new Float64Array(packedLength(capacity));
        packed.set(entry.packed.subarray(0, packedLength(start)));
        entry.packed = packed;
        const grownXs = new Float64Array(capacity * d);
        grownXs.set(entry.xs.subarray(0, start * d));
        entry.xs = grownXs;
        const grownRaw = new Float64Array(capacity * d);
        grownRaw.set(entry.raw.subarray(0, start * d));
        entry.raw = grownRaw;
      }
    } else {
      // The same history's factor under the hyperparameters before a refit is of no more use: an
      // entry whose trials are (at least half) these trials. Another study that only shares its
      // warm-up (same space, same seed) keeps its own.
      for (let i = this.#entries.length - 1; i >= 0; i--) {
        const other = this.#entries[i]!;
        if (other.kernel.d === d && 2 * matchingRows(other.raw, x, d, Math.min(other.rows, n)) >= other.rows) {
          this.#entries.splice(i, 1);
        }
      }
      entry = {
        kernel: { ...kernel },
        rows: 0,
        xs: new Float64Array(rows * d),
        raw: new Float64Array(rows * d),
        packed: new Float64Array(packedLength(rows)),
        lastUsed: 0,
      };
      start = 0;
      this.#entries.push(entry);
    }
    for (let r = start; r < rows; r++) entry.packed.set(l.subarray(r * n, r * n + r + 1), packedLength(r));
    entry.xs.set(xs.subarray(start * d, rows * d), start * d);
    entry.raw.set(x.subarray(start * d, rows * d), start * d);
    entry.rows = rows;
    entry.lastUsed = ++this.#clock;
    this.#evict(entry);
  }

  /** Drops least recently used entries until the bound holds (`keep`, the entry just kept, last). */
  #evict(keep: Entry | null): void {
    let bytes = this.bytes;
    while (bytes > this.#limitBytes) {
      let oldest: Entry | null = null;
      for (const entry of this.#entries) {
        if (entry !== keep && (oldest === null || entry.lastUsed < oldest.lastUsed)) oldest = entry;
      }
      // Only the entry just kept is left, and alone it is over the bound.
      if (oldest === null) oldest = keep;
      if (oldest === null) return;
      this.#entries.splice(this.#entries.indexOf(oldest), 1);
      bytes -= 8 * (oldest.packed.length + oldest.xs.length + oldest.raw.length);
    }
  }
}

/** The cache the GP's conditionings use (one per thread). */
export const factorCache = new FactorCache();

/**
 * Bounds the bytes of the factors kept between conditionings in this thread (0: keep none).
 * @default 1 GiB
 */
export function setFactorCacheLimit(bytes: number): void {
  factorCache.setLimit(bytes);
}
