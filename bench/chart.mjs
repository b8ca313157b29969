// Draws the DNS benchmark as an SVG bar chart with Vega-Lite (rendered headless by Vega).
import * as vega from 'vega';
import { compile } from 'vega-lite';

/** rows: { variant, n, ms } — returns SVG text. */
export async function drawChart(rows, { title, subtitle }) {
  const order = [...new Set([...rows].sort((a, b) => a.ms - b.ms).map((r) => r.variant))];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    data: { values: rows.filter((r) => typeof r.ms === 'number').map((r) => ({ ...r, N: `N = ${r.n}`, seconds: r.ms / 1000 })) },
    facet: { row: { field: 'N', type: 'nominal', title: null, sort: { field: 'n' } } },
    spec: {
      width: 520,
      height: { step: 16 },
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: order, title: null },
            x: { field: 'seconds', type: 'quantitative', scale: { type: 'log' }, title: 'wall time, seconds (log scale)' },
            color: { field: 'family', type: 'nominal', legend: { title: null, orient: 'bottom' } },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: order },
            x: { field: 'seconds', type: 'quantitative' },
            text: { field: 'seconds', type: 'quantitative', format: '.3~s' },
          },
        },
      ],
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.Error });
  return view.toSVG();
}
