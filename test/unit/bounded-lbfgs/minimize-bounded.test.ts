import { describe, expect, it } from 'vitest';
import { minimizeBounded } from '../../../src/bounded-lbfgs/index.js';

function rosenbrock(x: Float64Array, g: Float64Array): number {
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = 1 - x[i]!;
    const b = x[i + 1]! - x[i]! * x[i]!;
    f += a * a + 100 * b * b;
    g[i] = g[i]! - 2 * a - 400 * x[i]! * b;
    g[i + 1] = g[i + 1]! + 200 * b;
  }
  return f;
}

/** f = Σ w_i (x_i − c_i)². */
function quadratic(center: number[], weights: number[]) {
  return (x: Float64Array, g: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      const t = x[i]! - center[i]!;
      f += weights[i]! * t * t;
      g[i] = 2 * weights[i]! * t;
    }
    return f;
  };
}

describe('minimizeBounded', () => {
  it('finds the Rosenbrock minimum (1, 1) from (−1.2, 1)', () => {
    const result = minimizeBounded(rosenbrock, [-1.2, 1], [-2, -2], [2, 2]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
    expect(result.value).toBeLessThan(1e-8);
  });

  it('finds the 10-dimensional Rosenbrock minimum', () => {
    const n = 10;
    const result = minimizeBounded(
      rosenbrock,
      new Array<number>(n).fill(-1),
      new Array<number>(n).fill(-3),
      new Array<number>(n).fill(3),
      { maxIterations: 1000 },
    );
    for (const v of result.x) expect(v).toBeCloseTo(1, 3);
  });

  it('stops on the boundary when the unconstrained optimum lies outside the box', () => {
    // Optimum (3, −2, 0.25) clipped to [0, 1]³ is (1, 0, 0.25).
    const f = quadratic([3, -2, 0.25], [1, 5, 2]);
    const result = minimizeBounded(f, [0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBe(1);
    expect(result.x[1]).toBe(0);
    expect(result.x[2]).toBeCloseTo(0.25, 6);
    expect(result.value).toBeCloseTo(4 + 20, 8);
  });

  it('finds the constrained minimum of the Rosenbrock function on a box excluding (1, 1)', () => {
    // On x1 ≤ 0.5 the minimum is on the face x1 = 0.5: min over x0 of (1−x0)² + 100(0.5−x0²)².
    const result = minimizeBounded(rosenbrock, [-1, -1], [-2, -2], [2, 0.5]);
    expect(result.x[1]).toBe(0.5);
    const x0 = result.x[0]!;
    // Stationarity along the free coordinate.
    expect(Math.abs(-2 * (1 - x0) - 400 * x0 * (0.5 - x0 * x0))).toBeLessThan(1e-4);
    expect(x0).toBeCloseTo(0.7085, 3);
  });

  it('converges on an ill-conditioned 20-dimensional quadratic (condition number 1e3)', () => {
    const n = 20;
    const center = Array.from({ length: n }, (_, i) => Math.sin(i));
    const weights = Array.from({ length: n }, (_, i) => 10 ** ((3 * i) / (n - 1)));
    const result = minimizeBounded(
      quadratic(center, weights),
      new Array<number>(n).fill(0),
      new Array<number>(n).fill(-5),
      new Array<number>(n).fill(5),
      { maxIterations: 1000 },
    );
    expect(result.converged).toBe(true);
    for (let i = 0; i < n; i++) expect(result.x[i]).toBeCloseTo(center[i]!, 4);
  });

  it('never evaluates outside the box', () => {
    const lower = [-0.5, 0.2];
    const upper = [0.3, 0.9];
    let outside = 0;
    minimizeBounded(
      (x, g) => {
        for (let i = 0; i < 2; i++) if (x[i]! < lower[i]! || x[i]! > upper[i]!) outside++;
        return rosenbrock(x, g);
      },
      [5, -5],
      lower,
      upper,
    );
    expect(outside).toBe(0);
  });

  it('clips a start outside the box and keeps fixed variables (lower = upper) fixed', () => {
    const result = minimizeBounded(quadratic([0, 0, 0], [1, 1, 1]), [10, -10, 0.7], [-1, -1, 0.7], [1, 1, 0.7]);
    expect(result.x[2]).toBe(0.7);
    expect(result.x[0]).toBeCloseTo(0, 6);
    expect(result.x[1]).toBeCloseTo(0, 6);
  });

  it('backtracks from non-finite values instead of throwing', () => {
    // f is NaN left of 0.2 and +Infinity right of 0.9; the minimum of (x − 0.25)² is inside.
    const f = (x: Float64Array, g: Float64Array): number => {
      if (x[0]! < 0.2) return Number.NaN;
      if (x[0]! > 0.9) return Number.POSITIVE_INFINITY;
      g[0] = 2 * (x[0]! - 0.25);
      return (x[0]! - 0.25) ** 2 + 1;
    };
    const result = minimizeBounded(f, [0.85], [-10], [10]);
    expect(result.x[0]).toBeCloseTo(0.25, 6);
    expect(result.value).toBeCloseTo(1, 10);
  });

  it('treats a non-finite gradient as a failed step', () => {
    const f = (x: Float64Array, g: Float64Array): number => {
      g[0] = x[0]! < 0 ? Number.NaN : 2 * (x[0]! - 1);
      return (x[0]! - 1) ** 2;
    };
    const result = minimizeBounded(f, [3], [-100], [100]);
    expect(result.x[0]).toBeCloseTo(1, 6);
  });

  it('reports a non-finite start without iterating', () => {
    const result = minimizeBounded(() => Number.NaN, [0.5, 2], [0, 0], [1, 1]);
    expect(result.converged).toBe(false);
    expect(result.iterations).toBe(0);
    expect(Number.isNaN(result.value)).toBe(true);
    expect(Array.from(result.x)).toEqual([0.5, 1]);
  });

  it('respects maxIterations', () => {
    const result = minimizeBounded(rosenbrock, [-1.2, 1], [-2, -2], [2, 2], { maxIterations: 3 });
    expect(result.iterations).toBeLessThanOrEqual(3);
    expect(result.converged).toBe(false);
  });

  it('returns at once when the start is already stationary', () => {
    const result = minimizeBounded(quadratic([0.5], [1]), [0.5], [0], [1]);
    expect(result.iterations).toBe(0);
    expect(result.converged).toBe(true);
    expect(result.evaluations).toBe(1);
  });

  it('is deterministic', () => {
    const a = minimizeBounded(rosenbrock, [-1.2, 1], [-2, -2], [2, 2]);
    const b = minimizeBounded(rosenbrock, [-1.2, 1], [-2, -2], [2, 2]);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(a.evaluations).toBe(b.evaluations);
  });

  it("restarts faster from a previous run's curvature on a slightly moved minimum", () => {
    // Badly scaled: steepest descent zig-zags, a Hessian-aware first step does not.
    const weights = [1, 30, 300, 3000, 5, 80];
    const lower = weights.map(() => -5);
    const upper = weights.map(() => 5);
    const first = minimizeBounded(quadratic([1, 1, 1, 1, 1, 1], weights), [0, 0, 0, 0, 0, 0], lower, upper);
    expect(first.curvature.s.length).toBeGreaterThan(0);
    expect(first.curvature.s.length).toBeLessThanOrEqual(10);
    expect(first.curvature.s.every((v) => v.length === 6)).toBe(true);
    expect(first.curvature.y.length).toBe(first.curvature.s.length);

    const moved = quadratic([1.02, 0.99, 1.01, 1, 0.98, 1.03], weights);
    const plain = minimizeBounded(moved, first.x, lower, upper);
    const warm = minimizeBounded(moved, first.x, lower, upper, { curvature: first.curvature });
    expect(warm.converged).toBe(true);
    expect(warm.value).toBeLessThanOrEqual(plain.value + 1e-10);
    expect(warm.evaluations).toBeLessThan(plain.evaluations);
  });

  it('keeps only usable curvature pairs, and checks their shape', () => {
    const f = quadratic([0.3, 0.6], [1, 50]);
    const plain = minimizeBounded(f, [0, 0], [-1, -1], [1, 1]);
    // sᵀy ≤ 0 carries no curvature: the run is the plain one, evaluation for evaluation.
    const useless = minimizeBounded(f, [0, 0], [-1, -1], [1, 1], { curvature: { s: [[1, 0]], y: [[-1, 0]] } });
    expect(Array.from(useless.x)).toEqual(Array.from(plain.x));
    expect(useless.evaluations).toBe(plain.evaluations);
    expect(() => minimizeBounded(f, [0, 0], [-1, -1], [1, 1], { curvature: { s: [[1, 0]], y: [] } })).toThrow(
      new RangeError('curvature must have as many s as y vectors'),
    );
    expect(() => minimizeBounded(f, [0, 0], [-1, -1], [1, 1], { curvature: { s: [[1]], y: [[1]] } })).toThrow(
      new RangeError('curvature vectors must have the same length as x0'),
    );
  });

  it('rejects inconsistent bounds', () => {
    const f = quadratic([0], [1]);
    expect(() => minimizeBounded(f, [0], [1], [0])).toThrow(RangeError);
    expect(() => minimizeBounded(f, [0], [0, 1], [1, 2])).toThrow(RangeError);
    expect(() => minimizeBounded(f, [0], [Number.NaN], [1])).toThrow(RangeError);
  });
});
