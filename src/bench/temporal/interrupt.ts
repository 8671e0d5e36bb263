/**
 * Ctrl-C for a benchmark whose studies run as Temporal workflows. A study is durable: left
 * running, it would resume with the next local stack and share its workers with the next
 * benchmark's studies (skewing their measured stage seconds), and the benchmark itself would wait
 * for its result forever, since the Temporal workers of the process shut down on the same signal.
 * On SIGINT or SIGTERM the running study is therefore terminated and the benchmark ends without a
 * report; a second signal leaves at once (exit 130). Terminated, not cancelled: a cancellation
 * needs a worker to act on it. Termination ends the study's trial workflows too (their parent close
 * policy); a stage output is stored only by a stage that finished, so the cache holds nothing
 * half-written.
 */
import type { Client } from '@temporalio/client';

/** Thrown by a benchmark that stopped because it was interrupted. */
export class BenchInterruptedError extends Error {
  constructor(signal: NodeJS.Signals) {
    super(`benchmark interrupted (${signal}): the running study was terminated; no report is written`);
    this.name = 'BenchInterruptedError';
  }
}

/** What a benchmark loop asks of {@link terminateStudiesOnInterrupt}. */
export interface StudyInterruptGuard {
  /** The signal that interrupted the benchmark, or `null`. */
  readonly signal: NodeJS.Signals | null;
  /** `studyId` has been started: it is terminated on interrupt (at once if one came already). */
  started(studyId: string): Promise<void>;
  /** The running study has finished (or failed); nothing to terminate any more. */
  finished(): void;
  /** Throws {@link BenchInterruptedError} if the benchmark was interrupted. */
  throwIfInterrupted(): void;
  /** Removes the signal handlers. */
  dispose(): void;
}

/** Installs SIGINT and SIGTERM handlers that terminate the running study through `client`. */
export function terminateStudiesOnInterrupt(
  client: Client,
  log: (line: string) => void = (line) => console.error(line),
): StudyInterruptGuard {
  let running: string | undefined;
  let signal: NodeJS.Signals | null = null;
  const terminate = async (studyId: string): Promise<void> => {
    try {
      await client.workflow.getHandle(studyId).terminate('benchmark interrupted');
    } catch (error) {
      log(`could not terminate ${studyId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const onSignal = (received: NodeJS.Signals): void => {
    if (signal !== null) process.exit(130);
    signal = received;
    log(`\n${received}: terminating ${running ?? 'no running study'}; no report is written`);
    if (running !== undefined) void terminate(running);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get signal() {
      return signal;
    },
    async started(studyId) {
      running = studyId;
      // Interrupted while it was being started: the handler could not terminate it.
      if (signal !== null) await terminate(studyId);
    },
    finished() {
      running = undefined;
    },
    throwIfInterrupted() {
      if (signal !== null) throw new BenchInterruptedError(signal);
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
