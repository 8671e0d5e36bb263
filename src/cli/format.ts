import { SingleBar, Presets } from 'cli-progress';
import type { Client } from '@temporalio/client';
import { getStudyProgress } from '../client/index.js';
import type { StudyProgress, StudyResult } from '../core/study.js';
import type { Configuration } from '../core/types.js';

export function formatConfig(config: Configuration, names?: readonly string[]): string {
  return config
    .map((stage, index) => {
      const values = Object.entries(stage)
        .map(([key, value]) => `${key}=${typeof value === 'number' ? Number(value.toPrecision(6)) : String(value)}`)
        .join(' ');
      return `${names?.[index] ?? `stage${index}`}: ${values}`;
    })
    .join(' | ');
}

export function formatProgress(progress: StudyProgress): string {
  const best =
    progress.best === null
      ? 'none yet'
      : `${progress.best.objective.toPrecision(6)} (trial ${progress.best.trialIndex})`;
  return [
    `study     ${progress.studyId} (${progress.status})`,
    `budget    ${progress.spent.toFixed(2)} / ${progress.budget} spent`,
    `trials    ${progress.trials} (${progress.reusedTrials} reused a cached prefix, ${progress.failedTrials} failed)`,
    `best      ${best}`,
  ].join('\n');
}

export function formatResult(result: StudyResult, stageNames?: readonly string[]): string {
  const lines = [formatProgress(result)];
  if (result.best !== null) lines.push(`config    ${formatConfig(result.best.config, stageNames)}`);
  return lines.join('\n');
}

/**
 * Follows a study until it finishes: a progress bar over its budget on a terminal, one line per
 * finished trial otherwise (logs, CI). Polls the progress query.
 */
export async function watchStudy(
  client: Client,
  studyId: string,
  options: { intervalMs?: number } = {},
): Promise<void> {
  const interactive = process.stdout.isTTY === true;
  const bar = new SingleBar(
    {
      format: ' budget [{bar}] {percentage}% | {value}/{total} | trials {trials} | reused {reused} | best {best}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  let reportedTrials = 0;
  for (;;) {
    const progress = await getStudyProgress(client, studyId);
    const best = progress.best === null ? '-' : progress.best.objective.toPrecision(5);
    if (interactive) {
      const payload = { trials: progress.trials, reused: progress.reusedTrials, best };
      const value = Math.min(progress.budget, Number(progress.spent.toFixed(1)));
      if (!started) bar.start(progress.budget, value, payload);
      else bar.update(value, payload);
      started = true;
    } else if (progress.trials > reportedTrials) {
      reportedTrials = progress.trials;
      console.log(
        `  ${progress.trials} trials, ${progress.reusedTrials} reused a cached prefix; ` +
          `budget ${progress.spent.toFixed(1)}/${progress.budget}; best ${best}`,
      );
    }
    if (progress.status !== 'running') break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  if (started) bar.stop();
}
