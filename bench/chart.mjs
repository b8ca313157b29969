// Draws the DNS benchmark as an SVG bar chart with Vega-Lite (rendered headless by Vega).
import * as vega from 'vega';
import { compile } from 'vega-lite';

// Vega-Lite warns about facets with independent scales, which is what is wanted here.
const quiet = {
  level() { return this; },
  info() { return this; },
  debug() { return this; },
  warn() { return this; },
  error(...args) { console.error(...args); return this; },
};

/** rows: { variant, n, ms, family } — returns SVG text. */
export async function drawChart(rows, { title, subtitle }) {
  const order = [...new Set([...rows].sort((a, b) => a.ms - b.ms).map((r) => r.variant))];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    data: {
      values: rows.filter((r) => typeof r.ms === 'number').map((r) => ({
        ...r,
        N: `N = ${r.n}`,
        seconds: r.ms / 1000,
        label: r.ms < 1000 ? `${r.ms.toFixed(0)} ms` : `${(r.ms / 1000).toFixed(2)} s`,
      })),
    },
    facet: { row: { field: 'N', type: 'nominal', title: null, sort: { field: 'n' } } },
    spec: {
      width: 520,
      height: { step: 16 },
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: order, title: null },
            x: { field: 'seconds', type: 'quantitative', scale: { type: 'log', domainMin: 0.01 }, title: 'wall time, seconds (log scale)' },
            // A log scale has no zero: the bars start at its left edge.
            x2: { datum: 0.01 },
            color: { field: 'family', type: 'nominal', legend: { title: null, orient: 'bottom', labelLimit: 400 } },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: order },
            x: { field: 'seconds', type: 'quantitative' },
            text: { field: 'label', type: 'nominal' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  const view = new vega.View(vega.parse(compile(spec, { logger: quiet }).spec), { renderer: 'none', logLevel: vega.Error });
  return view.toSVG();
}
