import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { getStudyResult, startStudy } from '../../client/index.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { methodNames, parseStudyConfig, type StudyConfigInput } from '../../config/study-config.js';
import { startStack } from '../../dev/stack.js';
import { syntheticStages, syntheticStudyConfig } from '../../examples/synthetic-stages.js';
import type { MethodName } from '../../core/types.js';
import type { StudyResult } from '../../core/study.js';
import { defaultTaskQueuePrefix, taskQueueName } from '../../config/plan.js';
import { packageRoot } from '../../package-root.js';
import { parseSyntheticSpec } from '../../synthetic/index.js';
import { ensurePythonEnvironment, startPythonWorker } from '../../worker/python-worker.js';
import { createWorkers, runWorkers } from '../../worker/run-workers.js';
import type { StageRegistry } from '../../stages/types.js';
import { connectClient, connectWorker, openStore, s3Settings, temporalAddress, uiLink } from '../connection.js';
import { formatResult, watchStudy } from '../format.js';

const defaultSpec = join(packageRoot, 'benchmarks', 'paper-3stage.json');
const digitsDir = join(packageRoot, 'examples', 'digits');

function parseMethod(value: string): MethodName {
  if (!(methodNames as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${methodNames.join(', ')}`);
  }
  return value as MethodName;
}

/**
 * How to run `memotune <args>` where the CLI runs: `npm run memotune -- <args>` inside memotune's
 * own checkout (its package.json script), `npx memotune <args>` from a project that installed it.
 */
export function memotuneCommandLine(args: string, cwd: string = process.cwd()): string {
  return realpathSync(cwd) === realpathSync(packageRoot) ? `npm run memotune -- ${args}` : `npx memotune ${args}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

interface DemoOptions {
  example: 'synthetic' | 'digits';
  spec: string;
  config?: string;
  method?: MethodName;
  budget?: number;
  seed: number;
}

/** What one example needs: its study config, the TS stages, and the Python stage files if any. */
interface Example {
  readonly config: StudyConfigInput;
  readonly stages: StageRegistry;
  readonly pythonStages: readonly string[];
  readonly description: string;
}

function syntheticExample(options: DemoOptions, studyId: string): Example {
  const spec = parseSyntheticSpec(JSON.parse(readFileSync(options.spec, 'utf8')));
  const base = syntheticStudyConfig(spec);
  return {
    config: syntheticStudyConfig(spec, {
      name: `${spec.name}-demo`,
      // A fresh stage cache per demo run, so the reuse it shows is this study's own.
      pipeline: { ...base.pipeline, id: studyId },
      seed: options.seed,
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      optimizer: { method: options.method ?? 'eeipu', warmup: spec.warmup, epsilon: spec.epsilon },
    }),
    stages: syntheticStages(spec),
    pythonStages: [],
    description: `${spec.stages.length}-stage synthetic pipeline`,
  };
}

function digitsExample(options: DemoOptions, studyId: string): Example {
  const file = options.config ?? join(digitsDir, 'study.json');
  const config = parseStudyConfig(JSON.parse(readFileSync(file, 'utf8')));
  return {
    config: {
      ...config,
      pipeline: { ...config.pipeline, id: studyId },
      seed: options.seed,
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      optimizer: { ...config.optimizer, ...(options.method === undefined ? {} : { method: options.method }) },
    },
    stages: {},
    pythonStages: [join(digitsDir, 'stages.py')],
    description: 'scikit-learn digits: augment → teacher → distilled student, Python stage workers',
  };
}

/** Trials that reused the first `stages` stages from the cache. */
function reusing(result: StudyResult, stages: number): number {
  return result.history.filter((trial) => trial.cachedPrefix >= stages).length;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('start the local stack and workers, run an example study to the end, print the best configuration')
    .addHelpText(
      'after',
      `
Examples:
  memotune demo                              # the paper's synthetic 3-stage pipeline
  memotune demo --example digits             # scikit-learn stages in a Python worker
  memotune demo --method ms-carbo --budget 300`,
    )
    .addOption(
      new Option('--example <name>', 'synthetic: the paper pipeline; digits: real models in Python stages')
        .choices(['synthetic', 'digits'])
        .default('synthetic'),
    )
    .option('--spec <file>', 'synthetic pipeline spec', defaultSpec)
    .option('--config <file>', 'digits: study config (default examples/digits/study.json)')
    .option('--method <name>', "optimizer method (default: the example's, eeipu)", parseMethod)
    .option('--budget <units>', "budget in cost units (default: the example's)", Number)
    .option('--seed <n>', 'study seed', Number, 0)
    .action(async (options: DemoOptions) => {
      const stack = await startStack();
      console.log(
        `Temporal ${stack.temporalAddress}${stack.uiUrl ? `, Web UI ${stack.uiUrl}` : ''}; S3 ${stack.s3.endpoint}`,
      );
      const studyId = `${options.example}-demo-${timestamp()}`;
      const example =
        options.example === 'digits' ? digitsExample(options, studyId) : syntheticExample(options, studyId);

      const python = example.pythonStages.length > 0 ? await ensurePythonEnvironment() : null;
      const connection = await connectWorker({});
      const store = openStore();
      await store.ensureBucket();
      const workers = await createWorkers({ connection, store, stages: example.stages });
      const controller = new AbortController();
      const running = runWorkers(workers, controller.signal);
      const pythonWorker =
        python === null
          ? null
          : await startPythonWorker({
              python,
              stages: example.pythonStages,
              // The examples' Python stages ask for the `python` queue kind.
              taskQueue: taskQueueName(defaultTaskQueuePrefix, 'python'),
              address: temporalAddress({}),
              s3: s3Settings(),
              log: (line) => {
                if (/ERROR|Traceback/.test(line)) console.error(pythonWorkerLine(line));
              },
            });
      const { client, close } = await connectClient({});
      try {
        await runStudy(client, store, studyId, example);
        console.log(`\nworkflow id   ${studyId}`);
        const link = uiLink(studyId);
        if (link) console.log(`Temporal UI   ${link}`);
        console.log(`list studies  ${memotuneCommandLine('study list')}`);
        console.log(`the local stack keeps running (stop it with \`${memotuneCommandLine('dev --stop')}\`)`);
      } finally {
        await close();
        await pythonWorker?.stop();
        controller.abort();
        await running;
        await connection.close();
      }
    });
}

/**
 * The Python worker's line as the demo prints it: a JSON line (MEMOTUNE_LOG_FORMAT=json) stays one
 * JSON object, with `source` naming the worker; a text line gets a `[python worker] ` prefix.
 */
export function pythonWorkerLine(line: string): string {
  if (line.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        return JSON.stringify({ ...parsed, source: 'python worker' });
    } catch {
      // not JSON after all: prefixed like text
    }
  }
  return `[python worker] ${line}`;
}

async function runStudy(client: Client, store: ObjectStore, studyId: string, example: Example): Promise<void> {
  const started = Date.now();
  const { plan } = await startStudy(client, example.config, { studyId });
  console.log(
    `\nstudy ${studyId}: ${example.description}, method ${plan.optimizer.method ?? 'eeipu'}, budget ${plan.budget}`,
  );
  const link = uiLink(studyId);
  if (link) console.log(`watch it live: ${link}\n`);
  await watchStudy(client, studyId);
  const result = await getStudyResult(client, studyId, { wait: true, store });
  const names = plan.stages.map((stage) => stage.name);
  console.log(`\n${formatResult(result, names)}`);
  if (names.length > 2) {
    const prefix = names.slice(0, names.length - 1);
    console.log(
      `reuse     ${reusing(result, prefix.length)} trials reused ${prefix.join(' + ')}, ` +
        `${reusing(result, 1) - reusing(result, prefix.length)} reused ${names[0]} only`,
    );
  }
  if (result.best !== null && Object.keys(result.history[result.best.trialIndex]?.metrics ?? {}).length > 1) {
    const metrics = result.history[result.best.trialIndex]!.metrics;
    console.log(
      `metrics   ${Object.entries(metrics)
        .map(([name, value]) => `${name}=${Number(value.toPrecision(5))}`)
        .join(' ')}`,
    );
  }
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
