import { Command, InvalidArgumentError } from 'commander';
import { isStackRunning, readStackInfo, startStack, stopStack } from '../../dev/stack.js';

export function devCommand(): Command {
  return new Command('dev')
    .description('start the local Temporal dev server (with Web UI) and S3 server; reuses running ones')
    .option('--stop', 'stop the servers this project started')
    .option('--status', 'print where the stack is as JSON (null when it is not running), without starting anything')
    .option('--headless', 'no Temporal Web UI')
    .option('--json', 'print where the stack is as JSON (addresses, UI, S3, state directory)')
    .option(
      '--temporal-port <port>',
      "Temporal gRPC port (the dev server also takes port + 10 and + 11, the Web UI port + 1000; default 7233, or this folder's stack's last one)",
      port,
    )
    .option('--s3-port <port>', "S3 port (default 7070, or this folder's stack's last one)", port)
    .addHelpText(
      'after',
      `
The stack keeps running after this command returns; its state (Temporal's SQLite file, the S3
data) is under .memotune/ and survives restarts. From a subfolder of the project, every command
(this one too) finds the nearest .memotune/ with a stack.json above it, as git finds .git.

Examples:
  memotune dev                 # start (or reuse) Temporal, its Web UI and S3
  memotune dev --status        # where it is, as JSON (null when not running)
  memotune dev --temporal-port 17233 --s3-port 17070   # beside another stack (use another
                               # MEMOTUNE_STATE_DIR too); clients and workers started with that
                               # MEMOTUNE_STATE_DIR find it through its stack.json
  memotune dev --stop`,
    )
    .action(
      async (
        options: {
          stop?: boolean;
          status?: boolean;
          headless?: boolean;
          json?: boolean;
          temporalPort?: number;
          s3Port?: number;
        },
        command: Command,
      ) => {
        if (options.stop) {
          const { stopped, stateDir } = await stopStack();
          // The stack is this project's (the nearest .memotune/ up): one started elsewhere is not stopped.
          console.log(
            stopped.length > 0
              ? `local stack stopped (${stopped.join(', ')}; state in ${stateDir})`
              : `no local stack of this project is running (state in ${stateDir}); one started from another project keeps running: stop it from there`,
          );
          return;
        }
        if (options.status) {
          const info = readStackInfo();
          console.log(JSON.stringify(info !== null && isStackRunning(info) ? info : null, null, 2));
          return;
        }
        if (!options.headless && options.temporalPort !== undefined && options.temporalPort + 1000 > 65535)
          command.error(
            `memotune: --temporal-port: the Web UI would need port ${options.temporalPort + 1000}; pick a lower port or --headless`,
            { exitCode: 2 },
          );
        const info = await startStack({
          ...(options.headless === undefined ? {} : { headless: options.headless }),
          ...(options.temporalPort === undefined ? {} : { temporalPort: options.temporalPort }),
          ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
        });
        if (options.json) {
          // The local stack's fixed S3 key pair is not a secret, but it is not printed either.
          const { s3, ...rest } = info;
          console.log(JSON.stringify({ ...rest, s3: { endpoint: s3.endpoint, bucket: s3.bucket } }, null, 2));
          return;
        }
        console.log(`Temporal   ${info.temporalAddress} (namespace ${info.namespace})`);
        if (info.uiUrl) console.log(`Web UI     ${info.uiUrl}`);
        console.log(`S3         ${info.s3.endpoint} (bucket ${info.s3.bucket})`);
        console.log(`state      ${info.stateDir}`);
        if (info.temporalCli !== undefined)
          console.log(
            `CLI        ${info.temporalCli} (e.g. workflow list --address ${info.temporalAddress} --query "MemotuneKind='study'")`,
          );
      },
    );
}

/** A TCP port to listen on: an integer in 1..65535. */
function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535)
    throw new InvalidArgumentError('must be a port number in 1..65535');
  return parsed;
}
