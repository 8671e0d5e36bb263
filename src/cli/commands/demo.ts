import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import { Command, InvalidArgumentError } from 'commander';
import { getStudyResult, startStudy } from '../../client/index.js';
import { methodNames } from '../../config/study-config.js';
import { startStack } from '../../dev/stack.js';
import { syntheticStages, syntheticStudyConfig } from '../../examples/synthetic-stages.js';
import type { MethodName } from '../../core/types.js';
import { parseSyntheticSpec } from '../../synthetic/index.js';
import { createWorkers, runWorkers } from '../../worker/run-workers.js';
import { connectClient, connectWorker, openStore, uiLink } from '../connection.js';
import { formatResult, watchStudy } from '../format.js';

const defaultSpec = join(packageRoot, 'benchmarks', 'paper-3stage.json');

function parseMethod(value: string): MethodName {
  if (!(methodNames as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${methodNames.join(', ')}`);
  }
  return value as MethodName;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('start the local stack and workers, run an example study to the end, print the best configuration')
    .option('--spec <file>', 'synthetic pipeline spec', defaultSpec)
    .option('--method <name>', 'optimizer method', parseMethod, 'eeipu' as MethodName)
    .option('--budget <units>', "budget in cost units (default: the spec's)", Number)
    .option('--seed <n>', 'study seed', Number, 0)
    .action(async (options: { spec: string; method: MethodName; budget?: number; seed: number }) => {
      const spec = parseSyntheticSpec(JSON.parse(readFileSync(options.spec, 'utf8')));
      const stack = await startStack();
      console.log(
        `Temporal ${stack.temporalAddress}${stack.uiUrl ? `, Web UI ${stack.uiUrl}` : ''}; S3 ${stack.s3.endpoint}`,
      );

      const connection = await connectWorker({});
      const workers = await createWorkers({ connection, store: openStore(), stages: syntheticStages(spec) });
      const controller = new AbortController();
      const running = runWorkers(workers, controller.signal);
      const { client, close } = await connectClient({});
      try {
        const studyId = `${spec.name}-demo-${timestamp()}`;
        const base = syntheticStudyConfig(spec);
        const config = syntheticStudyConfig(spec, {
          name: `${spec.name}-demo`,
          // A fresh stage cache per demo run, so the reuse it shows is this study's own.
          pipeline: { ...base.pipeline, id: studyId },
          seed: options.seed,
          ...(options.budget === undefined ? {} : { budget: options.budget }),
          optimizer: { method: options.method, warmup: spec.warmup, epsilon: spec.epsilon },
        });
        const { plan } = await startStudy(client, config, { studyId });
        console.log(
          `\nstudy ${studyId}: ${spec.stages.length}-stage synthetic pipeline, method ${options.method}, budget ${plan.budget}`,
        );
        const link = uiLink(studyId);
        if (link) console.log(`watch it live: ${link}\n`);
        await watchStudy(client, studyId);
        const result = await getStudyResult(client, studyId, { wait: true });
        console.log(
          `\n${formatResult(
            result,
            spec.stages.map((stage) => stage.name),
          )}`,
        );
        console.log(`\nworkflow id   ${studyId}`);
        if (link) console.log(`Temporal UI   ${link}`);
        console.log(
          'list studies  npm run memotune -- study list   (or: temporal workflow list --address ' +
            stack.temporalAddress +
            ', with the CLI built under ~/.cache/memotune/tools/bin)',
        );
        console.log('the local stack keeps running (stop it with `npm run memotune -- dev --stop`)');
      } finally {
        await close();
        controller.abort();
        await running;
        await connection.close();
      }
    });
}
