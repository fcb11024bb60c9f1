import type { PercentilePoint } from './result.js';
import type { TimelinePoint } from './timeline.js';

/**
 * `--report out.html`: ONE self-contained page (inline CSS and JavaScript, no network, no web
 * fonts) that a browser opens from disk. The data travel as JSON in a
 * `<script type="application/json">` element; a small inline script draws two SVG plots from it:
 *
 * - throughput over time (records/s per sampling interval), one line per run;
 * - the latency percentile distribution as HdrHistogram plots it: latency against percentile on
 *   a log axis of 1/(1 − p), so 90%, 99%, 99.9%, 99.99% are evenly spaced and the tail is visible.
 *
 * The summary table is plain HTML. Once the plots are drawn the script sets
 * `<body data-rendered="2">` (the number of plots drawn), and each line is a
 * `<path class="series" data-points="N">`, so a headless browser test can check the result.
 * Pure: data in, HTML text out.
 */
export interface ReportSeries {
  readonly name: string;
  readonly description: string;
  readonly timeline: ReadonlyArray<TimelinePoint>;
  readonly distribution: ReadonlyArray<PercentilePoint>;
  readonly latencyCount: number;
  readonly latencyMeasures: string;
}

export interface ReportData {
  readonly title: string;
  readonly generatedAt: string;
  readonly series: ReadonlyArray<ReportSeries>;
  /** Summary table: header then rows. */
  readonly table: ReadonlyArray<ReadonlyArray<string>>;
  readonly notes: ReadonlyArray<string>;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe inside a <script> element: no "</script>", no "<!--". */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
  :root { color-scheme: light; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 980px; color: #1d2330; padding: 0 16px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 28px 0 8px; }
  .meta { color: #5b6475; font-size: 12px; }
  .runs li { margin: 2px 0; }
  figure { margin: 0; }
  svg { background: #fff; border: 1px solid #d9dee7; border-radius: 4px; max-width: 100%; height: auto; }
  svg text { font: 11px system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #3a4252; }
  svg .grid { stroke: #eceff4; }
  svg .axis { stroke: #8a93a5; }
  svg .series { fill: none; stroke-width: 2; }
  table { border-collapse: collapse; margin-top: 4px; }
  th, td { padding: 3px 12px; border-bottom: 1px solid #e4e8ef; }
  th { text-align: left; background: #f4f6fa; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .note { color: #5b6475; font-size: 12px; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
`;

/** The drawing script: no dependencies, no network; runs once at load. */
const SCRIPT = `
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706'];
  var data = JSON.parse(document.getElementById('bench-data').textContent);
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, anchor, extra) {
    var node = el('text', Object.assign({ x: x, y: y, 'text-anchor': anchor || 'middle' }, extra || {}), parent);
    node.textContent = content;
    return node;
  }
  function niceStep(range, count) {
    var raw = range / Math.max(1, count);
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= raw) return steps[i] * power;
    return 10 * power;
  }
  function formatNumber(value) {
    if (value === 0) return '0';
    var abs = Math.abs(value);
    if (abs >= 1e6) return (value / 1e6).toFixed(abs >= 1e7 ? 0 : 1) + 'M';
    if (abs >= 1e3) return (value / 1e3).toFixed(abs >= 1e4 ? 0 : 1) + 'k';
    if (abs >= 10) return value.toFixed(0);
    if (abs >= 1) return value.toFixed(1);
    return value.toPrecision(2);
  }
  // series: [{ name, color, points: [[x, y], ...] }]; xTicks: [{ value, label }] or null (linear).
  function chart(svg, series, options) {
    var width = 760, height = 340, left = 70, right = 36, top = 20, bottom = 50;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    var xs = [], ys = [];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    var xMin = options.xMin !== undefined ? options.xMin : Math.min.apply(null, xs.concat([0]));
    var xMax = Math.max.apply(null, xs.concat([xMin + 1e-9]));
    if (options.xMax !== undefined) xMax = Math.max(xMax, options.xMax);
    var yMax = Math.max.apply(null, ys.concat([0]));
    var yStep = niceStep(yMax > 0 ? yMax : 1, 5);
    var yTop = Math.max(yStep, Math.ceil((yMax * 1.05) / yStep) * yStep);
    var plotW = width - left - right, plotH = height - top - bottom;
    function sx(x) { return left + ((x - xMin) / (xMax - xMin || 1)) * plotW; }
    function sy(y) { return top + plotH - (y / yTop) * plotH; }
    for (var y = 0; y <= yTop + yStep / 2; y += yStep) {
      el('line', { x1: left, x2: left + plotW, y1: sy(y), y2: sy(y), class: 'grid' }, svg);
      text(svg, left - 6, sy(y) + 4, formatNumber(y), 'end');
    }
    var xTicks = options.xTicks;
    if (!xTicks) {
      xTicks = [];
      var xStep = niceStep(xMax - xMin || 1, 8);
      for (var x = Math.ceil(xMin / xStep) * xStep; x <= xMax + xStep / 1000; x += xStep) xTicks.push({ value: x, label: formatNumber(x) });
    }
    xTicks.forEach(function (tick) {
      if (tick.value < xMin - 1e-9 || tick.value > xMax + 1e-9) return;
      el('line', { x1: sx(tick.value), x2: sx(tick.value), y1: top, y2: top + plotH, class: 'grid' }, svg);
      text(svg, sx(tick.value), top + plotH + 16, tick.label);
    });
    el('line', { x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH, class: 'axis' }, svg);
    el('line', { x1: left, x2: left, y1: top, y2: top + plotH, class: 'axis' }, svg);
    text(svg, left + plotW / 2, height - 10, options.xLabel);
    text(svg, 16, top + plotH / 2, options.yLabel, 'middle', { transform: 'rotate(-90 16 ' + (top + plotH / 2) + ')' });
    var drawn = 0;
    series.forEach(function (s, index) {
      if (s.points.length === 0) return;
      var d = s.points.map(function (p, i) { return (i === 0 ? 'M' : 'L') + sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' ');
      var path = el('path', { d: d, class: 'series', stroke: s.color, 'data-series': s.name, 'data-points': s.points.length }, svg);
      path.appendChild(document.createElementNS(NS, 'title')).textContent = s.name;
      if (s.points.length <= 60) s.points.forEach(function (p) { el('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: s.color }, svg); });
      var ly = top + 8 + index * 16;
      el('rect', { x: left + plotW - 150, y: ly - 8, width: 10, height: 10, fill: s.color }, svg);
      text(svg, left + plotW - 135, ly + 1, s.name, 'start');
      drawn++;
    });
    return drawn > 0;
  }
  function percentileX(percentile, count) {
    var cap = Math.max(10, count);
    var inverse = percentile >= 100 ? cap : Math.min(cap, 1 / (1 - percentile / 100));
    return Math.log10(inverse);
  }
  var plots = 0;
  var throughput = data.series.map(function (s, i) {
    return { name: s.name, color: COLORS[i % COLORS.length], points: s.timeline.map(function (p) { return [p.t, p.recordsPerSec]; }) };
  });
  if (chart(document.getElementById('throughput-chart'), throughput, { xMin: 0, xLabel: 'seconds since the timed phase started', yLabel: 'records/s' })) plots++;
  var maxX = 1;
  var latency = data.series.map(function (s, i) {
    var points = s.distribution.map(function (p) { return [percentileX(p.percentile, s.latencyCount), p.ms]; });
    points.forEach(function (p) { maxX = Math.max(maxX, p[0]); });
    return { name: s.name, color: COLORS[i % COLORS.length], points: points };
  });
  var ticks = [];
  var labels = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];
  for (var k = 0; k < labels.length && k <= Math.ceil(maxX); k++) ticks.push({ value: k, label: labels[k] });
  if (chart(document.getElementById('latency-chart'), latency, { xMin: 0, xMax: Math.ceil(maxX), xTicks: ticks, xLabel: 'percentile (log scale of 1/(1 - p))', yLabel: 'latency ms' })) plots++;
  document.body.dataset.rendered = String(plots);
})();
`;

function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const head = `<tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr>`;
  const lines = body.map((row) => `<tr>${row.map((cell, column) => `<td${column > 0 ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return `<table>${head}${lines.join('')}</table>`;
}

export function renderReport(data: ReportData): string {
  const colors = ['#2563eb', '#dc2626', '#059669', '#d97706'];
  const runs = data.series
    .map((series, index) => `<li><span class="swatch" style="background:${colors[index % colors.length]}"></span><b>${escapeHtml(series.name)}</b>: ${escapeHtml(series.description)}</li>`)
    .join('');
  const measures = [...new Set(data.series.map((series) => series.latencyMeasures))].map(escapeHtml).join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body data-rendered="0">
<h1>${escapeHtml(data.title)}</h1>
<div class="meta">generated ${escapeHtml(data.generatedAt)} by brook bench</div>
<ul class="runs">${runs}</ul>
<h2>Throughput over time</h2>
<figure><svg id="throughput-chart" role="img" aria-label="throughput over time" xmlns="http://www.w3.org/2000/svg"></svg></figure>
<h2>Latency by percentile</h2>
<figure><svg id="latency-chart" role="img" aria-label="latency percentile distribution" xmlns="http://www.w3.org/2000/svg"></svg></figure>
<p class="note">Latency: ${measures}.</p>
<h2>Summary</h2>
${table(data.table)}
${data.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('\n')}
<noscript><p>The plots need JavaScript; the table above has the figures.</p></noscript>
<script type="application/json" id="bench-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
