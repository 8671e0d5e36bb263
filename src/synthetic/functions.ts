/**
 * Standard optimization test functions in their textbook (minimization) form, as used by the
 * synthetic pipelines: a stage negates its function's value so that the study maximizes.
 *
 * Definitions follow Surjanovic & Bingham, "Virtual Library of Simulation Experiments"
 * (sfu.ca/~ssurjano) — the same constants every BO paper uses.
 */

/** Names of the test functions a synthetic stage may use. */
export const SYNTHETIC_FUNCTION_NAMES = [
  'beale',
  'branin',
  'hartmann3',
  'hartmann6',
  'six-hump-camel',
  'ackley',
  'levy',
  'rosenbrock',
  'styblinski-tang',
  'griewank',
] as const;

export type SyntheticFunctionName = (typeof SYNTHETIC_FUNCTION_NAMES)[number];

/** A test function and how many inputs it reads. */
export interface SyntheticFunction {
  /**
   * Fixed-dimension functions read exactly this many leading params; `'any'` functions read all
   * of the stage's params (at least `minDims`).
   */
  readonly dims: number | 'any';
  /** Smallest number of params the function accepts. */
  readonly minDims: number;
  /** The function's value (to be minimized) at `x`; `x.length` is already checked by the caller. */
  readonly evaluate: (x: readonly number[]) => number;
}

const at = (x: readonly number[], i: number): number => x[i] as number;

function beale(x: readonly number[]): number {
  const [a, b] = [at(x, 0), at(x, 1)];
  return (1.5 - a + a * b) ** 2 + (2.25 - a + a * b * b) ** 2 + (2.625 - a + a * b ** 3) ** 2;
}

function branin(x: readonly number[]): number {
  const [a, b] = [at(x, 0), at(x, 1)];
  const bCoef = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (b - bCoef * a * a + c * a - 6) ** 2 + 10 * (1 - t) * Math.cos(a) + 10;
}

const HARTMANN_ALPHA = [1, 1.2, 3, 3.2] as const;

const HARTMANN3_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
] as const;

const HARTMANN3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
].map((row) => row.map((v) => v * 1e-4));

const HARTMANN6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
] as const;

const HARTMANN6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

// f(x) = −Σ_i α_i exp(−Σ_j A_ij (x_j − P_ij)²)
function hartmann(x: readonly number[], a: readonly (readonly number[])[], p: readonly (readonly number[])[]): number {
  let sum = 0;
  HARTMANN_ALPHA.forEach((alpha, i) => {
    const aRow = a[i] as readonly number[];
    const pRow = p[i] as readonly number[];
    let inner = 0;
    aRow.forEach((aij, j) => {
      inner += aij * (at(x, j) - (pRow[j] as number)) ** 2;
    });
    sum += alpha * Math.exp(-inner);
  });
  return -sum;
}

function sixHumpCamel(x: readonly number[]): number {
  const [a, b] = [at(x, 0), at(x, 1)];
  return (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b;
}

function ackley(x: readonly number[]): number {
  const d = x.length;
  let squares = 0;
  let cosines = 0;
  for (const v of x) {
    squares += v * v;
    cosines += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(squares / d)) - Math.exp(cosines / d) + 20 + Math.E;
}

function levy(x: readonly number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  const first = at(w, 0);
  const last = at(w, d - 1);
  let sum = Math.sin(Math.PI * first) ** 2;
  for (let i = 0; i < d - 1; i++) {
    const wi = at(w, i);
    sum += (wi - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * wi + 1) ** 2);
  }
  return sum + (last - 1) ** 2 * (1 + Math.sin(2 * Math.PI * last) ** 2);
}

function rosenbrock(x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < x.length - 1; i++) {
    sum += 100 * (at(x, i + 1) - at(x, i) ** 2) ** 2 + (at(x, i) - 1) ** 2;
  }
  return sum;
}

function styblinskiTang(x: readonly number[]): number {
  let sum = 0;
  for (const v of x) sum += v ** 4 - 16 * v * v + 5 * v;
  return sum / 2;
}

function griewank(x: readonly number[]): number {
  let sum = 0;
  let product = 1;
  x.forEach((v, i) => {
    sum += (v * v) / 4000;
    product *= Math.cos(v / Math.sqrt(i + 1));
  });
  return sum - product + 1;
}

/** Every synthetic test function by name. */
export const SYNTHETIC_FUNCTIONS: Readonly<Record<SyntheticFunctionName, SyntheticFunction>> = {
  beale: { dims: 2, minDims: 2, evaluate: beale },
  branin: { dims: 2, minDims: 2, evaluate: branin },
  hartmann3: {
    dims: 3,
    minDims: 3,
    evaluate: (x) => hartmann(x, HARTMANN3_A, HARTMANN3_P),
  },
  hartmann6: {
    dims: 6,
    minDims: 6,
    evaluate: (x) => hartmann(x, HARTMANN6_A, HARTMANN6_P),
  },
  'six-hump-camel': { dims: 2, minDims: 2, evaluate: sixHumpCamel },
  ackley: { dims: 'any', minDims: 1, evaluate: ackley },
  levy: { dims: 'any', minDims: 1, evaluate: levy },
  rosenbrock: { dims: 'any', minDims: 2, evaluate: rosenbrock },
  'styblinski-tang': { dims: 'any', minDims: 1, evaluate: styblinskiTang },
  griewank: { dims: 'any', minDims: 1, evaluate: griewank },
};

/**
 * Evaluates a test function on a stage's param values: fixed-dimension functions read the first
 * `dims` values, the others read all of them.
 *
 * @throws RangeError when fewer values are given than the function needs.
 */
export function evaluateSyntheticFunction(name: SyntheticFunctionName, values: readonly number[]): number {
  const fn = SYNTHETIC_FUNCTIONS[name];
  if (values.length < fn.minDims) {
    throw new RangeError(`${name} needs at least ${fn.minDims} inputs, got ${values.length}`);
  }
  return fn.evaluate(fn.dims === 'any' ? values : values.slice(0, fn.dims));
}
