import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { defaultTaskQueuePrefix } from '../../config/plan.js';
import { taskQueueKinds } from '../../config/study-config.js';
import { syntheticStages } from '../../examples/synthetic-stages.js';
import type { StageRegistry } from '../../stages/types.js';
import { parseSyntheticSpec } from '../../synthetic/index.js';
import { createWorkers, runWorkers, type QueueRole } from '../../worker/run-workers.js';
import { connectWorker, openStore, temporalAddress, temporalNamespace } from '../connection.js';

const benchmarksDir = new URL('../../../benchmarks/', import.meta.url).pathname;

/** Stage implementations of every synthetic pipeline shipped in benchmarks/*.json. */
export function builtInStages(): StageRegistry {
  let registry: StageRegistry = {};
  for (const file of readdirSync(benchmarksDir).filter((name) => name.endsWith('.json'))) {
    const spec = parseSyntheticSpec(JSON.parse(readFileSync(join(benchmarksDir, file), 'utf8')));
    registry = { ...registry, ...syntheticStages(spec) };
  }
  return registry;
}

/** Loads a user's stage module: its `stages` export or default export must be a registry. */
export async function loadStageModule(path: string): Promise<StageRegistry> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { stages?: StageRegistry; default?: StageRegistry };
  const registry = module.stages ?? module.default;
  if (registry === undefined || typeof registry !== 'object') {
    throw new Error(`${path} must export a stage registry as 'stages' or default`);
  }
  for (const [name, implementation] of Object.entries(registry)) {
    if (typeof implementation !== 'function') throw new Error(`${path}: stage '${name}' is not a function`);
  }
  return registry;
}

function parseQueues(value: string): QueueRole[] {
  const roles = value.split(',').map((role) => role.trim());
  const known: readonly string[] = ['orchestration', ...taskQueueKinds];
  for (const role of roles) {
    if (!known.includes(role)) throw new InvalidArgumentError(`unknown queue '${role}' (expected ${known.join(', ')})`);
  }
  return roles as QueueRole[];
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('run workers for the orchestration queue (workflows, suggestions) and stage queues')
    .option('--queues <list>', 'queues to serve: orchestration,cpu,gpu', parseQueues, ['orchestration', 'cpu', 'gpu'] as QueueRole[])
    .option('--stages <module>', 'JS/TS module exporting your stage registry (`stages` or default)')
    .option('--prefix <prefix>', 'task queue prefix', defaultTaskQueuePrefix)
    .option('--address <host:port>', 'Temporal address (default: $TEMPORAL_ADDRESS or the local stack)')
    .option('--namespace <ns>', 'Temporal namespace', undefined)
    .action(async (options: { queues: QueueRole[]; stages?: string; prefix: string; address?: string; namespace?: string }) => {
      const stages = { ...builtInStages(), ...(options.stages ? await loadStageModule(options.stages) : {}) };
      const connection = await connectWorker(options);
      const workers = await createWorkers({
        connection,
        namespace: temporalNamespace(options),
        taskQueuePrefix: options.prefix,
        queues: options.queues,
        store: openStore(),
        stages,
      });
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      console.log(
        `memotune worker on ${temporalAddress(options)}: queues ${options.queues.map((q) => `${options.prefix}-${q}`).join(', ')}; ` +
          `${Object.keys(stages).length} stage implementations`,
      );
      await runWorkers(workers, controller.signal);
      await connection.close();
    });
}
