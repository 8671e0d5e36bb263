/**
 * "Did you mean": the known key a misspelled one most likely meant, for the study-config schema
 * (src/config/zod-rules.ts) and the optimizer settings (src/optimizer/settings.ts) alike.
 */

/**
 * The known key a typo most likely meant: same letters up to case, or at most 2 edits away (fewer
 * for short keys); undefined when none is that close.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(key.length / 2));
  for (const candidate of known) {
    // The edit distance is at least the difference in length: skipping those candidates keeps a
    // hostile 32 kB key from costing an edit-distance table per known key.
    const candidateLower = candidate.toLowerCase();
    if (Math.abs(candidateLower.length - lower.length) > bestDistance) continue;
    const distance = editDistance(lower, candidateLower);
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (two rows). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
