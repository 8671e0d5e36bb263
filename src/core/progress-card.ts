/**
 * The study's progress card: a few lines of Markdown the Temporal UI shows as the workflow's
 * "current details", also kept in the study's memo so it can be read with no worker running.
 * Workflow-safe: a pure function of the progress.
 */
import { configLine } from './config-line.js';
import { earlyStopReason, type StudyProgress } from './study.js';

const barWidth = 20;

/** `[######--------------] 31%` for a fraction of the budget (capped at the bar's width). */
export function budgetBar(spent: number, budget: number): string {
  const fraction = budget > 0 ? spent / budget : 0;
  const filled = Math.max(0, Math.min(barWidth, Math.round(fraction * barWidth)));
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${Math.round(fraction * 100)}%`;
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** Markdown; user strings (names, values) are put in code spans so they cannot inject markup. */
export function progressCard(progress: StudyProgress, method: string, parallelism: number): string {
  const code = (text: string) => `\`${text.replace(/`/g, "'").replace(/[\r\n]+/g, ' ')}\``;
  const best =
    progress.best === null
      ? 'none yet'
      : `${progress.objectiveMetric === undefined ? '' : `${code(progress.objectiveMetric)} `}**${number(progress.best.objective)}** (trial ${progress.best.trialIndex}): ${code(
          configLine(progress.best.config, progress.stages),
        )}`;
  const running = progress.runningTrials?.map((trial) => trial.trialIndex) ?? [];
  const reuse = progress.trials === 0 ? '0%' : `${Math.round((100 * progress.reusedTrials) / progress.trials)}%`;
  // The UI shows the card in a frame of fixed height: what matters most comes first (why a study
  // failed, what runs), the best configuration, which can be long, last.
  const lines = [`### ${code(progress.name)} — ${progress.status}`];
  if (progress.error !== null) lines.push('', `**Error** ${code(progress.error)}`);
  if (progress.earlyStop === 'costAwareStopping')
    lines.push('', '**Ended early** cost-aware stopping: no candidate was worth its expected cost');
  else if (progress.earlyStop !== undefined) lines.push('', `**Ended early** ${earlyStopReason(progress.earlyStop, progress.stopWhen)}`);
  lines.push(
    '',
    `**Budget** ${code(budgetBar(progress.spent, progress.budget))} ${number(Number(progress.spent.toFixed(2)))} / ${number(progress.budget)}`,
    '',
    `**Trials** ${progress.trials} (${progress.failedTrials} failed${
      (progress.prunedTrials ?? 0) > 0 ? `, ${progress.prunedTrials} pruned` : ''
    }) · **reused a cached prefix** ${progress.reusedTrials} (${reuse})`,
    '',
    `**Running** ${running.length === 0 ? 'none' : `trial ${running.join(', ')}`} (parallelism ${parallelism}) · **method** ${code(method)}`,
    '',
    `**Best** ${best}`,
  );
  return lines.join('\n');
}
