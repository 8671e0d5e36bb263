import { initialDesignSize } from '../../../src/optimizer/settings.js';
import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig } from '../../../src/config/study-config.js';
import { initialStudyState, type StudyPlan, type StudyState } from '../../../src/core/study.js';
import {
  afterTrial,
  deadlineOf,
  logPositionFor,
  nextStep,
  reservationFor,
  reservedBudget,
  sharedInFlightPrefix,
  settledAtStart,
  slotFreeWaitingFor,
  mayShareRunningPrefixes,
  sharedStages,
  trialsToLaunch,
  type LoopView,
  type RunningTrial,
} from '../../../src/core/study-loop.js';
import type { Configuration } from '../../../src/core/types.js';

function planWith(extra: Record<string, unknown>): StudyPlan {
  return planStudy(
    parseStudyConfig({
      name: 's',
      pipeline: {
        stages: ['a', 'b', 'c'].map((name) => ({ name, params: [{ name: 'x', type: 'int', low: 0, high: 9 }] })),
      },
      objective: { metric: 'm' },
      budget: 10,
      ...extra,
    }),
    { trialsPerRun: 5 },
  );
}

const config = (...xs: number[]): Configuration => xs.map((x) => ({ x }));
const runningTrial = (trialIndex: number, reservedCost = 1, settledStages = 0, c = config(trialIndex, 0, 0)) =>
  ({
    trialIndex,
    config: c,
    cachedPrefix: 0,
    phase: 'bo',
    reservedCost,
    settledStages,
    waiting: false,
  }) satisfies RunningTrial;

function view(plan: StudyPlan, overrides: Partial<LoopView> = {}): LoopView {
  return {
    plan,
    state: initialStudyState('studies/r/'),
    running: [],
    startedThisRun: 0,
    handOffSuggested: false,
    halt: null,
    ...overrides,
  };
}

const completed = (trialIndex: number, chargedCost: number) => ({
  trialIndex,
  config: config(trialIndex, 0, 0),
  objective: trialIndex,
  status: 'completed' as const,
  chargedCost,
  cachedPrefix: 0,
  error: null,
});

describe('the study loop', () => {
  it('runs one trial at a time by default, as the sequential loop did', () => {
    const plan = planWith({});
    expect(nextStep(view(plan))).toEqual({ kind: 'start', trialIndex: 0, enqueued: null, fromQueue: false });
    expect(nextStep(view(plan, { running: [runningTrial(0)] }))).toEqual({ kind: 'wait' });
  });

  it('starts up to `parallelism` trials, numbering them in start order after the recorded ones', () => {
    const plan = planWith({ parallelism: 3 });
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 4, spent: 4 };
    expect(nextStep(view(plan, { state, running: [runningTrial(4), runningTrial(5)] }))).toMatchObject({
      kind: 'start',
      trialIndex: 6,
    });
    expect(nextStep(view(plan, { state, running: [4, 5, 6].map((i) => runningTrial(i)) }))).toEqual({ kind: 'wait' });
  });

  it('starts no trial the budget has already committed to running ones, and ends once they finish', () => {
    const plan = planWith({ parallelism: 4 });
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 2, spent: 7 };
    expect(nextStep(view(plan, { state, running: [runningTrial(2, 2)] }))).toMatchObject({ kind: 'start' });
    expect(nextStep(view(plan, { state, running: [runningTrial(2, 2), runningTrial(3, 1)] }))).toEqual({
      kind: 'wait',
    });
    const spent = { ...state, spent: 10.5 };
    expect(nextStep(view(plan, { state: spent, running: [runningTrial(4)] }))).toEqual({ kind: 'wait' });
    expect(nextStep(view(plan, { state: spent }))).toEqual({ kind: 'finish', status: 'completed', error: null });
  });

  it('counts running trials against maxTrials', () => {
    const plan = planWith({ parallelism: 4, maxTrials: 3 });
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 1, spent: 1 };
    expect(nextStep(view(plan, { state, running: [runningTrial(1)] }))).toMatchObject({ kind: 'start', trialIndex: 2 });
    expect(nextStep(view(plan, { state, running: [runningTrial(1), runningTrial(2)] }))).toEqual({ kind: 'wait' });
  });

  it('hands off to a new run only with nothing running (children cannot move runs)', () => {
    const plan = planWith({ parallelism: 2 });
    expect(nextStep(view(plan, { startedThisRun: 5, running: [runningTrial(4)] }))).toEqual({ kind: 'wait' });
    expect(nextStep(view(plan, { startedThisRun: 5 }))).toEqual({ kind: 'continueAsNew' });
    expect(nextStep(view(plan, { handOffSuggested: true }))).toEqual({ kind: 'continueAsNew' });
  });

  it('drains running trials before ending a halted or stopped study', () => {
    const plan = planWith({ parallelism: 2 });
    const halt = { status: 'failed' as const, error: 'boom' };
    expect(nextStep(view(plan, { halt, running: [runningTrial(0)] }))).toEqual({ kind: 'wait' });
    expect(nextStep(view(plan, { halt }))).toEqual({ kind: 'finish', status: 'failed', error: 'boom' });
    const stopped = { ...initialStudyState('studies/r/'), stopRequested: true };
    expect(nextStep(view(plan, { state: stopped, running: [runningTrial(0)] }))).toEqual({ kind: 'wait' });
    expect(nextStep(view(plan, { state: stopped }))).toEqual({ kind: 'finish', status: 'stopped', error: null });
  });

  it('hands enqueued configurations to the trial of their index', () => {
    const plan = planWith({ parallelism: 2, enqueue: [[{ x: 1 }, { x: 2 }, { x: 3 }]] });
    expect(nextStep(view(plan))).toEqual({ kind: 'start', trialIndex: 0, enqueued: config(1, 2, 3), fromQueue: false });
    expect(nextStep(view(plan, { running: [runningTrial(0)] }))).toMatchObject({ trialIndex: 1, enqueued: null });
  });

  it('takes configurations enqueued while running after the planned ones, in order', () => {
    const plan = planWith({ parallelism: 2, enqueue: [[{ x: 1 }, { x: 2 }, { x: 3 }]] });
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 1, queued: [config(4, 4, 4)] };
    expect(nextStep(view(plan, { state }))).toEqual({
      kind: 'start',
      trialIndex: 1,
      enqueued: config(4, 4, 4),
      fromQueue: true,
    });
  });

  it('pauses: running trials finish, none start; extended budget and changed parallelism apply at once', () => {
    const plan = planWith({ parallelism: 2 });
    const paused: StudyState = { ...initialStudyState('studies/r/'), paused: true };
    expect(nextStep(view(plan, { state: paused, running: [runningTrial(0)] }))).toEqual({ kind: 'wait' });
    expect(nextStep(view(plan, { state: paused }))).toEqual({ kind: 'paused' });
    const spent: StudyState = { ...initialStudyState('studies/r/'), trialCount: 5, spent: 10 };
    expect(nextStep(view(plan, { state: spent }))).toMatchObject({ kind: 'finish' });
    expect(nextStep(view(plan, { state: { ...spent, budget: 15 } }))).toMatchObject({ kind: 'start' });
    const one = { ...initialStudyState('studies/r/'), parallelism: 1 };
    expect(nextStep(view(plan, { state: one, running: [runningTrial(0)] }))).toEqual({ kind: 'wait' });
  });

  it('ablation: asks the optimizer beyond the initial design only once every trial of the design has finished', () => {
    const plan = planWith({ parallelism: 4 });
    const design = { initialDesign: 3 };
    const state = (trialCount: number): StudyState => ({ ...initialStudyState('studies/r/'), trialCount });
    // Warm-up trials start side by side.
    expect(nextStep(view(plan, { ...design, running: [runningTrial(0)] }))).toMatchObject({
      kind: 'start',
      trialIndex: 1,
    });
    // The first trial after them waits while one of them runs, with slots free...
    const warmupRunning = { ...design, state: state(2), running: [runningTrial(1)] };
    expect(nextStep(view(plan, warmupRunning))).toEqual({ kind: 'wait' });
    // ...and starts once all have finished; later trials run beside each other again.
    expect(nextStep(view(plan, { ...design, state: state(3) }))).toMatchObject({ kind: 'start', trialIndex: 3 });
    expect(nextStep(view(plan, { ...design, state: state(3), running: [runningTrial(3)] }))).toMatchObject({
      kind: 'start',
      trialIndex: 4,
    });
    // Without the barrier (the study workflow's rule), the first BO trial starts beside warm-up ones.
    expect(nextStep(view(plan, { state: state(2), running: [runningTrial(1)] }))).toMatchObject({ kind: 'start' });
  });

  it("counts the plan's enqueued configurations beyond the warm-up in the initial design, not runtime ones", () => {
    const enqueue = [1, 2, 3, 4].map((x) => [{ x }, { x }, { x }]);
    const plan = planWith({ parallelism: 4, enqueue });
    const state = (trialCount: number, queued?: Configuration[]): StudyState => ({
      ...initialStudyState('studies/r/'),
      trialCount,
      ...(queued === undefined ? {} : { queued }),
    });
    // Enqueued configurations start whatever runs; the optimizer waits for all four.
    expect(nextStep(view(plan, { initialDesign: 2, state: state(2), running: [runningTrial(2)] }))).toMatchObject({
      kind: 'start',
      trialIndex: 3,
    });
    expect(nextStep(view(plan, { initialDesign: 2, state: state(3), running: [runningTrial(3)] }))).toEqual({
      kind: 'wait',
    });
    // A configuration enqueued while the study runs starts at once.
    expect(
      nextStep(view(plan, { initialDesign: 2, state: state(3, [config(7, 7, 7)]), running: [runningTrial(3)] })),
    ).toMatchObject({ kind: 'start', trialIndex: 4, fromQueue: true });
  });

  it("the workflow's bound: parallelism − 1 waiting trials hold no slot, so at most 2·parallelism − 1 are in flight", () => {
    expect([1, 2, 4].map(slotFreeWaitingFor)).toEqual([0, 1, 3]);
    const plan = planWith({ parallelism: 2 });
    const bound = slotFreeWaitingFor(2);
    let running: RunningTrial[] = [runningTrial(0)];
    // Every new trial waits for trial 0 (a shared first stage): the loop stops at three in flight.
    for (;;) {
      const step = nextStep(view(plan, { running, slotFreeWaiting: bound }));
      if (step.kind !== 'start') break;
      running = [...running, { ...runningTrial(step.trialIndex), waiting: true }];
    }
    expect(running).toHaveLength(3);
  });

  it('ablation: counts trials waiting for a shared prefix against the slots beyond slotFreeWaiting', () => {
    const plan = planWith({ parallelism: 2 });
    const waiting = { ...runningTrial(1), waiting: true };
    expect(nextStep(view(plan, { running: [runningTrial(0), waiting] }))).toMatchObject({
      kind: 'start',
      trialIndex: 2,
    });
    expect(nextStep(view(plan, { running: [runningTrial(0), waiting], slotFreeWaiting: 0 }))).toEqual({
      kind: 'wait',
    });
    expect(nextStep(view(plan, { running: [runningTrial(0), waiting], slotFreeWaiting: 1 }))).toMatchObject({
      kind: 'start',
    });
    const twoWaiting = [runningTrial(0), waiting, { ...runningTrial(2), waiting: true }];
    expect(nextStep(view(plan, { running: twoWaiting, slotFreeWaiting: 1 }))).toEqual({ kind: 'wait' });
  });

  it('takes the initial design from the optimizer settings: the warm-up, none for random search', () => {
    expect(initialDesignSize({})).toBe(10);
    expect(initialDesignSize({ method: 'ms-carbo', warmup: 4 })).toBe(4);
    expect(initialDesignSize({ method: 'random', warmup: 4 })).toBe(0);
  });

  it('reserves for a running trial without a prediction the mean charge as it stands, not as it stood at its start', () => {
    // Budget 10, parallelism 8: six warm-up trials started before any result, reserving 0 then.
    const plan = planWith({ parallelism: 8 });
    const unpredicted = [0, 1, 2, 3, 4, 5].map((i) => ({
      ...runningTrial(i, 0),
      phase: 'warmup' as const,
      predicted: false,
    }));
    // Two trials have finished at 1.5 each: 3 spent, and six more of about that size are running.
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 2, spent: 3 };
    expect(reservedBudget(unpredicted, state)).toBe(9);
    expect(nextStep(view(plan, { state, running: unpredicted }))).toEqual({ kind: 'wait' });
    // Histories recorded before the rule replay with the reservations fixed at start.
    expect(reservedBudget(unpredicted)).toBe(0);
    expect(nextStep(view(plan, { state, running: unpredicted, currentMeanReservation: false }))).toMatchObject({
      kind: 'start',
    });
    // A trial's own prediction stays what it reserves, above or below the mean.
    const predicted = [{ ...runningTrial(6, 0.5), predicted: true }];
    expect(reservedBudget(predicted, state)).toBe(0.5);
  });

  it('reserves the predicted cost, else the mean charge so far', () => {
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 4, spent: 6 };
    expect(reservationFor(2.5, state)).toBe(2.5);
    expect(reservationFor(null, state)).toBe(1.5);
    expect(reservationFor(null, initialStudyState('studies/r/'))).toBe(0);
  });

  it('ends the study early once a trial reaches stopWhen.bestReaches, when it sets the best', () => {
    const plan = planWith({ stopWhen: { bestReaches: 2 } });
    const trial = (trialIndex: number, objective: number | null) => ({ ...completed(trialIndex, 1), objective });
    let { state, halt } = afterTrial(plan, initialStudyState('s/'), trial(0, 1));
    expect(halt).toBeNull();
    ({ state, halt } = afterTrial(plan, state, trial(1, 2)));
    expect(halt).toEqual({ status: 'completed', error: null, earlyStop: 'bestReached' });
    // A study continued after it (a trial not setting a new best) goes on; minimizing, ≤ the target.
    expect(afterTrial(plan, state, trial(2, 1.5)).halt).toBeNull();
    const minimizing = planWith({ stopWhen: { bestReaches: 0.5 }, objective: { metric: 'm', direction: 'minimize' } });
    expect(afterTrial(minimizing, initialStudyState('s/'), trial(0, 0.7)).halt).toBeNull();
    expect(afterTrial(minimizing, initialStudyState('s/'), trial(0, 0.5)).halt?.earlyStop).toBe('bestReached');
  });

  it('ends the study early after stopWhen.trialsWithoutImprovement trials in a row without a new best', () => {
    const plan = planWith({ stopWhen: { trialsWithoutImprovement: 3 } });
    const trial = (trialIndex: number, objective: number | null, status: 'completed' | 'failed' = 'completed') => ({
      ...completed(trialIndex, 1),
      objective,
      status,
    });
    let state = initialStudyState('s/');
    const halts: (string | undefined)[] = [];
    // 1 (best), 0, 0.5, 3 (best), failed, 2, 1 → the third in a row after trial 3 halts.
    for (const [index, record] of [
      trial(0, 1),
      trial(1, 0),
      trial(2, 0.5),
      trial(3, 3),
      trial(4, null, 'failed'),
      trial(5, 2),
      trial(6, 1),
    ].entries()) {
      const after = afterTrial(plan, state, record);
      state = after.state;
      halts.push(after.halt?.earlyStop);
      expect(state.trialsWithoutImprovement).toBe([0, 1, 2, 0, 1, 2, 3][index]);
    }
    expect(halts).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, 'noImprovement']);
    // Without stopWhen the state carries no count (a study's state is as before).
    expect(
      afterTrial(planWith({}), initialStudyState('s/'), trial(0, 1)).state.trialsWithoutImprovement,
    ).toBeUndefined();
  });

  it('puts the stopWhen.afterSeconds deadline at its clock start plus the limit (no clock, no deadline)', () => {
    const plan = planWith({ stopWhen: { afterSeconds: 10 } });
    expect(deadlineOf(plan, { clockStartedAt: 1_000_000 })).toBe(1_010_000);
    expect(deadlineOf(plan, {})).toBeNull();
    expect(deadlineOf(planWith({ stopWhen: { trialsWithoutImprovement: 3 } }), { clockStartedAt: 1 })).toBeNull();
  });

  it("does not count a trial that took its prefix owner's end toward the failure streak (it did in older histories)", () => {
    const plan = planWith({ maxConsecutiveFailures: 2 });
    const failed = (trialIndex: number, repeatOf?: number) => ({
      ...completed(trialIndex, 1),
      objective: null,
      status: 'failed' as const,
      error: 'it broke',
      ...(repeatOf === undefined ? {} : { repeatOf }),
    });
    let { state, halt } = afterTrial(plan, initialStudyState('s/'), failed(0));
    // Three trials inherit trial 0's end: the streak stays at 1, the trials count as failed.
    for (const index of [1, 2, 3]) ({ state, halt } = afterTrial(plan, state, failed(index, 0)));
    expect(halt).toBeNull();
    expect(state).toMatchObject({ trailingFailures: 1, failedTrials: 4 });
    // A second stage run that fails ends it.
    expect(afterTrial(plan, state, failed(4)).halt?.status).toBe('failed');
    // Replaying a history recorded before: inherited ends counted.
    expect(afterTrial(plan, state, failed(5, 0), { inheritedEndsCount: true }).halt?.status).toBe('failed');
  });

  it('halts after an unknown stage or the configured streak of failures', () => {
    const plan = planWith({ maxConsecutiveFailures: 2 });
    const failed = (trialIndex: number, failureType?: string) => ({
      ...completed(trialIndex, 1),
      objective: null,
      status: 'failed' as const,
      error: 'it broke',
      ...(failureType === undefined ? {} : { failureType }),
    });
    let { state, halt } = afterTrial(plan, initialStudyState('studies/r/'), failed(0));
    expect(halt).toBeNull();
    ({ state, halt } = afterTrial(plan, state, failed(1)));
    expect(halt).toEqual({ status: 'failed', error: expect.stringContaining('2 trials in a row failed') });
    expect(state.trialCount).toBe(2);
    expect(afterTrial(plan, initialStudyState('s/'), failed(0, 'UnknownStage')).halt?.error).toBe(
      'trial 0: it broke — register it on a worker of that queue',
    );
    // A worker the object store refuses (wrong credentials): halt at once, its message says what to fix.
    const refused = {
      ...failed(0, 'StoreRefused'),
      error: "stage 'train': the object store refused this stage worker's request",
    };
    expect(afterTrial(plan, initialStudyState('s/'), refused).halt).toEqual({
      status: 'failed',
      error: "trial 0: stage 'train': the object store refused this stage worker's request",
    });
    // A stage whose declared parameters do not fit the study's fails every trial alike: halt at once.
    const mismatch = {
      ...failed(0, 'StageParamsMismatch'),
      error: "stage 'train' failed: TrainParams field 'depth' is declared int, but the study gave 0.5 (float)",
    };
    expect(afterTrial(plan, initialStudyState('s/'), mismatch).halt).toEqual({
      status: 'failed',
      error: expect.stringMatching(/^trial 0: stage 'train' failed: TrainParams field 'depth' .* make the stage's/),
    });
    // The objective metric never reported while no trial has reported it: its name is wrong.
    const unreported = {
      ...failed(0, 'ObjectiveNotReported'),
      error: "the last stage did not report the objective metric 'valLoss' (it reported val_loss)",
    };
    expect(afterTrial(plan, initialStudyState('s/'), unreported).halt).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        /^trial 0: the last stage did not report .* make the stage's metric name and the config's objective\.metric agree$/,
      ),
      // A trial running meanwhile may still report it (workflows/study.ts drops the halt then).
      untilATrialCompletes: true,
    });
    // Once a trial has reported it, a trial that does not is one failed trial.
    const reported = afterTrial(plan, initialStudyState('s/'), completed(0, 1)).state;
    expect(afterTrial(plan, reported, { ...unreported, trialIndex: 1 }).halt).toBeNull();
    // maxConsecutiveFailures: null asks never to give up on failing trials.
    expect(afterTrial({ ...plan, maxConsecutiveFailures: null }, initialStudyState('s/'), unreported).halt).toBeNull();
    // A stage's unusable result while no trial has completed: the stage's code, every trial alike.
    const invalid = {
      ...failed(0, 'InvalidStageResult'),
      error: "stage 'last' returned an output memotune cannot store: TypeError: ndarray is not JSON-serializable",
    };
    expect(afterTrial(plan, initialStudyState('s/'), invalid).halt).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        /^trial 0: stage 'last' returned .* no trial has completed yet: fix what the stage returns/,
      ),
      untilATrialCompletes: true,
    });
    // After a completed trial it depends on the configuration: one failed trial.
    expect(afterTrial(plan, reported, { ...invalid, trialIndex: 1 }).halt).toBeNull();
    // Histories recorded before the rule went on (workflows/study.ts passes the patch's answer).
    expect(afterTrial(plan, initialStudyState('s/'), invalid, { invalidResultEnds: false }).halt).toBeNull();
    // A memotune worker's message already says what to do: not said twice.
    const workerMessage =
      "no stage implementation named 'train' is registered on the worker that took it from task queue 'gpu' " +
      "(it serves 'prep'); every worker of a queue must register the same stages";
    const fromWorker = { ...failed(3, 'UnknownStage'), error: workerMessage };
    expect(afterTrial(plan, initialStudyState('s/'), fromWorker).halt).toEqual({
      status: 'failed',
      error: `trial 3: ${workerMessage}`,
    });
  });

  it('writes the log position only when a trial finishes out of start order', () => {
    const state: StudyState = { ...initialStudyState('studies/r/'), trialCount: 3 };
    expect(logPositionFor(state, 3)).toEqual({});
    expect(logPositionFor(state, 4)).toEqual({ logPosition: 3 });
  });
});

describe('single-flight prefixes', () => {
  it('lets trials waiting for a shared prefix wait beside the computing ones, sharing only while trials < workers', () => {
    const plan = planWith({ parallelism: 2 });
    const computing = [runningTrial(0), runningTrial(1)];
    const waitingTrial = (index: number) => ({ ...runningTrial(index), waiting: true });
    expect(nextStep(view(plan, { running: computing }))).toEqual({ kind: 'wait' });
    const oneWaiting = [runningTrial(0), waitingTrial(1)];
    expect(nextStep(view(plan, { running: oneWaiting }))).toMatchObject({ kind: 'start', trialIndex: 2 });
    // The worker left free must be used at once: the next trial may not wait for a prefix.
    expect(mayShareRunningPrefixes(oneWaiting, 2)).toBe(false);
    expect(mayShareRunningPrefixes([runningTrial(0)], 2)).toBe(true);
    expect(mayShareRunningPrefixes([], 1)).toBe(true);
    // Ablations: at most one waiting trial at a time; any number of running ones, up to p − 2 waiting.
    expect(mayShareRunningPrefixes([waitingTrial(0)], 4)).toBe(true);
    expect(mayShareRunningPrefixes([waitingTrial(0)], 4, 'oneWaiting')).toBe(false);
    expect(mayShareRunningPrefixes([runningTrial(0)], 4, 'oneWaiting')).toBe(true);
    const fourComputingOneWaiting: RunningTrial[] = [0, 1, 2, 3].map((i) => runningTrial(i));
    fourComputingOneWaiting.push(waitingTrial(4));
    expect(mayShareRunningPrefixes(fourComputingOneWaiting, 4, 'waitingBelowWorkers')).toBe(true);
    expect(
      mayShareRunningPrefixes([...fourComputingOneWaiting, waitingTrial(5), waitingTrial(6)], 4, 'waitingBelowWorkers'),
    ).toBe(false);
  });

  it('starts waiting trials whose prefix has settled, in start order, on free slots only', () => {
    const owner = runningTrial(0, 1, 1, config(1, 2, 3));
    const a = { ...runningTrial(1, 1, 0, config(1, 2, 4)), waiting: true };
    const b = { ...runningTrial(2, 1, 0, config(1, 5, 4)), waiting: true };
    const prefixes = new Map([
      [1, { owner: 0, stages: 2 }],
      [2, { owner: 0, stages: 1 }],
    ]);
    const prefixOf = (index: number) => prefixes.get(index)!;
    expect(trialsToLaunch([owner, a, b], 2, prefixOf)).toEqual([2]);
    expect(trialsToLaunch([{ ...owner, settledStages: 2 }, a, b], 3, prefixOf)).toEqual([1, 2]);
    expect(trialsToLaunch([{ ...owner, settledStages: 2 }, a, b], 2, prefixOf)).toEqual([1]);
    // An owner that ended (recorded, failed) releases its waiters: they compute the prefix themselves.
    expect(trialsToLaunch([a, b], 1, prefixOf)).toEqual([1]);
  });

  it('counts the leading stages two configurations share, never the last', () => {
    expect(sharedStages(config(1, 2, 3), config(1, 2, 4))).toBe(2);
    expect(sharedStages(config(1, 2, 3), config(1, 2, 3))).toBe(2);
    expect(sharedStages(config(1, 2, 3), config(2, 2, 3))).toBe(0);
  });

  it('waits for the running trial computing the longest shared prefix, not for a settled one', () => {
    const a = runningTrial(0, 1, 0, config(1, 2, 3));
    const b = runningTrial(1, 1, 0, config(1, 5, 3));
    expect(sharedInFlightPrefix(config(1, 2, 9), [b, a])).toEqual({ owner: 0, stages: 2 });
    expect(sharedInFlightPrefix(config(1, 2, 9), [{ ...a, settledStages: 2 }])).toBeNull();
    expect(sharedInFlightPrefix(config(1, 2, 9), [{ ...a, settledStages: 1 }])).toEqual({ owner: 0, stages: 2 });
    expect(sharedInFlightPrefix(config(7, 2, 9), [a, b])).toBeNull();
  });

  it('starts a trial with the stages it reuses settled, so a trial sharing only those never waits for it', () => {
    // Trial 0 reuses stage 0 from the cache and computes stage 1; trial 1 shares only stage 0.
    const reusing = { ...runningTrial(0, 1, settledAtStart(1, null, []), config(1, 2, 3)), cachedPrefix: 1 };
    expect(reusing.settledStages).toBe(1);
    expect(sharedInFlightPrefix(config(1, 5, 9), [reusing])).toBeNull();
    // Sharing stage 1 too, it waits for trial 0 to compute it.
    expect(sharedInFlightPrefix(config(1, 2, 9), [reusing])).toEqual({ owner: 0, stages: 2 });
  });

  it('starts a waiting trial with what its owner has settled of the shared stages', () => {
    const owner = runningTrial(0, 1, 1, config(1, 2, 3));
    expect(settledAtStart(2, { owner: 0, stages: 2 }, [owner])).toBe(1);
    expect(settledAtStart(2, { owner: 0, stages: 2 }, [{ ...owner, settledStages: 2 }])).toBe(2);
    // An owner no longer running has settled (or given up) the prefix: its stages count as there.
    expect(settledAtStart(2, { owner: 0, stages: 2 }, [])).toBe(2);
  });
});
