/**
 * The study report as one self-contained HTML file: the chart library and the page script
 * inlined, the chart data embedded as JSON, and a Content-Security-Policy that lets only those
 * two scripts run (by hash) and allows no network request at all. User strings (study, stage and
 * parameter names, values, errors) reach the page only escaped: as HTML text here, as JSON with
 * `<`, `>`, `&`, U+2028 and U+2029 escaped in the data block, or as pre-escaped tooltips.
 */
import { createHash } from 'node:crypto';
import { configHtml, escapeHtml, formatNumber, reportCharts, type ChartSpec } from './charts.js';
import { pageScript } from './page-script.js';
import type { StudyReport } from './report-data.js';
import { earlyStopReason } from '../core/study.js';

/** The chart library's browser build, inlined into the page. */
export interface ChartLibrary {
  readonly name: string;
  readonly version: string;
  /** Minified JavaScript that defines the global `echarts`. */
  readonly source: string;
}

export interface RenderOptions {
  /** When the report was made (ISO 8601), shown in its header. */
  readonly generatedAt: string;
  /** memotune's version, shown in the footer. */
  readonly generator: string;
}

/**
 * `value` as JSON that is safe inside a `<script type="application/json">` element: no `<` (so
 * no `</script>` or `<!--`), no `>` or `&`, and U+2028/U+2029 escaped as well.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * JavaScript source made safe to inline in a `<script>` element: `</script` cannot end it early.
 * @throws Error when the source holds `<!--`, which changes how the HTML parser reads scripts.
 */
export function inlineScript(source: string): string {
  if (source.includes('<!--')) throw new Error('cannot inline a script that contains "<!--"');
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

const styles = `
:root { color-scheme: light; --muted: #5f6b7a; --line: #dde3ea; --accent: #5470c6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; background: #f6f8fa; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
header, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 0 0 4px; }
.sub, .description, footer { color: var(--muted); }
.description { margin: 0 0 8px; max-width: 90ch; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 8px 24px; margin: 12px 0; }
dl.facts div { min-width: 0; }
dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
dd { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; background: #e8edf5; }
.status-completed { background: #dff3e4; } .status-failed { background: #fbe0df; } .status-pruned { background: #fdebd3; } .status-running { background: #fff4d6; }
.config { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; overflow-wrap: anywhere; }
.error { color: #b02a26; overflow-wrap: anywhere; }
.chart { width: 100%; }
.empty { color: var(--muted); font-style: italic; padding: 24px 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f3f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
footer { font-size: 12px; padding: 0 4px 24px; }
`;

function percent(part: number, whole: number): string {
  return whole > 0 ? `${formatNumber((100 * part) / whole)}%` : '–';
}

function headerHtml(report: StudyReport, options: RenderOptions): string {
  const { study } = report;
  const statusClass = `status status-${study.status.replace(/[^a-z]/g, '')}`;
  const running =
    study.runningTrials.length > 0
      ? ` · running now: ${study.runningTrials.map((index) => `#${index}`).join(', ')}`
      : '';
  const best =
    study.best === null
      ? '<dd>none yet</dd>'
      : `<dd>${formatNumber(study.best.objective)} <span class="sub">(trial #${study.best.trialIndex})</span></dd>`;
  const lines = [
    '<header>',
    `<h1>Study report: ${escapeHtml(study.name)}</h1>`,
    `<div class="sub">study id <code>${escapeHtml(study.id)}</code> · generated ${escapeHtml(options.generatedAt)}` +
      (study.status === 'running' ? ' · a snapshot of a running study' : '') +
      '</div>',
    '<dl class="facts">',
    `<div><dt>status</dt><dd><span class="${statusClass}">${escapeHtml(study.status)}</span></dd></div>`,
    `<div><dt>budget</dt><dd>${formatNumber(study.spent)} of ${formatNumber(study.budget)} spent (${percent(study.spent, study.budget)})${
      study.earlyStop === undefined
        ? ''
        : ` · <strong>ended early</strong> ${escapeHtml(earlyStopReason(study.earlyStop, study.stopWhen))}`
    }</dd></div>`,
    ...(study.savedByReuse === null || study.savedByReuse.saved <= 0
      ? []
      : [
          `<div><dt>saved by reuse</dt><dd>${formatNumber(study.savedByReuse.saved)} <span class="sub">(${percent(
            study.savedByReuse.saved,
            study.savedByReuse.saved + study.savedByReuse.charged,
          )} of what the trials would have cost without the cache)</span></dd></div>`,
        ]),
    `<div><dt>trials</dt><dd>${study.trials} finished · ${study.failedTrials} failed${
      study.prunedTrials > 0 ? ` · ${study.prunedTrials} pruned` : ''
    } · ${study.reusedTrials} reused cached stages${running}</dd></div>`,
    `<div><dt>best (${escapeHtml(study.direction)})</dt>${best}</div>`,
    '</dl>',
  ];
  if (study.best !== null)
    lines.push(
      `<div><dt>best configuration</dt><dd class="config">${configHtml(study.best.config, study.stages)}</dd></div>`,
    );
  if (study.error !== null) lines.push(`<p class="error">The study failed: ${escapeHtml(study.error)}</p>`);
  lines.push('</header>');
  return lines.join('\n');
}

function chartHtml(chart: ChartSpec): string {
  const body =
    chart.option === null
      ? `<p class="empty" data-chart-empty="${chart.id}">${escapeHtml(chart.empty ?? 'Nothing to draw.')}</p>`
      : `<div class="chart" id="chart-${chart.id}" data-chart="${chart.id}" data-items="${chart.items}" style="height:${chart.height}px"></div>`;
  return [
    `<section id="${chart.id}">`,
    `<h2>${escapeHtml(chart.title)}</h2>`,
    `<p class="description">${escapeHtml(chart.description)}</p>`,
    body,
    '</section>',
  ].join('\n');
}

function topTableHtml(report: StudyReport): string {
  const { top, study } = report;
  const heading = `<h2>Top ${top.length === 0 ? '' : `${top.length} `}configurations</h2>`;
  if (top.length === 0) return `<section id="top">${heading}<p class="empty">No trial has completed yet.</p></section>`;
  const stageHeads = study.stages.map((stage) => `<th>${escapeHtml(stage)}</th>`).join('');
  const rows = top.map((entry) => {
    const stages = study.stages
      .map((_, index) => {
        const params = entry.config[index] ?? {};
        const text = Object.entries(params)
          .map(([name, value]) => `${name}=${typeof value === 'number' ? formatNumber(value) : String(value)}`)
          .join(', ');
        return `<td class="config">${escapeHtml(text)}</td>`;
      })
      .join('');
    return (
      `<tr><td class="num">${entry.rank}</td><td class="num">#${entry.trialIndex}</td>` +
      `<td class="num">${formatNumber(entry.objective)}</td><td class="num">${formatNumber(entry.chargedCost)}</td>` +
      `<td class="num">${entry.reusedStages}</td>${stages}</tr>`
    );
  });
  return [
    '<section id="top">',
    heading,
    `<p class="description">Completed trials by objective (${escapeHtml(study.direction)}), earlier trials first on ties; ` +
      '"reused" counts the leading stages taken from the cache.</p>',
    '<div class="table-wrap"><table>',
    `<thead><tr><th>rank</th><th>trial</th><th>objective</th><th>charged</th><th>reused</th>${stageHeads}</tr></thead>`,
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table></div>',
    '</section>',
  ].join('\n');
}

/** The whole report page. Pure: the library's source is passed in (see `loadChartLibrary`). */
export function renderReportHtml(report: StudyReport, library: ChartLibrary, options: RenderOptions): string {
  const { charts, trialTips } = reportCharts(report);
  const librarySource = inlineScript(library.source);
  const page = inlineScript(pageScript);
  // Only these two scripts may run, and nothing may be fetched: an injected tag could do nothing.
  const policy = [
    "default-src 'none'",
    `script-src ${sha256(librarySource)} ${sha256(page)}`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${escapeHtml(options.generator)}">`,
    `<title>${escapeHtml(`memotune report: ${report.study.name}`)}</title>`,
    `<style>${styles}</style>`,
    '</head>',
    '<body>',
    '<main>',
    headerHtml(report, options),
    ...charts.map(chartHtml),
    topTableHtml(report),
    `<footer>Made by ${escapeHtml(options.generator)}. Charts by ${escapeHtml(library.name)} ${escapeHtml(library.version)}, ` +
      'inlined: this file loads nothing from the network. Hover a chart for details; scroll or drag in it to zoom.</footer>',
    '</main>',
    `<script type="application/json" id="memotune-report-data">${jsonForScript({ charts, trialTips })}</script>`,
    `<script>${librarySource}</script>`,
    `<script>${page}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
