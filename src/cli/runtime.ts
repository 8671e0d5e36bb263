/**
 * The Temporal Runtime of a CLI process. The Runtime turns SIGINT/SIGTERM into "shut the workers
 * down" and keeps the process alive until they are down: right for the commands that run workers,
 * wrong for the others, where a first Ctrl-C then did nothing (`study watch`, `result --wait`) and,
 * with the thread busy in a study (the in-process bench), not even a second one got through.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  DefaultLogger,
  Runtime,
  type LogEntry,
  type LogLevel,
  type LogMetadata,
  type TelemetryOptions,
} from '@temporalio/worker';
import { metricHistogramBuckets } from '../core/metric-names.js';

/** How a CLI process writes its log lines: `text` (the SDK's), `json` (one object a line, for log shippers). */
export const logFormats = ['text', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];
const logLevels: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** `--log-format` (and MEMOTUNE_LOG_FORMAT): text or json. */
export function parseLogFormat(value: string): LogFormat {
  const format = value.trim().toLowerCase();
  if (!(logFormats as readonly string[]).includes(format))
    throw new InvalidArgumentError(`must be ${logFormats.join(' or ')}, got '${value}'`);
  return format as LogFormat;
}

/** MEMOTUNE_LOG_LEVEL: TRACE, DEBUG, INFO, WARN or ERROR, any case (an unknown level logged everything before). */
export function parseLogLevel(value: string): LogLevel {
  const level = value.trim().toUpperCase();
  if (!(logLevels as readonly string[]).includes(level))
    throw new InvalidArgumentError(`must be one of ${logLevels.join(', ')}, got '${value}'`);
  return level as LogLevel;
}

/** Whether the command runs workers in this process (which then stop on SIGINT/SIGTERM). */
export function hostsWorkers(command: Command): boolean {
  const name = command.name();
  if (name === 'worker' || name === 'demo') return true;
  return name === 'bench' && (command.opts() as { via?: string }).via === 'temporal';
}

/**
 * The SDK's logger without its warning that a worker has no workflows: a stage worker (the
 * plugin's `runStage` activity only) is how memotune runs stages, and a new user read the warning,
 * repeated for every stage queue, as something wrong. An activity's log lines leave out its task
 * token: a long opaque buffer that made every warning a dozen lines and identifies nothing a
 * reader can use (the workflow id, activity id and attempt stay).
 */
export class CliLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (message.startsWith('No workflows registered')) return;
    super.log(level, message, meta === undefined || !('taskToken' in meta) ? meta : withoutTaskToken(meta));
  }
}

function withoutTaskToken(meta: LogMetadata): LogMetadata {
  return Object.fromEntries(Object.entries(meta).filter(([key]) => key !== 'taskToken'));
}

/**
 * One log entry as one line of JSON: `time` (ISO 8601), `level`, `message`, then the entry's
 * metadata as top-level fields (the SDK's `workflowId`, `activityType`, `attempt`, …; a field
 * named like one of the first three becomes `meta.<name>`). Values JSON cannot hold are written
 * so a reader still sees them: bigints and non-finite numbers as strings, errors with their stack,
 * byte arrays as their length.
 */
export function jsonLogLine(entry: LogEntry): string {
  const line: Record<string, unknown> = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level,
    message: entry.message,
  };
  for (const [key, value] of Object.entries(entry.meta ?? {})) {
    const json = toLogJson(value, [], 0);
    if (json !== undefined) line[key in line ? `meta.${key}` : key] = json;
  }
  return JSON.stringify(line);
}

const MAX_LOG_DEPTH = 8;

function toLogJson(value: unknown, ancestors: object[], depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  if (depth >= MAX_LOG_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  const inner = [...ancestors, value];
  if (Array.isArray(value)) return value.map((item) => toLogJson(item, inner, depth + 1) ?? null);
  const fields: [string, unknown][] =
    value instanceof Error
      ? [
          ['name', value.name],
          ['message', value.message],
          ['stack', value.stack],
          ['cause', value.cause],
          ...Object.entries(value),
        ]
      : value instanceof Map
        ? [...value.entries()].map(([key, item]) => [String(key), item])
        : value instanceof Set
          ? [['values', [...value]]]
          : Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of fields) {
    const json = toLogJson(item, inner, depth + 1);
    if (json !== undefined) out[key] = json;
  }
  return out;
}

/**
 * Installs the Runtime for `command`: workers log warnings only (MEMOTUNE_LOG_LEVEL=INFO for
 * more), as text or, with `--log-format json` (MEMOTUNE_LOG_FORMAT=json), as JSON lines, SDK
 * Core's lines too (forwarded through the same logger); only a command that runs workers hands
 * SIGINT/SIGTERM to them; any other is ended by the signal at once, as Node does by default.
 * `memotune worker --metrics ip:port` serves the process's metrics for Prometheus: the Runtime's
 * exporter, which Temporal's own worker metrics and memotune's (src/worker/metrics.ts) both go
 * through.
 *
 * A MEMOTUNE_LOG_LEVEL or MEMOTUNE_LOG_FORMAT that is not a known value ends the command (exit 2), naming it.
 */
export function installRuntime(command: Command): void {
  const level = fromEnvironment(command, 'MEMOTUNE_LOG_LEVEL', parseLogLevel) ?? 'WARN';
  const format =
    (command.opts() as { logFormat?: LogFormat }).logFormat ??
    fromEnvironment(command, 'MEMOTUNE_LOG_FORMAT', parseLogFormat) ??
    'text';
  const logger =
    format === 'json'
      ? new CliLogger(level, (entry) => process.stderr.write(`${jsonLogLine(entry)}\n`))
      : new CliLogger(level);
  if (!hostsWorkers(command)) {
    Runtime.install({ logger, shutdownSignals: [] });
    return;
  }
  const { metrics } = command.opts() as { metrics?: string };
  const telemetryOptions: TelemetryOptions = {
    // JSON lines for Core's lines too: Core's own console lines are another shape, in colour.
    ...(format === 'json' ? { logging: { forward: {} } } : {}),
    ...(metrics === undefined
      ? {}
      : { metrics: { prometheus: { bindAddress: metrics, histogramBucketOverrides: { ...metricHistogramBuckets } } } }),
  };
  try {
    Runtime.install({ logger, telemetryOptions });
  } catch (error) {
    if (metrics === undefined) throw error;
    // e.g. "Failed to start prometheus metrics exporter: Address already in use"
    throw new Error(`--metrics ${metrics}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** The environment variable's value parsed, undefined when unset or empty; a bad value ends the command (exit 2). */
function fromEnvironment<T>(command: Command, name: string, parse: (value: string) => T): T | undefined {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parse(value);
  } catch (error) {
    return command.error(`error: ${name} ${error instanceof Error ? error.message : String(error)}`, { exitCode: 2 });
  }
}
