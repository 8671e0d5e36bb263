/**
 * The seed a stage receives: a 32-bit FNV-1a hash of the study seed and the stage's chained cache
 * key. Pure and workflow-safe (no crypto module): the trial workflow derives it and passes it to
 * the stage activity, so stages in any language get the same number for the same prefix.
 */
export function stageSeed(studySeed: number, stageKey: string): number {
  return fnv1a(`${studySeed}:${stageKey}`);
}

/**
 * The seed of a study whose config gives none: a 31-bit hash of its id. Studies under different
 * ids draw different warm-ups (a fixed default gave every study of a space the same one), while
 * a study keeps its seed across its runs (continue, crash recovery, `--new-run` under its id).
 */
export function defaultStudySeed(studyId: string): number {
  return fnv1a(`memotune-study:${studyId}`) & 0x7fffffff;
}

/** 32-bit FNV-1a of the UTF-16 code units of `text`. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
