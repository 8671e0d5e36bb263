/**
 * Log entries as JSON lines (`memotune worker --log-format json`), for log shippers. A line is
 * never more than one line and never fails to be written: whatever a caller's metadata holds (a
 * getter that throws, a revoked Proxy, a huge array), the worst it becomes is a marker string —
 * a logging call that threw would surface from the SDK's log buffer as an uncaught exception.
 */
import type { LogEntry } from '@temporalio/worker';

/** Deeper values are cut to `[Object]`/`[Array]`; longer strings and lists are cut, saying by how much. */
const maxDepth = 8;
const maxStringLength = 10_000;
const maxItems = 100;

/**
 * One log entry as one line of JSON: `time` (ISO 8601), `level`, `message` first, then the entry's
 * metadata as top-level fields (the SDK's `workflowId`, `activityType`, `attempt`, …; a field
 * named like one of the first three becomes `meta.<name>`). Values JSON cannot hold are written
 * so a reader still sees them: bigints, non-finite numbers and Temporal's Longs as strings, errors
 * with their stack, byte arrays as their length, a value that cannot be read as
 * `[Unserializable: <why>]`.
 */
export function jsonLogLine(entry: LogEntry): string {
  const fields: [string, unknown][] = [
    ['time', new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()],
    ['level', entry.level],
    ['message', cut(String(entry.message))],
  ];
  const reserved = new Set(fields.map(([key]) => key));
  try {
    for (const [key, value] of safeEntries(entry.meta ?? {}, maxItems)) {
      const json = toLogJson(value, [], 0);
      if (json !== undefined) fields.push([reserved.has(key) ? `meta.${key}` : key, json]);
    }
  } catch (error) {
    fields.push(['logError', `metadata unreadable: ${error instanceof Error ? error.message : String(error)}`]);
  }
  // Written field by field: an object literal would put integer-like keys before `time`.
  return `{${fields.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
}

function toLogJson(value: unknown, ancestors: object[], depth: number): unknown {
  try {
    return plain(value, ancestors, depth);
  } catch (error) {
    return `[Unserializable: ${error instanceof Error ? error.message : String(error)}]`;
  }
}

function plain(value: unknown, ancestors: object[], depth: number): unknown {
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  if (value instanceof ArrayBuffer) return `<${value.byteLength} bytes>`;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Number || value instanceof String || value instanceof Boolean)
    return plain(value.valueOf(), ancestors, depth);
  // Temporal's protobuf messages carry int64s as Longs (`long`): their decimal string.
  if ((value as { __isLong__?: unknown }).__isLong__ === true) return String(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && !(value instanceof Error))
    return plain(toJSON.call(value) as unknown, [...ancestors, value], depth + 1);
  if (depth >= maxDepth) return Array.isArray(value) ? '[Array]' : '[Object]';
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    const items = value.slice(0, maxItems).map((item: unknown) => toLogJson(item, inner, depth + 1) ?? null);
    return value.length > maxItems ? [...items, `… ${value.length - maxItems} more`] : items;
  }
  let fields: [string, unknown][];
  if (value instanceof Error) {
    fields = [
      ['name', value.name],
      ['message', value.message],
      ['stack', value.stack],
      ['cause', value.cause],
      ...(value instanceof AggregateError ? [['errors', value.errors] as [string, unknown]] : []),
      ...safeEntries(value, maxItems),
    ];
  } else if (value instanceof Map) {
    fields = [...value.entries()]
      .slice(0, maxItems)
      .map(([key, item]) => [
        typeof key === 'object' ? JSON.stringify(toLogJson(key, inner, depth + 1)) : String(key),
        item,
      ]);
  } else if (value instanceof Set) {
    fields = [['values', [...value]]];
  } else {
    fields = safeEntries(value, maxItems);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of fields) {
    const json = toLogJson(item, inner, depth + 1);
    if (json !== undefined) out[key] = json;
  }
  const more = (value instanceof Map ? value.size : Object.keys(value).length) - maxItems;
  if (more > 0) out['…'] = `${more} more fields`;
  return out;
}

/** An object's first `count` own enumerable entries, each read on its own (a getter may throw). */
function safeEntries(value: object, count: number): [string, unknown][] {
  return Object.keys(value)
    .slice(0, count)
    .map((key) => {
      try {
        return [key, (value as Record<string, unknown>)[key]];
      } catch (error) {
        return [key, `[Unserializable: ${error instanceof Error ? error.message : String(error)}]`];
      }
    });
}

function cut(text: string): string {
  return text.length > maxStringLength
    ? `${text.slice(0, maxStringLength)}… (${text.length - maxStringLength} more characters)`
    : text;
}
