/**
 * One row per trial, for `memotune study trials`: hyperparameters by stage name, objective,
 * per-stage cost, reused stages, every stage's metrics, status and start/finish times, as an
 * aligned table, CSV (with what each stage charged and the worker that ran it) or JSON.
 */
import type { TrialRecord } from '../core/study.js';

export const trialFormats = ['table', 'csv', 'json'] as const;
export type TrialFormat = (typeof trialFormats)[number];

type Cell = string | number | boolean | null;

function rowsOf(
  records: readonly TrialRecord[],
  stageNames: readonly string[],
  /** CSV: also what each stage charged and which worker ran it (too wide for the table). */
  csvColumns: boolean,
): { header: string[]; rows: Cell[][] } {
  const stageName = (index: number) => stageNames[index] ?? `stage${index}`;
  // Every parameter that appears, in stage order then first appearance (all trials share a space).
  const params: [number, string][] = [];
  const seen = new Set<string>();
  for (const record of records) {
    record.config.forEach((stage, index) => {
      for (const name of Object.keys(stage)) {
        const id = `${index}\u0000${name}`;
        if (!seen.has(id)) {
          seen.add(id);
          params.push([index, name]);
        }
      }
    });
  }
  params.sort((a, b) => a[0] - b[0]);
  const stageCount = Math.max(stageNames.length, ...records.map((record) => record.stageCosts.length));
  // Every metric that appears, likewise; records made before stageMetrics existed have the last stage's.
  const metricsOf = (record: TrialRecord) =>
    record.stageMetrics ??
    Array.from({ length: stageCount }, (_, index) => (index === stageCount - 1 ? record.metrics : null));
  const metrics: [number, string][] = [];
  const seenMetrics = new Set<string>();
  for (const record of records) {
    metricsOf(record).forEach((reported, index) => {
      for (const name of Object.keys(reported ?? {})) {
        const id = `${index}\u0000${name}`;
        if (!seenMetrics.has(id)) {
          seenMetrics.add(id);
          metrics.push([index, name]);
        }
      }
    });
  }
  metrics.sort((a, b) => a[0] - b[0]);
  // Stages that reported intermediate values (pruning): their last report, where a pruned one stopped.
  const reporting = Array.from({ length: stageCount }, (_, index) => index).filter((index) =>
    records.some((record) => (record.stageIntermediate?.[index]?.steps.length ?? 0) > 0),
  );
  const lastReport = (record: TrialRecord, index: number) => {
    const curve = record.stageIntermediate?.[index];
    const at = (curve?.steps.length ?? 0) - 1;
    return at < 0 ? [null, null] : [curve!.steps[at]!, curve!.values[at]!];
  };
  // What each stage cost the trial (CSV only, as the workers: the table marks reused costs instead).
  const charging = csvColumns && records.some((record) => record.stageCharges !== undefined);
  // Which worker ran each stage (CSV only: the table would be too wide for it).
  const working = csvColumns
    ? Array.from({ length: stageCount }, (_, index) => index).filter((index) =>
        records.some((record) => record.stageWorkers?.[index] != null),
      )
    : [];
  const header = [
    'trial',
    'status',
    'objective',
    'charged',
    'reused',
    ...Array.from({ length: stageCount }, (_, index) => `${stageName(index)}.cost`),
    ...(charging ? Array.from({ length: stageCount }, (_, index) => `${stageName(index)}.charged`) : []),
    ...params.map(([index, name]) => `${stageName(index)}.${name}`),
    // "metric." keeps a metric's column apart from a parameter of the same name.
    ...metrics.map(([index, name]) => `${stageName(index)}.metric.${name}`),
    ...reporting.flatMap((index) => [`${stageName(index)}.lastStep`, `${stageName(index)}.lastReported`]),
    ...working.map((index) => `${stageName(index)}.worker`),
    'phase',
    'source',
    'started',
    'finished',
    'error',
  ];
  const rows = records.map((record): Cell[] => [
    record.trialIndex,
    record.status,
    record.objective,
    record.chargedCost,
    record.cachedPrefix,
    ...Array.from({ length: stageCount }, (_, index) => record.stageCosts[index] ?? null),
    ...(charging ? Array.from({ length: stageCount }, (_, index) => record.stageCharges?.[index] ?? null) : []),
    ...params.map(([index, name]) => record.config[index]?.[name] ?? null),
    ...(() => {
      const reported = metricsOf(record);
      return metrics.map(([index, name]) => reported[index]?.[name] ?? null);
    })(),
    ...reporting.flatMap((index) => lastReport(record, index)),
    ...working.map((index) => record.stageWorkers?.[index]?.identity ?? null),
    record.phase,
    record.source,
    record.startedAt ?? null,
    record.finishedAt ?? null,
    record.error,
  ]);
  return { header, rows };
}

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function tableCell(cell: Cell): string {
  if (cell === null) return '-';
  if (typeof cell === 'number' && !Number.isInteger(cell)) return String(Number(cell.toPrecision(6)));
  return String(cell);
}

export function formatTrials(
  records: readonly TrialRecord[],
  stageNames: readonly string[],
  format: TrialFormat,
  escape: (text: string) => string = (text) => text,
): string {
  if (format === 'json') return JSON.stringify(records, null, 2);
  const { header, rows } = rowsOf(records, stageNames, format === 'csv');
  if (format === 'csv') return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n');
  // A reused stage's cost is what it cost when it ran (its cost model learns from it); the trial
  // paid ε for it. The table marks such cells, so the row does not read as paid twice.
  const firstCost = header.indexOf('reused') + 1;
  let marked = false;
  const body = rows.map((row, r) =>
    row.map((cell, column) => {
      const text = tableCell(cell);
      const stage = column - firstCost;
      if (stage < 0 || stage >= records[r]!.cachedPrefix || cell === null || !header[column]!.endsWith('.cost'))
        return text;
      marked = true;
      return `${text}*`;
    }),
  );
  const cells = [header, ...body].map((row) => row.map((cell) => escape(cell)));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const table = cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return marked
    ? `${table}\n* reused from the cache: the stage's cost when it ran; the trial paid ε for it (see charged)`
    : table;
}
