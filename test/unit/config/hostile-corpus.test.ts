import { describe, expect, it } from 'vitest';
import { planStudy } from '../../../src/config/plan.js';
import { parseStudyConfig, searchSpaceOf, StudyConfigError } from '../../../src/config/study-config.js';
import type { StudyPlan } from '../../../src/core/study.js';
import type { Observation } from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import {
  configurationBytesBound,
  fillConfiguration,
  jsonBytes,
  validateConfiguration,
} from '../../../src/space/index.js';
import { maxConfigurationBytes, maxPlanBytes } from '../../../src/space/limits.js';
import { parseSyntheticSpec } from '../../../src/synthetic/index.js';
import { configOf, loadCorpus, type HostileCase } from '../../fixtures/hostile/corpus.js';

const corpus = loadCorpus('study-configs.json');
const refused = corpus.cases.filter((hostile) => hostile.accepted !== true);
const accepted = corpus.cases.filter((hostile) => hostile.accepted === true);

function plan(hostile: HostileCase): StudyPlan {
  return planStudy(parseStudyConfig(configOf(corpus, hostile)), hostile.options ?? {});
}

function refusal(run: () => unknown): StudyConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof StudyConfigError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('the hostile study-config corpus', () => {
  it('holds at least 60 refused cases, accepted ones at the limits, and distinct case names', () => {
    expect(refused.length).toBeGreaterThanOrEqual(60);
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(new Set(corpus.cases.map((hostile) => hostile.case)).size).toBe(corpus.cases.length);
    for (const hostile of refused) expect(hostile.field, hostile.case).toBeTypeOf('string');
  });

  it.each(refused.map((hostile) => [hostile.case, hostile] as const))('refuses %s, naming the field', (_, hostile) => {
    const error = refusal(() => plan(hostile));
    expect(error.message).toContain(hostile.field!);
    expect(error.issues.map((issue) => issue.path).join('\n')).toContain(hostile.field!);
    if (hostile.says !== undefined) expect(error.message).toContain(hostile.says);
    // One line per issue, not one per element of a hundred-thousand-element list.
    expect(error.issues.length).toBeLessThanOrEqual(20);
  });

  it.each(accepted.map((hostile) => [hostile.case, hostile] as const))(
    'accepts %s: a small plan and configurations, and the optimizer suggests',
    (_, hostile) => {
      const studyPlan = plan(hostile);
      expect(jsonBytes(studyPlan)).toBeLessThanOrEqual(maxPlanBytes);
      expect(jsonBytes(studyPlan)).toBeLessThan(128 * 1024);
      const space = studyPlan.stages.map((stage) => ({ name: stage.name, params: stage.params }));
      expect(configurationBytesBound(space)).toBeLessThanOrEqual(maxConfigurationBytes);
      for (const enqueued of studyPlan.enqueue) validateConfiguration(space, enqueued, { partial: true });

      // The first suggestion (warm-up design), then one from the configured method itself.
      const request = (history: Observation[], warmup: number) => ({
        space,
        history,
        budget: { total: studyPlan.budget, spent: history.length },
        direction: studyPlan.objective.direction,
        settings: { ...studyPlan.optimizer, epsilon: studyPlan.epsilon, warmup },
        seed: studyPlan.seed,
      });
      const history: Observation[] = [];
      const warmup = 2;
      for (let trial = 0; trial <= warmup; trial++) {
        const started = performance.now();
        const suggestion = suggest(request(history, warmup));
        expect(performance.now() - started).toBeLessThan(20_000);
        expect(suggestion.phase).toBe(trial < warmup ? 'warmup' : 'bo');
        validateConfiguration(space, suggestion.config);
        expect(jsonBytes(suggestion.config)).toBeLessThan(32_000);
        // An enqueued configuration that leaves parameters out is filled from its trial's suggestion.
        for (const enqueued of studyPlan.enqueue)
          validateConfiguration(space, fillConfiguration(space, enqueued, suggestion.config));
        history.push({
          config: suggestion.config,
          objective: Math.sin(trial + 1),
          stageCosts: space.map((_, stage) => 1 + ((trial + stage) % 3)),
          cachedPrefix: 0,
          chargedCost: space.length,
          phase: suggestion.phase,
        });
      }
    },
    60_000,
  );

  it('refuses a name the optimizer would take but a study id cannot be, pointing at --id', () => {
    const config = parseStudyConfig({ ...(corpus.base as object), name: 'team/study' });
    expect(refusal(() => planStudy(config)).message).toContain('pass an id (--id <id>');
    expect(planStudy(config, { studyId: 'team-study' }).studyId).toBe('team-study');
  });

  it.each(['.', '..'])('refuses the study id %j, whose Temporal UI link leads elsewhere', (studyId) => {
    const error = refusal(() => planStudy(parseStudyConfig(corpus.base), { studyId }));
    expect(error.issues).toEqual([
      { path: 'studyId', message: `must not be '${studyId}' (the Temporal UI's link to it would lead elsewhere)` },
    ]);
  });

  it.each(['teama,teamb', 'Team A', '-lead'])(
    'refuses the task-queue prefix %j, which names no queue a worker means',
    (prefix) => {
      const error = refusal(() => planStudy(parseStudyConfig(corpus.base), { studyId: 's', taskQueuePrefix: prefix }));
      expect(error.issues).toEqual([
        {
          path: 'taskQueuePrefix',
          message: `must be letters, digits, '.', '_' or '-', starting with a letter or digit (it names task queues), got '${prefix}'`,
        },
      ]);
      expect(() =>
        planStudy(parseStudyConfig(corpus.base), { studyId: 's', taskQueuePrefix: 'team-a_2.v' }),
      ).not.toThrow();
    },
  );

  it('reports the study id and the prefix together', () => {
    const config = parseStudyConfig(corpus.base);
    const error = refusal(() => planStudy(config, { studyId: '', taskQueuePrefix: 'a/b' }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['studyId', 'taskQueuePrefix']);
  });

  it('keeps the space, its configurations and the plan of the largest accepted configs small', () => {
    for (const hostile of accepted) {
      const config = parseStudyConfig(configOf(corpus, hostile));
      expect(configurationBytesBound(searchSpaceOf(config))).toBeLessThan(32_000);
    }
  });
});

describe('the hostile synthetic-spec corpus', () => {
  const specs = loadCorpus('synthetic-specs.json');
  const bad = specs.cases.filter((hostile) => hostile.accepted !== true);

  it('holds at least 10 refused cases', () => {
    expect(bad.length).toBeGreaterThanOrEqual(10);
  });

  it.each(specs.cases.map((hostile) => [hostile.case, hostile] as const))('%s', (_, hostile) => {
    const run = () => parseSyntheticSpec(configOf(specs, hostile));
    if (hostile.accepted === true) {
      expect(run).not.toThrow();
      return;
    }
    let message = '';
    try {
      run();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid synthetic pipeline spec:/);
    expect(message).toContain(`  ${hostile.field!}`);
  });
});
