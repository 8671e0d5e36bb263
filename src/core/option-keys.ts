/**
 * The keys an options object of memotune's library API may have, checked at run time as the study
 * config's are: an options object spread from JSON or another object passes TypeScript's
 * excess-property check, and a misspelt key (`queus`, `taskQueuPrefix`) was silently ignored — a
 * review's orchestration worker then polled every stage queue, and a study started on another
 * team's queues.
 */
import { closestKey } from './closest-key.js';

/**
 * Throws a TypeError naming the first key of `options` not in `known` (with "did you mean" when
 * one is close), e.g. `createWorkers: unknown option 'queus' (did you mean 'queues'?)`.
 */
export function checkOptionKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = closestKey(key, known);
    throw new TypeError(
      `${what}: unknown option '${key}'${guess === undefined ? '' : ` (did you mean '${guess}'?)`}; it takes ${known.join(', ')}`,
    );
  }
}

/** Every key of `T`, listed once: a key the type gains and the list lacks is a compile error. */
export function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : never)
  ): readonly string[] => keys;
}
