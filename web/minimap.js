/**
 * The minimap in the canvas' bottom-right corner: the whole graph small, with the view's rectangle; click or
 * drag in it to move the view there. Nodes are drawn only when the graph changed (a commit, another graph shown)
 * or while nodes are being moved or resized; the view's rectangle is an element moved by style, so a pan or zoom
 * of the canvas costs the minimap a few assignments and no drawing or layout read.
 */

import { nodeBounds } from './fit.js';
import { TITLE_H, visibleSize } from './graph.js';

const W = 200;
const H = 140;
const PAD = 6;
const HIDDEN_KEY = 'nodegraph.minimap.hidden';

export class Minimap {
  constructor(app) {
    this.app = app;
    this.dirty = true;
    this.stamp = null;
    this.frame = null; // {scale, x0, y0}: world to minimap pixels
    this.shown = ''; // the view rectangle's last position, to touch the style only when it moves
    this.box = Object.assign(document.createElement('div'), { id: 'minimap' });
    this.canvas = document.createElement('canvas');
    this.rect = Object.assign(document.createElement('div'), { className: 'minimap-view' });
    this.canvas.title = 'Minimap: click or drag to move the view';
    this.toggleButton = Object.assign(document.createElement('button'), { type: 'button', className: 'minimap-toggle' });
    this.toggleButton.addEventListener('click', () => this.setHidden(!this.hidden));
    this.box.append(this.canvas, this.rect, this.toggleButton);
    app.canvas.parentElement?.appendChild(this.box);
    let hidden = false;
    try { hidden = localStorage.getItem(HIDDEN_KEY) === '1'; } catch { /* no storage */ }
    this.setHidden(hidden);
    this.canvas.addEventListener('pointerdown', (e) => {
      this.canvas.setPointerCapture?.(e.pointerId);
      this.pressed = true;
      this.jump(e);
    });
    this.canvas.addEventListener('pointermove', (e) => { if (this.pressed) this.jump(e); });
    this.canvas.addEventListener('pointerup', () => { this.pressed = false; });
  }

  setHidden(hidden) {
    this.hidden = hidden;
    this.box.classList.toggle('hidden', hidden);
    this.toggleButton.textContent = hidden ? 'map' : '×';
    this.toggleButton.title = hidden ? 'Show the minimap' : 'Hide the minimap';
    try { localStorage.setItem(HIDDEN_KEY, hidden ? '1' : '0'); } catch { /* no storage */ }
    this.invalidate();
    this.shown = '';
    this.app.requestDraw?.();
  }

  invalidate() {
    this.dirty = true;
  }

  /** Draw every node as a box in its title colour, scaled into the minimap. */
  rebuild() {
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== W * dpr) c.width = W * dpr;
    if (c.height !== H * dpr) c.height = H * dpr;
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const nodes = [...this.app.graph.nodes.values()];
    const b = nodeBounds(nodes);
    if (!b) { this.frame = null; return; }
    const scale = Math.min((W - 2 * PAD) / Math.max(1, b[2] - b[0]), (H - 2 * PAD) / Math.max(1, b[3] - b[1]));
    // Centred in the box.
    const x0 = b[0] - ((W - 2 * PAD) / scale - (b[2] - b[0])) / 2;
    const y0 = b[1] - ((H - 2 * PAD) / scale - (b[3] - b[1])) / 2;
    this.frame = { scale, x0, y0 };
    for (const n of nodes) {
      const [w, h] = visibleSize(n);
      const [x, y] = this.toMap([n.pos[0], n.pos[1] - TITLE_H]);
      ctx.fillStyle = n.bgcolor || '#4a4a55';
      ctx.fillRect(x, y, Math.max(1, w * scale), Math.max(1, h * scale));
      ctx.fillStyle = n.color || '#8a8a99';
      ctx.fillRect(x, y, Math.max(1, w * scale), Math.max(1, TITLE_H * scale));
    }
  }

  toMap([wx, wy]) {
    const f = this.frame;
    return [PAD + (wx - f.x0) * f.scale, PAD + (wy - f.y0) * f.scale];
  }

  /** Called at the end of every canvas frame: the nodes when they changed, then the view's rectangle. */
  draw() {
    if (this.hidden || !this.box.isConnected) return;
    const { app } = this;
    const stamp = `${app.graph.version}`;
    if (this.dirty || this.graph !== app.graph || this.stamp !== stamp || app.interaction?.op?.moves) {
      this.rebuild();
      this.dirty = false;
      this.graph = app.graph;
      this.stamp = stamp;
    }
    let shown = 'none';
    if (this.frame) {
      // The canvas' size as the renderer last set it (no layout read); kept inside the box, so a view larger
      // than the graph shows as the box's edge.
      const dpr = app.renderer.dpr || 1;
      const clamp = ([x, y]) => [Math.min(W, Math.max(0, x)), Math.min(H, Math.max(0, y))];
      const [ax, ay] = clamp(this.toMap(app.toWorld([0, 0])));
      const [bx, by] = clamp(this.toMap(app.toWorld([app.canvas.width / dpr, app.canvas.height / dpr])));
      shown = `${ax.toFixed(1)},${ay.toFixed(1)},${(bx - ax).toFixed(1)},${(by - ay).toFixed(1)}`;
    }
    if (shown === this.shown) return;
    this.shown = shown;
    const [x, y, w, h] = shown.split(',');
    Object.assign(this.rect.style, shown === 'none' ? { display: 'none' }
      : { display: '', left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${h}px` });
  }

  /** Centre the view on the world point under the pointer. */
  jump(e) {
    if (!this.frame) return;
    const r = this.canvas.getBoundingClientRect();
    const f = this.frame;
    const world = [(e.clientX - r.left - PAD) / f.scale + f.x0, (e.clientY - r.top - PAD) / f.scale + f.y0];
    const { view } = this.app;
    const c = this.app.canvas.getBoundingClientRect();
    view.offset = [c.width / 2 / view.scale - world[0], c.height / 2 / view.scale - world[1]];
    this.app.requestDraw();
  }
}
