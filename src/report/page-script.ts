/**
 * The report page's own script (plain ES5-style browser JavaScript, inlined after the chart
 * library): reads the embedded JSON, draws every chart with ECharts' SVG renderer, and marks each
 * container `data-rendered="true"` (or `data-error`) for people and tests to check. Everything
 * user-supplied arrives as JSON data, never as code; tooltips are the pre-escaped HTML of
 * `charts.ts`, looked up by index.
 */
export const pageScript = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('memotune-report-data').textContent);
  var instances = [];

  // Gantt bars of the trial timeline: value = [start ms, end ms, lane, reused stages].
  function timelineItem(params, api) {
    var lane = api.value(2);
    var start = api.coord([api.value(0), lane]);
    var end = api.coord([api.value(1), lane]);
    var height = Math.max(4, api.size([0, 1])[1] * 0.7);
    var shape = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(2, end[0] - start[0]), height: height },
      { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height }
    );
    return shape && { type: 'rect', shape: shape, style: api.style() };
  }
  var renderers = { 'memotune:timeline': timelineItem };

  function tooltipFor(chart) {
    return {
      trigger: chart.tooltip,
      confine: true,
      enterable: false,
      axisPointer: chart.tooltip === 'axis' ? { type: 'shadow' } : undefined,
      formatter: function (params) {
        if (Array.isArray(params)) {
          var first = params[0];
          return first ? data.trialTips[first.dataIndex] || '' : '';
        }
        var item = params && params.data;
        if (item && typeof item.t === 'number') return data.trialTips[item.t] || '';
        if (item && typeof item.tip === 'string') return item.tip;
        return '';
      }
    };
  }

  data.charts.forEach(function (chart) {
    if (chart.option === null) return;
    var element = document.getElementById('chart-' + chart.id);
    try {
      var option = chart.option;
      option.tooltip = tooltipFor(chart);
      (option.series || []).forEach(function (series) {
        if (typeof series.renderItem === 'string') series.renderItem = renderers[series.renderItem];
      });
      var instance = echarts.init(element, null, { renderer: 'svg' });
      instance.setOption(option);
      instances.push(instance);
      element.setAttribute('data-rendered', 'true');
    } catch (error) {
      element.setAttribute('data-error', String(error && error.message ? error.message : error));
      element.textContent = 'This chart could not be drawn: ' + String(error && error.message ? error.message : error);
      console.error(error);
    }
  });
  window.addEventListener('resize', function () {
    instances.forEach(function (instance) { instance.resize(); });
  });
  document.body.setAttribute('data-report-ready', 'true');
})();
`;
