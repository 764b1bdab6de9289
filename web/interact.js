/** Mouse and keyboard on the canvas: pan, zoom, select, move, connect, widgets and shortcuts. */

import { typesMatch } from './defs.js';
import { TEXT_ZOOM } from './fit.js';
import { TITLE_H, inputAt, linkMid, nodeLayout, socketPos, visibleSize } from './graph.js';
import { pressWidget } from './widgets.js';

const SOCKET_R = 10;

/** The socket under world point p: {node, slot, isInput} or null (widget sockets only when dragging). */
export function socketAt(app, p, includeWidgetSockets = false) {
  const nodes = [...app.graph.nodes.values()];
  for (let n = nodes.length - 1; n >= 0; n--) {
    const node = nodes[n];
    const [w, h] = visibleSize(node);
    if (p[0] < node.pos[0] - 15 || p[0] > node.pos[0] + w + 15 || p[1] < node.pos[1] - TITLE_H - 5
      || p[1] > node.pos[1] + h) continue;
    for (let i = 0; i < node.outputs.length; i++) {
      const s = socketPos(node, false, i);
      if (Math.hypot(s[0] - p[0], s[1] - p[1]) < SOCKET_R) return { node, slot: i, isInput: false };
    }
    for (let i = 0; i < node.inputs.length; i++) {
      const inp = node.inputs[i];
      const linked = inp.link !== null && inp.link !== undefined;
      if (inp.widget && !linked && !includeWidgetSockets) continue;
      const s = socketPos(node, true, i);
      if (Math.hypot(s[0] - p[0], s[1] - p[1]) < SOCKET_R) return { node, slot: i, isInput: true };
    }
  }
  return null;
}

export class Interaction {
  constructor(app, canvas) {
    this.app = app;
    this.canvas = canvas;
    this.op = null; // the gesture in progress: {move(p, e), up(p, e)}
    this.mouse = [0, 0];
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    window.addEventListener('pointermove', (e) => this.move(e));
    window.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    canvas.addEventListener('dblclick', (e) => this.dblclick(e));
    canvas.addEventListener('contextmenu', (e) => { e.preventDefault(); this.context(e); });
    window.addEventListener('keydown', (e) => this.key(e));
    window.addEventListener('keyup', (e) => { if (e.key === ' ') this.spaceHeld = false; });
  }

  world(e) {
    const r = this.canvas.getBoundingClientRect();
    return this.app.toWorld([e.clientX - r.left, e.clientY - r.top]);
  }

  down(e) {
    this.app.closePopups();
    const p = this.world(e);
    this.start = [e.clientX, e.clientY];
    this.moved = false;
    if (e.button === 1 || (e.button === 0 && this.spaceHeld)) { this.op = this.panOp(e); return; }
    if (e.button !== 0) return;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.op = this.socketOp(p, e) || this.linkOp(p, e) || this.nodeOp(p, e) || this.groupOp(p, e) || this.emptyOp(p, e);
    this.app.requestDraw();
  }

  move(e) {
    if (this.canvas.isConnected) {
      const r = this.canvas.getBoundingClientRect();
      this.mouse = [e.clientX - r.left, e.clientY - r.top];
    }
    if (!this.op) return;
    if (this.start && Math.hypot(e.clientX - this.start[0], e.clientY - this.start[1]) > 3) this.moved = true;
    this.op.move(this.world(e), e);
    this.app.requestDraw();
  }

  up(e) {
    if (!this.op) return;
    const op = this.op;
    this.op = null;
    op.up(this.world(e), e);
    this.app.requestDraw();
  }

  panOp(e) {
    const { view } = this.app;
    const start = [e.clientX, e.clientY];
    const from = [...view.offset];
    return {
      move: (_, ev) => {
        view.offset = [from[0] + (ev.clientX - start[0]) / view.scale, from[1] + (ev.clientY - start[1]) / view.scale];
      },
      up: () => {},
    };
  }

  socketOp(p) {
    const hit = socketAt(this.app, p);
    if (!hit) return null;
    const { graph } = this.app;
    let { node, slot, isInput } = hit;
    if (isInput) {
      const src = graph.inputSource(node, slot);
      if (src) {
        // Dragging a connected input picks its link up from the output end, as in ComfyUI.
        graph.removeLink(src.link.id);
        ({ node, slot } = src);
        isInput = false;
      }
    }
    const type = isInput ? node.inputs[slot].type : node.outputs[slot].type;
    this.app.drag = { kind: 'link', node, slot, fromOutput: !isInput, type, pos: p };
    return { move: (q) => { this.app.drag.pos = q; }, up: (q, e) => this.dropLink(q, e) };
  }

  dropLink(p, e) {
    const app = this.app;
    const d = app.drag;
    app.drag = null;
    const hit = socketAt(app, p, true);
    const graph = app.graph;
    if (hit && hit.isInput === d.fromOutput) {
      const ok = d.fromOutput ? graph.connect(d.node, d.slot, hit.node, hit.slot) : graph.connect(hit.node, hit.slot, d.node, d.slot);
      if (!ok) app.toast(`Cannot connect ${d.type} to ${hit.isInput ? hit.node.inputs[hit.slot].type : hit.node.outputs[hit.slot].type}`);
      app.commit();
      return;
    }
    const over = graph.nodeAt(p[0], p[1]);
    if (over && over !== d.node) {
      if (d.fromOutput) this.dropOnInputs(over, p, d);
      else {
        const slot = over.outputs.findIndex((o) => typesMatch(o.type, d.type));
        if (slot < 0 || !graph.connect(over, slot, d.node, d.slot)) app.toast(`${over.title} has no output giving ${d.type}`);
      }
    } else if (!over) {
      app.openSearch([e.clientX, e.clientY], p, { type: d.type, fromOutput: d.fromOutput, node: d.node, slot: d.slot });
    }
    app.commit();
  }

  /**
   * A link from an output dropped on a node's body: on a widget or a socket's row it links exactly that input
   * (the widget then shows as linked, as ComfyUI converts it), or says why not; elsewhere on the node, the
   * first free socket input of its type. A widget is never picked by guess: that would change what runs.
   */
  dropOnInputs(node, p, d) {
    const { app } = this;
    const target = inputAt(node, p[0] - node.pos[0], p[1] - node.pos[1]);
    if (target) {
      const input = node.inputs[target.index];
      if (input && app.graph.connect(d.node, d.slot, node, target.index)) return;
      app.toast(input ? `Cannot connect ${d.type} to ${input.name} (${input.type})` : `${target.label} cannot take a link`);
      return;
    }
    const free = (i) => !i.widget && (i.link === null || i.link === undefined) && typesMatch(d.type, i.type);
    const slot = node.inputs.findIndex(free);
    if (slot >= 0 && app.graph.connect(d.node, d.slot, node, slot)) return;
    const widgets = node.inputs.filter((i) => i.widget && typesMatch(d.type, i.type)).map((i) => i.name);
    app.toast(widgets.length ? `Drop the link on the widget it should drive: ${widgets.join(', ')}`
      : `${node.title} has no free input accepting ${d.type}`);
  }

  /** A click on a link's middle dot: its menu (delete it, or put a reroute point there). */
  linkOp(p, e) {
    const app = this.app;
    if (app.view.scale < TEXT_ZOOM) return null;
    for (const link of app.graph.links.values()) {
      const o = app.graph.nodes.get(link.origin_id);
      const t = app.graph.nodes.get(link.target_id);
      if (!o || !t) continue;
      const [mx, my] = linkMid(socketPos(o, false, link.origin_slot), socketPos(t, true, link.target_slot));
      if (Math.hypot(mx - p[0], my - p[1]) > 7) continue;
      app.linkMenu([e.clientX, e.clientY], link, [mx, my]);
      return { move() {}, up() {} };
    }
    return null;
  }

  nodeOp(p, e) {
    const app = this.app;
    const node = app.graph.nodeAt(p[0], p[1]);
    if (!node) return null;
    app.selectedGroup = null;
    if (e.shiftKey || e.ctrlKey) {
      if (app.selected.has(node.id)) app.selected.delete(node.id); else app.selected.add(node.id);
    } else if (!app.selected.has(node.id)) {
      app.selected = new Set([node.id]);
    }
    app.bringToFront(node);
    const lx = p[0] - node.pos[0];
    const ly = p[1] - node.pos[1];
    if (ly < 0 && lx < 22 && node.type !== 'Reroute') {
      node.flags.collapsed = !node.flags.collapsed;
      app.commit();
      return { move() {}, up() {} };
    }
    if (ly >= 0 && !node.flags.collapsed) {
      const op = this.widgetOp(node, lx, ly) || this.resizeOp(node, lx, ly);
      if (op) return op;
    }
    return this.moveOp(p, [...app.selected].map((id) => app.graph.nodes.get(id)).filter(Boolean));
  }

  widgetOp(node, lx, ly) {
    const l = nodeLayout(node);
    const k = l.widgets.findIndex(([x, y, w, h]) => lx >= x && lx <= x + w && ly >= y && ly <= y + h);
    if (k < 0) return null;
    const w = node.widgets[k];
    if (node.inputs.some((i) => i.widget?.name === w.name && i.link !== null && i.link !== undefined)) return null;
    const handler = pressWidget(w, l.widgets[k], lx, (kind) => this.app.editWidget(node, w, kind));
    const startX = lx;
    return {
      move: (q) => { if (this.moved) { handler.move(q[0] - node.pos[0] - startX); this.app.widgetChanged(node, w, false); } },
      up: () => { if (handler.up(this.moved)) this.app.widgetChanged(node, w, true); },
    };
  }

  resizeOp(node, lx, ly) {
    if (lx < node.size[0] - 12 || ly < node.size[1] - 12) return null;
    return {
      move: (q) => {
        node.size = [Math.max(80, q[0] - node.pos[0]), Math.max(30, q[1] - node.pos[1])];
        node.invalidate();
      },
      up: () => this.app.commit(),
      moves: true, // nodes change place or size: the minimap follows while it lasts
    };
  }

  moveOp(p, nodes, group = null) {
    const starts = nodes.map((n) => [...n.pos]);
    const g0 = group ? [...group.bounding] : null;
    return {
      move: (q) => {
        const dx = q[0] - p[0];
        const dy = q[1] - p[1];
        nodes.forEach((n, i) => { n.pos = [Math.round(starts[i][0] + dx), Math.round(starts[i][1] + dy)]; });
        if (group) group.bounding = [g0[0] + dx, g0[1] + dy, g0[2], g0[3]];
      },
      up: () => { if (this.moved) this.app.commit(); },
      moves: true,
    };
  }

  groupOp(p) {
    const app = this.app;
    const g = app.graph.groupAt(p[0], p[1]);
    if (!g) return null;
    const [gx, gy, gw, gh] = g.bounding;
    if (p[0] > gx + gw - 14 && p[1] > gy + gh - 14) {
      return { move: (q) => { g.bounding = [gx, gy, Math.max(100, q[0] - gx), Math.max(60, q[1] - gy)]; }, up: () => app.commit() };
    }
    if (p[1] > gy + 34) return null;
    app.selectedGroup = g;
    app.selected = new Set();
    return this.moveOp(p, app.graph.nodesInGroup(g), g);
  }

  emptyOp(p, e) {
    const app = this.app;
    app.selectedGroup = null;
    if (e.ctrlKey || e.shiftKey) {
      app.drag = { kind: 'box', start: p, pos: p };
      return { move: (q) => { app.drag.pos = q; }, up: (q, ev) => this.boxSelect(q, ev) };
    }
    const pan = this.panOp(e);
    return { move: pan.move, up: () => { if (!this.moved) app.selected = new Set(); } };
  }

  boxSelect(q, e) {
    const app = this.app;
    const [x0, y0] = app.drag.start;
    app.drag = null;
    const [ax, bx] = [Math.min(x0, q[0]), Math.max(x0, q[0])];
    const [ay, by] = [Math.min(y0, q[1]), Math.max(y0, q[1])];
    if (!e.shiftKey) app.selected = new Set();
    for (const n of app.graph.nodes.values()) {
      const [w, h] = visibleSize(n);
      if (n.pos[0] < bx && n.pos[0] + w > ax && n.pos[1] - TITLE_H < by && n.pos[1] - TITLE_H + h > ay) app.selected.add(n.id);
    }
  }

  wheel(e) {
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    const s = [e.clientX - r.left, e.clientY - r.top];
    const before = this.app.toWorld(s);
    const { view } = this.app;
    view.scale = Math.min(4, Math.max(0.05, view.scale * Math.exp(-e.deltaY * 0.0015)));
    const after = this.app.toWorld(s);
    view.offset = [view.offset[0] + after[0] - before[0], view.offset[1] + after[1] - before[1]];
    this.app.requestDraw();
  }

  dblclick(e) {
    const p = this.world(e);
    const node = this.app.graph.nodeAt(p[0], p[1]);
    if (!node) { this.app.openSearch([e.clientX, e.clientY], p, null); return; }
    if (p[1] < node.pos[1]) {
      // As in ComfyUI, an instance's title opens the subgraph; rename it from its context menu.
      if (node.subgraph) this.app.subgraphs.open(node);
      else if (!node.io) this.app.renameNode(node);
      return;
    }
    const l = nodeLayout(node);
    const lx = p[0] - node.pos[0];
    const ly = p[1] - node.pos[1];
    const k = l.widgets.findIndex(([x, y, w, h]) => lx >= x && lx <= x + w && ly >= y && ly <= y + h);
    if (k >= 0 && node.widgets[k].kind === 'slider') this.app.editWidget(node, node.widgets[k], 'number');
  }

  context(e) {
    const p = this.world(e);
    const node = this.app.graph.nodeAt(p[0], p[1]);
    const group = node ? null : this.app.graph.groupAt(p[0], p[1]);
    if (node && !this.app.selected.has(node.id)) this.app.selected = new Set([node.id]);
    this.app.contextMenu([e.clientX, e.clientY], p, node, group);
  }

  key(e) {
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (e.key === ' ') {
      e.preventDefault(); // Space pans; it must not also press a focused toolbar button
      this.spaceHeld = true;
      return;
    }
    const app = this.app;
    const ctrl = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    const actions = {
      enter: ctrl && (() => app.queue()),
      s: ctrl && (() => app.files.save()),
      z: ctrl && (() => (e.shiftKey ? app.redo() : app.undo())),
      y: ctrl && (() => app.redo()),
      c: ctrl ? () => app.copy() : e.altKey && (() => app.toggleCollapse()),
      v: ctrl && (() => app.paste(app.toWorld(this.mouse))),
      a: ctrl && (() => app.selectAll()),
      b: ctrl && (() => app.toggleMode(4)),
      m: ctrl && (() => app.toggleMode(2)),
      g: ctrl && (() => app.groupSelected()),
      delete: () => app.deleteSelected(),
      backspace: () => app.deleteSelected(),
      escape: () => app.closePopups(),
      r: !ctrl && !e.altKey && (() => app.refreshDefs()),
      '.': !ctrl && !e.altKey && (() => app.fitAll()),
      n: !ctrl && !e.altKey && app.library && (() => app.library.toggle()),
      q: !ctrl && !e.altKey && app.panels && (() => app.panels.toggle()),
    };
    const act = actions[k];
    if (!act) return;
    e.preventDefault();
    act();
    app.requestDraw();
  }
}
