/**
 * Canonical JSON: object keys sorted, no whitespace, numbers in JavaScript's shortest round-trip
 * form. Two values that are deeply equal serialize to the same string, so hashing it gives cache
 * keys that depend only on the exact raw values (never on key order or on a trip through the
 * optimizer's unit-cube encoding).
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** @throws TypeError for non-finite numbers and values JSON cannot carry (undefined, functions). */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      // -0 and 0 are the same hyperparameter value. String(n) is JSON's number form (both are
      // Number::toString for finite n).
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      // Built by concatenation rather than map/filter/join: the optimizer keys every observed
      // configuration and every stage of it on each step, and the intermediate arrays were most of
      // that time. Same output (a hole in an array stays empty, as in Array.prototype.join).
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          if (i in value) out += canonicalJson(value[i]);
        }
        return out + ']';
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of sortedKeys(record)) {
        const item = record[key];
        if (item === undefined) continue;
        if (out.length > 1) out += ',';
        out += JSON.stringify(key) + ':' + canonicalJson(item);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

/**
 * The object's own keys in code-unit order (the order of Array.prototype.sort without a comparator),
 * by insertion: configurations have a handful of keys, and the built-in sort allocated a work array
 * for each of them.
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}
