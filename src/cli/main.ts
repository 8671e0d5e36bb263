/**
 * The memotune command line: run the local stack, workers and studies.
 *   memotune init [dir]              scaffold a project (typed study, stages, worker commands)
 *   memotune dev [--stop]            local Temporal + S3 (idempotent)
 *   memotune worker                   serve the orchestration and stage queues
 *   memotune study start|status|result|trials|report|pause|resume|extend|enqueue|parallelism|stop
 *   memotune cluster setup|check    memotune's search attributes on a namespace
 *   memotune cache ls|prune          what the stage cache holds; delete what no live study needs
 *   memotune demo                     everything above, on the paper's synthetic pipeline
 *   memotune bench                    in-process benchmark of the optimizer methods
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { cacheCommand } from './commands/cache.js';
import { clusterCommand } from './commands/cluster.js';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { initCommand } from './commands/init.js';
import { studyCommand } from './commands/study.js';
import { workerCommand } from './commands/worker.js';
import { BenchInterruptedError } from '../bench/temporal/interrupt.js';
import { StudyConfigError } from '../config/study-config.js';
import {
  StudyControlRefusedError,
  StudyFinishedError,
  StudyNotContinuableError,
  StudyExistsError,
  StudyAlreadyRunningError,
  StudyNotFoundError,
} from '../client/index.js';
import { errorChain, formatError, printable, printableLines } from './format.js';
import { NotAStudyError, StudyStillRunningError } from '../client/delete-study.js';
import { ConnectionSettingsError } from '../core/settings-error.js';
import { endingMessage, installRuntime, settleLogs } from './runtime.js';
import { StackPortError } from '../dev/stack.js';
import { packageVersion } from '../package-root.js';

export function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

const program = new Command('memotune')
  .description('memoization-aware hyperparameter tuning for multi-stage pipelines on Temporal')
  .version(packageVersion)
  .showHelpAfterError()
  .exitOverride()
  .hook('preAction', (_program, command) => installRuntime(command));
program.addCommand(initCommand());
program.addCommand(devCommand());
program.addCommand(workerCommand());
program.addCommand(studyCommand());
program.addCommand(cacheCommand());
program.addCommand(clusterCommand());
program.addCommand(demoCommand());
program.addCommand(benchCommand());
// Commander echoes what the user typed (an unknown option, a bad argument): escaped too. Its own
// refusals (unknown option, missing argument, bad value) are bad input on every command: exit 2.
// Help and version exit 0; `command.error(..., { exitCode })` keeps the code it was given.
(function configure(command: Command): void {
  command.configureOutput({ writeErr: (text) => process.stderr.write(printableLines(text)) });
  command.exitOverride((error) => {
    throw error.exitCode === 1 && error.code !== 'commander.error'
      ? new CommanderError(2, error.code, error.message)
      : error;
  });
  command.commands.forEach(configure);
})(program);

// A reader that stops early (`| head`) closes the pipe: the output is no longer wanted, which is
// not a failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/**
 * Ends the process with `code` once what it printed has reached its readers: a pipe takes writes
 * asynchronously, and `process.exit` at once would cut off its last lines (a status card before its
 * error, the card's final newline).
 */
async function exit(code: number): Promise<never> {
  await settleLogs();
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) await exit(error.exitCode);
  if (error instanceof BenchInterruptedError) {
    // The shell's convention for Ctrl-C; the running study was terminated, not left to resume.
    await endingMessage(`memotune: ${error.message}`);
    await exit(130);
  }
  if (error instanceof StudyControlRefusedError) {
    // The study said no to a bad request (a negative budget, pause when paused): bad input.
    await endingMessage(printable(error.message));
    await exit(2);
  }
  if (error instanceof StackPortError) {
    // A port the local stack cannot use: bad input, named in the message.
    await endingMessage(`memotune: ${printable(error.message)}`);
    await exit(2);
  }
  if (error instanceof StudyExistsError || error instanceof StudyAlreadyRunningError) {
    // The id is taken: bad input, with the ways to go on.
    await endingMessage(`memotune: ${printable(error.message)}`);
    await exit(2);
  }
  if (error instanceof NotAStudyError) {
    // Another application's workflow, or a study whose recorded trial log is not one: nothing deleted.
    await endingMessage(`memotune: ${printable(error.message)}`);
    await exit(2);
  }
  if (error instanceof StudyStillRunningError) {
    // A running study cannot be deleted: bad input, with the way to go on.
    await endingMessage(`memotune: ${printable(error.message)}`);
    await exit(2);
  }
  if (error instanceof StudyFinishedError || error instanceof StudyNotContinuableError) {
    // A request to a study that has ended: bad input, with the way to go on.
    await endingMessage(`memotune: ${printable(error.message)}`);
    await exit(2);
  }
  if (error instanceof StudyNotFoundError) {
    // A wrong id is bad input; the server it was looked up on is the likely other mistake.
    await endingMessage(
      `memotune: ${printable(error.message)}: check the id with \`memotune study list\`, or pass the ` +
        '--address/--namespace (or the Temporal profile) of the server that ran it',
    );
    await exit(2);
  }
  if (error instanceof ConnectionSettingsError) {
    // A malformed or missing connection setting: the message names the variable or flag.
    await endingMessage(`memotune: ${printable(error.message)}`);
    await exit(2);
  }
  if (error instanceof StudyConfigError) {
    // Issue by issue, not the message: a path or message is escaped without faking a line.
    await endingMessage(
      [
        'invalid study config:',
        ...error.issues.map((issue) => `  - ${printable(issue.path)}: ${printable(issue.message)}`),
      ].join('\n'),
    );
    await exit(2);
  }
  // Every other error with the causes that explain it ("Failed to start Workflow" alone does not).
  // A payload a codec encoded: the SDK's message names the encoding, not what to do about it.
  const codecHint = errorChain(error).some((message) => message.startsWith('Unknown encoding'))
    ? '\n  (a payload codec encoded this study: give memotune your codec server with --codec-endpoint or TEMPORAL_CODEC_ENDPOINT)'
    : '';
  await endingMessage(`${formatError(error)}${codecHint}`);
  await exit(1);
}
