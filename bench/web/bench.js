/**
 * Editor benchmark page: opens generated graphs of real node types (500 nodes, and 50 as the baseline) and
 * measures time to first draw and redraw time per frame: the whole graph in view ("fit", the "." key), the
 * view a workflow opens at ("open": fitted, but never below the zoom where text is drawn) and 1:1. Served next to the editor
 * (bench/web/run_bench.py copies it into a web root); results land in window.benchResult.
 */

import { App } from '../app.js';
import { serialize } from '../workflow.js';

const ROWS = [
  { source: 'EmptyImage', middle: ['ImageInvert', 'ImageBlend'], sink: ['SaveImage'] },
  { source: 'PrimitiveInt', middle: ['MathInt'], sink: ['ToString', 'ShowText'] },
];
const PER_ROW = 10; // both graphs share the grid, so at 1:1 the same nodes are on screen

/** Row `r` of the grid: a source, pass-through nodes, and a sink chain, `count` nodes long. */
function rowTypes(r, count) {
  const { source, middle, sink } = ROWS[r % ROWS.length];
  const types = [source];
  while (types.length < count - sink.length) types.push(middle[types.length % middle.length]);
  return [...types, ...sink].slice(0, count);
}

/** A grid of `n` linked nodes of real types, serialized as a UI workflow. */
function buildGraph(app, n) {
  const g = app.graph;
  g.clear();
  for (let row = 0, made = 0; made < n; row++) {
    let prev = null;
    rowTypes(row, Math.min(PER_ROW, n - made)).forEach((type, col) => {
      const node = g.addNode(type, app.defs.get(type), [col * 260, row * 300]);
      const slot = prev ? node.inputs.findIndex((i) => i.type === prev.outputs[0].type || i.type === '*') : -1;
      if (slot >= 0) g.connect(prev, 0, node, slot);
      prev = node;
      made++;
    });
  }
  return serialize(g, null);
}

function frames(app, count) {
  const times = [];
  const [ox, oy] = app.view.offset;
  for (let i = 0; i < count; i++) {
    // A small circular pan: every frame differs, the same part of the graph stays on screen.
    app.view.offset = [ox + 20 * Math.sin(i / 8), oy + 12 * Math.cos(i / 8)];
    const t = performance.now();
    app.renderer.draw();
    // Reading one pixel makes the browser rasterize the frame now, so its cost is inside the timing.
    app.renderer.ctx.getImageData(0, 0, 1, 1);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { mean: times.reduce((a, b) => a + b, 0) / count, median: times[count >> 1], p95: times[Math.floor(count * 0.95)] };
}

function measure(app, workflow, zoom) {
  const t0 = performance.now();
  app.loadGraphJSON(workflow, 'bench', { quiet: true });
  if (zoom === 'fit') app.fitView({ readable: false });
  if (zoom === '1:1') app.view = { scale: 1, offset: [0, 0] };
  app.renderer.draw();
  app.renderer.ctx.getImageData(0, 0, 1, 1);
  const firstDraw = performance.now() - t0;
  const drawn = app.renderer.stats.nodesDrawn;
  const redraw = frames(app, 240);
  return { nodes: app.graph.nodes.size, links: app.graph.links.size, zoom, firstDraw, redraw, drawn, edit: edits(app) };
}

/** Median cost of finishing an edit: the undo snapshot and the autosave, at this graph size. */
function edits(app, count = 15) {
  const node = app.graph.nodes.values().next().value;
  const times = [];
  for (let i = 0; i < count; i++) {
    node.pos = [node.pos[0] + 1, node.pos[1]];
    const t = performance.now();
    app.commit();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[count >> 1];
}

async function main() {
  const app = new App({ canvas: document.getElementById('canvas'), panel: null });
  window.app = app;
  localStorage.clear();
  await app.start();
  const big = buildGraph(app, 500);
  const small = buildGraph(app, 50);
  let results = [];
  // The first pass warms the JIT and the text-width cache; the second is reported.
  for (let pass = 0; pass < 2; pass++) {
    results = [];
    for (const zoom of ['fit', 'open', '1:1']) {
      results.push(measure(app, small, zoom));
      results.push(measure(app, big, zoom));
    }
  }
  window.benchResult = results;
  document.getElementById('result').textContent = JSON.stringify(results, null, 1);
  document.getElementById('status').textContent = 'done';
}

main();
