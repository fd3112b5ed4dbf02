// Metric charts with uPlot: it draws on one canvas from typed arrays, so a 10,000-step series
// (or many runs overlaid) stays fast where a DOM- or SVG-per-point chart freezes.
import uPlot from 'uplot';
import { COLORS } from './dom.js';

const HEIGHT = 220;

// Points [{step, value}] as uPlot's [steps, values] columns.
function columns(points) {
  const xs = new Float64Array(points.length);
  const ys = new Float64Array(points.length);
  points.forEach((p, i) => { xs[i] = p.step; ys[i] = p.value; });
  return [xs, ys];
}

// A line chart in `box` of one or more series: [{label, points: [{step, value}]}]. Series with
// different steps are joined on the union of their steps (gaps left open). Returns the uPlot
// instance; destroy() it when the view goes.
export function metricChart(box, title, series) {
  const data = series.length === 1 ? columns(series[0].points) : uPlot.join(series.map((s) => columns(s.points)));
  const width = Math.max(280, Math.min(box.clientWidth || 640, 1100));
  const opts = {
    title,
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    legend: { show: series.length > 1 },
    series: [{ label: 'step' }, ...series.map((s, i) => ({
      label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: false },
    }))],
    axes: [{ label: 'step' }, {}],
  };
  return new uPlot(opts, data, box);
}

// New points for a one-series chart drawn by metricChart, without building it again.
export function setPoints(chart, points) {
  chart.setData(columns(points));
}
