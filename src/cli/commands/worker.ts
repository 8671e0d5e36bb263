import { isIP } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { runWorkerProcess } from '../../../workers/main.js';
import { defaultTaskQueuePrefix, idProblem } from '../../config/plan.js';
import { taskQueueKindPattern } from '../../config/study-config.js';
import type { QueueRole } from '../../worker/run-workers.js';
import { withEndpoint, type EndpointOptions } from '../connection.js';
import { announce, parseLogFormat } from '../runtime.js';

function parseQueues(value: string): QueueRole[] {
  const roles = value.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (!taskQueueKindPattern.test(role)) {
      throw new InvalidArgumentError(
        `'${role}' is not a queue kind (orchestration, cpu, gpu or your own: lower-case letters, digits, dashes)`,
      );
    }
  }
  return roles as QueueRole[];
}

function parsePrefix(value: string): string {
  const problem = idProblem(value, 'taskQueuePrefix');
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return value;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000)
    throw new InvalidArgumentError(`must be an integer from 1 to 1000, got '${value}'`);
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(parsed) || parsed < 0 || parsed > 1024 * 1024)
    throw new InvalidArgumentError(`must be an integer from 0 to 1048576, got '${value}'`);
  return parsed;
}

/** ip:port for a server to listen on (an IPv6 address in brackets): the exporter takes no host names. */
export function bindAddress(value: string): string {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/.exec(value);
  const ip = match?.[1] ?? match?.[2] ?? '';
  const port = match === null ? Number.NaN : Number(match[3]);
  if (!(port >= 1 && port <= 65535) || isIP(ip) !== (match?.[1] === undefined ? 4 : 6)) {
    throw new InvalidArgumentError(
      `must be an IP address and a port from 1 to 65535 (e.g. 0.0.0.0:9464, 127.0.0.1:9464 or [::]:9464), got '${value}'`,
    );
  }
  return value;
}

export function workerCommand(): Command {
  const command = new Command('worker')
    .description('run workers for the orchestration queue (workflows, suggestions) and stage queues')
    .option(
      '--queues <list>',
      'queue kinds to serve: orchestration,cpu,gpu or your own stage queue kinds',
      parseQueues,
      ['orchestration', 'cpu', 'gpu'] as QueueRole[],
    )
    .option('--stages <module>', 'JS/TS module exporting your stage registry (`stages` or default)')
    .option('--prefix <prefix>', 'task queue prefix', parsePrefix, defaultTaskQueuePrefix)
    .option(
      '--max-concurrent-stages <n>',
      'stages this process runs at once on each stage queue (default 1 on gpu, 2 on the others)',
      positiveInteger,
    )
    .option(
      '--suggest-threads <n>',
      'suggestions this process computes at once, one thread each (default 1; more for many concurrent studies)',
      positiveInteger,
    )
    .option(
      '--metrics <ip:port>',
      "serve Prometheus metrics at http://ip:port/metrics: Temporal's worker metrics and memotune's own (README: Metrics)",
      bindAddress,
    )
    .option(
      '--log-format <format>',
      'text, or json: one JSON object a line, for log shippers (default: MEMOTUNE_LOG_FORMAT, else text)',
      parseLogFormat,
    )
    .option(
      '--factor-cache-mb <n>',
      "megabytes of GP factors each suggest thread keeps, so that a long study's next suggestion factors only its new trials (default 1024; 0: none)",
      nonNegativeInteger,
    )
    .addHelpText(
      'after',
      `
Connection: --address/--namespace, else the Temporal config file's profile (--profile, with TLS,
mTLS or an API key) and the TEMPORAL_* variables, else the local stack. The stage cache: the
MEMOTUNE_S3_* variables and the AWS credential chain (see the README).

Examples:
  memotune worker                                        # everything, on the local stack
  memotune worker --queues orchestration                 # the study loop and suggestions only
  memotune worker --queues gpu --stages dist/stages.js   # your stages, on the GPU queue
  memotune worker --queues cpu --max-concurrent-stages 4 --stages dist/stages.js
  memotune worker --profile cloud --queues gpu --stages dist/stages.js
  MEMOTUNE_LOG_LEVEL=INFO memotune worker --log-format json --metrics 0.0.0.0:9464`,
    );
  return withEndpoint(command).action(
    async (
      options: {
        queues: QueueRole[];
        stages?: string;
        prefix: string;
        maxConcurrentStages?: number;
        suggestThreads?: number;
        factorCacheMb?: number;
        metrics?: string;
      } & EndpointOptions,
    ) => {
      // On SIGTERM/SIGINT the workers shut down within their shutdown force time, even around a
      // stage that ignores its cancellation: runStage abandons it (in-process JavaScript cannot be
      // killed), and past the force time the workers' run() rejects and the CLI exits with an error.
      await runWorkerProcess({
        queues: options.queues,
        taskQueuePrefix: options.prefix,
        ...(options.stages === undefined ? {} : { stagesModule: options.stages }),
        ...(options.maxConcurrentStages === undefined ? {} : { maxConcurrentStages: options.maxConcurrentStages }),
        ...(options.suggestThreads === undefined ? {} : { suggestThreads: options.suggestThreads }),
        ...(options.factorCacheMb === undefined ? {} : { factorCacheMegabytes: options.factorCacheMb }),
        ...(options.metrics === undefined ? {} : { metricsAddress: options.metrics }),
        announce,
        ...(options.address === undefined ? {} : { address: options.address }),
        ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
        ...(options.profile === undefined ? {} : { profile: options.profile }),
        ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
      });
      // The workers are down. An abandoned stage may still hold timers or sockets that would keep
      // Node alive: they do not hold the process.
      setTimeout(() => process.exit(0), 1_000).unref();
    },
  );
}
