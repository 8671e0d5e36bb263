/**
 * mulberry32: a tiny 32-bit seeded generator, enough to place restart points and pick
 * fitting subsets reproducibly. The GP keeps its own so it depends on nothing outside src/gp.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
