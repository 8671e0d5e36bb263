/**
 * The study report: `buildStudyReport` (pure data), `renderReportHtml` (pure page) and
 * `writeStudyReport`, which loads the chart library from the installed dependencies and writes
 * `<dir>/<study id>.html`.
 *
 * Charts are Apache ECharts (pinned in package.json), inlined whole from its browser build
 * (`echarts/dist/echarts.min.js`, about 1.1 MB): a quarter of Plotly's minified bundle, drawn as
 * SVG without WebGL (so it renders in headless browsers and on machines without a GPU), with
 * categorical axes on parallel coordinates built in.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TrialRecord } from '../core/study.js';
import { packageVersion } from '../package-root.js';
import { renderReportHtml, type ChartLibrary } from './html.js';
import { buildStudyReport, type ReportOptions, type ReportOutcome } from './report-data.js';

export { buildStudyReport, type StudyReport, type ReportOutcome, type ReportOptions } from './report-data.js';
export { renderReportHtml, jsonForScript, type ChartLibrary } from './html.js';
export { reportCharts, escapeHtml, type ChartSpec } from './charts.js';

/**
 * ECharts' minified browser build, read from the installed `echarts` package (resolved from this
 * module, so it works from a clone and from an installed memotune alike).
 */
export function loadChartLibrary(): ChartLibrary {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve('echarts/dist/echarts.min'), 'utf8');
  const { version } = JSON.parse(readFileSync(require.resolve('echarts/package.json'), 'utf8')) as { version: string };
  return { name: 'Apache ECharts', version, source };
}

/** Longest file name stem written (file systems allow 255 bytes; leave room for the suffixes). */
const maxStemLength = 150;

/**
 * The report's file name for a study id: the id itself when it is a safe file name, else the id
 * with every other character replaced by `_` and a short hash of the real id appended (so that
 * `a/b` and `a_b` get different files).
 */
export function reportFileName(studyId: string): string {
  const safe = studyId
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, maxStemLength);
  if (safe === studyId && safe !== '') return `${safe}.html`;
  const hash = createHash('sha256').update(studyId, 'utf8').digest('hex').slice(0, 8);
  return `${safe === '' ? 'study' : safe}-${hash}.html`;
}

export interface WriteReportOptions extends ReportOptions {
  /** Directory to write into; created when missing. */
  readonly outDir: string;
  /** @default the current time */
  readonly generatedAt?: string;
}

/**
 * Builds the report of a study (finished, or a snapshot of a running one) and writes it to
 * `<outDir>/<reportFileName(studyId)>` in one step (a reader never sees half a file).
 * @returns the path written.
 */
export function writeStudyReport(
  outcome: ReportOutcome,
  records: readonly TrialRecord[],
  options: WriteReportOptions,
): string {
  const report = buildStudyReport(outcome, records, options);
  const html = renderReportHtml(report, loadChartLibrary(), {
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    generator: `memotune ${packageVersion}`,
  });
  mkdirSync(options.outDir, { recursive: true });
  const path = join(options.outDir, reportFileName(outcome.studyId));
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, html);
  renameSync(partial, path);
  return path;
}
