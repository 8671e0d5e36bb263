import { Command } from 'commander';
import { missingSearchAttributes, registerSearchAttributes } from '../../client/search-attributes.js';
import { memotuneSearchAttributes } from '../../../workflows/search-attributes.js';
import { connectClient, temporalNamespace, withEndpoint, type EndpointOptions } from '../connection.js';

/**
 * `memotune cluster setup|check`: memotune's search attributes on a self-hosted cluster's
 * namespace (`memotune dev` registers them on the local one by itself). Temporal Cloud
 * registers them with `tcld` (see the README).
 */
export function clusterCommand(): Command {
  const cluster = new Command('cluster').description("prepare a Temporal namespace for memotune's search attributes");
  withEndpoint(
    cluster
      .command('setup')
      .description('register the search attributes that make studies filterable in the Temporal UI (idempotent)')
      .option('--json', 'print {"namespace", "added": [...]}'),
  )
    .addHelpText(
      'after',
      `
Registers ${memotuneSearchAttributes.map((key) => `${key.name} (${key.type})`).join(', ')}.
Needs operator rights on the namespace. On Temporal Cloud use tcld instead, e.g.
  tcld namespace search-attributes add -n <ns>.<account> --sa "MemotuneStatus=Keyword" ...

Example:
  memotune cluster setup --address temporal.internal:7233 --namespace ml`,
    )
    .action(async (options: EndpointOptions & { json?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        const added = await registerSearchAttributes(client.connection, temporalNamespace(options));
        console.log(
          options.json
            ? JSON.stringify({ namespace: temporalNamespace(options), added })
            : added.length === 0
              ? `namespace ${temporalNamespace(options)} has memotune's search attributes already`
              : `registered ${added.join(', ')} on namespace ${temporalNamespace(options)}`,
        );
      } finally {
        await close();
      }
    });
  withEndpoint(
    cluster
      .command('check')
      .description("say which of memotune's search attributes the namespace lacks (exit 1 if any)")
      .option('--json', 'print {"namespace", "missing": [...], "ready"}'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune cluster check --namespace ml\n  memotune cluster check --profile cloud --json',
    )
    .action(async (options: EndpointOptions & { json?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        const missing = await missingSearchAttributes(client.connection, temporalNamespace(options));
        if (options.json) {
          console.log(JSON.stringify({ namespace: temporalNamespace(options), missing, ready: missing.length === 0 }));
          if (missing.length > 0) process.exitCode = 1;
        } else if (missing.length === 0) console.log(`namespace ${temporalNamespace(options)} is ready`);
        else {
          console.error(
            `namespace ${temporalNamespace(options)} lacks ${missing.join(', ')}: run \`memotune cluster setup\``,
          );
          process.exitCode = 1;
        }
      } finally {
        await close();
      }
    });
  return cluster;
}
