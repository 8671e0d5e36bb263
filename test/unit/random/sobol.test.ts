import { describe, expect, it } from 'vitest';
import { createRandom, MAX_SOBOL_DIMENSION, SobolSequence } from '../../../src/random/index.js';

describe('SobolSequence', () => {
  it('reproduces the first unscrambled points of the Joe–Kuo sequence (as SciPy prints them)', () => {
    const points = new SobolSequence(5).points(8);
    const want = [
      [0, 0, 0, 0, 0],
      [0.5, 0.5, 0.5, 0.5, 0.5],
      [0.75, 0.25, 0.25, 0.25, 0.75],
      [0.25, 0.75, 0.75, 0.75, 0.25],
      [0.375, 0.375, 0.625, 0.875, 0.375],
      [0.875, 0.875, 0.125, 0.375, 0.875],
      [0.625, 0.125, 0.875, 0.625, 0.625],
      [0.125, 0.625, 0.375, 0.125, 0.125],
    ];
    expect(Array.from(points)).toEqual(want.flat());
  });

  it('gives the same point by random access as by sequential generation', () => {
    const s = new SobolSequence(30, { scramble: createRandom(9) });
    const all = s.points(100);
    for (const i of [0, 1, 7, 63, 64, 99]) {
      expect(Array.from(s.point(i))).toEqual(Array.from(all.subarray(i * 30, (i + 1) * 30)));
    }
    expect(Array.from(s.points(10, 37))).toEqual(Array.from(all.subarray(37 * 30, 47 * 30)));
  });

  it.each([false, true])('puts exactly one of 2^k points in each 1/2^k interval (scrambled: %s)', (scrambled) => {
    const d = 40;
    const s = new SobolSequence(d, scrambled ? { scramble: createRandom(4) } : {});
    const m = 256;
    const pts = s.points(m);
    for (let j = 0; j < d; j++) {
      const bins = new Uint8Array(m);
      for (let i = 0; i < m; i++) bins[Math.floor(pts[i * d + j]! * m)]!++;
      expect(bins.every((c) => c === 1)).toBe(true);
    }
  });

  it('is balanced in two-dimensional projections (4×4 boxes of 16 points)', () => {
    const d = 12;
    const pts = new SobolSequence(d, { scramble: createRandom(2) }).points(16);
    for (let a = 0; a < d; a++) {
      for (let b = a + 1; b < d; b++) {
        const boxes = new Uint8Array(16);
        for (let i = 0; i < 16; i++) boxes[Math.floor(pts[i * d + a]! * 4) * 4 + Math.floor(pts[i * d + b]! * 4)]!++;
        // A (t, 4, 2)-net with small t: no box holds more than 2^t points.
        expect(Math.max(...boxes)).toBeLessThanOrEqual(4);
      }
    }
  });

  it('scrambles differently for different generators and identically for equal ones', () => {
    const a = new SobolSequence(3, { scramble: createRandom(1) }).points(4);
    const b = new SobolSequence(3, { scramble: createRandom(1) }).points(4);
    const c = new SobolSequence(3, { scramble: createRandom(2) }).points(4);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('rejects unsupported dimensions', () => {
    expect(() => new SobolSequence(0)).toThrow(RangeError);
    expect(() => new SobolSequence(MAX_SOBOL_DIMENSION + 1)).toThrow(RangeError);
  });
});
