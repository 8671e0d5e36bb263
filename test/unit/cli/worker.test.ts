/** `memotune worker` refuses flags it cannot use before connecting to anything. */
import { describe, expect, it } from 'vitest';
import { workerCommand } from '../../../src/cli/commands/worker.js';
import { runCommand } from './run-command.js';

/** Runs `memotune worker <args>`; a refused flag must stop it before it connects to the address nothing listens on. */
const run = (args: string[]) => runCommand(workerCommand(), [...args, '--address', '127.0.0.1:1']);

/** Each flag, the values it refuses, and what it says (then `got '<value>'`). */
const refusals: [flag: string, values: string[], message: string][] = [
  ['--max-concurrent-stages <n>', ['0', '2.5', 'many', '1001'], 'must be an integer from 1 to 1000'],
  ['--suggest-threads <n>', ['0', '1.5', 'all'], 'must be an integer from 1 to 1000'],
  ['--factor-cache-mb <n>', ['-1', '1.5', 'lots', ''], 'must be an integer from 0 to 1048576'],
  [
    '--metrics <ip:port>',
    ['9464', 'localhost:9464', '127.0.0.1:0', '127.0.0.1:70000', '[::1', '300.1.1.1:9464'],
    'must be an IP address and a port from 1 to 65535',
  ],
  ['--log-format <format>', ['yaml', ''], 'must be text or json'],
];

describe.each(refusals)('memotune worker %s', (flag, values, message) => {
  it.each(values)('refuses %j, naming the option', async (value) => {
    const { stderr, exitCode } = await run([flag.split(' ')[0]!, value]);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain(flag);
    expect(stderr).toContain(message);
    expect(stderr).toContain(`got '${value}'`);
  });
});
