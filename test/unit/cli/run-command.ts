/**
 * Runs a CLI command in-process the way `memotune` would parse it, with its exits and output caught:
 * what it printed on stderr and the exit code it asked for (null when it ran to the end).
 */
import { CommanderError, type Command } from 'commander';

export async function runCommand(
  command: Command,
  args: readonly string[],
): Promise<{ stderr: string; exitCode: number | null }> {
  let stderr = '';
  const configure = (each: Command): void => {
    each.exitOverride().configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
    each.commands.forEach(configure);
  };
  configure(command);
  try {
    await command.parseAsync([...args], { from: 'user' });
    return { stderr, exitCode: null };
  } catch (error) {
    if (error instanceof CommanderError) return { stderr, exitCode: error.exitCode };
    throw error;
  }
}
