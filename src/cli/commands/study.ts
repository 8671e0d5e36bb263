import { savedByReuse } from '../../core/charge.js';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { deleteOrphanTrialLog, deleteStudy } from '../../client/delete-study.js';
import { ScheduleOverlapPolicy, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import {
  continueStudy,
  enqueueConfigurations,
  extendStudyBudget,
  pauseStudy,
  resumeStudy,
  setStudyParallelism,
  getStudyHandle,
  getStudyOutcome,
  getStudyPlan,
  studyStartedAt,
  getStudyProgress,
  NoWorkerError,
  readStudyTrials,
  scheduleStudy,
  startStudy,
  stopStudy,
  stageActivity,
  type RunningStage,
  cancelStudy,
  type ControlDelivery,
  StudyFinishedError,
  StudyNotFoundError,
  withTrials,
} from '../../client/index.js';
import { hasWorkflowPollers } from '../../client/worker-wait.js';
import { tolerantOfUnreadablePayloads } from '../../client/unreadable-payloads.js';
import { writeStudyReport } from '../../report/index.js';
import {
  ImportanceUnavailableError,
  minImportanceTrials,
  parameterImportance,
  type ImportanceTarget,
} from '../../importance/index.js';
import { formatImportance } from '../importance-table.js';
import {
  memotuneBest,
  memotuneMethod,
  memotunePipeline,
  memotuneSpent,
  memotuneStatus,
  memotuneTrials,
} from '../../../workflows/search-attributes.js';
import type { StudyOutcome, StudyProgress } from '../../core/study.js';
import type { Configuration } from '../../core/types.js';

/** The CLI says within seconds that no worker serves a study, instead of waiting for one. */
const cliWorkerWait = { failWithoutWorkerMs: 3000, giveUpAfterMs: 60_000 } as const;

/** Longest progress shown on a status line (the whole of it is in `--json`). */
const maxShownProgress = 120;

/** Longest failure message shown on a status line (the whole of it is in `--json`). */
const maxShownFailure = 200;

/**
 * `  trial 4  train, attempt 1/3, running 12.3 s on 4242@gpu-1; progress {"epoch":3} (reported 2 s ago)`,
 * or for a retry in its backoff
 * `  trial 4  train, attempt 2/3, retrying in 8 s; attempt 1 failed: connect ECONNREFUSED 10.0.0.5:9000`
 */
export function formatRunningStage(running: RunningStage): string {
  const attempts = running.maximumAttempts > 0 ? `${running.attempt}/${running.maximumAttempts}` : `${running.attempt}`;
  const parts = [
    `${running.stage === undefined ? '(stage not named yet: no heartbeat)' : printable(running.stage)}, attempt ${attempts}`,
  ];
  if (running.retryInSeconds !== undefined)
    parts[0] +=
      running.retryInSeconds > 0.5
        ? `, retrying in ${Math.round(running.retryInSeconds)} s`
        : ', retry due: waiting for a worker to take it';
  if (running.runningSeconds !== undefined) parts[0] += `, running ${running.runningSeconds.toFixed(1)} s`;
  if (running.worker !== undefined && running.retryInSeconds === undefined)
    parts[0] += ` on ${printable(running.worker)}`;
  if (running.waitingOnStore !== undefined) {
    const text = running.waitingOnStore.error.replace(/\s+/g, ' ');
    parts.push(
      `waiting out an object-store outage for ${Math.round(running.waitingOnStore.seconds)} s (not charged): ` +
        printable(text.length > maxShownFailure ? `${text.slice(0, maxShownFailure - 3)}...` : text),
    );
  }
  if (running.lastFailure !== undefined) {
    const text = running.lastFailure.replace(/\s+/g, ' ');
    parts.push(
      `attempt ${running.attempt - 1} failed: ${printable(text.length > maxShownFailure ? `${text.slice(0, maxShownFailure - 3)}...` : text)}`,
    );
  }
  if (running.reported !== undefined)
    parts.push(`step ${running.reported.step}: ${running.reported.value.toPrecision(6)}`);
  if (running.progress !== undefined) {
    const text = JSON.stringify(running.progress) ?? String(running.progress);
    parts.push(
      `progress ${printable(text.length > maxShownProgress ? `${text.slice(0, maxShownProgress - 3)}...` : text)}`,
    );
  }
  // Heartbeats reach the server at most every 0.8 × heartbeatSeconds: say how old the progress is.
  const age =
    (running.progress === undefined && running.reported === undefined) || running.lastHeartbeatAgeSeconds === undefined
      ? ''
      : ` (reported ${Math.round(running.lastHeartbeatAgeSeconds)} s ago)`;
  const label = `  trial ${running.trialIndex}`;
  return `${label}${' '.repeat(Math.max(1, 11 - label.length))}${parts.join('; ')}${age}`;
}

/** A control request, ready to send once connected. */
type ControlRequest = (client: Client) => Promise<StudyProgress>;
import { defaultTaskQueuePrefix, planStudy, taskQueuePrefixOf } from '../../config/plan.js';
import { parseStudyConfig } from '../../config/study-config.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { StageCache } from '../../storage/stage-cache.js';
import { connectClient, openStore, temporalAddress, temporalNamespace, uiLink, withEndpoint } from '../connection.js';
import { formatTrials, trialFormats, type TrialFormat } from '../trials-table.js';
import {
  formatProgress,
  formatResult,
  formatSaving,
  formatWaitingQueue,
  printable,
  printableLines,
  watchStudy,
} from '../format.js';

interface EndpointFlags {
  address?: string;
  namespace?: string;
}

/**
 * A study's status in `study list`. Its search attribute is written by the study itself, so a
 * workflow terminated, cancelled or timed out from outside still says 'running': such a study has
 * failed, as `study status` reports it.
 */
export function listedStatus(attribute: string | undefined, workflowStatus: string): string {
  if (['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT'].includes(workflowStatus)) return 'failed';
  return attribute ?? workflowStatus.toLowerCase();
}

/**
 * `study stop` and `study cancel` of a study that has already ended: nothing to do, said so, exit
 * 0 (a cleanup script may stop a study that finished meanwhile); null for the caller to return.
 * Any other error is thrown on.
 */
function alreadyEnded(error: unknown, id: string, verb: 'stop' | 'cancel', options: { json?: boolean }): null {
  if (!(error instanceof StudyFinishedError)) throw error;
  console.log(
    options.json
      ? printableLines(
          JSON.stringify({
            studyId: id,
            [verb === 'stop' ? 'stopping' : 'cancelled']: false,
            endedAs: error.finishedAs,
          }),
        )
      : `study ${printable(id)} has already ended (${printable(error.finishedAs)}): nothing to ${verb}`,
  );
  return null;
}

/**
 * The exit code of a command that waited for a study to end: 1 when it failed, so that a script
 * (`study start --wait && deploy`) stops there; 0 for every other end, stopped or exhausted included.
 */
export function waitedExitCode(outcome: Pick<StudyOutcome, 'status' | 'best' | 'trials'>): number {
  // A study that ran trials and found no result (every trial failed) is no success either.
  return outcome.status === 'failed' || (outcome.best === null && outcome.trials > 0) ? 1 : 0;
}

/** The study config a JS module exports (`study`, else its default), as `defineStudy` builds it. */
async function readConfigModule(path: string): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const config = module.study ?? module.default;
  if (config === undefined) throw new Error(`${path} exports neither \`study\` nor a default study config`);
  return config;
}

function readJson(path: string): unknown {
  if (/\.(m|c)?ts$/.test(path)) {
    throw new Error(`${path} is TypeScript: compile it (tsc) and pass the .js module, or write the config as JSON`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // Node's message ends in `, "<the text>" is not valid JSON`: said once, without the echo.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/, ".*" is not valid JSON$/s, '');
    throw new Error(`${path} is not valid JSON: ${reason}`);
  }
}

/**
 * The workers' object store, when the study's trial records live there (studies that ended under
 * an older release carry them inline and need none); says why it cannot be opened otherwise.
 */
function trialStore(outcome: Pick<StudyOutcome, 'studyId' | 'history' | 'trialLog'>): ObjectStore | undefined {
  if (outcome.history !== undefined || outcome.trialLog === undefined) return undefined;
  try {
    return openStore();
  } catch (error) {
    throw new Error(
      `cannot read the trial records of study '${outcome.studyId}', which live in S3: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export function studyCommand(): Command {
  const study = new Command('study').description('start and inspect studies');

  withEndpoint(
    study
      .command('start <config>')
      .description(
        'validate a study config (a JSON file, or a compiled JS module exporting `study` or a default, e.g. from defineStudy) and start it',
      )
      .option('--id <id>', 'study (workflow) id; default: the study name')
      .option('--prefix <prefix>', 'task queue prefix', defaultTaskQueuePrefix)
      .option(
        '--new-run',
        "when a study with this id ran before, start a fresh one under the id (a new run with its own trial log; memotune's commands then read the new run only) instead of refusing",
      )
      .option('--wait', 'show progress until the study finishes, then print the result')
      .option('--json', 'print {"studyId", "runId", "uiUrl"} (with --wait: progress lines, then the result) as JSON'),
  )
    .addHelpText(
      'after',
      `
Examples:
  memotune study start study.json
  memotune study start study.json --id resnet-sweep-2 --wait
  memotune study start study.json --new-run # the id ran before: start over under it
  memotune study start study.json --profile prod --json
  memotune study start dist/study.js        # a module exporting \`study\` (defineStudy), compiled`,
    )
    .action(
      async (
        path: string,
        options: EndpointFlags & { id?: string; prefix: string; newRun?: boolean; wait?: boolean; json?: boolean },
        command: Command,
      ) => {
        // Validate before connecting: a bad config never reaches the server. A config file that
        // cannot be read or parsed is bad input too (exit 2), like an invalid config.
        let raw: unknown;
        try {
          raw = /\.(m|c)?js$/.test(path) ? await readConfigModule(path) : readJson(path);
        } catch (error) {
          command.error(`memotune: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 2 });
        }
        const config = parseStudyConfig(raw);
        const deployment = {
          ...(options.id === undefined ? {} : { studyId: options.id }),
          taskQueuePrefix: options.prefix,
        };
        // The id and prefix too: a bad --id is refused (exit 2) before anything connects.
        const { studyId } = planStudy(config, deployment);
        const { client, close } = await connectClient(options);
        try {
          // With --new-run, an id that ran before gets a new run with its own trial log; say so,
          // since the earlier run's results are then one click further away in the Temporal UI.
          const earlier = options.newRun
            ? await client.workflow
                .getHandle(studyId)
                .describe()
                .then(
                  (description) => description.status.name,
                  () => null,
                )
            : null;
          const { plan, handle } = await startStudy(client, config, {
            ...deployment,
            ifExists: options.newRun ? 'new-run' : 'refuse',
          });
          if (earlier !== null && earlier !== 'RUNNING')
            console.error(
              `note: study ${printable(studyId)} ran before (${earlier.toLowerCase()}); this is a new run with ` +
                'its own trial log, the earlier one stays in the Temporal UI',
            );
          const link = uiLink(plan.studyId, temporalNamespace(options));
          if (options.json) {
            console.log(
              printableLines(JSON.stringify({ studyId: plan.studyId, runId: handle.firstExecutionRunId, uiUrl: link })),
            );
          } else {
            console.log(`started study ${printable(plan.studyId)}`);
            if (link) console.log(`watch it at ${printable(link)}`);
          }
          if (plan.searchAttributes !== true)
            console.error(
              "note: this namespace lacks memotune's search attributes: the study is not filterable in the " +
                'Temporal UI and `study list` shows less of it (`memotune cluster setup` registers them)',
            );
          // A study no worker takes waits in silence: say so now, not at the first `study status`.
          if (!(await hasWorkflowPollers(client, plan.orchestrationQueue).catch(() => true)))
            console.error(
              `note: no worker polls ${printable(plan.orchestrationQueue)} yet: the study starts when one does ` +
                `(memotune worker${options.prefix === undefined ? '' : ` --prefix ${printable(options.prefix)}`})`,
            );
          if (options.wait) {
            await watchStudy(client, plan.studyId, { json: options.json ?? false });
            const outcome = await getStudyOutcome(client, plan.studyId, { wait: true });
            console.log(options.json ? printableLines(JSON.stringify(outcome)) : formatResult(outcome));
            process.exitCode = waitedExitCode(outcome);
          }
        } finally {
          await close();
        }
      },
    );

  const scheduleCommand = withEndpoint(
    study
      .command('schedule <config>')
      .description(
        'make a Temporal Schedule that starts a study from this config at set times (each run a study of its own, id <schedule id>-<start time>)',
      )
      .requiredOption('--id <id>', 'the schedule id (its studies are <id>-<start time>)')
      .option('--cron <expression>', 'when, as a cron expression (UTC), e.g. "0 2 * * *"')
      .option('--every <interval>', 'when, as an interval, e.g. 1d, 12h, 90m')
      .option(
        '--overlap <policy>',
        'a run due while the last still runs: skip (default), allow-all, buffer-one, cancel-other',
      )
      .option('--prefix <prefix>', 'task queue prefix', defaultTaskQueuePrefix)
      .option('--json', 'print {"scheduleId"} as JSON'),
  ).addHelpText(
    'after',
    `
Examples:
  memotune study schedule study.json --id nightly-resnet --cron "0 2 * * *"
  memotune study schedule study.json --id hourly --every 1h --overlap allow-all
  temporal schedule trigger --schedule-id nightly-resnet   # run it now; delete, pause: temporal schedule ...`,
  );
  scheduleCommand.action(
    async (
      path: string,
      options: EndpointFlags & {
        id: string;
        cron?: string;
        every?: string;
        overlap?: string;
        prefix: string;
        json?: boolean;
      },
    ) => {
      const refuse = (message: string): never => scheduleCommand.error(`memotune: ${message}`, { exitCode: 2 });
      if ((options.cron === undefined) === (options.every === undefined)) refuse('give one of --cron and --every');
      const overlaps = {
        skip: ScheduleOverlapPolicy.SKIP,
        'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
        'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
        'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
      } as const;
      const overlap = options.overlap ?? 'skip';
      if (!Object.hasOwn(overlaps, overlap))
        refuse(`--overlap must be one of ${Object.keys(overlaps).join(', ')}, got '${printable(overlap)}'`);
      if (options.every !== undefined && !/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(options.every))
        refuse(`--every must be a number and a unit (s, m, h, d), e.g. 1d or 90m, got '${printable(options.every)}'`);
      let raw: unknown;
      try {
        raw = /\.(m|c)?js$/.test(path) ? await readConfigModule(path) : readJson(path);
      } catch (error) {
        refuse(error instanceof Error ? error.message : String(error));
      }
      const config = parseStudyConfig(raw);
      // The schedule id names its studies: refused (exit 2) before anything connects when it cannot.
      planStudy(config, { studyId: options.id, taskQueuePrefix: options.prefix });
      const { client, close } = await connectClient(options);
      try {
        await scheduleStudy(client, options.id, config, {
          spec:
            options.cron === undefined
              ? { intervals: [{ every: options.every! as `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` }] }
              : { cronExpressions: [options.cron] },
          taskQueuePrefix: options.prefix,
          policies: { overlap: overlaps[overlap as keyof typeof overlaps] },
        });
        console.log(
          options.json
            ? printableLines(JSON.stringify({ scheduleId: options.id }))
            : `scheduled ${printable(options.id)}: each run starts study ${printable(options.id)}-<start time> ` +
                '(`temporal schedule describe`, or the Schedules page of the Temporal UI, lists them)',
        );
      } finally {
        await close();
      }
    },
  );

  withEndpoint(
    study.command('status <id>').description('budget, trials and best so far').option('--json', 'machine-readable'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune study status my-study\n  memotune study status my-study --json | jq .best',
    )
    .action(async (id: string, options: EndpointFlags & { json?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        let progress: StudyProgress;
        try {
          progress = await getStudyProgress(client, id, cliWorkerWait);
        } catch (error) {
          if (!(error instanceof NoWorkerError)) throw error;
          // What the server itself keeps (the memo's progress card, search attributes) needs no
          // worker: show it, then say why there is no more.
          const description = await getStudyHandle(client, id).describe();
          const attributes = description.typedSearchAttributes;
          const trials = attributes.get(memotuneTrials);
          const card = (description.memo?.memotune as { card?: unknown } | undefined)?.card;
          if (options.json) {
            // Still JSON for a script, in the shape of the answer it did not get (a monitoring probe
            // reads the same fields; what the server does not keep is null), with what the server
            // keeps and why there is no more.
            const best = attributes.get(memotuneBest);
            const memoBudget = (description.memo?.memotune as { budget?: unknown } | undefined)?.budget;
            const budget = typeof memoBudget === 'number' ? memoBudget : null;
            const spentFraction = attributes.get(memotuneSpent) ?? null;
            const kept = {
              studyId: id,
              status: attributes.get(memotuneStatus) ?? null,
              budget,
              spent: budget !== null && spentFraction !== null ? spentFraction * budget : null,
              trials: trials ?? null,
              failedTrials: null,
              reusedTrials: null,
              best: best === undefined ? null : { trialIndex: null, objective: best, config: null },
              runningTrial: null,
              runningTrials: null,
              runs: null,
              error: null,
              objectiveMetric: null,
              direction: null,
              source: 'server (no worker answered)',
              spentFraction,
              card: typeof card === 'string' ? card : null,
              noAnswer: error.message,
            };
            console.log(printableLines(JSON.stringify(kept, null, 2)));
          } else if (typeof card === 'string') {
            console.log(printableLines(plainCard(card)));
          } else if (trials !== undefined) {
            const spent = attributes.get(memotuneSpent) ?? 0;
            const best = attributes.get(memotuneBest);
            console.log(
              `study     ${printable(id)} (${attributes.get(memotuneStatus) ?? 'running'}, from search attributes)\n` +
                `budget    ${Math.round(spent * 100)}% spent\ntrials    ${trials}\nbest      ${best === undefined ? 'none yet' : best}`,
            );
          }
          throw error;
        }
        // A stage no worker takes stalls a study without failing it: say which queue it waits on.
        const { waitingOn, runningStages: stages } = await stageActivity(client, progress);
        if (options.json) {
          const shown = {
            ...progress,
            ...(waitingOn.length === 0 ? {} : { waitingOn }),
            ...(stages.length === 0 ? {} : { runningStages: stages }),
          };
          console.log(printableLines(JSON.stringify(shown, null, 2)));
        } else {
          // With the best configuration under the best value, as `study result` prints it.
          console.log(formatResult(progress));
          for (const line of stages.map(formatRunningStage)) console.log(line);
          for (const line of waitingOn.map(formatWaitingQueue)) console.log(line);
        }
      } finally {
        await close();
      }
    });

  withEndpoint(
    study
      .command('result <id>')
      .description('best configuration and every trial')
      .option('--json', 'machine-readable')
      .option('--wait', 'wait for the study to finish'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune study result my-study\n  memotune study result my-study --wait --json > result.json',
    )
    .action(async (id: string, options: EndpointFlags & { json?: boolean; wait?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        const outcome = await getStudyOutcome(client, id, { wait: options.wait ?? false, ...cliWorkerWait });
        const result = await withTrials(outcome, trialStore(outcome));
        // What the cache saved, as the report says it: a study whose records carry no per-stage
        // charges (older releases) says nothing.
        const saving = savedByReuse(result.history);
        if (options.json) console.log(printableLines(JSON.stringify({ ...result, savedByReuse: saving }, null, 2)));
        else {
          console.log(formatResult(outcome));
          if (saving !== null && saving.saved > 0) console.log(formatSaving(saving));
        }
        if (options.wait) process.exitCode = waitedExitCode(outcome);
      } finally {
        await close();
      }
    });

  withEndpoint(
    study
      .command('trials <id>')
      .description(
        "one row per trial: hyperparameters by stage, objective, per-stage cost, reused stages, every stage's metrics, status",
      )
      .option('--format <format>', `${trialFormats.join(', ')}`, 'table')
      .option('--json', 'the same as --format json, as the other commands that print data take it'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune study trials my-study\n  memotune study trials my-study --format csv > trials.csv\n  memotune study trials my-study --format json',
    )
    .action(async (id: string, options: EndpointFlags & { format: string; json?: boolean }, command: Command) => {
      if (!(trialFormats as readonly string[]).includes(options.format)) {
        command.error(
          `memotune: --format must be one of ${trialFormats.join(', ')}, got '${printable(options.format)}'`,
          {
            exitCode: 2,
          },
        );
      }
      if (options.json && options.format !== 'table' && options.format !== 'json') {
        command.error(`memotune: --json and --format ${options.format} ask for two formats: give one`, { exitCode: 2 });
      }
      if (options.json) options.format = 'json';
      const { client, close } = await connectClient(options);
      try {
        const outcome = await getStudyOutcome(client, id, cliWorkerWait);
        // In start order (the log is in finish order; a record finished out of order has its logPosition).
        const records = [...(await readStudyTrials(outcome, trialStore(outcome)))].sort(
          (a, b) => a.trialIndex - b.trialIndex,
        );
        console.log(printableLines(formatTrials(records, outcome.stages ?? [], options.format as TrialFormat)));
      } finally {
        await close();
      }
    });

  const importance = withEndpoint(
    study
      .command('importance <id>')
      .description(
        'which hyperparameters and which stages matter: Sobol indices of a Gaussian process fitted to the completed trials',
      )
      .option('--target <target>', "objective, or cost (log of a trial's full cost)", 'objective')
      .option('--seed <n>', 'seed of the fit and the Monte-Carlo samples', '0')
      .option(
        '--json',
        'machine-readable: {studyId, metric, direction, seed, running, target, trials, samples, parameters, stages, firstOrderSum, warnings}; when the study has too little to go on, {..., available: false, reason} (exit 1)',
      ),
  ).addHelpText(
    'after',
    `
Like Optuna's fANOVA importance, on the optimizer's own model class, per stage as well as per
parameter, and for the cost as well as the objective. Works on running and finished studies;
needs at least ${minImportanceTrials} completed trials. Trial records are read from the workers' S3 store.

Examples:
  memotune study importance my-study
  memotune study importance my-study --target cost
  memotune study importance my-study --json`,
  );
  importance.action(async (id: string, options: EndpointFlags & { target: string; seed: string; json?: boolean }) => {
    const refuse = (message: string): never =>
      importance.error(`memotune: ${message}`, { exitCode: 2, code: 'memotune.badFlag' });
    if (options.target !== 'objective' && options.target !== 'cost')
      refuse(`--target must be objective or cost, got '${printable(options.target)}'`);
    const seed = Number(options.seed);
    if (!/^\d+$/.test(options.seed) || !Number.isSafeInteger(seed))
      refuse(`--seed must be a non-negative integer, got '${printable(options.seed)}'`);
    const { client, close } = await connectClient(options);
    try {
      const plan = await getStudyPlan(client, id);
      const outcome = await getStudyOutcome(client, id, cliWorkerWait);
      const records = await readStudyTrials(outcome, trialStore(outcome));
      const subject = { studyId: id, metric: plan.objective.metric, direction: plan.objective.direction };
      const running = outcome.status === 'running';
      let result;
      try {
        result = parameterImportance(plan.stages, records, { target: options.target as ImportanceTarget, seed });
      } catch (error) {
        if (!(error instanceof ImportanceUnavailableError)) throw error;
        // Not bad input: the study has too little to go on yet (or its target looks like noise).
        if (options.json)
          console.log(
            printableLines(
              JSON.stringify({
                ...subject,
                seed,
                running,
                target: options.target,
                available: false,
                reason: error.message,
              }),
            ),
          );
        else console.error(`memotune: study ${printable(id)}: ${printable(error.message)}`);
        process.exitCode = 1;
        return;
      }
      console.log(
        options.json
          ? printableLines(JSON.stringify({ ...subject, seed, running, ...result }))
          : printableLines(
              formatImportance(result, subject) +
                (running ? '\n(The study is running: this is a snapshot of the trials finished so far.)' : ''),
            ),
      );
    } finally {
      await close();
    }
  });

  const report = withEndpoint(
    study
      .command('report <id>')
      .description('write a self-contained HTML report of a study (finished, or a snapshot of a running one)')
      .option('--out <dir>', 'directory to write the report into, as <study id>.html (created if missing)')
      .option('--top <n>', 'rows of the top-configurations table', '10')
      .option('--json', 'print {"path": ...} instead of the path'),
  )
    .addHelpText(
      'after',
      `
The report is one HTML file that opens offline: convergence (best so far against budget spent),
cost per trial by stage with reused stages marked, a trial timeline, parallel coordinates, a
parameter association view, parameter and stage importance for the objective and the cost, and
the top configurations. Trial records are read from the
workers' S3 store (MEMOTUNE_S3_* / AWS_* variables, or the local stack).

Examples:
  memotune study report my-study --out reports/
  memotune study report my-study --out reports/ --top 20 --json`,
    )
    // A flag commander refuses (unknown, missing its value) is bad input: exit 2, as below.
    .exitOverride((error) => {
      throw error.exitCode === 1 && error.code !== 'commander.error'
        ? new CommanderError(2, error.code, error.message)
        : error;
    });
  report.action(async (id: string, options: EndpointFlags & { out?: string; top: string; json?: boolean }) => {
    // Every flag is checked before anything connects; a refusal names the flag and exits 2.
    const refuse = (message: string): never =>
      report.error(`memotune: ${message}`, { exitCode: 2, code: 'memotune.badFlag' });
    if (options.out === undefined || options.out === '')
      refuse('--out is required: the directory to write the report into (e.g. --out reports/)');
    const outDir = resolve(options.out!);
    const existing = statSync(outDir, { throwIfNoEntry: false });
    if (existing !== undefined && !existing.isDirectory())
      refuse(
        `--out ${printable(options.out!)} is a file: pass a directory (the report is written as <dir>/<study id>.html)`,
      );
    const top = Number(options.top);
    if (!Number.isInteger(top) || top < 1) refuse(`--top must be a positive integer, got '${printable(options.top)}'`);

    const { client, close } = await connectClient(options);
    try {
      let outcome;
      try {
        outcome = await getStudyOutcome(client, id, cliWorkerWait);
      } catch (error) {
        if (!(error instanceof StudyNotFoundError)) throw error;
        return refuse(
          `no study with id '${id}' on ${temporalAddress(options)} (namespace ${temporalNamespace(options)}): ` +
            'check the id with `memotune study list`, or pass the --address/--namespace of the server that ran it',
        );
      }
      const records = await readStudyTrials(outcome, trialStore(outcome));
      // The space is the plan's; a run whose history no longer has it gets a report without importance.
      const plan = await getStudyPlan(client, id).catch(() => null);
      const path = writeStudyReport(outcome, records, {
        outDir,
        top,
        ...(plan === null ? {} : { space: plan.stages }),
        ...(plan?.pruner === undefined ? {} : { pruner: plan.pruner }),
      });
      console.log(options.json ? printableLines(JSON.stringify({ path })) : printable(path));
    } finally {
      await close();
    }
  });

  withEndpoint(
    study
      .command('stop <id>')
      .description('start no more trials; the running ones finish and are recorded, then the study ends as stopped')
      .option('--json', 'print {"studyId", "stopping": true}'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune study stop my-study\n  memotune study continue my-study --budget 600   # later, with more budget',
    )
    .action(async (id: string, options: EndpointFlags & { json?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        const sent = await stopStudy(client, id).catch((error: unknown) => alreadyEnded(error, id, 'stop', options));
        if (sent === null) return;
        console.log(
          options.json
            ? printableLines(JSON.stringify({ studyId: id, stopping: true, workerPolling: sent.workerPolling }))
            : `asked study ${printable(id)} to stop: its running trials finish and are recorded` +
                waitsForWorker(id, sent),
        );
      } finally {
        await close();
      }
    });
  withEndpoint(
    study
      .command('delete [id]')
      .description(
        "delete a study that has ended: its trial log and its workflows' histories (a dry run unless --apply)",
      )
      .option('--apply', 'delete (without it, only say what would go)')
      .option('--keep-history', "keep the workflows' histories (the namespace's retention removes them)")
      .option(
        '--trial-log <prefix>',
        'instead of a study: the trial log studies/<run id>/ of a study the server no longer has (cache ls --by study: "(not on the server)")',
      )
      .option('--json', 'print what was (or would be) deleted as JSON'),
  )
    .addHelpText(
      'after',
      '\nStage outputs stay in the cache (shared by every study of the pipeline): `memotune cache prune` removes\n' +
        "what no study needs any more. A study whose history the namespace's retention removed left its trial\n" +
        'log behind: `memotune cache ls --by study` lists it as "(not on the server)"; --trial-log deletes it.\n\n' +
        'Examples:\n  memotune study delete old-sweep            # what would go\n' +
        '  memotune study delete old-sweep --apply\n' +
        '  memotune study delete --trial-log studies/01a2530b-d550-7e21-bebc-9c0757c0e702/ --apply',
    )
    .action(
      async (
        id: string | undefined,
        options: EndpointFlags & { apply?: boolean; keepHistory?: boolean; trialLog?: string; json?: boolean },
        command: Command,
      ) => {
        if ((id === undefined) === (options.trialLog === undefined))
          command.error('error: give a study id, or --trial-log <prefix> (not both)', { exitCode: 2 });
        const { client, close } = await connectClient(options);
        try {
          const deleted =
            options.trialLog !== undefined
              ? await deleteOrphanTrialLog(client, options.trialLog, {
                  store: openStore(),
                  apply: options.apply === true,
                })
              : await deleteStudy(client, id!, {
                  store: openStore(),
                  apply: options.apply === true,
                  keepHistory: options.keepHistory === true,
                });
          if (options.json) {
            console.log(printableLines(JSON.stringify(deleted)));
            return;
          }
          const what =
            `${deleted.trialLog === null ? 'no trial log' : `its trial log ${printable(deleted.trialLog)} (${deleted.trialLogObjects} objects)`}` +
            (options.keepHistory === true || deleted.studyId === null
              ? ''
              : `, ${deleted.executions} workflow execution${deleted.executions === 1 ? '' : 's'} (its runs and its trials')`);
          const subject = deleted.studyId === null ? 'a study no longer on the server' : `study ${printable(id!)}`;
          console.log(
            deleted.applied
              ? `deleted ${subject}: ${what}; its stage outputs stay in the cache (memotune cache prune)`
              : `would delete ${subject}: ${what}; run again with --apply to delete`,
          );
        } finally {
          await close();
        }
      },
    );
  withEndpoint(
    study
      .command('cancel <id>')
      .description(
        'end the study now: its running trials are cancelled, not waited for; it ends as failed ("cancelled")',
      )
      .option('--json', 'print {"studyId", "cancelled": true}'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune study cancel my-study   # e.g. stuck on a queue no worker serves\n' +
        '  memotune study stop my-study     # gentler: the running trials finish and are recorded',
    )
    .action(async (id: string, options: EndpointFlags & { json?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        const sent = await cancelStudy(client, id).catch((error: unknown) =>
          alreadyEnded(error, id, 'cancel', options),
        );
        if (sent === null) return;
        console.log(
          options.json
            ? printableLines(JSON.stringify({ studyId: id, cancelled: true, workerPolling: sent.workerPolling }))
            : sent.workerPolling
              ? `cancelled study ${printable(id)}: its running trials are cancelled; trials recorded before stay recorded`
              : `asked study ${printable(id)} to cancel` + waitsForWorker(id, sent),
        );
      } finally {
        await close();
      }
    });
  /**
   * A control verb. `prepare` checks the arguments before anything connects (a refusal exits 2
   * naming the argument) and returns the request; the progress after it is printed.
   */
  const controlVerb = (
    name: string,
    description: string,
    example: string,
    prepare: (
      id: string,
      value: string | undefined,
      refuse: (message: string) => never,
      flags: Record<string, unknown>,
    ) => ControlRequest,
    valueArgument?: string,
    flags: readonly (readonly [flag: string, description: string])[] = [],
  ): void => {
    let command = withEndpoint(
      study
        .command(valueArgument === undefined ? `${name} <id>` : `${name} <id> ${valueArgument}`)
        .description(description)
        .option('--json', 'print the progress after the change as JSON'),
    ).addHelpText('after', `\nExample:\n  ${example}`);
    for (const [flag, flagDescription] of flags) command = command.option(flag, flagDescription);
    const refuse = (message: string): never => command.error(`memotune: ${message}`, { exitCode: 2 });
    command.action(async (id: string, ...rest: unknown[]) => {
      const value = valueArgument === undefined ? undefined : (rest[0] as string);
      const options = (valueArgument === undefined ? rest[0] : rest[1]) as EndpointFlags & { json?: boolean };
      const send = prepare(id, value, refuse, options as Record<string, unknown>);
      const { client, close } = await connectClient(options);
      try {
        const progress = await send(client);
        const skipped = (progress as { skipped?: readonly number[] }).skipped ?? [];
        if (skipped.length > 0 && !options.json)
          console.error(
            `skipped ${skipped.length} configuration${skipped.length === 1 ? '' : 's'} the study has already ` +
              `(${skipped.map((index) => `#${index}`).join(', ')} of the file)`,
          );
        console.log(options.json ? printableLines(JSON.stringify(progress, null, 2)) : formatProgress(progress));
      } finally {
        await close();
      }
    });
  };
  /** A JSON file of one configuration or a list of them (`study enqueue`, `study continue --enqueue`). */
  const configurationsFile = (name: string, file: string, refuse: (message: string) => never): Configuration[] => {
    let parsed: unknown;
    try {
      parsed = readJson(file);
    } catch (error) {
      refuse(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return (Array.isArray(parsed) && parsed.every(Array.isArray) ? parsed : [parsed]) as Configuration[];
  };
  const numberArgument = (name: string, value: string | undefined, refuse: (message: string) => never): number => {
    const parsed = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(parsed))
      refuse(`${name} must be a number, got '${printable(String(value))}'`);
    return parsed;
  };
  controlVerb(
    'pause',
    'finish the running trials, start none until resumed',
    'memotune study pause my-study',
    (id) => (c) => pauseStudy(c, id, cliWorkerWait),
  );
  controlVerb(
    'resume',
    'start trials again after a pause',
    'memotune study resume my-study',
    (id) => (c) => resumeStudy(c, id, cliWorkerWait),
  );
  controlVerb(
    'extend',
    'add cost units to the budget of a running study',
    'memotune study extend my-study 3600',
    (id, value, refuse) => {
      const amount = numberArgument('<amount>', value, refuse);
      return (c) => extendStudyBudget(c, id, amount, cliWorkerWait);
    },
    '<amount>',
  );
  controlVerb(
    'parallelism',
    'run this many trials at once from now on',
    'memotune study parallelism my-study 4',
    (id, value, refuse) => {
      const parallelism = numberArgument('<n>', value, refuse);
      return (c) => setStudyParallelism(c, id, parallelism, cliWorkerWait);
    },
    '<n>',
  );
  controlVerb(
    'enqueue',
    "evaluate these configurations next: a JSON file with one configuration or a list of them (parameters left out are the optimizer's to give)",
    'memotune study enqueue my-study configs.json --skip-existing',
    (id, value, refuse, flags) => {
      const list = configurationsFile('<file>', value!, refuse);
      return (c) =>
        enqueueConfigurations(c, id, list, {
          ...cliWorkerWait,
          ...(flags.skipExisting === true ? { skipExisting: { store: openStore() } } : {}),
        });
    },
    '<file>',
    [
      [
        '--skip-existing',
        "leave out the configurations the study has already run, runs or has queued (Optuna's skip_if_exists)",
      ],
    ],
  );

  const artifact = withEndpoint(
    study
      .command('artifact <id>')
      .description("fetch a trial's stage output: by default the best trial's last stage")
      .requiredOption('--out <path>', 'where to write it (a directory output is extracted into it)')
      .option('--trial <n>', 'trial index (default: the best trial)')
      .option('--stage <name>', 'stage name (default: the last stage)')
      .option('--json', 'print {path, trial, stage, key, format, bytes}'),
  ).addHelpText(
    'after',
    '\nExamples:\n  memotune study artifact my-study --out best-model.json\n  memotune study artifact my-study --trial 12 --stage train --out ckpt/',
  );
  artifact.action(
    async (id: string, options: EndpointFlags & { out: string; trial?: string; stage?: string; json?: boolean }) => {
      const refuse = (message: string): never => artifact.error(`memotune: ${message}`, { exitCode: 2 });
      const trialIndex = options.trial === undefined ? undefined : Number(options.trial);
      if (trialIndex !== undefined && (!Number.isInteger(trialIndex) || trialIndex < 0))
        refuse(`--trial must be a trial index (an integer >= 0), got '${printable(options.trial!)}'`);
      const { client, close } = await connectClient(options);
      try {
        const outcome = await getStudyOutcome(client, id, cliWorkerWait);
        const store = openStore();
        const records = await readStudyTrials(outcome, store);
        const index = trialIndex ?? outcome.best?.trialIndex;
        if (index === undefined) throw new Error(`study '${id}' has no completed trial yet: pass --trial`);
        const record = records.find((trial) => trial.trialIndex === index);
        if (record === undefined) refuse(`--trial ${index}: study '${id}' has trials 0..${records.length - 1}`);
        const names = outcome.stages ?? record!.keys.map((_, at) => `stage${at}`);
        const stageIndex = options.stage === undefined ? names.length - 1 : names.indexOf(options.stage);
        if (stageIndex < 0) refuse(`--stage ${printable(options.stage!)}: the stages are ${names.join(', ')}`);
        const key = record!.keys[stageIndex]!;
        const cache = new StageCache(store);
        const meta = await cache.readMeta(key);
        if (meta === null)
          throw new Error(
            `trial ${index}'s ${names[stageIndex]} output is not in the cache (never committed, or pruned): ` +
              're-run that configuration to get it back',
          );
        const out = resolve(options.out);
        if (meta.format === 'directory') await cache.extractDirectory(meta, out);
        else await cache.downloadData(meta, out);
        const summary = {
          path: out,
          trial: index,
          stage: names[stageIndex],
          key,
          format: meta.format,
          bytes: meta.bytes,
        };
        console.log(
          options.json
            ? printableLines(JSON.stringify(summary))
            : `${printable(out)} (trial ${index}, stage ${printable(names[stageIndex]!)}, ${meta.format}, ${meta.bytes} bytes)`,
        );
      } finally {
        await close();
      }
    },
  );

  withEndpoint(
    study
      .command('watch <id>')
      .description('follow a study until it ends: budget spent, trials, running, reuse, best, ETA')
      .option('--json', 'one JSON line per change (trials, status), then the final progress'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  memotune study watch my-study\n  memotune study watch my-study --json | jq -c .best',
    )
    .action(async (id: string, options: EndpointFlags & { json?: boolean }) => {
      const { client, close } = await connectClient(options);
      try {
        await watchStudy(client, id, { json: options.json ?? false });
        const progress = await getStudyProgress(client, id);
        console.log(options.json ? printableLines(JSON.stringify(progress)) : formatResult(progress));
        // As `study start --wait`: 1 for a failed study, so a script can stop there.
        process.exitCode = waitedExitCode(progress);
      } finally {
        await close();
      }
    });

  const continueCommand = withEndpoint(
    study
      .command('continue <id>')
      .description(
        'continue a study that has ended (completed, stopped, exhausted) with more budget, trials or configurations; or a failed one once fixed',
      )
      .option(
        '--budget <amount>',
        "extra cost units: the budget becomes the study's old budget plus this (a stopped study keeps what it had not spent)",
      )
      .option(
        '--trials <n>',
        "extra trials: maxTrials becomes the study's old maxTrials plus this (the trials run so far plus this when it had none)",
      )
      .option(
        '--enqueue <file>',
        'evaluate these configurations first (a JSON file with one configuration or a list, as study enqueue)',
      )
      .option('--wait', 'wait for it to end')
      .option(
        '--json',
        'print {"studyId", "runId", "budget", "trials", "enqueued", "totalBudget", "remaining", "maxTrials"} (those that apply)',
      ),
  ).addHelpText(
    'after',
    `
At least one of --budget, --trials and --enqueue, except for a failed study, which resumes as it
was once its cause is fixed (a worker deployed, a stage registered). A study that ran its maxTrials
needs --trials (and --budget too if its budget is spent); enqueued configurations count as trials.

Examples:
  memotune study continue my-study --budget 3600
  memotune study continue my-study --trials 50
  memotune study continue my-study --budget 600 --trials 20
  memotune study continue my-study --budget 600 --enqueue configs.json`,
  );
  continueCommand.action(
    async (
      id: string,
      options: EndpointFlags & { budget?: string; trials?: string; enqueue?: string; wait?: boolean; json?: boolean },
    ) => {
      const refuse = (message: string): never => continueCommand.error(`memotune: ${message}`, { exitCode: 2 });
      const enqueue =
        options.enqueue === undefined ? undefined : configurationsFile('--enqueue', options.enqueue, refuse);
      const budget = options.budget === undefined ? undefined : Number(options.budget);
      if (budget !== undefined && (!Number.isFinite(budget) || budget <= 0))
        refuse(`--budget must be a positive number, got '${printable(options.budget!)}'`);
      const trials = options.trials === undefined ? undefined : Number(options.trials);
      if (trials !== undefined && (!/^\d+$/.test(options.trials!) || !Number.isSafeInteger(trials) || trials <= 0))
        refuse(`--trials must be a positive whole number, got '${printable(options.trials!)}'`);
      const { client, close } = await connectClient(options);
      try {
        // What the new run gets: the extra budget plus what the study had not spent (a stopped one).
        const before = await getStudyOutcome(client, id).catch(() => null);
        const handle = await continueStudy(client, id, {
          ...(budget === undefined ? {} : { budget }),
          ...(trials === undefined ? {} : { trials }),
          ...(enqueue === undefined ? {} : { enqueue }),
        }).catch((error: unknown) => {
          // A configuration the study's space refuses is bad input, named like a flag's.
          if (error instanceof RangeError && error.message.startsWith('enqueue')) refuse(`--${error.message}`);
          if (error instanceof RangeError && error.message.startsWith('budget, trials, enqueue'))
            refuse(
              'give --budget <extra>, --trials <extra>, --enqueue <file>, or a mix (a failed study, or one stopWhen ended, may be continued with none)',
            );
          throw error;
        });
        const plan = await getStudyPlan(client, id).catch(() => null);
        const added = budget ?? 0;
        const total = before === null ? null : before.budget + added;
        const left = before === null ? null : Math.max(0, before.budget + added - before.spent);
        const round = (value: number) => Number(value.toPrecision(6));
        const maxTrials = trials === undefined ? null : (plan?.maxTrials ?? null);
        const more =
          [
            ...(budget === undefined ? [] : [`${budget} more budget`]),
            ...(trials === undefined ? [] : [`${trials} more trials`]),
            ...(enqueue === undefined
              ? []
              : [`${enqueue.length} enqueued configuration${enqueue.length === 1 ? '' : 's'}`]),
          ].join(' and ') || 'what it had left';
        console.log(
          options.json
            ? printableLines(
                JSON.stringify({
                  studyId: id,
                  runId: handle.firstExecutionRunId,
                  ...(budget === undefined ? {} : { budget }),
                  ...(trials === undefined ? {} : { trials }),
                  ...(enqueue === undefined ? {} : { enqueued: enqueue.length }),
                  ...(total === null || left === null ? {} : { totalBudget: round(total), remaining: round(left) }),
                  ...(maxTrials === null ? {} : { maxTrials }),
                }),
              )
            : `continued study ${printable(id)} with ${more}` +
                (total === null || left === null
                  ? ''
                  : `: budget now ${round(total)}, ${round(left)} left (spent ${round(before!.spent)})`) +
                (maxTrials === null ? '' : `${total === null ? ':' : ','} maxTrials now ${maxTrials}`) +
                ` (run ${handle.firstExecutionRunId})`,
        );
        if (options.wait) {
          // Ends as `study start --wait` does: the progress, then the result and its exit code.
          await watchStudy(client, id, { json: options.json ?? false });
          const outcome = await getStudyOutcome(client, id, { wait: true });
          console.log(options.json ? printableLines(JSON.stringify(outcome)) : formatResult(outcome));
          process.exitCode = waitedExitCode(outcome);
        }
      } finally {
        await close();
      }
    },
  );

  withEndpoint(
    study
      .command('list')
      .description('studies on the server, newest first: status, trials, budget spent and best, from search attributes')
      .option('--limit <n>', 'at most this many', limitOf, 20)
      .addOption(
        new Option('--status <status>', 'only studies with this status').choices([
          'running',
          'paused',
          'completed',
          'stopped',
          'exhausted',
          'failed',
        ]),
      )
      .option('--id <text>', 'only studies whose id contains this text')
      .option('--prefix <prefix>', "only studies on this task-queue prefix (a team's, say)")
      .option('--json', 'one JSON object per study'),
  )
    .addHelpText(
      'after',
      "\nExample:\n  memotune study list --limit 5\n  memotune study list --status failed --id nightly\n  temporal workflow list --query \"MemotuneKind='study' AND ExecutionStatus='Running'\"",
    )
    .action(
      async (
        options: EndpointFlags & { limit: number; status?: string; id?: string; prefix?: string; json?: boolean },
      ) => {
        const { client, close } = await connectClient(options);
        try {
          // The latest run of each study id (`study continue` starts a new run of the same id), newest
          // first; the server's listing order is by its own rules, so a few more are read and sorted.
          const latest = new Map<string, WorkflowExecutionInfo>();
          let read = 0;
          // A filter is applied here (a study's status may be its search attribute or the server's),
          // so more are read when one is given.
          const filtered = options.status !== undefined || options.id !== undefined || options.prefix !== undefined;
          const readAtMost = filtered ? Math.max(options.limit * 4 + 20, 2000) : options.limit * 4 + 20;
          let more = false;
          // A study with a payload codec this CLI lacks is listed from what the server knows.
          for await (const execution of tolerantOfUnreadablePayloads(client).workflow.list({
            query: "WorkflowType = 'studyWorkflow' AND ExecutionStatus != 'ContinuedAsNew'",
          })) {
            if (++read > readAtMost) {
              more = true;
              break;
            }
            if (options.id !== undefined && !execution.workflowId.includes(options.id)) continue;
            const known = latest.get(execution.workflowId);
            if (known === undefined || known.startTime < execution.startTime)
              latest.set(execution.workflowId, execution);
          }
          // Newest study first, by when the study started (its runs restart it every so many trials).
          const matching = [...latest.values()]
            .filter(
              (execution) =>
                options.status === undefined ||
                listedStatus(execution.typedSearchAttributes.get(memotuneStatus), execution.status.name) ===
                  options.status,
            )
            // The latest run's prefix: an id a later run took to another prefix is listed there only.
            .filter(
              (execution) => options.prefix === undefined || taskQueuePrefixOf(execution.taskQueue) === options.prefix,
            )
            .sort((a, b) => studyStartedAt(b).getTime() - studyStartedAt(a).getTime());
          const rows: Record<string, string | number | null>[] = matching.slice(0, options.limit).map((execution) => {
            // Studies started without memotune's search attributes show what the server knows.
            const attributes = execution.typedSearchAttributes;
            const spent = attributes.get(memotuneSpent);
            return {
              id: execution.workflowId,
              status: listedStatus(attributes.get(memotuneStatus), execution.status.name),
              trials: attributes.get(memotuneTrials) ?? null,
              // A share of the budget (the search attribute): the list has no absolute budgets.
              spentFraction: spent === undefined ? null : Number(spent.toFixed(4)),
              best: attributes.get(memotuneBest) ?? null,
              method: attributes.get(memotuneMethod) ?? null,
              // Whose study it is: its task-queue prefix (its workers) and pipeline (its cache).
              prefix: taskQueuePrefixOf(execution.taskQueue),
              pipeline: attributes.get(memotunePipeline) ?? null,
              started: studyStartedAt(execution).toISOString(),
              // The latest run's start: a continuation (`study continue`) or a hand-over of a long study.
              runStarted: execution.startTime.toISOString(),
            };
          });
          // Say what the limit left out (a review's cleanup script saw 20 of 31 studies, silently).
          const leftOut = matching.length - rows.length;
          if (leftOut > 0 || more)
            console.error(
              `${leftOut > 0 ? `${leftOut}${more ? ' or more' : ''}` : 'more'} ${filtered ? 'matching ' : ''}studies not shown: raise --limit (now ${options.limit})`,
            );
          if (options.json) {
            for (const row of rows) console.log(printableLines(JSON.stringify(row)));
          } else if (rows.length === 0) {
            console.log(filtered ? 'no matching studies' : 'no studies yet');
          } else {
            // The prefix only when the listing spans several teams' (or a non-default one's) studies.
            const withPrefix = rows.some((row) => row.prefix !== defaultTaskQueuePrefix);
            const cells = rows.map((row) => [
              printable(String(row.id)),
              String(row.status),
              row.trials === null ? '-' : String(row.trials),
              row.spentFraction === null ? '-' : `${Math.round(Number(row.spentFraction) * 100)}%`,
              row.best === null ? '-' : String(Number(Number(row.best).toPrecision(6))),
              row.method === null ? '-' : String(row.method),
              ...(withPrefix ? [printable(String(row.prefix))] : []),
              String(row.started),
            ]);
            const header = [
              'STUDY',
              'STATUS',
              'TRIALS',
              'SPENT',
              'BEST',
              'METHOD',
              ...(withPrefix ? ['PREFIX'] : []),
              'STARTED',
            ];
            const widths = header.map((title, column) =>
              Math.max(title.length, ...cells.map((row) => row[column]!.length)),
            );
            for (const row of [header, ...cells])
              console.log(
                row
                  .map((cell, column) => cell.padEnd(widths[column]!))
                  .join('  ')
                  .trimEnd(),
              );
          }
        } finally {
          await close();
        }
      },
    );
  return study;
}

/** The study's Markdown card (written for the Temporal UI) as terminal text: no markup. */
function plainCard(card: string): string {
  return card
    .replace(/^#+\s*/gm, '')
    .replace(/\*\*/g, '')
    .replace(/`/g, '');
}

/** What a stop or cancel request still waits for when no worker serves the study's queue. */
function waitsForWorker(id: string, sent: ControlDelivery): string {
  if (sent.workerPolling) return '';
  return (
    `\nno worker polls its queue '${printable(sent.orchestrationQueue)}': the request applies when one takes the study ` +
    `(\`memotune worker\` on that queue); \`temporal workflow terminate --workflow-id ${printable(id)}\` ends it now without one`
  );
}

/** `--limit`: a positive integer (commander would pass NaN for `abc` and 0 silently). */
function limitOf(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError(`must be a positive integer, got '${value}'`);
  return parsed;
}
