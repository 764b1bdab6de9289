/** Fitting the view to the graph (or the selection): on open at a zoom where text is drawn, or all of it. */

import { TITLE_H, visibleSize } from './graph.js';

/** At and above this zoom, widgets, labels and badges are drawn; below it only shapes and titles. */
export const TEXT_ZOOM = 0.6;
/** Below this zoom nodes are plain boxes. */
export const FAR_ZOOM = 0.3;
/** Down to this zoom titles are drawn, in a font grown to stay legible (canvas.js). */
export const TITLE_ZOOM = 0.2;
const MAX_FIT = 1.2;
const MARGIN = 40;

/** World bounds [x0, y0, x1, y1] of `nodes`, or null when there are none. */
export function nodeBounds(nodes) {
  if (!nodes.length) return null;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of nodes) {
    const [w, h] = visibleSize(n);
    x0 = Math.min(x0, n.pos[0]);
    y0 = Math.min(y0, n.pos[1] - TITLE_H);
    x1 = Math.max(x1, n.pos[0] + w);
    y1 = Math.max(y1, n.pos[1] - TITLE_H + h);
  }
  return [x0, y0, x1, y1];
}

/** Is every node on screen in the current view? */
export function allVisible(app) {
  const b = nodeBounds([...app.graph.nodes.values()]);
  const r = app.canvas.getBoundingClientRect();
  if (!b) return true;
  const [sx0, sy0] = app.toScreen([b[0], b[1]]);
  const [sx1, sy1] = app.toScreen([b[2], b[3]]);
  return sx0 >= 0 && sy0 >= 0 && sx1 <= r.width && sy1 <= r.height;
}

/**
 * Fit the view to `nodes` (all by default). `readable`: never below TEXT_ZOOM, so titles and widgets can be
 * read at once; what does not fit then starts at the top-left corner (workflows read left to right), and the
 * minimap shows the rest. Without it (the "." key) everything is shown, however small.
 */
export function fitView(app, { readable = true, nodes = null } = {}) {
  const b = nodeBounds(nodes || [...app.graph.nodes.values()]);
  const r = app.canvas.getBoundingClientRect();
  if (!b || !r.width) { app.view = { scale: 1, offset: [0, 0] }; return; }
  const [x0, y0, x1, y1] = b;
  const [w, h] = [Math.max(1, x1 - x0), Math.max(1, y1 - y0)];
  let scale = Math.min(MAX_FIT, Math.max(0.05, Math.min((r.width - 2 * MARGIN) / w, (r.height - 2 * MARGIN) / h)));
  if (readable) scale = Math.max(scale, TEXT_ZOOM);
  // On each axis: centred when it fits, else from the top-left edge with a small margin.
  const place = (size, room, start) => (size * scale <= room - 2 * MARGIN
    ? (room / scale - size) / 2 - start : MARGIN / 2 / scale - start);
  app.view = { scale, offset: [place(w, r.width, x0), place(h, r.height, y0)] };
}
