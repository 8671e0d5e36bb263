import type { ReuseSaving } from '../core/charge.js';
import { SingleBar, Presets } from 'cli-progress';
import type { Client } from '@temporalio/client';
import { getStudyProgress, NoWorkerError, stageQueuesWaitedOn, type WaitingStageQueue } from '../client/index.js';
import { earlyStopReason, type StudyProgress } from '../core/study.js';
import { configLine } from '../core/config-line.js';
import type { Configuration } from '../core/types.js';

/**
 * Characters a terminal would act on instead of showing: C0 controls (ESC starts escape
 * sequences), DEL, C1 controls (CSI, OSC, ...), the line and paragraph separators, the
 * bidirectional formatting characters, and lone surrogates.
 */
const unprintable =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const shortEscapes: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` safe to echo on a terminal: every control character escaped (`\u001b`, `\n`, ...) so
 * that a name or message can neither move the cursor, recolour, retitle nor fake a line. Other
 * characters, ordinary unicode included, are kept as they are.
 */
export function printable(text: string): string {
  return text.replace(
    unprintable,
    (char) => shortEscapes[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** {@link printable} line by line: the line breaks of `text` are kept, everything else is escaped. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

export function formatConfig(config: Configuration, names?: readonly string[]): string {
  return printable(configLine(config, names));
}

/**
 * A study's progress, line by line. With `bestConfig`, the best configuration follows the best
 * value on the next line, its stages named by `stageNames`.
 */
export function formatProgress(
  progress: StudyProgress,
  { bestConfig = false, stageNames }: { bestConfig?: boolean; stageNames?: readonly string[] | undefined } = {},
): string {
  const ended = progress.status !== 'running' && progress.status !== 'paused';
  const best =
    progress.best !== null
      ? `${progress.objectiveMetric === undefined ? '' : `${printable(progress.objectiveMetric)} `}${progress.best.objective.toPrecision(6)} (trial ${progress.best.trialIndex})`
      : ended && progress.trials > 0
        ? 'none: every trial failed (their errors: `memotune study trials <id>`)'
        : 'none yet';
  const lines = [
    `study     ${printable(progress.studyId)} (${progress.status}${progress.stopping === true ? ', stopping: it finishes its running trials, then ends' : ''})`,
    `budget    ${progress.spent.toFixed(2)} / ${progress.budget} spent`,
    ...(progress.timeLimitEndsAt === undefined
      ? []
      : [
          `time      ${Math.max(0, Math.round((Date.parse(progress.timeLimitEndsAt) - Date.now()) / 1000))} s left (stopWhen.afterSeconds; ends ${progress.timeLimitEndsAt})`,
        ]),
    `trials    ${progress.trials} (${progress.reusedTrials} reused a cached prefix, ${progress.failedTrials} failed${
      (progress.prunedTrials ?? 0) > 0 ? `, ${progress.prunedTrials} pruned` : ''
    })`,
    `best      ${best}`,
    ...(bestConfig && progress.best !== null ? [`config    ${formatConfig(progress.best.config, stageNames)}`] : []),
  ];
  const running = progress.runningTrials ?? [];
  const computing = running.filter((trial) => trial.waiting !== true).map((trial) => trial.trialIndex);
  const waiting = running.filter((trial) => trial.waiting === true).map((trial) => trial.trialIndex);
  if (computing.length > 0)
    lines.push(`running   ${computing.length === 1 ? 'trial' : 'trials'} ${computing.join(', ')}`);
  if (waiting.length > 0)
    lines.push(
      `waiting   ${waiting.length === 1 ? 'trial' : 'trials'} ${waiting.join(', ')} (for a prefix a running trial computes)`,
    );
  const control = [
    ...(progress.parallelism !== undefined && progress.parallelism > 1 ? [`parallelism ${progress.parallelism}`] : []),
    ...(progress.queued !== undefined
      ? [`${progress.queued} enqueued configuration${progress.queued === 1 ? '' : 's'} to run next`]
      : []),
  ];
  if (control.length > 0 && !ended) lines.push(`control   ${control.join('; ')}`);
  if (progress.error !== null && progress.error !== undefined) lines.push(`error     ${printable(progress.error)}`);
  if (progress.earlyStop !== undefined) {
    const evidence = progress.earlyStopEvidence;
    lines.push(
      `ended     early, ${earlyStopReason(progress.earlyStop, progress.stopWhen)}` +
        (evidence === undefined
          ? ''
          : ` (the best candidate's log(EI / cost) ${evidence.bestLogEipc.toFixed(2)} ≤ the threshold ${evidence.logThreshold.toFixed(2)}, log(stoppingCostWeight))`),
    );
  }
  return lines.join('\n');
}

/** Progress plus the best configuration, its stages named (`stages` of newer studies, else `stageNames`). */
export function formatResult(result: StudyProgress, stageNames: readonly string[] | undefined = result.stages): string {
  return formatProgress(result, { bestConfig: true, stageNames });
}

/** The `saved` line of `study result`: what reusing cached stages saved, as the study report says it. */
export function formatSaving(saving: ReuseSaving): string {
  const share = (100 * saving.saved) / (saving.saved + saving.charged);
  return (
    `saved     ${Number(saving.saved.toPrecision(4))} by reusing cached stages (${share.toFixed(1)}% of what these trials ` +
    'would have cost without the cache: the same trials, every stage run)'
  );
}

/** One line on a stage queue a running trial waits on with no worker polling it. */
export function formatWaitingQueue(queue: WaitingStageQueue): string {
  const polled =
    queue.lastPollAgeMs === null
      ? 'no worker has polled it in the last 5 minutes'
      : `its last worker polled ${Math.round(queue.lastPollAgeMs / 1000)} s ago`;
  return (
    `waiting   a trial's stage waits on ${printable(queue.taskQueue)} (stage${queue.stages.length === 1 ? '' : 's'} ` +
    `${queue.stages.map(printable).join(', ')}): ${polled} — start a worker for that queue ` +
    '(a worker whose slots are all busy does not poll either)'
  );
}

/**
 * Time until the study ends at the rates seen since watching began: its budget runs out, or (with
 * `maxTrials`) its last trial finishes, whichever comes first; null before any progress.
 *
 * Budget and trials move only when a trial is recorded, so the rates are measured from `since` to
 * `changedAt`, the last time either moved, and the estimate counts down from there: it changes when
 * a trial finishes, not at every poll (a rate up to `now` would fall between trials and jump back).
 */
export function remainingMs(
  progress: Pick<StudyProgress, 'spent' | 'budget' | 'trials' | 'maxTrials'>,
  since: { at: number; spent: number; trials: number },
  changedAt: number,
  now: number,
): number | null {
  const elapsed = Math.max(1, changedAt - since.at);
  const estimates: number[] = [];
  const spending = (progress.spent - since.spent) / elapsed;
  if (spending > 0) estimates.push(Math.max(0, progress.budget - progress.spent) / spending);
  const finishing = (progress.trials - since.trials) / elapsed;
  if (progress.maxTrials !== undefined && finishing > 0)
    estimates.push(Math.max(0, progress.maxTrials - progress.trials) / finishing);
  return estimates.length === 0 ? null : Math.max(0, Math.min(...estimates) - Math.max(0, now - changedAt));
}

/** How long a watched study records nothing before `study watch` looks for a stage queue without a worker. */
const stageQueueCheckMs = 5000;

/**
 * Follows a study until it finishes: a progress bar over its budget on a terminal, one line per
 * finished trial otherwise (logs, CI). Polls the progress query.
 */
export async function watchStudy(
  client: Client,
  studyId: string,
  options: { intervalMs?: number; json?: boolean } = {},
): Promise<void> {
  const interactive = process.stdout.isTTY === true && options.json !== true;
  let reportedStatus = '';
  const bar = new SingleBar(
    {
      format:
        ' budget [{bar}] {percentage}% | {value}/{total} | trials {trials} | running {running} | reused {reused} | best {best} | ETA {eta}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  let reportedTrials = 0;
  // The rates of spending budget and of finishing trials since watching began give the ETA.
  let first: { at: number; spent: number; trials: number } | null = null;
  let last: { at: number; spent: number; trials: number } | null = null;
  // A study that records nothing for a while may wait on a stage queue no worker serves (a Python
  // worker not started, a queue name without its prefix): say so, as `study status` does.
  let stagesCheckedAt = 0;
  let reportedWaiting = '';
  let waitingForWorker = false;
  for (;;) {
    let progress: StudyProgress;
    try {
      progress = await getStudyProgress(client, studyId, { failWithoutWorkerMs: 3000 });
    } catch (error) {
      // A worker restarting (or not started yet) pauses the view, it does not end it.
      if (!(error instanceof NoWorkerError)) throw error;
      if (!waitingForWorker) console.error(`${error.message}; waiting for one...`);
      waitingForWorker = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    waitingForWorker = false;
    const now = Date.now();
    first ??= { at: now, spent: progress.spent, trials: progress.trials };
    if (last === null || last.spent !== progress.spent || last.trials !== progress.trials)
      last = { at: now, spent: progress.spent, trials: progress.trials };
    // A time limit ends the study by then at the latest (the trials running then finish after it).
    const limitMs =
      progress.timeLimitEndsAt === undefined ? null : Math.max(0, Date.parse(progress.timeLimitEndsAt) - now);
    const budgetEtaMs = remainingMs(progress, first, last.at, now);
    const etaMs = limitMs === null ? budgetEtaMs : budgetEtaMs === null ? limitMs : Math.min(budgetEtaMs, limitMs);
    const eta = etaMs === null ? '-' : formatDuration(etaMs);
    const best = progress.best === null ? '-' : progress.best.objective.toPrecision(5);
    const running = progress.runningTrials?.length ?? (progress.runningTrial === null ? 0 : 1);
    if (options.json === true) {
      // One line per change, for scripts: `memotune study watch id --json | jq`.
      if (progress.trials !== reportedTrials || progress.status !== reportedStatus) {
        reportedTrials = progress.trials;
        reportedStatus = progress.status;
        const etaSeconds = etaMs === null ? null : Math.round(etaMs / 1000);
        console.log(
          JSON.stringify({
            at: new Date(now).toISOString(),
            status: progress.status,
            trials: progress.trials,
            running,
            reused: progress.reusedTrials,
            ...((progress.prunedTrials ?? 0) > 0 ? { pruned: progress.prunedTrials } : {}),
            spent: progress.spent,
            budget: progress.budget,
            best: progress.best?.objective ?? null,
            etaSeconds,
          }),
        );
      }
    } else if (interactive) {
      const payload = { trials: progress.trials, running, reused: progress.reusedTrials, best, eta };
      const value = Math.min(progress.budget, Number(progress.spent.toFixed(1)));
      if (!started) bar.start(progress.budget, value, payload);
      else bar.update(value, payload);
      started = true;
    } else if (progress.trials > reportedTrials) {
      reportedTrials = progress.trials;
      console.log(
        `  ${progress.trials} trials, ${progress.reusedTrials} reused a cached prefix` +
          `${(progress.prunedTrials ?? 0) > 0 ? `, ${progress.prunedTrials} pruned` : ''}; ` +
          `budget ${progress.spent.toFixed(1)}/${progress.budget}; best ${best}; ETA ${eta}`,
      );
    }
    if (progress.status !== 'running') break;
    if (now - last.at >= stageQueueCheckMs && now - stagesCheckedAt >= stageQueueCheckMs) {
      stagesCheckedAt = now;
      const waiting = await stageQueuesWaitedOn(client, progress).catch(() => []);
      const text = waiting.map(formatWaitingQueue).join('\n');
      if (text !== reportedWaiting && text !== '') console.error(started ? `\n${text}` : text);
      reportedWaiting = text;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  if (started) bar.stop();
}

/** `1h 02m`, `3m 05s`, `12s` for milliseconds. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** How deep {@link errorChain} follows causes (a cycle or a runaway chain stops there). */
const maxCauseDepth = 16;

/** Longest `details` value shown (Temporal failure details can be whole payloads). */
const maxDetailsLength = 500;

function errorLines(error: unknown): { message: string; details: string | null; causes: unknown[] } {
  if (!(error instanceof Error) && (typeof error !== 'object' || error === null)) {
    return { message: String(error), details: null, causes: [] };
  }
  const record = error as {
    message?: unknown;
    name?: unknown;
    code?: unknown;
    type?: unknown;
    details?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  let message = typeof record.message === 'string' ? record.message : '';
  // Node's AggregateError (a refused connection on IPv4 and IPv6) has an empty message.
  if (message === '') message = [record.name, record.code].filter((part) => typeof part === 'string').join(' ');
  // ApplicationFailure: the type says which failure it is (InvalidStudyConfig, StageFailed, ...).
  if (typeof record.type === 'string' && record.type !== '' && !message.includes(record.type))
    message = `${message} [${record.type}]`;
  let details: string | null = null;
  // gRPC service errors carry the server's own words in `details` (a string); Temporal failures
  // carry their details as an array of values.
  if (typeof record.details === 'string' && record.details !== '') details = record.details;
  else if (Array.isArray(record.details) && record.details.length > 0) {
    let json: string;
    try {
      json = JSON.stringify(record.details);
    } catch {
      json = String(record.details);
    }
    details = `details: ${json.length > maxDetailsLength ? `${json.slice(0, maxDetailsLength)}...` : json}`;
  }
  const causes: unknown[] = [];
  if (record.cause !== undefined && record.cause !== null) causes.push(record.cause);
  if (Array.isArray(record.errors)) causes.push(...(record.errors as unknown[]));
  return { message, details, causes };
}

/**
 * The messages of an error and of everything that caused it, outermost first: `error.cause`
 * (Temporal's ServiceError, WorkflowFailedError, ActivityFailure, ApplicationFailure, ...), the
 * `details` of gRPC errors and failures, the `errors` of an AggregateError. A message already
 * shown (or contained in one shown) is not repeated; every line is {@link printable}.
 */
export function errorChain(error: unknown): string[] {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  const add = (text: string) => {
    const line = printable(text.trim());
    if (line !== '' && !lines.some((shown) => shown.includes(line))) lines.push(line);
  };
  let level: unknown[] = [error];
  for (let depth = 0; depth < maxCauseDepth && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const current of level) {
      if (seen.has(current)) continue;
      seen.add(current);
      const { message, details, causes } = errorLines(current);
      add(message);
      if (details !== null) add(details);
      next.push(...causes);
    }
    level = next;
  }
  return lines;
}

/**
 * An error as the CLI prints it: `memotune: <message>` and one `  caused by: <message>` line per
 * cause (see {@link errorChain}).
 */
export function formatError(error: unknown, program = 'memotune'): string {
  const [first = 'unknown error', ...causes] = errorChain(error);
  return [`${program}: ${first}`, ...causes.map((cause) => `  caused by: ${cause}`)].join('\n');
}
