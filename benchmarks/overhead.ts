/**
 * What memotune's orchestration costs around stages that do nothing: studies of three instant
 * stages (each reports cost 1) on a private local stack, with the workers in this process, read
 * back from their workflow histories (event timestamps). Per study run it reports the medians of
 *
 *   stage activity overhead = runStage scheduled → completed − the stage's reported wallSeconds
 *   trial overhead          = trial workflow started → completed − Σ its stages' wallSeconds
 *
 * trials per minute (study started → completed), and where the time goes: schedule-to-start of
 * stage activities, the cache lookup, the trial's workflow tasks (how many, how long each waited
 * for a worker and ran), and the study's own steps (suggest, recordTrial, starting the child, its
 * time with no trial running). Every configuration runs `--runs` times on fresh
 * studies; the table shows the median over runs of each run's median.
 *
 *   npm run bench:overhead -- [--parallelism 1,4] [--methods random,eeipu] [--runs 3] [--trials 30]
 *                             [--port 38233] [--out benchmarks/out/overhead.json]
 *
 * `random` keeps the suggestion itself out of what is measured; `eeipu` shows it in trials/min.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { RunStageOutput } from '../activities/index.js';
import { getStudyProgress, startStudy } from '../src/client/index.js';
import type { MethodName } from '../src/core/types.js';
import type { StageRegistry } from '../src/stages/types.js';
import { startPrivateStack } from './private-stack.js';

const { values: args } = parseArgs({
  options: {
    parallelism: { type: 'string', default: '1' },
    methods: { type: 'string', default: 'random,eeipu' },
    runs: { type: 'string', default: '3' },
    trials: { type: 'string', default: '30' },
    out: { type: 'string', default: 'benchmarks/out/overhead.json' },
    // Temporal's port; S3 listens on port − 163. Two benchmarks at once need two ports.
    port: { type: 'string', default: '38233' },
  },
});

function positiveIntegers(flag: string, text: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((value) => !Number.isSafeInteger(value) || value < 1)) {
    throw new RangeError(`--${flag} must be positive integers separated by commas (is '${text}')`);
  }
  return values;
}
const parallelisms = positiveIntegers('parallelism', args.parallelism);
const runs = positiveIntegers('runs', args.runs)[0]!;
const trials = positiveIntegers('trials', args.trials)[0]!;
const methods = args.methods.split(',').map((method) => method.trim());
const stageCount = 3;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const eventMs = (event: HistoryEvent): number =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface ActivitySpan {
  readonly type: string;
  readonly scheduled: number;
  readonly started: number;
  readonly closed: number;
  readonly result: unknown;
}

/** Every completed activity of a history, with its scheduled/started/completed times and result. */
function activitySpans(events: readonly HistoryEvent[]): ActivitySpan[] {
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, number>();
  const spans: ActivitySpan[] = [];
  for (const event of events) {
    const scheduledAttributes = event.activityTaskScheduledEventAttributes;
    if (scheduledAttributes) {
      scheduled.set(String(event.eventId), { type: scheduledAttributes.activityType?.name ?? '', at: eventMs(event) });
    }
    const startedAttributes = event.activityTaskStartedEventAttributes;
    if (startedAttributes) started.set(String(startedAttributes.scheduledEventId), eventMs(event));
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const id = String(completed.scheduledEventId);
      const payload = completed.result?.payloads?.[0];
      spans.push({
        type: scheduled.get(id)?.type ?? '',
        scheduled: scheduled.get(id)?.at ?? Number.NaN,
        started: started.get(id) ?? Number.NaN,
        closed: eventMs(event),
        result: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
      });
    }
  }
  return spans;
}

/**
 * Each workflow task of a history: scheduled → started (waiting for a worker) and started → completed
 * (the worker's turn), keyed by its completed event's id.
 */
function workflowTasks(events: readonly HistoryEvent[]): Map<string, { waitMs: number; runMs: number }> {
  const scheduled = new Map<string, number>();
  const started = new Map<string, { scheduled: number; at: number }>();
  const tasks = new Map<string, { waitMs: number; runMs: number }>();
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) scheduled.set(String(event.eventId), eventMs(event));
    const startedTask = event.workflowTaskStartedEventAttributes;
    if (startedTask) {
      started.set(String(event.eventId), {
        scheduled: scheduled.get(String(startedTask.scheduledEventId))!,
        at: eventMs(event),
      });
    }
    const completedTask = event.workflowTaskCompletedEventAttributes;
    if (completedTask) {
      const start = started.get(String(completedTask.startedEventId))!;
      tasks.set(String(event.eventId), { waitMs: start.at - start.scheduled, runMs: eventMs(event) - start.at });
    }
  }
  return tasks;
}

/**
 * The run time of each workflow task that ran a local activity of type `type` (lookupCache and
 * recordTrial are local activities: they run inside a workflow task, which records a marker and
 * no activity events, so the task's run time is the figure that bounds them).
 */
function localActivityTaskMs(events: readonly HistoryEvent[], type: string): number[] {
  const tasks = workflowTasks(events);
  const out: number[] = [];
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') continue;
    const payload = marker.details?.data?.payloads?.[0];
    const data = payload ? (defaultPayloadConverter.fromPayload(payload) as { activity_type?: string }) : undefined;
    if (data?.activity_type !== type) continue;
    const task = tasks.get(String(marker.workflowTaskCompletedEventId));
    if (task !== undefined) out.push(task.runMs);
  }
  return out;
}

/** How long at least one interval was open. */
function unionLength(intervals: readonly { start: number; end: number }[]): number {
  let covered = 0;
  let reach = -Infinity;
  for (const { start, end } of [...intervals].sort((a, b) => a.start - b.start)) {
    if (end <= reach) continue;
    covered += end - Math.max(start, reach);
    reach = end;
  }
  return covered;
}

/** The most intervals that overlap at any instant. */
function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, delta: 1 },
    { at: end, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (now += edge.delta));
  return most;
}

/** One study run's figures, all in milliseconds but `trialsPerMinute` and `maxConcurrentTrials`. */
interface RunFigures {
  readonly stageOverheadMs: number;
  readonly trialOverheadMs: number;
  readonly trialsPerMinute: number;
  readonly maxConcurrentTrials: number;
  /** Where the time goes (medians). */
  readonly stageScheduleToStartMs: number;
  readonly stageStartToCloseMs: number;
  readonly stageWallMs: number;
  /** Run time of the trial's workflow task that ran the lookupCache local activity. */
  readonly lookupCacheMs: number;
  readonly trialWorkflowTasksMs: number;
  /** Workflow tasks per trial, and how long each waited for a worker and ran on it. */
  readonly trialWorkflowTaskCount: number;
  readonly workflowTaskWaitMs: number;
  readonly workflowTaskRunMs: number;
  readonly suggestMs: number;
  /** Run time of the study's workflow tasks that ran the recordTrial local activity. */
  readonly recordTrialMs: number;
  readonly childStartMs: number;
  /** The study's wall time with no trial running, per trial: suggesting, recording, starting children. */
  readonly studyIdleMs: number;
}

const objectiveOf = (values: Readonly<Record<string, unknown>>) =>
  Object.values(values).reduce<number>((sum, value) => sum + (typeof value === 'number' ? value : 0), 0);
const noop: StageRegistry[string] = ({ params }) => ({
  output: null,
  metrics: { objective: objectiveOf(params) },
  cost: 1,
});
const stageNames = Array.from({ length: stageCount }, (_, index) => `noop${index}`);
const stages: StageRegistry = Object.fromEntries(stageNames.map((name) => [name, noop]));

const { client, prefix, close } = await startPrivateStack({
  name: 'overhead',
  temporalPort: Number(args.port),
  stages,
  // Enough stage slots for every running trial: waiting for a slot is not orchestration overhead.
  maxConcurrentStages: Math.max(...parallelisms),
});

async function runStudy(studyId: string, method: string, parallelism: number, trialCount: number): Promise<void> {
  await startStudy(
    client,
    {
      // The pipeline id defaults to the study name: a name per study keeps every run's stages from
      // hitting the cache an earlier run (same seed, same configurations) filled.
      name: studyId,
      pipeline: {
        stages: stageNames.map((name) => ({
          name,
          params: [{ name: 'x', type: 'float', low: 0, high: 1 }],
        })),
      },
      objective: { metric: 'objective' },
      budget: trialCount * stageCount + 1,
      maxTrials: trialCount,
      parallelism,
      optimizer: { method: method as MethodName, warmup: 10 },
      seed: 1,
    },
    { studyId, taskQueuePrefix: prefix },
  );
  for (;;) {
    const progress = await getStudyProgress(client, studyId);
    if (progress.status !== 'running') {
      if (progress.status !== 'completed')
        throw new Error(`${studyId} ended ${progress.status}: ${progress.error ?? ''}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function measure(studyId: string, trialCount: number): Promise<RunFigures> {
  const studyRuns: HistoryEvent[][] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${studyId}'` })) {
    studyRuns.push((await client.workflow.getHandle(studyId, execution.runId).fetchHistory()).events ?? []);
  }
  const studyEvents = studyRuns.flat().sort((a, b) => eventMs(a) - eventMs(b));
  // Per run: event ids restart with every continue-as-new run.
  const studyActivities = studyRuns.flatMap((run) => activitySpans(run));
  const studyStart = eventMs(studyEvents[0]!);
  const studyEnd = eventMs(studyEvents.at(-1)!);

  // Children: initiated → started → closed, by initiated event id.
  const children = new Map<string, { initiated: number; started?: number; closed?: number }>();
  for (const event of studyEvents) {
    if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      children.set(String(event.eventId), { initiated: eventMs(event) });
    }
    const startedChild = event.childWorkflowExecutionStartedEventAttributes;
    if (startedChild) children.get(String(startedChild.initiatedEventId))!.started = eventMs(event);
    const closedChild =
      event.childWorkflowExecutionCompletedEventAttributes ?? event.childWorkflowExecutionFailedEventAttributes;
    if (closedChild) children.get(String(closedChild.initiatedEventId))!.closed = eventMs(event);
  }
  const childSpans = [...children.values()].filter((child) => child.closed !== undefined);

  const stageOverhead: number[] = [];
  const stageQueue: number[] = [];
  const stageRun: number[] = [];
  const stageWall: number[] = [];
  const trialOverhead: number[] = [];
  const lookup: number[] = [];
  const trialTasks: number[] = [];
  const taskCounts: number[] = [];
  const taskWaits: number[] = [];
  const taskRuns: number[] = [];
  for (let index = 0; index < trialCount; index++) {
    const events = (await client.workflow.getHandle(`${studyId}/trial-${index}`).fetchHistory()).events ?? [];
    const trialWall = eventMs(events.at(-1)!) - eventMs(events[0]!);
    const spans = activitySpans(events);
    let stagesWall = 0;
    let activitiesSpan = 0;
    for (const span of spans) {
      activitiesSpan += span.closed - span.scheduled;
      if (span.type !== 'runStage') continue;
      const wallMs = (span.result as RunStageOutput).wallSeconds * 1000;
      stagesWall += wallMs;
      stageWall.push(wallMs);
      stageOverhead.push(span.closed - span.scheduled - wallMs);
      stageQueue.push(span.started - span.scheduled);
      stageRun.push(span.closed - span.started);
    }
    trialOverhead.push(trialWall - stagesWall);
    trialTasks.push(trialWall - activitiesSpan);
    lookup.push(...localActivityTaskMs(events, 'lookupCache'));
    const tasks = [...workflowTasks(events).values()];
    taskCounts.push(tasks.length);
    taskWaits.push(...tasks.map((task) => task.waitMs));
    taskRuns.push(...tasks.map((task) => task.runMs));
  }
  const of = (type: string) =>
    studyActivities.filter((span) => span.type === type).map((span) => span.closed - span.scheduled);
  return {
    stageOverheadMs: median(stageOverhead),
    trialOverheadMs: median(trialOverhead),
    trialsPerMinute: (trialCount / (studyEnd - studyStart)) * 60_000,
    maxConcurrentTrials: maxOverlap(childSpans.map((child) => ({ start: child.initiated, end: child.closed! }))),
    stageScheduleToStartMs: median(stageQueue),
    stageStartToCloseMs: median(stageRun),
    stageWallMs: median(stageWall),
    lookupCacheMs: median(lookup),
    trialWorkflowTasksMs: median(trialTasks),
    trialWorkflowTaskCount: median(taskCounts),
    workflowTaskWaitMs: median(taskWaits),
    workflowTaskRunMs: median(taskRuns),
    suggestMs: median(of('suggestFromLog')),
    recordTrialMs: median(studyRuns.flatMap((run) => localActivityTaskMs(run, 'recordTrial'))),
    childStartMs: median(childSpans.map((child) => (child.started ?? Number.NaN) - child.initiated)),
    studyIdleMs:
      (studyEnd -
        studyStart -
        unionLength(childSpans.map((child) => ({ start: child.initiated, end: child.closed! })))) /
      trialCount,
  };
}

const results: { method: string; parallelism: number; runs: RunFigures[]; median: RunFigures }[] = [];
try {
  // Warm-up (not reported): the suggest thread starts, the workflow bundle is cached, S3 is touched.
  await runStudy(`${prefix}-warmup`, 'random', 1, 3);
  for (const method of methods) {
    for (const parallelism of parallelisms) {
      const figures: RunFigures[] = [];
      for (let run = 0; run < runs; run++) {
        const studyId = `${prefix}-${method}-p${parallelism}-r${run}`;
        await runStudy(studyId, method, parallelism, trials);
        figures.push(await measure(studyId, trials));
        const last = figures.at(-1)!;
        console.log(
          `  ${method} parallelism ${parallelism} run ${run + 1}: stage ${last.stageOverheadMs.toFixed(1)} ms, ` +
            `trial ${last.trialOverheadMs.toFixed(1)} ms, ${last.trialsPerMinute.toFixed(1)} trials/min, ` +
            `up to ${last.maxConcurrentTrials} trials at once`,
        );
      }
      const keys = Object.keys(figures[0]!) as (keyof RunFigures)[];
      const combined = Object.fromEntries(keys.map((key) => [key, median(figures.map((each) => each[key]))]));
      results.push({ method, parallelism, runs: figures, median: combined as unknown as RunFigures });
    }
  }

  const ms = (value: number) => value.toFixed(1);
  const rows = results.map(({ method, parallelism, median: m }) => ({
    method,
    parallelism,
    'stage overhead ms (≤50)': ms(m.stageOverheadMs),
    'trial overhead ms (≤250)': ms(m.trialOverheadMs),
    'trials/min': m.trialsPerMinute.toFixed(1),
    'max concurrent': m.maxConcurrentTrials,
  }));
  const breakdown = results.map(({ method, parallelism, median: m }) => ({
    method,
    parallelism,
    'stage sched→start': ms(m.stageScheduleToStartMs),
    'stage start→close': ms(m.stageStartToCloseMs),
    'stage wallSeconds': ms(m.stageWallMs),
    'lookupCache task': ms(m.lookupCacheMs),
    'trial wf tasks': ms(m.trialWorkflowTasksMs),
    'wf tasks/trial': m.trialWorkflowTaskCount,
    'wf task wait': ms(m.workflowTaskWaitMs),
    'wf task run': ms(m.workflowTaskRunMs),
    suggest: ms(m.suggestMs),
    'recordTrial task': ms(m.recordTrialMs),
    'child start': ms(m.childStartMs),
    'study idle/trial': ms(m.studyIdleMs),
  }));
  console.log(`\noverhead: ${stageCount} no-op stages, ${trials} trials per study, median of ${runs} runs`);
  console.table(rows);
  console.log('where the time goes (ms, medians):');
  console.table(breakdown);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify({ stages: stageCount, trials, runs, results }, null, 2)}\n`);
} finally {
  await close();
}
