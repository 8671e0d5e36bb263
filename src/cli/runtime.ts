/**
 * The Temporal Runtime of a CLI process. The Runtime turns SIGINT/SIGTERM into "shut the workers
 * down" and keeps the process alive until they are down: right for the commands that run workers,
 * wrong for the others, where a first Ctrl-C then did nothing (`study watch`, `result --wait`) and,
 * with the thread busy in a study (the in-process bench), not even a second one got through.
 */
import type { Command } from 'commander';
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { metricHistogramBuckets } from '../core/metric-names.js';

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
 * more), and only a command that runs workers hands SIGINT/SIGTERM to them; any other is ended by
 * the signal at once, as Node does by default. `memotune worker --metrics ip:port` serves the
 * process's metrics for Prometheus: the Runtime's exporter, which Temporal's own worker metrics
 * and memotune's (src/worker/metrics.ts) both go through.
 */
export function installRuntime(command: Command): void {
  const logger = new CliLogger((process.env.MEMOTUNE_LOG_LEVEL ?? 'WARN') as LogLevel);
  if (!hostsWorkers(command)) {
    Runtime.install({ logger, shutdownSignals: [] });
    return;
  }
  const { metrics } = command.opts() as { metrics?: string };
  try {
    Runtime.install({
      logger,
      ...(metrics === undefined
        ? {}
        : {
            telemetryOptions: {
              metrics: {
                prometheus: { bindAddress: metrics, histogramBucketOverrides: { ...metricHistogramBuckets } },
              },
            },
          }),
    });
  } catch (error) {
    if (metrics === undefined) throw error;
    // e.g. "Failed to start prometheus metrics exporter: Address already in use"
    throw new Error(`--metrics ${metrics}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
