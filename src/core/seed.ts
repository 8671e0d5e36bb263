/**
 * The seed a stage receives: a 32-bit FNV-1a hash of the study seed and the stage's chained cache
 * key. Pure and workflow-safe (no crypto module): the trial workflow derives it and passes it to
 * the stage activity, so stages in any language get the same number for the same prefix.
 */
export function stageSeed(studySeed: number, stageKey: string): number {
  const text = `${studySeed}:${stageKey}`;
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
