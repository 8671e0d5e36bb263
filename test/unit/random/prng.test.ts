import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/bench/rng.js';
import { createRandom, hashIntegers, mulberry32 } from '../../../src/random/index.js';

describe('createRandom', () => {
  it('gives the same sequence for the same stream parts', () => {
    const a = createRandom(42, 7, 3);
    const b = createRandom(42, 7, 3);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
  });

  it('gives different sequences for different streams', () => {
    const a = createRandom(42, 7, 3);
    const b = createRandom(42, 8, 3);
    const same = Array.from({ length: 20 }, () => a.nextUint32() === b.nextUint32()).filter(Boolean).length;
    expect(same).toBeLessThan(2);
  });

  it('produces uniform doubles in [0, 1) with the right mean and variance', () => {
    const rng = createRandom(1);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sumSq / n - mean * mean).toBeCloseTo(1 / 12, 2);
  });

  it('nextInt covers every value of a small range', () => {
    const rng = createRandom(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.nextInt(3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(900);
    expect(() => rng.nextInt(0)).toThrow(RangeError);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => createRandom(1.5)).toThrow('seed must be a safe integer');
    expect(() => hashIntegers([Number.NaN], 4)).toThrow(RangeError);
  });

  it('accepts negative and large seeds and distinguishes them', () => {
    expect(createRandom(-1).next()).not.toBe(createRandom(1).next());
    expect(createRandom(2 ** 40).next()).not.toBe(createRandom(2 ** 40 + 1).next());
  });
});

describe('mulberry32', () => {
  it('keeps its stream (the GP fit and the bench harness depend on it)', () => {
    const random = mulberry32(42);
    expect([random(), random(), random()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const wrapped = mulberry32(-1);
    expect([wrapped(), wrapped()]).toEqual([0.8964226141106337, 0.189478256739676]);
  });

  it('is what the bench harness draws from', () => {
    const a = createRng(7);
    const b = mulberry32(7);
    for (let i = 0; i < 20; i++) expect(a.next()).toBe(b());
  });
});
