/**
 * `memotune cache ls` and `memotune cache prune`: what the stage cache holds, and deleting what no
 * live study needs (policy in src/storage/retention.ts). Prune is a dry run unless `--apply`.
 */
import { studyIdsByLogOf } from '../../client/delete-study.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { stageKeys } from '../../core/keys.js';
import type { StudyProgress } from '../../core/study.js';
import { trialLogPrefix } from '../../core/trial-log.js';
import { resolveSettings } from '../../optimizer/settings.js';
import type { ObjectStore } from '../../storage/object-store.js';
import {
  deleteOutputs,
  groupOutputs,
  LiveStudyLogError,
  planRetention,
  protectLiveWork,
  readCacheInventory,
  readTrialLogs,
  runningProtections,
  type CacheGrouping,
  type CachedOutput,
  type DeleteOutcome,
  type LiveStudy,
  type LiveWork,
  type RetentionDecision,
  type RunningTrial,
  type Tally,
} from '../../storage/retention.js';
import { progressQuery } from '../../../workflows/definitions.js';
import type { StudyWorkflowInput } from '../../../workflows/study.js';
import type { TrialInput } from '../../../workflows/trial.js';
import { startedWith } from '../../client/workflow-history.js';
import { tolerantOfUnreadablePayloads, UnreadableStudyError } from '../../client/unreadable-payloads.js';
import { hasWorkflowPollers } from '../../client/worker-wait.js';
import {
  connectClient,
  openStore,
  temporalAddress,
  temporalNamespace,
  withEndpoint,
  type EndpointOptions,
} from '../connection.js';
import { errorChain, printable, printableLines } from '../format.js';

// ---- sizes and durations ---------------------------------------------------------------------

const sizeUnits: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Bytes of a size such as `10GB`, `500MiB`, `1.5 GiB` or `4096` (bytes): decimal units (kB, MB,
 * GB, TB = 1000ⁿ) and binary ones (KiB, MiB, GiB, TiB = 1024ⁿ), any case.
 * @throws InvalidArgumentError for anything else
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = sizeUnits[(match?.[2] ?? '').toLowerCase() || 'b'];
  const bytes = match === null || unit === undefined ? Number.NaN : Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) {
    throw new InvalidArgumentError(
      'must be a size such as 10GB, 500MiB or 0 (units: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)',
    );
  }
  return bytes;
}

/** A size for people: `512 B`, `1.5 KiB`, `12.3 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration such as `1h`, `30m`, `1h30m`, `90s`, `2d` or `0`.
 * @throws InvalidArgumentError for anything else
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^0+$/.test(trimmed)) return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) {
    throw new InvalidArgumentError('must be a duration such as 1h, 30m, 1h30m, 90s, 2d or 0');
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * durationUnits[unit!]!;
  }
  return Math.round(total);
}

function nonNegativeInt(value: string): number {
  const parsed = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw new InvalidArgumentError('must be an integer >= 0');
  }
  return parsed;
}

// ---- what the Temporal server knows ----------------------------------------------------------

/** The studies and trials running on the Temporal server, and the study ids of trial logs. */
export interface StudySource {
  liveWork(): Promise<LiveWork>;
  /** Study id by trial log prefix (`studies/<first run id>/`), for every study the server remembers. */
  studyIdsByLog(): Promise<ReadonlyMap<string, string>>;
}

/** How long a running study gets to answer its progress query (a worker answers in milliseconds). */
const queryTimeoutMs = 10_000;
/** Running studies asked at once. */
const studiesAtOnce = 8;

function keysOfTrial(trial: Pick<TrialInput, 'pipelineId' | 'stages' | 'config'>): string[] {
  return stageKeys(trial.pipelineId, trial.stages, trial.config);
}

/**
 * Running studies and trials, read from the server without needing a worker: every running trial
 * workflow (its input has the configuration), and every running study's plan (the input of its
 * current run) and progress (when a worker answers its query: the trials its log holds and the
 * trials it is running, which the server's list may not show yet).
 */
/** The namespace the command reads live studies from (its flags, profile or environment). */
function namespaceOf(options: EndpointOptions): string {
  try {
    return temporalNamespace(options);
  } catch {
    return 'default';
  }
}

export async function liveWorkOf(anyClient: Client): Promise<LiveWork> {
  // One study with a payload codec must not fail the listing (its inputs read as null, refused below).
  const client = tolerantOfUnreadablePayloads(anyClient);
  const warnings: string[] = [];
  const running = new Map<string, RunningTrial>();
  const trialId = (studyId: string, trialIndex: number) => `${studyId}\u0000${trialIndex}`;
  for await (const execution of client.workflow.list({
    query: "WorkflowType = 'trialWorkflow' AND ExecutionStatus = 'Running'",
  })) {
    const started = await startedWith<TrialInput | null>(client, execution.workflowId, execution.runId);
    if (started === null) continue;
    // A running trial whose outputs cannot be known: pruning could delete what it needs.
    if (started.input === null) throw new UnreadableStudyError(execution.workflowId.replace(/\/trial-\d+$/, ''));
    const { studyId, trialIndex } = started.input;
    running.set(trialId(studyId, trialIndex), { studyId, trialIndex, keys: keysOfTrial(started.input) });
  }
  const executions: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({
    query: "WorkflowType = 'studyWorkflow' AND ExecutionStatus = 'Running'",
  })) {
    executions.push(execution);
  }

  const describeStudy = async (execution: WorkflowExecutionInfo): Promise<LiveStudy | null> => {
    const studyId = execution.workflowId;
    const started = await startedWith<StudyWorkflowInput | null>(client, studyId, execution.runId);
    if (started === null) return null;
    if (started.input === null) throw new UnreadableStudyError(studyId);
    const { plan } = started.input;
    let progress: StudyProgress | null = null;
    const unanswered = (why: string) =>
      warnings.push(
        `study '${studyId}' did not answer (${why}): its best trials are read from its trial log as far as it ` +
          "goes, its running trials from the server's list",
      );
    if (!(await hasWorkflowPollers(client, plan.orchestrationQueue))) {
      // Nothing would answer the query: do not wait for it to time out.
      unanswered(`no worker serves '${plan.orchestrationQueue}'`);
    } else {
      try {
        progress = await client.withDeadline(Date.now() + queryTimeoutMs, () =>
          client.workflow.getHandle(studyId).query(progressQuery),
        );
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        unanswered(errorChain(error).join(': '));
      }
    }
    const reported =
      progress?.runningTrials ??
      (progress === null || progress.runningTrial === null
        ? []
        : [{ trialIndex: progress.runningTrial, config: null }]);
    for (const { trialIndex, config } of reported) {
      if (running.has(trialId(studyId, trialIndex))) continue;
      let keys: string[] | null = null;
      if (config !== null) keys = keysOfTrial({ pipelineId: plan.pipelineId, stages: plan.stages, config });
      else {
        const trial = await startedWith<TrialInput>(client, `${studyId}/trial-${trialIndex}`);
        if (trial !== null) keys = keysOfTrial(trial.input);
      }
      // Not started yet (the study has only asked for it): it has looked nothing up so far.
      if (keys !== null) running.set(trialId(studyId, trialIndex), { studyId, trialIndex, keys });
    }
    const firstRunId = started.firstExecutionRunId || execution.raw.firstRunId || execution.runId;
    return {
      studyId,
      trialLog: progress?.trialLog ?? trialLogPrefix(firstRunId),
      trials: progress?.trials ?? null,
      direction: plan.objective.direction,
      topQ: resolveSettings(plan.optimizer).topQ,
    };
  };
  // A few studies at a time: one that does not answer costs its query timeout, not everyone's.
  const studies: LiveStudy[] = [];
  for (let at = 0; at < executions.length; at += studiesAtOnce) {
    const described = await Promise.all(executions.slice(at, at + studiesAtOnce).map(describeStudy));
    studies.push(...described.filter((study): study is LiveStudy => study !== null));
  }
  return { studies, runningTrials: [...running.values()], warnings };
}

// ---- the commands ----------------------------------------------------------------------------

/** What the cache commands talk to; tests replace them. */
export interface CacheCommandDependencies {
  openStore(): ObjectStore;
  openStudies(endpoint: EndpointOptions): Promise<StudySource & { close(): Promise<void> }>;
  /** Milliseconds since the epoch. */
  now(): number;
  stdout(text: string): void;
  stderr(text: string): void;
}

const defaultDependencies: CacheCommandDependencies = {
  openStore,
  async openStudies(endpoint) {
    const { client, close } = await connectClient(endpoint);
    return { liveWork: () => liveWorkOf(client), studyIdsByLog: () => studyIdsByLogOf(client), close };
  },
  now: () => Date.now(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Commander's errors that mean the command line itself is wrong: exit 2, like an invalid config. */
const usageErrorCodes = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
  'commander.help',
]);

interface EndpointFlags {
  address?: string;
  namespace?: string;
}

const total = (outputs: readonly CachedOutput[]): Tally => ({
  outputs: outputs.length,
  bytes: outputs.reduce((sum, output) => sum + output.bytes, 0),
});

/** Rows in columns two spaces apart; the columns in `rightAligned` padded on the left (numbers). */
function table(
  header: readonly string[] | null,
  rows: readonly (readonly string[])[],
  rightAligned: readonly number[],
): string {
  const all = header === null ? rows : [header, ...rows];
  const widths = all[0]?.map((_, column) => Math.max(...all.map((row) => row[column]!.length))) ?? [];
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        rightAligned.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return all.map(line).join('\n');
}

const reasonLabels: Readonly<Record<RetentionDecision['reason'], string>> = {
  running: 'needed by a running trial',
  'top-q': 'prefix of a top-Q trial of a live study',
  'min-age': 'younger than --min-age',
  'size-cap': 'within --max-bytes (most recently used)',
  'over-cap': 'over --max-bytes',
};

interface PruneFlags extends EndpointFlags {
  maxBytes: number;
  minAge: number;
  topQ?: number;
  pipeline?: string;
  apply?: boolean;
  json?: boolean;
}

export function cacheCommand(overrides: Partial<CacheCommandDependencies> = {}): Command {
  const dependencies = { ...defaultDependencies, ...overrides };
  const out = (text: string) => dependencies.stdout(`${text}\n`);
  const warn = (text: string) => dependencies.stderr(`${printableLines(text)}\n`);
  const cache = new Command('cache')
    .description('what the stage cache holds (cache ls), and deleting what no live study needs (cache prune)')
    .configureOutput({ writeOut: dependencies.stdout, writeErr: dependencies.stderr })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText(
      'after',
      '\nExamples:\n  memotune cache ls --by study\n  memotune cache prune --max-bytes 10GB            # dry run: what would go\n  memotune cache prune --max-bytes 10GB --apply',
    )
    // Set before the subcommands are made: they inherit it.
    .exitOverride((error) => {
      throw usageErrorCodes.has(error.code) && error.exitCode !== 0
        ? new CommanderError(2, error.code, error.message)
        : error;
    });

  withEndpoint(
    cache
      .command('ls')
      .description('objects and bytes of the committed stage outputs, by pipeline, stage or study')
      .addOption(
        new Option('--by <grouping>', 'group by pipeline, stage (pipeline/stage) or study (whose trials use them)')
          .choices(['pipeline', 'stage', 'study'])
          .default('pipeline'),
      )
      .option('--pipeline <id>', 'only this pipeline')
      .option('--json', 'machine-readable')
      .addHelpText(
        'after',
        '\nExamples:\n  memotune cache ls\n  memotune cache ls --by study\n  memotune cache ls --by stage --pipeline resnet --json',
      ),
  ).action(async (options: EndpointFlags & { by: CacheGrouping; pipeline?: string; json?: boolean }) => {
    const store = dependencies.openStore();
    const inventory = await readCacheInventory(
      store,
      options.pipeline === undefined ? {} : { pipelineId: options.pipeline },
    );
    const warnings: string[] = [];
    let groups;
    if (options.by === 'study') {
      const logs = await readTrialLogs(store);
      for (const log of logs) if (log.error !== null) warnings.push(`trial log ${log.trialLog}: ${log.error}`);
      let studyIds: ReadonlyMap<string, string> = new Map();
      try {
        const studies = await dependencies.openStudies(options);
        try {
          studyIds = await studies.studyIdsByLog();
        } finally {
          await studies.close();
        }
      } catch (error) {
        warnings.push(
          `cannot list studies on Temporal at ${temporalAddress(options)} (${error instanceof Error ? error.message : String(error)}): ` +
            'studies are shown by their trial log prefix; pass --address to name them',
        );
      }
      groups = groupOutputs(inventory.outputs, 'study', logs, studyIds);
    } else {
      groups = groupOutputs(inventory.outputs, options.by);
    }
    for (const warning of warnings) warn(`warning: ${warning}`);
    const totals = total(inventory.outputs);
    if (options.json) {
      out(
        printableLines(
          JSON.stringify(
            {
              by: options.by,
              pipeline: options.pipeline ?? null,
              total: totals,
              groups,
              uncommitted: inventory.uncommitted.length,
              unreadable: inventory.unreadable,
              warnings,
            },
            null,
            2,
          ),
        ),
      );
      return;
    }
    if (totals.outputs === 0) {
      out(
        options.pipeline === undefined ? 'the cache is empty' : `no outputs of pipeline ${printable(options.pipeline)}`,
      );
    } else {
      const header =
        options.by === 'study'
          ? ['STUDY', 'TRIAL LOG', 'OUTPUTS', 'SIZE']
          : [options.by === 'pipeline' ? 'PIPELINE' : 'PIPELINE/STAGE', 'OUTPUTS', 'SIZE'];
      const rows = groups.map((group) => [
        group.name === null
          ? '(no study)'
          : group.name === group.trialLog
            ? '(not on the server)'
            : printable(group.name),
        ...(options.by === 'study' ? [printable(group.trialLog ?? '-')] : []),
        String(group.outputs),
        formatBytes(group.bytes),
      ]);
      rows.push([
        options.by === 'study' ? 'total (each output once)' : 'total',
        ...(options.by === 'study' ? [''] : []),
        String(totals.outputs),
        formatBytes(totals.bytes),
      ]);
      out(table(header, rows, [header.length - 2, header.length - 1]));
    }
    if (inventory.uncommitted.length > 0 || inventory.unreadable.length > 0) {
      out(
        `left aside: ${inventory.uncommitted.length} folders without meta.json (a crashed or running write), ` +
          `${inventory.unreadable.length} with an unreadable meta.json`,
      );
    }
  });

  withEndpoint(
    cache
      .command('prune')
      .description('delete stage outputs no live study needs, newest kept up to a size cap; a dry run unless --apply')
      .requiredOption(
        '--max-bytes <size>',
        'keep at most this much in total (e.g. 10GB, 500MiB; 0 keeps only what live studies need)',
        parseSize,
      )
      .addOption(
        new Option('--min-age <duration>', 'always keep outputs committed less than this long ago (e.g. 30m, 2d, 0)')
          .argParser(parseDuration)
          .default(3_600_000, '1h'),
      )
      .option(
        '--top-q <n>',
        "keep prefixes of each live study's n best trials (default: the study's topQ setting)",
        nonNegativeInt,
      )
      .option('--pipeline <id>', "only this pipeline's outputs (and the cap counts only them)")
      .option('--apply', 'delete (without it, only print what would be deleted)')
      .option('--json', 'machine-readable')
      .addHelpText(
        'after',
        [
          '',
          'Always kept: every stage output of a trial running now, the prefixes (every stage but the',
          "last) of each live study's top-Q completed trials, and outputs younger than --min-age.",
          'Of the rest, the most recently used are kept while the total stays within --max-bytes.',
          '',
          'Examples:',
          '  memotune cache prune --max-bytes 10GB                 # what would go',
          '  memotune cache prune --max-bytes 10GB --apply',
          '  memotune cache prune --max-bytes 0 --min-age 0 --pipeline resnet --apply --json',
        ].join('\n'),
      ),
  ).action(async (options: PruneFlags) => {
    const store = dependencies.openStore();
    let studies: Awaited<ReturnType<CacheCommandDependencies['openStudies']>>;
    try {
      studies = await dependencies.openStudies(options);
    } catch (error) {
      throw new Error(
        `cannot reach Temporal at ${temporalAddress(options)}: prune must know which studies and trials run before ` +
          'it deletes anything; start the server (memotune dev) or pass --address',
        { cause: error },
      );
    }
    try {
      const inventory = await readCacheInventory(
        store,
        options.pipeline === undefined ? {} : { pipelineId: options.pipeline },
      );
      const logs = await readTrialLogs(store);
      const work = await studies.liveWork();
      const live = await protectLiveWork(
        store,
        work,
        logs,
        options.topQ === undefined ? {} : { topQ: options.topQ },
      ).catch((error: unknown) => {
        if (!(error instanceof LiveStudyLogError)) throw error;
        throw new Error(
          `${error.message}; nothing was deleted. Check that MEMOTUNE_S3_ENDPOINT, MEMOTUNE_S3_BUCKET and ` +
            "MEMOTUNE_S3_PREFIX name the store the study's workers write to",
        );
      });
      const plan = planRetention(inventory.outputs, {
        protections: live.protections,
        minAgeMs: options.minAge,
        maxBytes: options.maxBytes,
        now: dependencies.now(),
        chains: logs.flatMap((log) => log.records.map((record) => record.keys)),
      });
      const warnings = [...work.warnings];
      for (const log of logs) if (log.error !== null) warnings.push(`trial log ${log.trialLog}: ${log.error}`);

      const outcomes = new Map<string, DeleteOutcome | 'now-running'>();
      const doomed = plan.decisions.filter((decision) => decision.action === 'delete').map((d) => d.output);
      if (options.apply && doomed.length > 0) {
        // Trials may have started while the plan was made: what runs now is kept too.
        const again = await studies.liveWork();
        const runningNow = new Set(runningProtections(again.runningTrials).map((protection) => protection.key));
        for (const output of doomed) if (runningNow.has(output.key)) outcomes.set(output.key, 'now-running');
        const deleted = await deleteOutputs(
          store,
          doomed.filter((output) => !runningNow.has(output.key)),
        );
        for (const [key, outcome] of deleted) outcomes.set(key, outcome);
      }
      const removed = options.apply ? doomed.filter((output) => outcomes.get(output.key) === 'deleted') : doomed;
      const spared = doomed.filter((output) => options.apply && outcomes.get(output.key) !== 'deleted');
      for (const warning of warnings) warn(`warning: ${warning}`);

      if (options.json) {
        out(
          printableLines(
            JSON.stringify(
              {
                applied: options.apply === true,
                maxBytes: options.maxBytes,
                minAgeMs: options.minAge,
                topQ: options.topQ ?? null,
                pipeline: options.pipeline ?? null,
                liveStudies: live.studies,
                runningTrials: work.runningTrials,
                kept: plan.kept,
                deleted: total(removed),
                spared: spared.map((output) => ({ key: output.key, why: outcomes.get(output.key) })),
                byReason: plan.byReason,
                protectedOverCap: plan.protectedOverCap,
                decisions: plan.decisions.map(({ output, action, reason, neededBy }) => ({
                  key: output.key,
                  pipelineId: output.pipelineId,
                  stage: output.stage,
                  bytes: output.bytes,
                  createdAt: output.createdAt,
                  action,
                  reason,
                  neededBy,
                  ...(options.apply && action === 'delete' ? { outcome: outcomes.get(output.key) } : {}),
                })),
                leftAside: { uncommitted: inventory.uncommitted.length, unreadable: inventory.unreadable },
                warnings,
              },
              null,
              2,
            ),
          ),
        );
        return;
      }

      const list = (indices: readonly number[]) => (indices.length === 0 ? 'none' : indices.join(', '));
      for (const study of live.studies) {
        const what =
          study.note ??
          `top-${study.topQ} trials ${list(study.topTrials)}; running trials ${list(study.runningTrials)}`;
        out(`live study ${printable(study.studyId)}: ${what}`);
      }
      if (live.studies.length === 0) out('no live studies: no top-Q prefixes to keep');
      if (doomed.length > 0) {
        const verb = options.apply ? 'deleted' : 'would delete';
        const rows = doomed.map((output) => {
          const outcome = outcomes.get(output.key);
          const spareReason =
            outcome === 'now-running'
              ? 'a trial started using it'
              : outcome === 'changed'
                ? 'it changed meanwhile'
                : '';
          return [
            spareReason === '' ? verb : 'left alone',
            printable(`${output.pipelineId}/${output.stage}`),
            formatBytes(output.bytes),
            output.createdAt,
            `${output.key}${spareReason === '' ? '' : ` (${spareReason})`}`,
          ];
        });
        out(table(['', 'PIPELINE/STAGE', 'SIZE', 'COMMITTED', 'KEY'], rows, [2]));
      }
      const summary = [
        `${options.apply ? 'deleted' : 'would delete'} ${removed.length} output(s), ${formatBytes(total(removed).bytes)}; ` +
          `kept ${plan.kept.outputs + spared.length}, ${formatBytes(plan.kept.bytes + total(spared).bytes)}:`,
        ...(['running', 'top-q', 'min-age', 'size-cap'] as const).map(
          (reason) =>
            `  ${String(plan.byReason[reason].outputs).padStart(6)}  ${formatBytes(plan.byReason[reason].bytes).padStart(10)}  ${reasonLabels[reason]}`,
        ),
      ];
      if (spared.length > 0) summary.push(`  ${String(spared.length).padStart(6)}  left alone while deleting`);
      if (plan.protectedOverCap > 0) {
        summary.push(
          `what live studies and --min-age protect exceeds --max-bytes by ${formatBytes(plan.protectedOverCap)}; it is kept`,
        );
      }
      if (inventory.uncommitted.length > 0 || inventory.unreadable.length > 0) {
        summary.push(
          `left aside: ${inventory.uncommitted.length} folder(s) without meta.json, ${inventory.unreadable.length} with an unreadable one`,
        );
      }
      // Live studies come from one namespace: say so, a shared bucket may serve others (a review
      // saw another namespace's paused study lose its cached prefixes).
      summary.push(
        `live studies were read from namespace '${printable(namespaceOf(options))}' only: a study of another ` +
          'namespace or server that uses this bucket is not protected (run the prune there too, or give each its own MEMOTUNE_S3_PREFIX)',
      );
      if (!options.apply) summary.push('dry run: nothing was deleted; add --apply to delete');
      out(summary.join('\n'));
    } finally {
      await studies.close();
    }
  });
  return cache;
}
