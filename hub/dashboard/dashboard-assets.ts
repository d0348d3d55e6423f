// The dashboard's static files: its style sheet, its one script (charts drawn with uPlot from data the
// page carries in a JSON block, so no inline script is needed), and uPlot itself from node_modules.
// Kept as strings here so the bundled CLI serves them without copying files around.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Asset {
  readonly type: string;
  readonly body: string | Buffer;
}

const require = createRequire(import.meta.url);
let uplot: { script: Buffer; style: Buffer } | undefined;

function uplotFiles() {
  uplot ??= {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')),
    style: readFileSync(require.resolve('uplot/dist/uPlot.min.css')),
  };
  return uplot;
}

export function dashboardAsset(name: string): Asset | undefined {
  switch (name) {
    case 'dashboard.css':
      return { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS };
    case 'dashboard.js':
      return { type: 'text/javascript; charset=utf-8', body: CHARTS_SCRIPT };
    case 'uplot.js':
      return { type: 'text/javascript; charset=utf-8', body: uplotFiles().script };
    case 'uplot.css':
      return { type: 'text/css; charset=utf-8', body: uplotFiles().style };
    default:
      return undefined;
  }
}

const DASHBOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --accent: #0b5cad; --accent-text: #ffffff; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e;
  --focus: #0b5cad;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif;
  font-size: 15px; line-height: 1.45;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419; --panel: #171c22; --text: #e6edf3; --muted: #9ba7b4; --line: #30363d;
    --accent: #58a6ff; --accent-text: #0b1117; --ok: #3fb950; --warn: #d29922; --bad: #f85149;
    --focus: #79c0ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip-link { position: absolute; left: -9999px; top: 0; background: var(--panel); padding: 0.5rem 1rem; }
.skip-link:focus { left: 1rem; z-index: 10; }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: 0.6rem 1.5rem;
  background: var(--panel); border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; font-size: 1.05rem; }
header.top nav ul { display: flex; gap: 0.25rem; list-style: none; margin: 0; padding: 0; }
header.top nav a { display: block; padding: 0.35rem 0.7rem; border-radius: 6px; text-decoration: none; color: var(--text); }
header.top nav a[aria-current='page'] { background: var(--accent); color: var(--accent-text); }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 0.75rem; color: var(--muted); }
main { padding: 1.25rem 1.5rem 3rem; max-width: 1240px; }
h1 { font-size: 1.4rem; margin: 0 0 0.75rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
p.lead { color: var(--muted); margin-top: 0; }
section.panel > h2:first-child { margin-top: 0; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ul.counts { display: flex; flex-wrap: wrap; gap: 0.75rem; list-style: none; padding: 0; margin: 0 0 1rem; }
ul.counts li { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 0.6rem 1rem; min-width: 11rem; }
ul.counts .value { display: block; font-size: 1.5rem; font-weight: 700; }
ul.counts .label { color: var(--muted); }
table { border-collapse: collapse; width: 100%; background: var(--panel); }
caption { text-align: left; font-weight: 600; padding: 0.4rem 0; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.9em; }
.state { font-weight: 600; }
.state-ok { color: var(--ok); }
.state-warn { color: var(--warn); }
.state-bad { color: var(--bad); }
.state-muted { color: var(--muted); }
form.inline { display: inline; }
form.stack { display: grid; gap: 0.75rem; max-width: 30rem; }
label { font-weight: 600; display: block; }
.ago { color: var(--muted); font-size: 0.9rem; white-space: nowrap; }
.hint { color: var(--muted); font-weight: 400; font-size: 0.9rem; display: block; }
input, select, textarea { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 0.4rem 0.5rem; width: 100%; }
textarea.token { font-family: ui-monospace, monospace; font-size: 0.85rem; min-height: 6rem; }
button, .button { font: inherit; cursor: pointer; border-radius: 6px; padding: 0.4rem 0.9rem; border: 1px solid var(--accent);
  background: var(--accent); color: var(--accent-text); text-decoration: none; display: inline-block; }
button.quiet, .button.quiet { background: transparent; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); color: #ffffff; }
form.wide { max-width: 40rem; }
fieldset { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; display: grid; gap: 0.75rem; }
legend { font-weight: 700; padding: 0 0.3rem; }
label.check { font-weight: 400; display: flex; gap: 0.5rem; align-items: baseline; }
label.check input { width: auto; }
.field.invalid input, .field.invalid select, .field.invalid textarea { border-color: var(--bad); border-width: 2px; }
.field-error { color: var(--bad); margin: 0.25rem 0 0; font-weight: 600; }
.notice { border-left: 4px solid var(--accent); background: var(--panel); padding: 0.6rem 1rem; margin-bottom: 1rem; }
.notice.error { border-color: var(--bad); }
.notice.warn { border-color: var(--warn); }
.login { max-width: 26rem; margin: 4rem auto; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
figure.chart { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; }
figure.chart figcaption { font-weight: 600; margin-bottom: 0.4rem; }
.chart-area { min-height: 240px; }
details { margin-top: 0.5rem; }
.uplot, .uplot .u-legend { color: var(--text); font-family: inherit; }
`;

// Draws every chart the page describes in <script type="application/json" id="chart-data">. Runs as a
// separate file (the policy forbids inline script); the data tables beside each chart say the same.
const CHARTS_SCRIPT = `'use strict';
(function () {
  var holder = document.getElementById('chart-data');
  if (!holder || typeof uPlot === 'undefined') return;
  var charts = JSON.parse(holder.textContent || '[]');
  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  var palette = dark
    ? ['#58a6ff', '#3fb950', '#d29922', '#f778ba', '#a5d6ff', '#ff7b72', '#bc8cff']
    : ['#0b5cad', '#1a7f37', '#9a6700', '#bf3989', '#0969da', '#cf222e', '#8250df'];
  var axisColour = dark ? '#9ba7b4' : '#57606a';
  var gridColour = dark ? '#30363d' : '#d0d7de';
  charts.forEach(function (chart) {
    var target = document.getElementById(chart.target);
    if (!target) return;
    var axis = { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { stroke: gridColour } };
    var options = {
      width: Math.max(280, target.clientWidth || 560),
      height: 240,
      scales: { x: { time: false } },
      axes: [
        Object.assign({ label: chart.xLabel, values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) ? String(t) : ''; }); } }, axis),
        Object.assign({ label: chart.yLabel }, axis),
      ],
      series: [{ label: chart.xLabel }].concat(
        chart.series.map(function (series, index) {
          return {
            label: series.label,
            stroke: palette[index % palette.length],
            width: 2,
            spanGaps: false,
            points: { show: true, size: 7 },
          };
        }),
      ),
    };
    var data = [chart.x].concat(chart.series.map(function (series) { return series.values; }));
    new uPlot(options, data, target);
  });
})();
`;
