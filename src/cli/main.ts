/**
 * The memotune command line: run the local stack, workers and studies.
 *   memotune init [dir]              scaffold a project (typed study, stages, worker commands)
 *   memotune dev [--stop]            local Temporal + S3 (idempotent)
 *   memotune worker                   serve the orchestration and stage queues
 *   memotune study start|status|result|stop
 *   memotune demo                     everything above, on the paper's synthetic pipeline
 *   memotune bench                    in-process benchmark of the optimizer methods
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { initCommand } from './commands/init.js';
import { studyCommand } from './commands/study.js';
import { workerCommand } from './commands/worker.js';
import { StudyConfigError } from '../config/study-config.js';
import { NoWorkerError, StudyAlreadyRunningError, StudyNotFoundError } from '../client/index.js';

export function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

// Workers log state changes at INFO; a CLI user wants warnings only (MEMOTUNE_LOG_LEVEL=INFO for more).
Runtime.install({ logger: new DefaultLogger((process.env.MEMOTUNE_LOG_LEVEL ?? 'WARN') as 'WARN') });

const program = new Command('memotune')
  .description('memoization-aware hyperparameter tuning for multi-stage pipelines on Temporal')
  .showHelpAfterError()
  .exitOverride();
program.addCommand(initCommand());
program.addCommand(devCommand());
program.addCommand(workerCommand());
program.addCommand(studyCommand());
program.addCommand(demoCommand());
program.addCommand(benchCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof StudyConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  if (
    error instanceof StudyAlreadyRunningError ||
    error instanceof StudyNotFoundError ||
    error instanceof NoWorkerError
  ) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  console.error(error instanceof Error ? `error: ${error.message}` : error);
  process.exit(1);
}
