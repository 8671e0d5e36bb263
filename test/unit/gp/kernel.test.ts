import { describe, expect, it } from 'vitest';
import { covarianceMatrix } from '../../../src/gp/index.js';
import {
  crossKernel,
  kernelMatrix,
  kernelPairs,
  matern52,
  maternDecay,
  maternRadialDerivative,
  maternValue,
} from '../../../src/gp/kernel.js';
import { createWasmKernels } from '../../../src/linalg/index.js';
import { mulberry32 } from '../../../src/random/index.js';

describe('the Matérn-5/2 kernel (JS definition)', () => {
  it('is s·(1 + √5·r + 5r²/3)·e^(−√5·r) with ρ = (5/3)·s·(1 + √5·r)·e^(−√5·r) = −(1/r)·∂k/∂r', () => {
    expect(matern52(2, 0)).toBe(2);
    // r = 1: an independent evaluation of R&W eq. 4.17.
    expect(matern52(1.5, 1)).toBeCloseTo(1.5 * (1 + Math.sqrt(5) + 5 / 3) * Math.exp(-Math.sqrt(5)), 15);
    const s = 0.7;
    for (const r of [0.1, 0.5, 2, 7]) {
      const h = 1e-6;
      const derivative = (matern52(s, (r + h) ** 2) - matern52(s, (r - h) ** 2)) / (2 * h);
      expect(maternRadialDerivative(s, r, maternDecay(r))).toBeCloseTo(-derivative / r, 7);
      expect(maternValue(s, r, r * r, maternDecay(r))).toBe(matern52(s, r * r));
    }
  });

  it('builds an exactly symmetric K with s + σ² on the diagonal, the same as covarianceMatrix', () => {
    const random = mulberry32(5);
    const points = Array.from({ length: 6 }, () => [random(), random()]);
    const h = { lengthscales: [0.5, 2], outputScale: 1.3, noise: 0.01, mean: 0 };
    const k = covarianceMatrix(points, h);
    const xs = Float64Array.from(points.flatMap(([a, b]) => [a! / 0.5, b! / 2]));
    expect(kernelMatrix(xs, 6, 2, 1.3, 0.01)).toEqual(k);
    for (let a = 0; a < 6; a++) {
      expect(k[a * 6 + a]).toBe(1.31);
      for (let b = 0; b < a; b++) expect(k[a * 6 + b]).toBe(k[b * 6 + a]);
    }
  });
});

describe('the WebAssembly kernels mirror the JS definition', () => {
  it('cross8 matches crossKernel within 1e-15 (only the SIMD exponential differs)', () => {
    const n = 3000;
    const d = 3;
    const kernels = createWasmKernels(8 * d + n * d + 16 * n)!;
    const { heap } = kernels;
    const random = mulberry32(77);
    const q = 0;
    const x = 8 * d;
    const out = x + n * d;
    for (let i = 0; i < 8 * d; i++) heap[q + i] = random() * 3;
    // Distances from 0 to about 300 (far past underflow of the covariance).
    for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) heap[x + j * d + i] = random() * 3 * (j % 3 === 0 ? 60 : 1);
    kernels.cross8(q, x, out, n, d, 1.7, out + 8 * n);
    // The same queries row-major for the JS path.
    const query = new Float64Array(8 * d);
    for (let p = 0; p < 8; p++) for (let i = 0; i < d; i++) query[p * d + i] = heap[q + 8 * i + p]!;
    const expected = new Float64Array(8 * n);
    crossKernel(query, 8, heap.slice(x, x + n * d), n, d, 1.7, expected);
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < 8; p++) {
        const want = expected[p * n + j]!;
        expect(Math.abs(heap[out + 8 * j + p]! - want)).toBeLessThanOrEqual(1e-15 * want + 1e-280);
      }
    }
  });

  it.each([2, 3, 17, 40])('pairs matches kernelPairs, and lengthGrad the plain sums (n = %i)', (n) => {
    const d = 3;
    const kernels = createWasmKernels(d * n + 3 * n * n + d + 2 * n + 2)!;
    const { heap } = kernels;
    const random = mulberry32(300 + n);
    const xt = 0;
    const k = d * n;
    const g = k + n * n;
    const out = g + n * n;
    for (let i = 0; i < d * n; i++) heap[xt + i] = random() * 2;
    kernels.pairs(xt, k, g, n, d, 1.3, out + d);
    const xs = new Float64Array(n * d);
    for (let a = 0; a < n; a++) for (let i = 0; i < d; i++) xs[a * d + i] = heap[xt + i * n + a]!;
    const jsK = new Float64Array(n * n);
    const jsG = new Float64Array(n * n);
    kernelPairs(xs, n, d, 1.3, 0, jsK, jsG);
    const expected = new Float64Array(d);
    for (let a = 1; a < n; a++) {
      for (let b = 0; b < a; b++) {
        expect(heap[k + a * n + b]).toBeCloseTo(jsK[a * n + b]!, 14);
        expect(heap[g + a * n + b]).toBeCloseTo(jsG[a * n + b]!, 14);
        // Nothing on or above the diagonal.
        expect(heap[k + b * n + a]).toBe(0);
        for (let i = 0; i < d; i++)
          expected[i] = expected[i]! + jsG[a * n + b]! * (xs[a * d + i]! - xs[b * d + i]!) ** 2;
      }
    }
    kernels.lengthGrad(xt, g, n, d, out);
    for (let i = 0; i < d; i++) expect(heap[out + i]).toBeCloseTo(expected[i]!, 12);
  });
});
