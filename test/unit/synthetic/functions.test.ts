import { describe, expect, it } from 'vitest';
import {
  SYNTHETIC_FUNCTIONS,
  evaluateSyntheticFunction,
  type SyntheticFunctionName,
} from '../../../src/synthetic/index.js';

// Known global minima from the literature (Surjanovic & Bingham's library).
const OPTIMA: readonly {
  name: SyntheticFunctionName;
  x: number[];
  value: number;
  tol: number;
}[] = [
  { name: 'beale', x: [3, 0.5], value: 0, tol: 1e-12 },
  { name: 'branin', x: [-Math.PI, 12.275], value: 0.397887, tol: 1e-6 },
  { name: 'branin', x: [Math.PI, 2.275], value: 0.397887, tol: 1e-6 },
  { name: 'branin', x: [9.42478, 2.475], value: 0.397887, tol: 1e-6 },
  {
    name: 'hartmann3',
    x: [0.114614, 0.555649, 0.852547],
    value: -3.86278,
    tol: 1e-5,
  },
  {
    name: 'hartmann6',
    x: [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
    value: -3.32237,
    tol: 1e-5,
  },
  { name: 'six-hump-camel', x: [0.0898, -0.7126], value: -1.0316, tol: 1e-4 },
  { name: 'six-hump-camel', x: [-0.0898, 0.7126], value: -1.0316, tol: 1e-4 },
  { name: 'ackley', x: [0, 0, 0], value: 0, tol: 1e-12 },
  { name: 'levy', x: [1, 1, 1], value: 0, tol: 1e-12 },
  { name: 'rosenbrock', x: [1, 1, 1, 1], value: 0, tol: 1e-12 },
  {
    name: 'styblinski-tang',
    x: [-2.903534, -2.903534],
    value: -39.16617 * 2,
    tol: 1e-4,
  },
  { name: 'griewank', x: [0, 0, 0, 0, 0], value: 0, tol: 1e-12 },
];

describe('synthetic test functions', () => {
  it.each(OPTIMA)('$name reaches $value at its known minimum $x', ({ name, x, value, tol }) => {
    expect(Math.abs(evaluateSyntheticFunction(name, x) - value)).toBeLessThan(tol);
  });

  it.each(OPTIMA)('$name at $x is not beaten by nearby points', ({ name, x, value, tol }) => {
    for (let d = 0; d < x.length; d++) {
      for (const step of [-1e-2, 1e-2]) {
        const moved = x.slice();
        moved[d] = (moved[d] as number) + step;
        expect(evaluateSyntheticFunction(name, moved)).toBeGreaterThan(value - tol);
      }
    }
  });

  it('fixed-dimension functions read only their leading inputs', () => {
    const base = evaluateSyntheticFunction('beale', [1, 2]);
    expect(evaluateSyntheticFunction('beale', [1, 2, 99, -5])).toBe(base);
    const h = evaluateSyntheticFunction('hartmann3', [0.1, 0.2, 0.3]);
    expect(evaluateSyntheticFunction('hartmann3', [0.1, 0.2, 0.3, 7])).toBe(h);
  });

  it('any-dimension functions read every input', () => {
    expect(evaluateSyntheticFunction('levy', [1, 1])).toBeCloseTo(0, 12);
    expect(evaluateSyntheticFunction('levy', [1, 1, 0])).toBeGreaterThan(0);
    expect(evaluateSyntheticFunction('rosenbrock', [1, 1, 2])).toBeGreaterThan(0);
  });

  it('matches hand-computed values away from the optima', () => {
    // beale(1, 1) = (1.5)^2 + (2.25)^2 + (2.625)^2
    expect(evaluateSyntheticFunction('beale', [1, 1])).toBeCloseTo(1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2, 12);
    // rosenbrock(0, 0) = 1; six-hump camel(1, 0) = 4 - 2.1 + 1/3
    expect(evaluateSyntheticFunction('rosenbrock', [0, 0])).toBeCloseTo(1, 12);
    expect(evaluateSyntheticFunction('six-hump-camel', [1, 0])).toBeCloseTo(4 - 2.1 + 1 / 3, 12);
    // griewank(pi, 0) = pi^2/4000 - cos(pi) + 1 - ... with product cos(pi)*cos(0) = -1
    expect(evaluateSyntheticFunction('griewank', [Math.PI, 0])).toBeCloseTo(Math.PI ** 2 / 4000 + 2, 12);
  });

  it('rejects fewer inputs than the function needs', () => {
    expect(() => evaluateSyntheticFunction('hartmann6', [0, 0, 0])).toThrow(RangeError);
    expect(() => evaluateSyntheticFunction('rosenbrock', [0])).toThrow(RangeError);
  });

  it('declares a minimum dimension for every function', () => {
    for (const fn of Object.values(SYNTHETIC_FUNCTIONS)) {
      expect(fn.minDims).toBeGreaterThan(0);
      if (fn.dims !== 'any') expect(fn.minDims).toBe(fn.dims);
    }
  });
});
