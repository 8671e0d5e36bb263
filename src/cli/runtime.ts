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
  type LogLevel,
  type LogMetadata,
  type Logger,
  type TelemetryOptions,
} from '@temporalio/worker';
import { metricHistogramBuckets } from '../core/metric-names.js';
import { jsonLogLine } from './json-log.js';

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
 * Installs the Runtime for `command`: workers log warnings only (MEMOTUNE_LOG_LEVEL=INFO for
 * more), as text or, with `--log-format json` (MEMOTUNE_LOG_FORMAT=json), as JSON lines, SDK
 * Core's lines too (forwarded through the same logger, in either format); only a command that runs workers hands
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
    // Core's lines through the same logger, in the process's format: Core's own console lines are
    // another shape, and coloured even in a file or a pipe (a log shipper stored the escapes).
    logging: { filter: coreLogFilter(level), forward: {} },
    ...(metrics === undefined
      ? {}
      : { metrics: { prometheus: { bindAddress: metrics, histogramBucketOverrides: { ...metricHistogramBuckets } } } }),
  };
  try {
    Runtime.install({ logger, telemetryOptions });
    // With forwarding the Runtime's logger is the SDK's buffer in front of ours.
    forwardedLogs = { logger: Runtime.instance().logger as Logger & { flush?: () => void }, format };
  } catch (error) {
    if (metrics === undefined) throw error;
    // e.g. "Failed to start prometheus metrics exporter: Address already in use"
    throw new Error(`--metrics ${metrics}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * What SDK Core logs at MEMOTUNE_LOG_LEVEL: its own lines at that level (they stayed at WARN
 * whatever the level said, so INFO showed no poller or connection line), the libraries under it
 * (gRPC, HTTP) at ERROR unless DEBUG or TRACE asks for everything, as the SDK's default does.
 */
export function coreLogFilter(level: LogLevel): { core: LogLevel; other: LogLevel } {
  return { core: level, other: level === 'DEBUG' || level === 'TRACE' ? level : 'ERROR' };
}

/** The Runtime's buffering logger and the log format, in a process that runs workers. */
let forwardedLogs: { logger: Logger & { flush?: () => void }; format: LogFormat } | null = null;

/**
 * What a command that is ending prints on stderr (its error, a hint), after the lines the SDK
 * still buffers (it keeps forwarded lines ~100 ms: without waiting, Core's warning that explains a
 * failure came after it, or never): text, or in a JSON-logging worker process an ERROR line like
 * its other lines.
 */
export async function endingMessage(text: string): Promise<void> {
  await settleLogs();
  if (forwardedLogs?.format !== 'json') {
    console.error(text);
    return;
  }
  process.stderr.write(
    `${jsonLogLine({ level: 'ERROR', message: text, timestampNanos: BigInt(Date.now()) * 1_000_000n })}\n`,
  );
}

/**
 * A worker process's start-up line on stdout (what scripts wait for): the text, or in a JSON-logging
 * process the same as one JSON object, an INFO line like the others (a log shipper reading the
 * merged streams met the one plain line among them).
 */
export function announce(text: string): void {
  if (forwardedLogs?.format === 'json')
    process.stdout.write(
      `${jsonLogLine({ level: 'INFO', message: text, timestampNanos: BigInt(Date.now()) * 1_000_000n })}\n`,
    );
  else console.log(text);
}

/** Writes out the lines the SDK's log buffer still holds (nothing to do in a process without workers). */
export async function settleLogs(): Promise<void> {
  if (forwardedLogs === null) return;
  // Core hands its lines over every few milliseconds, and the buffer keeps them 100 ms to order them.
  await new Promise((resolve) => setTimeout(resolve, 200));
  forwardedLogs.logger.flush?.();
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
