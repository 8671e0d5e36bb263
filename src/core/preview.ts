/**
 * Short, never-throwing descriptions of values a stage handed us, for error messages (runStage's
 * result checks, report()'s argument checks). Workflow-safe: plain functions of their input.
 */

/** `text`, cut to `length` UTF-16 code units and marked with an ellipsis when longer. */
export function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** A short, never-throwing description of a value a stage handed us, for failure messages. */
export function preview(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(clip(value, 40));
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${clip(value.toString(), 40)}n (a BigInt)`;
    case 'symbol':
    case 'function':
      return `a ${typeof value}`;
    default:
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
  }
}
