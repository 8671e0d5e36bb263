import type { PrunerSettings } from '../../../src/core/pruning.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Configuration, SearchSpace } from '../../../src/core/types.js';
import { labelPrecision, reportCharts } from '../../../src/report/charts.js';
import { inlineScript, jsonForScript, renderReportHtml } from '../../../src/report/html.js';
import { buildStudyReport, loadChartLibrary, reportFileName } from '../../../src/report/index.js';
import { outcome, record } from './records.js';

const hostile = '</script><img src=x onerror=alert(1)>\u2028"\'&<!--';
const fakeLibrary = { name: 'Fake Charts', version: '0.0.0', source: 'window.echarts = { init: function () {} };' };
const options = { generatedAt: '2026-01-01T00:00:00.000Z', generator: 'memotune test' };

function hostileReport() {
  const config = (lr: number): Configuration => [{ [hostile]: hostile, lr }, { depth: 3 }];
  const records = [
    record({ index: 0, objective: 1, config: config(0.1), costs: [1, 2], start: 0, end: 2 }),
    record({ index: 1, objective: 2, config: config(0.2), costs: [1, 2], reused: 1, start: 1, end: 3 }),
    {
      ...record({ index: 2, objective: null, config: config(0.3), costs: [1, null], start: 2, end: 4 }),
      error: hostile,
    },
    record({ index: 3, objective: 1.5, config: config(0.4), costs: [1, 2], reused: 1, start: 4, end: 5 }),
  ];
  return buildStudyReport(
    outcome(records, {
      studyId: hostile,
      name: hostile,
      stages: [hostile, 'train'],
      error: hostile,
      best: { trialIndex: 1, objective: 2, config: config(0.2) },
    }),
    records,
  );
}

function scripts(html: string): string[] {
  return [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
}

describe('the report page', () => {
  const report = hostileReport();
  const html = renderReportHtml(report, fakeLibrary, options);

  it('keeps hostile study, stage and parameter names and errors as text: no tag of theirs reaches the page', () => {
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('\u2028');
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).toContain('<h1>Study report: &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<title>memotune report: &lt;/script&gt;');
  });

  it('embeds the chart data as JSON that parses back to what was built', () => {
    const json = /<script type="application\/json" id="memotune-report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(reportCharts(report))));
  });

  it('escapes every user string inside the tooltips, which ECharts shows as HTML', () => {
    const { trialTips } = reportCharts(report);
    expect(trialTips).toHaveLength(4);
    for (const tip of trialTips) {
      expect(tip).not.toContain('<img');
      expect(tip).not.toContain('</script');
      expect(tip).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    }
    expect(trialTips[1]).toContain('reused from the cache: &lt;/script&gt;');
    expect(trialTips[2]).toContain('error: &lt;/script&gt;');
  });

  it('lets only its own two scripts run and allows no network request (Content-Security-Policy)', () => {
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/
      .exec(html)![1]!
      .replaceAll('&#39;', "'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain("unsafe-inline'; script");
    const hashes = [...policy.matchAll(/'sha256-([^']+)'/g)].map((match) => match[1]);
    const [, library, page] = scripts(html);
    const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');
    expect(hashes).toEqual([digest(library!), digest(page!)]);
    expect(policy).toMatch(/script-src 'sha256-[^;]*;/);
  });

  it('shows the header facts and the top configurations as plain HTML', () => {
    expect(html).toContain('<span class="status status-completed">completed</span>');
    expect(html).toMatch(/Top 3 configurations/);
    expect(html).toContain('<td class="num">#1</td>');
    expect(html).toContain('The study failed: &lt;/script&gt;');
  });

  it('draws a chart container per chart with data, and says why when there is nothing to draw', () => {
    const empty = renderReportHtml(buildStudyReport(outcome([], { status: 'running' }), []), fakeLibrary, options);
    expect(empty.match(/data-chart-empty=/g)).toHaveLength(5);
    expect(empty).toContain('No trial has finished yet.');
    expect(empty).toContain('a snapshot of a running study');
    const full = html.match(/<div class="chart" id="chart-(\w+)"/g);
    expect(full).toHaveLength(5);
  });

  it('counts one convergence point, cost bar and timeline span per finished trial', () => {
    const { charts } = reportCharts(report);
    const byId = Object.fromEntries(charts.map((chart) => [chart.id, chart]));
    expect(byId.convergence!.items).toBe(4);
    expect(byId.costs!.items).toBe(4);
    expect(byId.timeline!.items).toBe(4);
    expect(byId.parallel!.items).toBe(3);
  });
});

describe('intermediate values chart', () => {
  const pruned = { ...record({ index: 1, objective: null }), status: 'pruned' as const };
  const records = [
    { ...record({ index: 0 }), stageIntermediate: [null, { steps: [0, 1], values: [0.2, 0.4] }, null] },
    { ...pruned, stageIntermediate: [null, { steps: [0], values: [0.1] }, null] },
  ];
  const report = buildStudyReport(outcome(records, { prunedTrials: 1 }), records);

  it('draws one line a trial per reporting stage, a pruned one orange with a cross where it stopped', () => {
    const chart = reportCharts(report).charts.find((spec) => spec.id === 'intermediate-0')!;
    expect(chart).toMatchObject({ title: 'Intermediate values: train', items: 2, empty: null });
    const series = (chart.option as { series: { name: string; data: { value: number[]; symbol?: string }[] }[] })
      .series;
    expect(series.map((line) => line.name)).toEqual(['trial 0', 'trial 1']);
    expect(series[0]!.data.map((point) => point.value)).toEqual([
      [0, 0.2],
      [1, 0.4],
    ]);
    expect(series[1]!.data).toEqual([
      expect.objectContaining({ value: [0, 0.1], symbol: expect.stringMatching(/^path:/) }),
    ]);
  });

  it("states the study's own pruning rule: median, percentile, none, or in general terms without the plan", () => {
    const description = (pruner?: PrunerSettings) =>
      reportCharts(
        buildStudyReport(outcome(records, { prunedTrials: 1 }), records, pruner ? { pruner } : {}),
      ).charts.find((spec) => spec.id === 'intermediate-0')!.description;
    expect(description({ type: 'median', startupTrials: 5, warmupSteps: 0 })).toContain(
      'worse than the median of the completed trials at the same step (median pruner, once 5 completed trials reported that step)',
    );
    expect(description({ type: 'percentile', percentile: 25, startupTrials: 3, warmupSteps: 2 })).toContain(
      "outside the best 25 % of the completed trials' values at the same step (percentile pruner, once 3 completed trials reported that step, from step 2 on)",
    );
    expect(description({ type: 'none' })).toContain('The study prunes nothing by itself (pruner none)');
    expect(description()).toContain("falls behind the completed trials' values at the same step (the study's pruner)");
  });

  it('adds the chart and the pruned count to the page only when a stage reported', () => {
    const html = renderReportHtml(report, fakeLibrary, options);
    expect(html).toContain('id="chart-intermediate-0"');
    expect(html).toContain(' · 1 pruned');
    const plain = renderReportHtml(
      buildStudyReport(outcome([record({ index: 0 })]), [record({ index: 0 })]),
      fakeLibrary,
      options,
    );
    expect(plain).not.toContain('intermediate');
    expect(plain).not.toMatch(/\d pruned/);
  });
});

describe('inlining', () => {
  it('makes a script unable to close its element early', () => {
    expect(inlineScript('var a = "</script><b>"; var b = "</SCRIPT>";')).toBe(
      'var a = "<\\/script><b>"; var b = "<\\/SCRIPT>";',
    );
    expect(() => inlineScript('var a = "<!--";')).toThrow('<!--');
  });

  it('writes JSON that round-trips and holds no <, >, & or line separators', () => {
    const value = { name: hostile, list: ['\u2029', '&amp;'] };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('inlines the pinned ECharts browser build from node_modules', () => {
    const library = loadChartLibrary();
    expect(library.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(library.source.length).toBeGreaterThan(500_000);
    expect(() => inlineScript(library.source)).not.toThrow();
  });
});

describe('report file names', () => {
  it('uses a safe study id as it is and gives any other id a sanitized name with a hash', () => {
    expect(reportFileName('my-study_1.v2')).toBe('my-study_1.v2.html');
    const slash = reportFileName('team/study');
    const underscore = reportFileName('team_study');
    expect(slash).toMatch(/^team_study-[0-9a-f]{8}\.html$/);
    expect(underscore).toBe('team_study.html');
    expect(reportFileName('../../etc/passwd')).toMatch(/^__\.\._etc_passwd-[0-9a-f]{8}\.html$/);
    expect(reportFileName('..')).toMatch(/^_-[0-9a-f]{8}\.html$/);
    expect(reportFileName(hostile)).not.toMatch(/[/<>\\\u2028]/);
    expect(reportFileName('x'.repeat(1000)).length).toBeLessThan(200);
  });
});

describe('importance charts', () => {
  const space: SearchSpace = [
    { name: 'prep', params: [{ name: 'x0', type: 'float', low: 0, high: 1 }] },
    { name: 'train', params: [{ name: 'lr', type: 'float', low: 0, high: 1 }] },
  ];
  // The objective follows lr only; the cost follows x0 only.
  const records = Array.from({ length: 24 }, (_, index) => {
    const x0 = ((index * 7) % 24) / 23;
    const lr = index / 23;
    return record({ index, objective: Math.sin(3 * lr), costs: [1 + 4 * x0, 1], config: [{ x0 }, { lr }] });
  });

  it('draws objective and cost importance, parameters then stages, when the report has the space', () => {
    const report = buildStudyReport(outcome(records), records, { space });
    const { charts } = reportCharts(report);
    const byId = Object.fromEntries(charts.map((chart) => [chart.id, chart]));
    const labels = (id: string) => (byId[id]!.option as { yAxis: { data: string[] } }).yAxis.data;
    expect(labels('importance-objective')).toEqual(['train.lr', 'prep.x0', 'stage prep', 'stage train']);
    expect(labels('importance-cost')).toEqual(['prep.x0', 'train.lr', 'stage prep', 'stage train']);
    expect(byId['importance-objective']!.items).toBe(8);
    const totals = (byId['importance-objective']!.option as { series: { name: string; data: { value: number }[] }[] })
      .series[1]!;
    expect(totals.name).toBe('total');
    expect(totals.data[0]!.value).toBeGreaterThan(0.95);
    expect(totals.data[1]!.value).toBeLessThan(0.05);
    const html = renderReportHtml(report, fakeLibrary, options);
    expect(html).toContain('id="chart-importance-objective"');
    expect(html).toContain('id="chart-importance-cost"');
  });

  it('says why when too few trials completed, and leaves the charts out without the space', () => {
    const few = records.slice(0, 3);
    const report = buildStudyReport(outcome(few), few, { space });
    expect(report.importance?.objective).toEqual({
      unavailable: 'importance needs at least 5 completed trials; this study has 3',
    });
    const chart = reportCharts(report).charts.find((spec) => spec.id === 'importance-cost')!;
    expect(chart.empty).toMatch(/with every stage cost measured; this study has 3/);
    const without = buildStudyReport(outcome(records), records);
    expect(without.importance).toBeNull();
    expect(reportCharts(without).charts.map((spec) => spec.id)).not.toContain('importance-objective');
  });
});

describe('labelPrecision', () => {
  it('shows a range with about two significant digits, so its ends differ', () => {
    expect(labelPrecision(0.07)).toBe(3); // 0.900 … 0.970
    expect(labelPrecision(0.9)).toBe(2);
    expect(labelPrecision(5)).toBe(1);
    expect(labelPrecision(250)).toBe(0);
    expect(labelPrecision(1e-9)).toBe(6);
    expect(labelPrecision(0)).toBe(0);
  });
});

describe('the report header', () => {
  const withCharges = (sketch: Parameters<typeof record>[0]) => {
    const base = record(sketch);
    const charges = base.stageCosts.map((cost, stage) => (stage < base.cachedPrefix ? 0.1 : cost));
    return { ...base, stageCharges: charges };
  };

  it('says what reusing cached stages saved, from the per-stage charges', () => {
    const records = [
      withCharges({ index: 0, costs: [1, 2, 3] }),
      withCharges({ index: 1, costs: [1, 2, 3], reused: 2 }),
      withCharges({ index: 2, costs: [1, 2, 3], reused: 1 }),
    ];
    const report = buildStudyReport(outcome(records), records);
    // (1 + 2 − 0.2) + (1 − 0.1) saved; 6 + 3.2 + 5.1 charged.
    expect(report.study.savedByReuse!.saved).toBeCloseTo(3.7, 12);
    expect(report.study.savedByReuse!.charged).toBeCloseTo(14.3, 12);
    expect(renderReportHtml(report, fakeLibrary, options)).toMatch(
      /<dt>saved by reuse<\/dt><dd>3\.7 <span class="sub">\(20\.5\d*% of what the trials would have cost without the cache\)/,
    );
    // Records from before per-stage charges: no figure rather than a wrong one.
    const old = [record({ index: 0 }), record({ index: 1, reused: 1 })];
    expect(buildStudyReport(outcome(old), old).study.savedByReuse).toBeNull();
    expect(renderReportHtml(buildStudyReport(outcome(old), old), fakeLibrary, options)).not.toContain('saved by reuse');
  });

  it('says when the study ended early by cost-aware stopping', () => {
    const records = [record({ index: 0 })];
    const early = buildStudyReport(outcome(records, { earlyStop: 'costAwareStopping' }), records);
    expect(renderReportHtml(early, fakeLibrary, options)).toContain(
      '<strong>ended early</strong> by cost-aware stopping: no candidate was worth its expected cost',
    );
    expect(renderReportHtml(buildStudyReport(outcome(records), records), fakeLibrary, options)).not.toContain(
      'ended early',
    );
  });
});
