/**
 * `memotune study importance` as text: the parameters most important first, then the stages, then
 * how much of the variance lies in interactions.
 */
import type { ImportanceResult } from '../importance/index.js';

/** An index as shown: two decimals, Monte-Carlo excursions below 0 or above 1 shown at the bound. */
function share(value: number): string {
  return Math.min(1, Math.max(0, value)).toFixed(2);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** What the importance was computed of, for the first line. */
export interface ImportanceSubject {
  readonly studyId: string;
  readonly metric: string;
  readonly direction: string;
}

export function formatImportance(result: ImportanceResult, subject: ImportanceSubject): string {
  const what =
    result.target === 'objective'
      ? `the objective (${subject.direction} ${subject.metric})`
      : "the cost (log of a trial's full cost, every stage as if run)";
  const parameterRows = result.parameters.map((entry) => [
    entry.stage,
    entry.param ?? '',
    `${share(entry.firstOrder)} ± ${entry.firstOrderSe.toFixed(2)}`,
    `${share(entry.total)} ± ${entry.totalSe.toFixed(2)}`,
  ]);
  const stageRows = result.stages.map((entry) => [entry.stage, share(entry.firstOrder), share(entry.total)]);
  const interactions = 1 - result.firstOrderSum;
  return [
    `Importance for ${what}, study ${subject.studyId}`,
    `A Gaussian process fitted to ${result.trials} completed trials; the variance of its mean over the`,
    `search space split by parameter (Sobol indices, N = ${result.samples}, ± Monte-Carlo error).`,
    'first-order: the share a parameter explains alone; total: with its interactions.',
    ...(result.caution === null ? [] : ['', `Caution: ${result.caution}.`]),
    '',
    ...table(['stage', 'parameter', 'first-order', 'total'], parameterRows),
    '',
    ...table(['stage', 'first-order', 'total'], stageRows),
    '',
    interactions > 0.05
      ? `${share(interactions)} of the variance is in interactions between parameters (1 − Σ first-order).`
      : 'The parameters act almost independently (Σ first-order ≈ 1).',
    `The figures describe the model: with few trials, or trials bunched where the optimizer exploited, they are rough.`,
    ...(result.warnings.length === 0
      ? []
      : ['', 'Thinly covered:', ...result.warnings.map((warning) => `  ${warning}`)]),
  ].join('\n');
}
