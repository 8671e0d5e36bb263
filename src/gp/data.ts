/**
 * The GP's data: reading user inputs into flat typed arrays (validated), and the target
 * standardization z = (y − ȳ)/s_y that all hyperparameters are expressed in.
 */

/** Rows are points, each of length d. */
export type Points = readonly ArrayLike<number>[];

/**
 * Points as the rows of a matrix: what an ml-matrix `Matrix` (any `AbstractMatrix`) presents.
 * Described structurally so that the GP accepts ml-matrix matrices without loading ml-matrix.
 */
export interface MatrixLike {
  readonly rows: number;
  readonly columns: number;
  get(row: number, column: number): number;
}

/** Points as rows of arrays, or as the rows of a matrix (e.g. an ml-matrix `Matrix`). */
export type PointsInput = Points | MatrixLike;

/** The rows of `x` (the array itself when it is already rows; a copy of a matrix's rows). */
export function toPoints(x: PointsInput): Points {
  if (Array.isArray(x)) return x as Points;
  const matrix = x as MatrixLike;
  const rows: Float64Array[] = [];
  for (let a = 0; a < matrix.rows; a++) {
    const row = new Float64Array(matrix.columns);
    for (let i = 0; i < matrix.columns; i++) row[i] = matrix.get(a, i);
    rows.push(row);
  }
  return rows;
}

/** Observations as flat arrays: x n×d row-major, y length n. */
export interface Data {
  readonly n: number;
  readonly d: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** z = (y − yMean)/yStd. */
export interface Standardized {
  readonly yMean: number;
  readonly yStd: number;
  readonly z: Float64Array;
}

/**
 * @throws {RangeError} on empty data, x and y of different lengths, ragged or non-finite inputs,
 *   or non-finite targets.
 */
export function readData(points: PointsInput, y: readonly number[]): Data {
  const x = toPoints(points);
  const n = x.length;
  if (n === 0) throw new RangeError('at least one observation is required');
  if (y.length !== n) throw new RangeError('x and y must have the same length');
  const d = x[0]!.length;
  const flat = new Float64Array(n * d);
  copyPoints(x, d, flat, 0, 'all points must have the same dimension');
  const values = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const v = y[a]!;
    if (!Number.isFinite(v)) throw new RangeError('y must be finite (filter failed trials first)');
    values[a] = v;
  }
  return { n, d, x: flat, y: values };
}

/**
 * Copies `points` into the row-major `out` from row `firstRow` on, checking each row (the one
 * validation of GP inputs: the data, an extension, the believer's running points).
 *
 * @throws {RangeError} `wrongDimension` when a row's length is not d; on a non-finite coordinate.
 */
export function copyPoints(
  points: Points,
  d: number,
  out: Float64Array,
  firstRow: number,
  wrongDimension: string,
): void {
  for (let a = 0; a < points.length; a++) {
    const row = points[a]!;
    if (row.length !== d) throw new RangeError(wrongDimension);
    const base = (firstRow + a) * d;
    for (let i = 0; i < d; i++) {
      const v = row[i]!;
      if (!Number.isFinite(v)) throw new RangeError('x must be finite');
      out[base + i] = v;
    }
  }
}

/**
 * z-scores with the sample standard deviation (n − 1). n = 1 or (numerically) constant targets
 * give yStd = 1, so z = y − ȳ = 0 instead of a division by zero.
 */
export function standardize(y: Float64Array): Standardized {
  const n = y.length;
  let sum = 0;
  let maxAbs = 0;
  for (let a = 0; a < n; a++) {
    sum += y[a]!;
    maxAbs = Math.max(maxAbs, Math.abs(y[a]!));
  }
  const yMean = sum / n;
  let ss = 0;
  for (let a = 0; a < n; a++) ss += (y[a]! - yMean) ** 2;
  let yStd = n > 1 ? Math.sqrt(ss / (n - 1)) : 1;
  // Spread at rounding level is not signal: treat it as constant.
  if (!(yStd > 1e-13 * maxAbs) || !Number.isFinite(yStd)) yStd = 1;
  const z = new Float64Array(n);
  for (let a = 0; a < n; a++) z[a] = (y[a]! - yMean) / yStd;
  return { yMean, yStd, z };
}
