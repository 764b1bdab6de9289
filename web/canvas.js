/**
 * Draws the graph on the canvas: only what is in view, with text widths cached between frames. Levels of detail
 * by zoom: everything from TEXT_ZOOM up; below it shapes and sockets, with titles in a font grown to stay
 * legible down to TITLE_ZOOM; below FAR_ZOOM nodes are plain boxes.
 */

import { typeColor } from './colors.js';
import { typesMatch } from './defs.js';
import { FAR_ZOOM, TEXT_ZOOM, TITLE_ZOOM } from './fit.js';
import { MODE_BYPASS, MODE_NEVER, TITLE_H, linkBend, linkMid, nodeLayout, socketPos, visibleSize } from './graph.js';
import { ExecState } from './run.js';
import { drawError, drawOutputs } from './run_draw.js';
import { drawWidget, fitText } from './widgets.js';

// Titles drawn below TEXT_ZOOM are at least this many screen pixels tall.
const MIN_TITLE_PX = 10;

const IO_TITLE = '#3a7d6b';
const IO_BODY = '#24302d';

export class Renderer {
  constructor(canvas, app) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.app = app;
    this.widths = new Map();
    this.measure = (ctx, text) => {
      const key = `${ctx.font}|${text}`;
      let w = this.widths.get(key);
      if (w === undefined) {
        if (this.widths.size > 20000) this.widths.clear();
        w = ctx.measureText(text).width;
        this.widths.set(key, w);
      }
      return w;
    };
    this.stats = { nodesDrawn: 0, titles: 0, detail: false, frameMs: 0 };
    this.noRun = new ExecState();
  }

  /** Run marks are keyed by the workflow's own node ids: inside a subgraph they would land on inner nodes. */
  get exec() {
    return this.app.subgraphs?.inside ? this.noRun : this.app.exec;
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const r = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.dpr = dpr;
  }

  /** The world rectangle currently on screen. */
  visibleRect() {
    const { scale, offset } = this.app.view;
    const w = this.canvas.width / this.dpr / scale;
    const h = this.canvas.height / this.dpr / scale;
    return [-offset[0], -offset[1], w, h];
  }

  draw() {
    const t0 = performance.now();
    const { ctx, app } = this;
    const { scale, offset } = app.view;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#1b1b1f';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(this.dpr * scale, 0, 0, this.dpr * scale, this.dpr * scale * offset[0], this.dpr * scale * offset[1]);
    const rect = this.visibleRect();
    this.drawGrid(rect);
    const detail = scale >= TEXT_ZOOM; // below this, widget text is too small to read and costly to rasterize
    for (const g of app.graph.groups) if (intersects(g.bounding, rect)) this.drawGroup(g, detail);
    this.drawLinks(rect);
    let drawn = 0;
    this.titles = 0;
    for (const node of app.graph.nodes.values()) {
      const [w, h] = visibleSize(node);
      if (!intersects([node.pos[0], node.pos[1] - TITLE_H, w, h + 40], rect)) continue;
      this.drawNode(node, detail);
      drawn++;
    }
    this.drawOverlay();
    app.minimap?.draw();
    this.stats = { nodesDrawn: drawn, titles: this.titles, detail, frameMs: performance.now() - t0 };
  }

  drawGrid([x, y, w, h]) {
    const { ctx } = this;
    const step = 50;
    if (this.app.view.scale < 0.3) return;
    ctx.strokeStyle = '#26262c';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let gx = Math.floor(x / step) * step; gx < x + w; gx += step) { ctx.moveTo(gx, y); ctx.lineTo(gx, y + h); }
    for (let gy = Math.floor(y / step) * step; gy < y + h; gy += step) { ctx.moveTo(x, gy); ctx.lineTo(x + w, gy); }
    ctx.stroke();
  }

  drawGroup(g, detail) {
    const { ctx } = this;
    const [x, y, w, h] = g.bounding;
    ctx.fillStyle = `${g.color || '#3f789e'}44`;
    ctx.strokeStyle = this.app.selectedGroup === g ? '#fff' : `${g.color || '#3f789e'}aa`;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, 6);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = `${g.color || '#3f789e'}88`;
    ctx.fillRect(x, y, w, 34);
    const { scale } = this.app.view;
    if (scale < TITLE_ZOOM) return;
    ctx.fillStyle = '#eee';
    ctx.font = `${detail ? 20 : Math.ceil(Math.max(20, (MIN_TITLE_PX * 1.4) / scale))}px sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(fitText(ctx, this.measure, g.title, w - 20), x + 10, y + 17);
  }

  /** Links batched into one path per colour (and alpha), so 500 links cost a handful of stroke calls. */
  drawLinks(rect) {
    const { ctx, app } = this;
    const batches = new Map();
    for (const link of app.graph.links.values()) {
      const o = app.graph.nodes.get(link.origin_id);
      const t = app.graph.nodes.get(link.target_id);
      if (!o || !t) continue;
      const a = socketPos(o, false, link.origin_slot);
      const b = socketPos(t, true, link.target_slot);
      const box = [Math.min(a[0], b[0]) - 60, Math.min(a[1], b[1]) - 20, Math.abs(a[0] - b[0]) + 120, Math.abs(a[1] - b[1]) + 40];
      if (!intersects(box, rect)) continue;
      const key = `${typeColor(link.type)}|${o.mode === MODE_NEVER || t.mode === MODE_NEVER ? 0.3 : 0.85}`;
      if (!batches.has(key)) batches.set(key, []);
      batches.get(key).push(a, b);
    }
    ctx.lineWidth = 3;
    const markers = app.view.scale >= TEXT_ZOOM; // the dot in each link's middle opens its menu
    for (const [key, points] of batches) {
      const [color, alpha] = key.split('|');
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.globalAlpha = Number(alpha);
      ctx.beginPath();
      for (let i = 0; i < points.length; i += 2) this.curvePath(points[i], points[i + 1]);
      ctx.stroke();
      if (!markers) continue;
      ctx.beginPath();
      for (let i = 0; i < points.length; i += 2) {
        const [mx, my] = linkMid(points[i], points[i + 1]);
        ctx.moveTo(mx + 4, my);
        ctx.arc(mx, my, 4, 0, Math.PI * 2);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  curvePath(a, b) {
    const d = linkBend(a, b);
    this.ctx.moveTo(a[0], a[1]);
    this.ctx.bezierCurveTo(a[0] + d, a[1], b[0] - d, b[1], b[0], b[1]);
  }

  curve(a, b) {
    this.ctx.beginPath();
    this.curvePath(a, b);
    this.ctx.stroke();
  }

  nodeOutline(node) {
    const ex = this.exec;
    if (ex.errors.has(node.id)) return ['#ff4444', 3];
    if (ex.running === node.id) return ['#46e05c', 3];
    if (this.app.selected.has(node.id)) return ['#ffffff', 2];
    return [node.unknown ? '#b33' : '#111', 1];
  }

  /** Far out, a node is two rectangles (and its state outline): nothing smaller than a pixel or two. */
  drawNodeFar(node, x, y, w, h) {
    const { ctx } = this;
    ctx.fillStyle = node.mode === MODE_BYPASS ? '#5a2f63' : node.bgcolor || '#303036';
    ctx.fillRect(x, y, w, h);
    ctx.fillStyle = node.unknown ? '#6b2222' : node.color || '#232328';
    ctx.fillRect(x, y, w, TITLE_H);
    this.drawProgress(node, x, y, w);
    const [stroke, lw] = this.nodeOutline(node);
    if (lw > 1) {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = lw / this.app.view.scale;
      ctx.strokeRect(x, y, w, h);
    }
  }

  drawNode(node, detail) {
    const { ctx, app } = this;
    const [w, h] = visibleSize(node);
    const x = node.pos[0];
    const y = node.pos[1] - TITLE_H;
    if (app.view.scale < FAR_ZOOM && !app.drag) {
      ctx.globalAlpha = node.mode === MODE_NEVER ? 0.4 : 1;
      this.drawNodeFar(node, x, y, w, h);
      this.drawTitleLarge(node, x, y, w);
      ctx.globalAlpha = 1;
      return;
    }
    const dim = app.drag?.kind === 'link' && app.drag.node !== node && !this.acceptsDrag(node);
    ctx.globalAlpha = node.mode === MODE_NEVER ? 0.4 : dim ? 0.45 : 1;
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, 8);
    ctx.fillStyle = node.mode === MODE_BYPASS ? '#5a2f63' : node.io ? IO_BODY : node.bgcolor || '#303036';
    ctx.fill();
    // The title bar is its own rounded shape: clipping to the body would cost far more per node.
    ctx.beginPath();
    ctx.roundRect(x, y, w, TITLE_H, node.flags.collapsed ? 8 : [8, 8, 0, 0]);
    ctx.fillStyle = node.unknown ? '#6b2222' : node.io ? IO_TITLE : node.color || '#232328';
    ctx.fill();
    this.drawProgress(node, x, y, w);
    const [stroke, lw] = this.nodeOutline(node);
    ctx.strokeStyle = node.io && lw === 1 ? IO_TITLE : stroke;
    ctx.lineWidth = lw;
    // A subgraph's boundary nodes are not nodes of the graph: dashed, in the subgraph badge's colour.
    if (node.io) ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, 8);
    ctx.stroke();
    ctx.setLineDash([]);
    if (detail) this.drawTitle(node, x, y, w);
    else this.drawTitleLarge(node, x, y, w);
    if (!node.flags.collapsed) {
      this.drawSockets(node, detail);
      if (detail) this.drawBody(node);
    } else {
      this.drawSockets(node, false);
    }
    ctx.globalAlpha = 1;
    if (detail) drawError(this, node, x, y + h);
  }

  drawTitle(node, x, y, w) {
    const { ctx, app } = this;
    ctx.font = 'bold 13px sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    if (node.type === 'Reroute') return; // a reroute is only its two sockets
    ctx.fillStyle = node.flags.collapsed ? '#777' : '#aaa';
    ctx.beginPath();
    ctx.arc(x + 12, y + TITLE_H / 2, 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#e8e8e8';
    const label = node.unknown ? `${node.title} (unknown node type)` : node.title;
    ctx.fillText(label, x + 24, y + TITLE_H / 2);
    this.titles++;
    const badges = [];
    if (node.subgraph) badges.push(['subgraph', '#3a7d6b']);
    if (this.exec.cached.has(node.id)) badges.push(['cached', '#4a6fa5']);
    if (node.mode === MODE_BYPASS) badges.push(['bypass', '#8e44ad']);
    if (node.mode === MODE_NEVER) badges.push(['muted', '#666']);
    ctx.font = '10px sans-serif';
    let bx = x + w - 8;
    for (const [text, color] of badges) {
      const tw = this.measure(ctx, text) + 10;
      bx -= tw;
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.roundRect(bx, y + 6, tw, 14, 7);
      ctx.fill();
      ctx.fillStyle = '#fff';
      ctx.textAlign = 'center';
      ctx.fillText(text, bx + tw / 2, y + 13);
      bx -= 4;
    }
  }

  /** Below TEXT_ZOOM: the title alone, in a font grown so it stays readable, cut to the node's width. */
  drawTitleLarge(node, x, y, w) {
    if (node.type === 'Reroute' || this.app.view.scale < TITLE_ZOOM) return;
    const { ctx } = this;
    const size = Math.ceil(Math.max(13, MIN_TITLE_PX / this.app.view.scale));
    ctx.font = `bold ${size}px sans-serif`;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillStyle = '#e8e8e8';
    ctx.fillText(fitText(ctx, this.measure, node.title, w - 12), x + 6, y + 4);
    this.titles++;
  }

  drawProgress(node, x, y, w) {
    const p = this.exec.progress.get(node.id);
    if (!p) return;
    this.ctx.fillStyle = '#2e8b3e';
    this.ctx.fillRect(x + 2, y + TITLE_H - 5, (w - 4) * Math.min(1, p.value / (p.max || 1)), 4);
  }

  acceptsDrag(node) {
    const d = this.app.drag;
    if (d.fromOutput) return node.inputs.some((i) => typesMatch(d.type, i.type));
    return node.outputs.some((o) => typesMatch(o.type, d.type));
  }

  drawSockets(node, detail) {
    const { ctx, app } = this;
    const drag = app.drag?.kind === 'link' ? app.drag : null;
    const errInputs = this.exec.errors.get(node.id)?.inputs || new Map();
    ctx.font = '12px sans-serif';
    ctx.textBaseline = 'middle';
    const one = (slot, isInput, i) => {
      const [sx, sy] = socketPos(node, isInput, i);
      const connected = isInput ? slot.link !== null && slot.link !== undefined : slot.links.length > 0;
      if (isInput && slot.widget && !connected && !(drag?.fromOutput && typesMatch(drag.type, slot.type))) return;
      const ok = !drag || (isInput ? drag.fromOutput && typesMatch(drag.type, slot.type)
        : !drag.fromOutput && typesMatch(slot.type, drag.type));
      ctx.globalAlpha = ok ? (node.mode === MODE_NEVER ? 0.4 : 1) : 0.2;
      ctx.beginPath();
      ctx.arc(sx, sy, 5, 0, Math.PI * 2);
      ctx.fillStyle = typeColor(slot.type);
      ctx.strokeStyle = typeColor(slot.type);
      ctx.lineWidth = 2;
      if (connected) ctx.fill(); else ctx.stroke();
      if (errInputs.has(slot.name)) {
        ctx.strokeStyle = '#f44';
        ctx.beginPath();
        ctx.arc(sx, sy, 9, 0, Math.PI * 2);
        ctx.stroke();
      }
      if (!detail || slot.widget || node.type === 'Reroute') return;
      ctx.fillStyle = errInputs.has(slot.name) ? '#f66' : '#bbb';
      ctx.textAlign = isInput ? 'left' : 'right';
      ctx.fillText(slot.label || slot.name, sx + (isInput ? 12 : -12), sy);
    };
    node.inputs.forEach((s, i) => one(s, true, i));
    node.outputs.forEach((s, i) => one(s, false, i));
    ctx.globalAlpha = node.mode === MODE_NEVER ? 0.4 : 1;
  }

  drawBody(node) {
    const { ctx, app } = this;
    const l = nodeLayout(node);
    const errInputs = this.exec.errors.get(node.id)?.inputs || new Map();
    ctx.save();
    ctx.translate(node.pos[0], node.pos[1]);
    ctx.font = '12px sans-serif';
    node.widgets.forEach((w, k) => {
      const linked = node.inputs.some((i) => i.widget?.name === w.name && i.link !== null && i.link !== undefined);
      drawWidget(ctx, w, l.widgets[k], { linked, error: errInputs.has(w.name), measure: this.measure, detail: true });
    });
    drawOutputs(this, node, l.free);
    ctx.restore();
  }

  drawOverlay() {
    const { ctx, app } = this;
    const d = app.drag;
    if (d?.kind === 'link') {
      ctx.strokeStyle = typeColor(d.type);
      ctx.lineWidth = 3;
      const a = socketPos(d.node, !d.fromOutput, d.slot);
      if (d.fromOutput) this.curve(a, d.pos); else this.curve(d.pos, a);
    }
    if (d?.kind === 'box') {
      ctx.strokeStyle = '#8ab4f8';
      ctx.lineWidth = 1 / app.view.scale;
      ctx.setLineDash([6, 4]);
      ctx.strokeRect(d.start[0], d.start[1], d.pos[0] - d.start[0], d.pos[1] - d.start[1]);
      ctx.setLineDash([]);
    }
  }
}

function intersects([ax, ay, aw, ah], [bx, by, bw, bh]) {
  return ax < bx + bw && ax + aw > bx && ay < by + bh && ay + ah > by;
}
