/**
 * The report's charts as Apache ECharts options: plain JSON built here (so tests can read them),
 * drawn by the page script. Tooltips are HTML that ECharts inserts as is, so every tooltip is
 * built here with every user string (study, stage and parameter names, values, errors) escaped;
 * the page only looks them up. Axis names, legends and category labels are drawn as SVG text,
 * which is never parsed as markup.
 */
import { describePruner } from '../core/pruning.js';
import type { Configuration } from '../core/types.js';
import type { ImportanceEntry } from '../importance/index.js';
import type { Association, ReportImportance, ReportTrial, StudyReport } from './report-data.js';

const htmlEntities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
};

/**
 * `text` safe as HTML text or a quoted attribute value: the characters that can start or end
 * markup escaped, and the line/paragraph separators too (harmless in HTML, but not in older
 * JavaScript string literals).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'\u2028\u2029]/g, (char) => htmlEntities[char]!);
}

/** A number as the report prints it: six significant digits, no trailing zeros. */
export function formatNumber(value: number | null): string {
  if (value === null) return '–';
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** A configuration as HTML lines, one per stage: `<b>stage</b>: a=1, b=adam`, escaped. */
export function configHtml(config: Configuration, stages: readonly string[]): string {
  return config
    .map((params, index) => {
      const values = Object.entries(params)
        .map(([name, value]) => `${name}=${typeof value === 'number' ? formatNumber(value) : String(value)}`)
        .join(', ');
      return `<b>${escapeHtml(stages[index] ?? `stage${index}`)}</b>: ${escapeHtml(values)}`;
    })
    .join('<br>');
}

/** Which chart draws what, with everything the page needs to draw it. */
export interface ChartSpec {
  /** Fixed identifier, also the chart container's `data-chart`. */
  readonly id:
    | 'convergence'
    | 'costs'
    | 'timeline'
    | 'parallel'
    | 'association'
    | 'importance-objective'
    | 'importance-cost'
    | `intermediate-${number}`;
  readonly title: string;
  readonly description: string;
  /** Why there is nothing to draw, or `null` when `option` is drawn. */
  readonly empty: string | null;
  /** The ECharts option; `renderItem: 'memotune:<name>'` names a page function. */
  readonly option: Readonly<Record<string, unknown>> | null;
  /** `item`: a data item's `t` indexes `trialTips`, or it carries `tip`; `axis`: `trialTips[dataIndex]`. */
  readonly tooltip: 'item' | 'axis';
  /** Data items drawn (points, bars per stage, lines, spans): the browser test counts them. */
  readonly items: number;
  /** Chart height in CSS pixels. */
  readonly height: number;
}

export interface ReportCharts {
  readonly charts: readonly ChartSpec[];
  /** One tooltip per trial, in `report.trials` order. */
  readonly trialTips: readonly string[];
}

/** Stage colors (ECharts' palette without its red, which marks failures). */
const stagePalette = ['#5470c6', '#91cc75', '#fac858', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];
const failedColor = '#d9534f';
const completedColor = '#5470c6';
const reusedColor = '#3ba272';
const prunedColor = '#e8912d';
/** A cross (ECharts has no built-in one): where a pruned trial stopped. */
const crossSymbol = 'path://M2,0L5,3L8,0L10,2L7,5L10,8L8,10L5,7L2,10L0,8L3,5L0,2Z';
/** Hatching that marks a reused stage (works with ECharts' SVG and canvas renderers). */
const reusedDecal = {
  symbol: 'rect',
  dashArrayX: [1, 0],
  dashArrayY: [2, 4],
  rotation: -Math.PI / 4,
  color: '#ffffffcc',
};

/** `value` rounded up to two significant digits (an axis end that reads well: 143 → 150). */
export function roundUp(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  const step = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Number((Math.ceil(value / step - 1e-9) * step).toPrecision(2));
}

const base = { animation: false, textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif' } };

function trialTip(trial: ReportTrial, stages: readonly string[], extra: string | null): string {
  const reused = trial.reused.flatMap((flag, index) => (flag ? [stages[index] ?? `stage${index}`] : []));
  const lines = [
    `<b>trial ${trial.trialIndex}</b> · ${trial.status}`,
    `objective ${formatNumber(trial.objective)} · charged ${formatNumber(trial.chargedCost)}`,
    `stage costs: ${trial.stageCosts
      .map(
        (cost, index) =>
          `${escapeHtml(stages[index] ?? `stage${index}`)} ${formatNumber(cost)}${trial.reused[index] ? ' (reused)' : ''}`,
      )
      .join(', ')}`,
  ];
  if (reused.length > 0) lines.push(`reused from the cache: ${reused.map(escapeHtml).join(', ')}`);
  if (extra !== null) lines.push(extra);
  lines.push(configHtml(trial.config, stages));
  if (trial.error !== null) lines.push(`<span class="error">error: ${escapeHtml(trial.error.slice(0, 300))}</span>`);
  return lines.join('<br>');
}

function convergenceChart(report: StudyReport, tipIndex: ReadonlyMap<number, number>): ChartSpec {
  const { convergence, study } = report;
  const title = 'Convergence: best so far against budget spent';
  const description =
    'Each finished trial at the budget spent once it finished (trials in the order they finished). ' +
    `The line is the best objective so far (${study.direction}); failed trials sit at the worst objective seen, pruned ones (crosses) at the best value they reported.`;
  if (convergence.length === 0)
    return {
      id: 'convergence',
      title,
      description,
      empty: 'No trial has finished yet.',
      option: null,
      tooltip: 'item',
      items: 0,
      height: 360,
    };
  const objectives = convergence.flatMap((point) => (point.objective === null ? [] : [point.objective]));
  const worst =
    objectives.length === 0
      ? 0
      : study.direction === 'maximize'
        ? objectives.reduce((min, value) => Math.min(min, value), Infinity)
        : objectives.reduce((max, value) => Math.max(max, value), -Infinity);
  const item = (trialIndex: number, value: readonly (number | string)[]) => ({ value, t: tipIndex.get(trialIndex) });
  // The budget line only while it is near: a budget far beyond the spend (a running study, or one
  // ended by maxTrials) would squeeze every trial against the y axis.
  const spent = convergence.at(-1)!.cumulativeCost;
  const showBudget = study.budget <= 1.25 * spent;
  const option = {
    ...base,
    grid: { left: 70, right: 30, top: 50, bottom: 60 },
    legend: { top: 0 },
    xAxis: {
      type: 'value',
      name: 'budget spent (cost units)',
      nameLocation: 'middle',
      nameGap: 32,
      min: 0,
      max: roundUp(showBudget ? Math.max(study.budget, spent) : spent),
    },
    yAxis: { type: 'value', name: `objective (${study.direction})`, scale: true },
    series: [
      {
        name: 'best so far',
        type: 'line',
        step: 'end',
        symbolSize: 5,
        lineStyle: { width: 2 },
        itemStyle: { color: '#333' },
        data: convergence.map((point) => item(point.trialIndex, [point.cumulativeCost, point.bestSoFar ?? '-'])),
        ...(showBudget
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                lineStyle: { type: 'dashed', color: '#999' },
                label: { formatter: 'budget' },
                data: [{ xAxis: study.budget }],
              },
            }
          : {}),
      },
      {
        name: 'trial objective',
        type: 'scatter',
        symbolSize: 7,
        itemStyle: { color: completedColor, opacity: 0.7 },
        data: convergence.flatMap((point) =>
          point.objective === null ? [] : [item(point.trialIndex, [point.cumulativeCost, point.objective])],
        ),
      },
      {
        name: 'failed trial',
        type: 'scatter',
        symbol: 'triangle',
        symbolSize: 8,
        itemStyle: { color: failedColor },
        data: convergence.flatMap((point) =>
          point.status === 'failed' ? [item(point.trialIndex, [point.cumulativeCost, worst])] : [],
        ),
      },
      ...(convergence.some((point) => point.reported !== undefined)
        ? [
            {
              name: 'pruned trial (best reported value)',
              type: 'scatter',
              symbol: crossSymbol,
              symbolSize: 8,
              itemStyle: { color: prunedColor },
              data: convergence.flatMap((point) =>
                point.reported === undefined ? [] : [item(point.trialIndex, [point.cumulativeCost, point.reported])],
              ),
            },
          ]
        : []),
    ],
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
  };
  return {
    id: 'convergence',
    title,
    description,
    empty: null,
    option,
    tooltip: 'item',
    items: convergence.length,
    height: 380,
  };
}

function costsChart(report: StudyReport): ChartSpec {
  const { trials, study } = report;
  const title = 'Cost per trial, by stage';
  const description =
    'Full cost of each stage as measured when it was computed. Hatched, faded segments are stages reused ' +
    'from the cache (charged only the retrieval cost ε); the diamond is what the trial was charged. ' +
    'Failed trials are outlined in red, pruned ones in orange (the stage they stopped in shows only in the charge).';
  if (trials.length === 0)
    return {
      id: 'costs',
      title,
      description,
      empty: 'No trial has finished yet.',
      option: null,
      tooltip: 'axis',
      items: 0,
      height: 380,
    };
  const outline = (trial: ReportTrial) =>
    trial.status === 'failed' || trial.status === 'pruned'
      ? { itemStyle: { borderColor: trial.status === 'failed' ? failedColor : prunedColor, borderWidth: 1.5 } }
      : {};
  const series: Record<string, unknown>[] = study.stages.flatMap((stage, index) => {
    const color = stagePalette[index % stagePalette.length]!;
    const segment = (reused: boolean) =>
      trials.map((trial) => ({
        value: trial.reused[index] === reused ? (trial.stageCosts[index] ?? '-') : '-',
        ...outline(trial),
      }));
    return [
      { name: `${stage} (ran)`, type: 'bar', stack: 'cost', itemStyle: { color }, data: segment(false) },
      {
        name: `${stage} (reused)`,
        type: 'bar',
        stack: 'cost',
        itemStyle: { color, opacity: 0.45, decal: reusedDecal },
        data: segment(true),
      },
    ];
  });
  series.push({
    name: 'charged to the budget',
    type: 'scatter',
    symbol: 'diamond',
    symbolSize: 9,
    itemStyle: { color: '#222' },
    data: trials.map((trial) =>
      trial.status === 'failed' || trial.status === 'pruned'
        ? { value: trial.chargedCost, itemStyle: { color: trial.status === 'failed' ? failedColor : prunedColor } }
        : { value: trial.chargedCost },
    ),
  });
  const option = {
    ...base,
    grid: { left: 70, right: 30, top: 70, bottom: trials.length > 40 ? 70 : 50 },
    legend: { top: 0, type: 'scroll' },
    xAxis: { type: 'category', name: 'trial', data: trials.map((trial) => `#${trial.trialIndex}`) },
    yAxis: { type: 'value', name: 'cost (cost units)' },
    series,
    dataZoom:
      trials.length > 40
        ? [
            { type: 'inside', xAxisIndex: 0 },
            { type: 'slider', xAxisIndex: 0, height: 16, bottom: 8 },
          ]
        : [{ type: 'inside', xAxisIndex: 0 }],
  };
  return { id: 'costs', title, description, empty: null, option, tooltip: 'axis', items: trials.length, height: 400 };
}

function timelineChart(report: StudyReport, tipIndex: ReadonlyMap<number, number>): ChartSpec {
  const { timeline } = report;
  const title = 'Trial timeline';
  const running = report.study.runningTrials.length;
  const notes = [
    timeline.untimed > 0
      ? `${timeline.untimed} trials recorded by an older release have no times and are not drawn.`
      : '',
    running > 0 ? `${running} running trials are not drawn until they finish.` : '',
  ].filter((note) => note !== '');
  const description = [
    'When each trial ran (wall clock, your local time). Trials that overlapped in time are on different lanes; ' +
      `the study ran up to ${timeline.lanes} at once. Green trials reused a cached prefix of stages.`,
    ...notes,
  ].join(' ');
  if (timeline.origin === null)
    return {
      id: 'timeline',
      title,
      description,
      empty:
        report.trials.length === 0
          ? 'No trial has finished yet.'
          : 'These trial records carry no start and finish times (they were written by an older release).',
      option: null,
      tooltip: 'item',
      items: 0,
      height: 300,
    };
  const origin = Date.parse(timeline.origin);
  const kinds = [
    { name: 'completed', color: completedColor, test: (reused: number, failed: boolean) => !failed && reused === 0 },
    {
      name: 'completed, reused cached stages',
      color: reusedColor,
      test: (reused: number, failed: boolean) => !failed && reused > 0,
    },
    { name: 'failed', color: failedColor, test: (_reused: number, failed: boolean) => failed },
  ];
  const series = kinds.map((kind) => ({
    name: kind.name,
    type: 'custom',
    renderItem: 'memotune:timeline',
    itemStyle: { color: kind.color },
    encode: { x: [0, 1], y: 2 },
    data: timeline.spans
      .filter((span) => kind.test(span.reusedStages, span.status === 'failed'))
      .map((span) => ({
        value: [origin + span.start * 1000, origin + span.end * 1000, span.lane, span.reusedStages],
        t: tipIndex.get(span.trialIndex),
      })),
  }));
  const laneHeight = timeline.lanes > 12 ? 14 : 28;
  const option = {
    ...base,
    grid: { left: 70, right: 30, top: 50, bottom: 60 },
    legend: { top: 0 },
    xAxis: { type: 'time', name: 'wall clock', nameLocation: 'middle', nameGap: 32, scale: true },
    yAxis: {
      type: 'category',
      name: 'lane',
      nameLocation: 'start',
      inverse: true,
      data: Array.from({ length: timeline.lanes }, (_, lane) => String(lane + 1)),
    },
    series,
    dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'weakFilter' }],
  };
  return {
    id: 'timeline',
    title,
    description,
    empty: null,
    option,
    tooltip: 'item',
    items: timeline.spans.length,
    height: Math.min(700, 120 + timeline.lanes * laneHeight),
  };
}

function parallelChart(report: StudyReport, tipIndex: ReadonlyMap<number, number>): ChartSpec {
  const { columns, rows } = report.parameters;
  const { direction } = report.study;
  const title = 'Parameters of completed trials (parallel coordinates)';
  const description =
    'One line per completed trial through its hyperparameters (stage.parameter) to its objective; darker is better. ' +
    'Categorical parameters have one tick per value; numeric ones spanning three decades or more use a log axis. ' +
    'Drag along an axis to filter.';
  if (rows.length === 0 || columns.length === 0)
    return {
      id: 'parallel',
      title,
      description,
      empty: rows.length === 0 ? 'No trial has completed yet.' : 'The study has no hyperparameters.',
      option: null,
      tooltip: 'item',
      items: 0,
      height: 420,
    };
  const objectives = rows.map((row) => row.objective);
  const low = objectives.reduce((min, value) => Math.min(min, value), Infinity);
  let high = objectives.reduce((max, value) => Math.max(max, value), -Infinity);
  if (high === low) high = low + 1;
  const better = '#08306b';
  const worse = '#c6dbef';
  const option = {
    ...base,
    parallel: {
      left: 40,
      right: 110,
      top: 60,
      bottom: 30,
      parallelAxisDefault: {
        nameLocation: 'end',
        nameGap: 14,
        nameTextStyle: { fontSize: 11 },
        nameTruncate: { maxWidth: 120 },
        axisLabel: { fontSize: 10 },
      },
    },
    parallelAxis: [
      ...columns.map((column, index) =>
        column.kind === 'numeric'
          ? { dim: index, name: column.label, type: column.log ? 'log' : 'value', scale: true }
          : { dim: index, name: column.label, type: 'category', data: column.categories },
      ),
      { dim: columns.length, name: 'objective', type: 'value', scale: true },
    ],
    visualMap: {
      type: 'continuous',
      dimension: columns.length,
      min: low,
      max: high,
      // Enough decimals to tell the ends apart: 0.90 and 0.97 are not both "1".
      precision: labelPrecision(high - low),
      calculable: true,
      right: 10,
      top: 'middle',
      itemHeight: 160,
      text: direction === 'maximize' ? ['better', 'worse'] : ['worse', 'better'],
      inRange: { color: direction === 'maximize' ? [worse, better] : [better, worse] },
    },
    series: [
      {
        name: 'trials',
        type: 'parallel',
        lineStyle: { width: 1.5, opacity: 0.7 },
        data: rows.map((row) => ({
          value: [...row.values.map((value) => value ?? '-'), row.objective],
          t: tipIndex.get(row.trialIndex),
        })),
      },
    ],
  };
  return { id: 'parallel', title, description, empty: null, option, tooltip: 'item', items: rows.length, height: 460 };
}

/** Decimals that show a range of width `span` with about two significant digits (0 to 6). */
export function labelPrecision(span: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 0;
  return Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(span))));
}

function associationTip(entry: Association): string {
  const what =
    entry.measure === 'spearman'
      ? `Spearman ρ = ${formatNumber(entry.signed)} (|ρ| = ${formatNumber(entry.strength)})`
      : `correlation ratio η of objective ranks = ${formatNumber(entry.strength)}`;
  const why =
    entry.strength === null
      ? '<br>not computable: the parameter or the objective is constant, or fewer than 3 trials'
      : '';
  return `<b>${escapeHtml(entry.label)}</b><br>${what}<br>over ${entry.n} completed trials${why}`;
}

function associationChart(report: StudyReport): ChartSpec {
  const { associations } = report;
  const title = 'Association of each parameter with the objective';
  const description =
    'A marginal, one-parameter-at-a-time screen on ranks: |Spearman ρ| for numeric parameters, the correlation ' +
    'ratio η of the objective ranks for categorical ones (both 0 = none, 1 = perfect). It is not fANOVA ' +
    'importance: interactions between parameters, and effects that are not monotone, do not show.';
  if (!associations.some((entry) => entry.strength !== null))
    return {
      id: 'association',
      title,
      description,
      empty: 'Needs at least 3 completed trials whose parameters and objectives vary.',
      option: null,
      tooltip: 'item',
      items: 0,
      height: 300,
    };
  const option = {
    ...base,
    grid: { left: 20, right: 40, top: 30, bottom: 50, containLabel: true },
    xAxis: { type: 'value', min: 0, max: 1, name: 'strength (0 – 1)', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', inverse: true, data: associations.map((entry) => entry.label) },
    series: [
      {
        name: 'association',
        type: 'bar',
        data: associations.map((entry) => ({
          value: entry.strength ?? 0,
          tip: associationTip(entry),
          itemStyle: { color: entry.measure === 'spearman' ? completedColor : '#9a60b4' },
        })),
      },
    ],
  };
  return {
    id: 'association',
    title,
    description,
    empty: null,
    option,
    tooltip: 'item',
    items: associations.length,
    height: Math.min(700, 90 + associations.length * 26),
  };
}

function importanceTip(entry: ImportanceEntry): string {
  const name =
    entry.param === undefined ? `stage ${entry.stage} (all its parameters)` : `${entry.stage}.${entry.param}`;
  return (
    `<b>${escapeHtml(name)}</b><br>first-order ${formatNumber(entry.firstOrder)} ± ${formatNumber(entry.firstOrderSe)}` +
    `<br>total ${formatNumber(entry.total)} ± ${formatNumber(entry.totalSe)}`
  );
}

/**
 * Sobol indices of the GP fitted to the completed trials (src/importance): per parameter, then per
 * stage, first-order and total side by side.
 */
function importanceChart(target: 'objective' | 'cost', importance: ReportImportance): ChartSpec {
  const id = target === 'objective' ? 'importance-objective' : 'importance-cost';
  const title =
    target === 'objective'
      ? 'Importance of each parameter and stage: objective'
      : 'Importance of each parameter and stage: cost';
  const what = target === 'objective' ? 'the objective' : "the cost (log of a trial's full cost)";
  const description =
    `How much of the variance of ${what} over the search space each parameter, and each stage's parameters ` +
    'together, account for: Sobol indices of a Gaussian process fitted to the completed trials (fANOVA on the ' +
    "optimizer's model class). First-order: alone; total: with interactions. The figures describe the model: " +
    'with few trials, or trials bunched where the optimizer exploited, they are rough.';
  if ('unavailable' in importance)
    return {
      id,
      title,
      description,
      empty: importance.unavailable,
      option: null,
      tooltip: 'item',
      items: 0,
      height: 200,
    };
  const entries = [...importance.result.parameters, ...importance.result.stages];
  const labels = entries.map((entry) =>
    entry.param === undefined ? `stage ${entry.stage}` : `${entry.stage}.${entry.param}`,
  );
  const clamp = (value: number): number => Math.min(1, Math.max(0, value));
  const bars = (name: string, pick: (entry: ImportanceEntry) => number, color: string) => ({
    name,
    type: 'bar',
    itemStyle: { color },
    data: entries.map((entry) => ({ value: clamp(pick(entry)), tip: importanceTip(entry) })),
  });
  const option = {
    ...base,
    legend: { top: 0 },
    grid: { left: 20, right: 40, top: 36, bottom: 50, containLabel: true },
    xAxis: { type: 'value', min: 0, max: 1, name: 'share of variance', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', inverse: true, data: labels },
    series: [
      bars('first-order', (entry) => entry.firstOrder, completedColor),
      bars('total', (entry) => entry.total, '#9a60b4'),
    ],
  };
  return {
    id,
    title,
    description:
      `${description} ${importance.result.trials} trials, N = ${importance.result.samples}.` +
      (importance.result.caution === null ? '' : ` Caution: ${importance.result.caution}.`) +
      (importance.result.warnings.length === 0 ? '' : ` Thinly covered: ${importance.result.warnings.join('; ')}.`),
    empty: null,
    option,
    tooltip: 'item',
    items: 2 * entries.length,
    height: Math.min(900, 110 + entries.length * 34),
  };
}

/**
 * One chart per stage that reported intermediate values: each trial's curve against its step,
 * completed trials in blue, pruned ones in orange ending with a cross where they stopped, the best
 * trial bold. What the pruner compared trials with, and how early it stopped them.
 */
function intermediateCharts(report: StudyReport, tipIndex: ReadonlyMap<number, number>): ChartSpec[] {
  const best = report.study.best?.trialIndex;
  return report.intermediate.map(({ stage, curves }, index) => {
    const shown = curves.length;
    const series = curves.map((curve) => {
      const pruned = curve.status === 'pruned';
      const isBest = curve.trialIndex === best;
      const color = pruned ? prunedColor : isBest ? '#222' : completedColor;
      const last = curve.steps.length - 1;
      return {
        name: `trial ${curve.trialIndex}`,
        type: 'line',
        showSymbol: false,
        lineStyle: { width: isBest ? 2.5 : 1, color, opacity: isBest ? 1 : 0.55 },
        itemStyle: { color },
        emphasis: { focus: 'series', lineStyle: { width: 2.5, opacity: 1 } },
        z: isBest ? 3 : pruned ? 1 : 2,
        data: curve.steps.map((step, at) => ({
          value: [step, curve.values[at]!],
          t: tipIndex.get(curve.trialIndex),
          ...(pruned && at === last ? { symbol: crossSymbol, symbolSize: 9, itemStyle: { color } } : {}),
        })),
        // A pruned trial's last point is drawn, a cross (its other points, as every line's, are not).
        ...(pruned ? { showSymbol: true, showAllSymbol: true, symbol: 'none', clip: false } : {}),
      };
    });
    const pruned = curves.filter((curve) => curve.status === 'pruned').length;
    const option = {
      ...base,
      grid: { left: 70, right: 30, top: 30, bottom: 60 },
      xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 32, minInterval: 1 },
      yAxis: { type: 'value', name: `reported value (${report.study.direction})`, scale: true },
      series,
      dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
    };
    return {
      id: `intermediate-${index}`,
      title: `Intermediate values: ${stage}`,
      description:
        `What the stage reported with report(step, value), one line per trial (${shown} shown, ${pruned} of them pruned). ` +
        'Blue: completed trials; orange: pruned trials, ending where they stopped; black, bold: the best trial. ' +
        describePruner(report.study.pruner),
      empty: null,
      option,
      tooltip: 'item',
      items: shown,
      height: 380,
    };
  });
}

/** Every chart of the report, in page order, with the trial tooltips they share. */
export function reportCharts(report: StudyReport): ReportCharts {
  const tipIndex = new Map(report.trials.map((trial, index) => [trial.trialIndex, index]));
  const spans = new Map(report.timeline.spans.map((span) => [span.trialIndex, span]));
  const trialTips = report.trials.map((trial) => {
    const span = spans.get(trial.trialIndex);
    const ran = span === undefined ? null : `ran ${formatNumber(span.end - span.start)} s (lane ${span.lane + 1})`;
    return trialTip(trial, report.study.stages, ran);
  });
  return {
    charts: [
      convergenceChart(report, tipIndex),
      costsChart(report),
      timelineChart(report, tipIndex),
      parallelChart(report, tipIndex),
      associationChart(report),
      ...(report.importance === null
        ? []
        : [importanceChart('objective', report.importance.objective), importanceChart('cost', report.importance.cost)]),
      ...intermediateCharts(report, tipIndex),
    ],
    trialTips,
  };
}
