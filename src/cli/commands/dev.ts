import { Command } from 'commander';
import { readStackInfo, startStack, stopStack } from '../../dev/stack.js';

export function devCommand(): Command {
  return new Command('dev')
    .description('start the local Temporal dev server (with Web UI) and S3 server; reuses running ones')
    .option('--stop', 'stop the servers this project started')
    .option('--status', 'print where the stack is, without starting anything')
    .option('--headless', 'no Temporal Web UI')
    .action(async (options: { stop?: boolean; status?: boolean; headless?: boolean }) => {
      if (options.stop) {
        await stopStack();
        console.log('local stack stopped');
        return;
      }
      if (options.status) {
        console.log(JSON.stringify(readStackInfo(), null, 2));
        return;
      }
      const info = await startStack({ headless: options.headless ?? false });
      console.log(`Temporal   ${info.temporalAddress} (namespace ${info.namespace})`);
      if (info.uiUrl) console.log(`Web UI     ${info.uiUrl}`);
      console.log(`S3         ${info.s3.endpoint} (bucket ${info.s3.bucket})`);
      console.log(`state      ${info.stateDir}`);
    });
}
