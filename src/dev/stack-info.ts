/**
 * Where the local dev stack is, as `memotune dev` wrote it (stack.json in the state folder). A
 * light module on purpose: clients resolve their default endpoints from it without loading the
 * stack's spawner or the AWS SDK (src/dev/stack.ts starts and stops the servers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The state folder of the project memotune runs in: `$MEMOTUNE_STATE_DIR`, else the nearest
 * `.memotune/` holding a stack.json in the working directory or above it (as git finds `.git`,
 * so a command run from `src/` of a project reaches the stack `memotune dev` started at its root),
 * else `./.memotune`, where `memotune dev` starts one.
 */
export function defaultStateDir(from: string = process.cwd()): string {
  if (process.env.MEMOTUNE_STATE_DIR) return process.env.MEMOTUNE_STATE_DIR;
  const start = resolve(from);
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.memotune', 'stack.json'))) return join(dir, '.memotune');
    if (dirname(dir) === dir) return join(start, '.memotune');
  }
}

/** Everything a client, a worker or a test needs to reach the stack. */
export interface StackInfo {
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly uiUrl: string | null;
  readonly s3: {
    readonly endpoint: string;
    readonly bucket: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  };
  readonly stateDir: string;
  readonly pids: { readonly temporal: number | null; readonly s3: number | null };
  /**
   * The Temporal CLI binary the stack runs (`temporal workflow list ...` against it); absent when
   * it was started by an earlier release, or by other means.
   */
  readonly temporalCli?: string;
}

/** The running stack's stack.json, or null when none was started in this state folder. */
export function readStackInfo(options: { readonly stateDir?: string } = {}): StackInfo | null {
  try {
    return JSON.parse(
      readFileSync(join(resolve(options.stateDir ?? defaultStateDir()), 'stack.json'), 'utf8'),
    ) as StackInfo;
  } catch {
    return null;
  }
}
