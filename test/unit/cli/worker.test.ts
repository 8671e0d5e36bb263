/** `memotune worker` refuses flags it cannot use before connecting to anything. */
import { describe, expect, it } from 'vitest';
import { workerCommand } from '../../../src/cli/commands/worker.js';
import { runCommand } from './run-command.js';

/** Runs `memotune worker <args>`; a refused flag must stop it before it connects to the address nothing listens on. */
const run = (args: string[]) => runCommand(workerCommand(), [...args, '--address', '127.0.0.1:1']);

describe('memotune worker --max-concurrent-stages', () => {
  it.each(['0', '2.5', 'many', '1001'])('refuses %s, naming the option', async (value) => {
    const { stderr, exitCode } = await run(['--max-concurrent-stages', value]);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain('--max-concurrent-stages <n>');
    expect(stderr).toContain(`must be an integer from 1 to 1000, got '${value}'`);
  });
});

describe('memotune worker --suggest-threads', () => {
  it.each(['0', '1.5', 'all'])('refuses %s, naming the option', async (value) => {
    const { stderr, exitCode } = await run(['--suggest-threads', value]);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain('--suggest-threads <n>');
    expect(stderr).toContain(`must be an integer from 1 to 1000, got '${value}'`);
  });
});

describe('memotune worker --factor-cache-mb', () => {
  it.each(['-1', '1.5', 'lots', ''])('refuses %j, naming the option', async (value) => {
    const { stderr, exitCode } = await run(['--factor-cache-mb', value]);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain('--factor-cache-mb <n>');
    expect(stderr).toContain(`must be an integer from 0 to 1048576, got '${value}'`);
  });
});

describe('memotune worker --metrics', () => {
  it.each(['9464', 'localhost:9464', '127.0.0.1:0', '127.0.0.1:70000', '[::1', '300.1.1.1:9464'])(
    'refuses %j, naming the option',
    async (value) => {
      const { stderr, exitCode } = await run(['--metrics', value]);
      expect(exitCode).not.toBeNull();
      expect(stderr).toContain('--metrics <ip:port>');
      expect(stderr).toContain(`must be an IP address and a port from 1 to 65535`);
      expect(stderr).toContain(`got '${value}'`);
    },
  );
});
