/**
 * `memotune bench --via temporal`: the benchmark's studies as real study workflows on the local
 * stack (started if needed), every stage a real activity writing its output to S3, workers in
 * this process.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startStack } from '../../dev/stack.js';
import { syntheticStages } from '../../examples/synthetic-stages.js';
import type { MethodName, OptimizerSettings } from '../../core/types.js';
import { S3ObjectStore } from '../../storage/s3-object-store.js';
import type { SyntheticPipelineSpec } from '../../synthetic/index.js';
import { createWorkers, runWorkers } from '../../worker/run-workers.js';
import type { BenchRun } from '../runner.js';
import { terminateStudiesOnInterrupt } from './interrupt.js';
import { runStudyViaTemporal } from './via-temporal.js';

export interface TemporalBenchOptions {
  readonly spec: SyntheticPipelineSpec;
  readonly methods: readonly MethodName[];
  readonly seeds: readonly number[];
  readonly settings?: OptimizerSettings;
  /** Called when a study finishes. */
  readonly onStudy?: (run: BenchRun, studyId: string) => void;
}

/**
 * Runs every (method, seed) study in turn. Interrupted (SIGINT, SIGTERM), it terminates the
 * running study and throws a `BenchInterruptedError` (./interrupt.ts).
 */
export async function runBenchViaTemporal(options: TemporalBenchOptions): Promise<BenchRun[]> {
  const stack = await startStack();
  const stamp = new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15);
  const prefix = `bench-${stamp}`;
  const workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
  const store = S3ObjectStore.fromSettings(stack.s3);
  const workers = await createWorkers({
    connection: workerConnection,
    taskQueuePrefix: prefix,
    store,
    stages: syntheticStages(options.spec),
  });
  const controller = new AbortController();
  const running = runWorkers(workers, controller.signal);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });
  const guard = terminateStudiesOnInterrupt(client);
  const runs: BenchRun[] = [];
  try {
    for (const method of options.methods) {
      for (const seed of options.seeds) {
        guard.throwIfInterrupted();
        const studyId = `${prefix}-${options.spec.name}-${method}-s${seed}`;
        let run: BenchRun;
        try {
          run = await runStudyViaTemporal({
            client,
            store,
            spec: options.spec,
            method,
            seed,
            taskQueuePrefix: prefix,
            studyId,
            onStarted: (id) => guard.started(id),
            ...(options.settings === undefined ? {} : { settings: options.settings }),
          });
        } catch (error) {
          // The study's failure is the termination's doing: say that, not "workflow terminated".
          guard.throwIfInterrupted();
          throw error;
        } finally {
          guard.finished();
        }
        guard.throwIfInterrupted();
        runs.push(run);
        options.onStudy?.(run, studyId);
      }
    }
  } finally {
    guard.dispose();
    controller.abort();
    await running;
    await workerConnection.close();
    await connection.close();
  }
  return runs;
}
