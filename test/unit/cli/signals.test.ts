/**
 * Ctrl-C ends a command that runs no worker at once; only the commands that run workers hand
 * SIGINT/SIGTERM to Temporal's Runtime, which shuts the workers down first (src/cli/runtime.ts).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../../../src/cli/commands/bench.js';
import { demoCommand } from '../../../src/cli/commands/demo.js';
import { studyCommand } from '../../../src/cli/commands/study.js';
import { workerCommand } from '../../../src/cli/commands/worker.js';
import { CliLogger, hostsWorkers } from '../../../src/cli/runtime.js';

const root = new URL('../../../', import.meta.url);

function parsed(command: Command, args: string[]): Command {
  command.exitOverride().action(() => {});
  command.parse(args, { from: 'user' });
  return command;
}

describe('which commands run workers', () => {
  it('the worker and the demo do, the bench only on the real stack', () => {
    expect(hostsWorkers(workerCommand())).toBe(true);
    expect(hostsWorkers(demoCommand())).toBe(true);
    expect(hostsWorkers(parsed(benchCommand(), ['spec.json', '--via', 'temporal']))).toBe(true);
    expect(hostsWorkers(parsed(benchCommand(), ['spec.json']))).toBe(false);
  });

  it('no study command does', () => {
    for (const command of studyCommand().commands) expect(hostsWorkers(command), command.name()).toBe(false);
  });
});

describe('SIGINT', () => {
  it('ends the in-process bench at once, busy as it is', async () => {
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('bin/run-ts.js', root)),
        fileURLToPath(new URL('src/cli/main.ts', root)),
        'bench',
        fileURLToPath(new URL('benchmarks/paper-5stage.json', root)),
        '--methods',
        'eeipu',
        '--seeds',
        '50',
        '--jobs',
        '1',
        '--no-progress',
      ],
      { stdio: 'ignore' },
    );
    // Well past start-up (~2 s): the bench is running its first study.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    child.kill('SIGINT');
    const signal = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 5_000)),
    ]);
    if (signal === 'still running') child.kill('SIGKILL');
    expect(signal).toBe('SIGINT');
  }, 20_000);
});

describe('the CLI logger', () => {
  it('drops the SDK warning that a stage worker has no workflows, and nothing else', () => {
    const logged: string[] = [];
    const logger = new CliLogger('WARN', (entry) => logged.push(`${entry.level} ${entry.message}`));
    logger.warn('No workflows registered, not polling for workflow tasks');
    logger.warn('Activity heartbeat timed out');
    logger.info('Worker state changed');
    expect(logged).toEqual(['WARN Activity heartbeat timed out']);
  });

  it("leaves an activity's task token out of its log lines, and everything else in", () => {
    const entries: { message: string; meta?: Record<string, unknown> }[] = [];
    const logger = new CliLogger('WARN', (entry) => entries.push({ message: entry.message, meta: entry.meta }));
    logger.warn('stage reported non-finite metrics', {
      taskToken: new Uint8Array(200),
      workflowId: 's/trial-3',
      attempt: 1,
      metrics: { acc: 'NaN' },
    });
    expect(entries).toEqual([
      {
        message: 'stage reported non-finite metrics',
        meta: { workflowId: 's/trial-3', attempt: 1, metrics: { acc: 'NaN' } },
      },
    ]);
  });
});
