/** The graph model: nodes, links, groups and the edits on them; no drawing, no DOM. */

import { nodeTemplate, typesMatch } from './defs.js';
import { makeInstance, subgraphDefinitions } from './subgraphs.js';

export const MODE_ALWAYS = 0;
export const MODE_NEVER = 2;
export const MODE_BYPASS = 4;

export const TITLE_H = 26;
export const SLOT_H = 20;
export const WIDGET_H = 22;
export const MULTILINE_H = 66;
export const NODE_MIN_W = 180;

/** A deep copy of plain JSON data (undefined stays undefined). */
export const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

export class GraphNode {
  constructor(id, type, def) {
    this.id = id;
    this.type = type;
    this.def = def;
    this.title = def ? def.display_name || def.name : type;
    this.pos = [0, 0];
    this.size = [NODE_MIN_W, 60];
    this.flags = {};
    this.mode = MODE_ALWAYS;
    this.properties = { 'Node name for S&R': type };
    this.unknown = !def;
    this.raw = null; // the saved JSON of an unknown node or subgraph instance, written back
    this.subgraph = null; // {id, name} of the definition when this node is a subgraph instance (subgraphs.js)
    this.io = null; // 'inputs' or 'outputs' on an open subgraph's boundary nodes (subgraph_view.js)
    const t = def ? nodeTemplate(def) : { inputs: [], outputs: [], widgets: [] };
    this.inputs = t.inputs.map((i) => ({ ...i, link: null }));
    this.outputs = t.outputs;
    this.widgets = t.widgets;
    this.layout = null;
    if (def) this.size = this.computeSize();
  }

  get virtual() {
    return Boolean(this.def?.virtual);
  }

  widget(name) {
    return this.widgets.find((w) => w.name === name) || null;
  }

  inputIndex(name) {
    return this.inputs.findIndex((i) => i.name === name);
  }

  /** Sockets drawn as rows at the top; widget sockets sit on their widget's row instead. */
  socketRows() {
    return this.inputs.filter((i) => !i.widget);
  }

  computeSize() {
    if (this.type === 'Reroute') return [60, 0];
    const rows = Math.max(this.socketRows().length, this.outputs.length);
    let h = rows * SLOT_H + 10;
    for (const w of this.widgets) h += w.kind === 'multiline' ? MULTILINE_H + 4 : WIDGET_H + 4;
    // Room below the widgets for what the node shows: images need more than a line of text.
    const showsImages = this.widgets.some((w) => w.kind === 'upload')
      || (this.def?.output_node && this.inputs.some((i) => i.type === 'IMAGE'));
    if (this.def?.output_node || showsImages) h += showsImages ? 160 : 60;
    const longest = Math.max(0, ...this.widgets.map((w) => String(w.name).length + 12));
    const w = Math.max(NODE_MIN_W, this.title.length * 8 + 50, longest * 7);
    return [w, Math.max(h, 30)];
  }

  invalidate() {
    this.layout = null;
  }
}

export class Graph {
  constructor() {
    this.clear();
  }

  clear() {
    this.nodes = new Map();
    this.links = new Map();
    this.groups = [];
    this.lastNodeId = 0;
    this.lastLinkId = 0;
    this.extra = {};
    this.kept = {}; // saved fields this editor does not draw (floating links, subgraph definitions), written back
    this.version = 0; // bumped on every structural change so caches know to refresh
  }

  touch() {
    this.version++;
  }

  addNode(type, def, pos = [0, 0], id = null) {
    const nid = id ?? ++this.lastNodeId;
    this.lastNodeId = Math.max(this.lastNodeId, nid);
    const node = new GraphNode(nid, type, def);
    node.pos = [Math.round(pos[0]), Math.round(pos[1])];
    this.nodes.set(nid, node);
    this.touch();
    return node;
  }

  canConnect(origin, oslot, target, tslot) {
    const out = origin?.outputs[oslot];
    const inp = target?.inputs[tslot];
    if (!out || !inp || origin === target) return false;
    return typesMatch(out.type, inp.type);
  }

  /** Link output `oslot` of `origin` to input `tslot` of `target`, replacing that input's old link. */
  connect(origin, oslot, target, tslot, id = null, force = false) {
    if (force ? !(origin?.outputs[oslot] && target?.inputs[tslot]) : !this.canConnect(origin, oslot, target, tslot)) {
      return null;
    }
    const old = target.inputs[tslot].link;
    if (old !== null && old !== undefined) this.removeLink(old);
    const lid = id ?? ++this.lastLinkId;
    this.lastLinkId = Math.max(this.lastLinkId, lid);
    const type = origin.outputs[oslot].type === '*' ? target.inputs[tslot].type : origin.outputs[oslot].type;
    const link = { id: lid, origin_id: origin.id, origin_slot: oslot, target_id: target.id, target_slot: tslot,
      type };
    this.links.set(lid, link);
    origin.outputs[oslot].links.push(lid);
    target.inputs[tslot].link = lid;
    this.touch();
    return link;
  }

  removeLink(lid) {
    const link = this.links.get(lid);
    if (!link) return;
    const o = this.nodes.get(link.origin_id);
    const t = this.nodes.get(link.target_id);
    if (o?.outputs[link.origin_slot]) {
      o.outputs[link.origin_slot].links = o.outputs[link.origin_slot].links.filter((x) => x !== lid);
    }
    if (t?.inputs[link.target_slot]?.link === lid) t.inputs[link.target_slot].link = null;
    this.links.delete(lid);
    this.touch();
  }

  removeNode(id) {
    const node = this.nodes.get(id);
    if (!node) return;
    for (const i of node.inputs) if (i.link !== null && i.link !== undefined) this.removeLink(i.link);
    for (const o of node.outputs) for (const l of [...o.links]) this.removeLink(l);
    this.nodes.delete(id);
    this.touch();
  }

  /** The source of input `slot` of `node`: {node, slot, link} or null. */
  inputSource(node, slot) {
    const lid = node.inputs[slot]?.link;
    const link = lid === null || lid === undefined ? null : this.links.get(lid);
    if (!link) return null;
    return { node: this.nodes.get(link.origin_id), slot: link.origin_slot, link };
  }

  nodeAt(x, y) {
    const all = [...this.nodes.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const n = all[i];
      const [w, h] = visibleSize(n);
      if (x >= n.pos[0] && x <= n.pos[0] + w && y >= n.pos[1] - TITLE_H && y <= n.pos[1] + h - TITLE_H) return n;
    }
    return null;
  }

  groupAt(x, y) {
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const [gx, gy, gw, gh] = this.groups[i].bounding;
      if (x >= gx && x <= gx + gw && y >= gy && y <= gy + gh) return this.groups[i];
    }
    return null;
  }

  /** Nodes whose box lies entirely inside the group's bounding box (they move with it). */
  nodesInGroup(group) {
    const [gx, gy, gw, gh] = group.bounding;
    return [...this.nodes.values()].filter((n) => {
      const [w, h] = visibleSize(n);
      return n.pos[0] >= gx && n.pos[1] - TITLE_H >= gy && n.pos[0] + w <= gx + gw && n.pos[1] + h - TITLE_H <= gy + gh;
    });
  }

  /** Copy of the given nodes and the links among them, for the clipboard. */
  copyNodes(ids) {
    const set = new Set(ids);
    const nodes = ids.map((id) => this.nodes.get(id)).filter(Boolean).map((n) => ({
      id: n.id, type: n.type, pos: [...n.pos], size: [...n.size], title: n.title, mode: n.mode,
      flags: clone(n.flags), widgets: n.widgets.map((w) => w.value), raw: clone(n.raw), color: n.color,
      bgcolor: n.bgcolor,
    }));
    const links = [...this.links.values()].filter((l) => set.has(l.origin_id) && set.has(l.target_id))
      .map((l) => ({ ...l }));
    return { nodes, links };
  }

  /** Paste a clipboard copy at `at` (its top-left); returns the new nodes. */
  pasteNodes(clip, defs, at) {
    const minX = Math.min(...clip.nodes.map((n) => n.pos[0]));
    const minY = Math.min(...clip.nodes.map((n) => n.pos[1]));
    const idMap = new Map();
    const made = [];
    for (const c of clip.nodes) {
      const node = this.addNode(c.type, defs.get(c.type), [c.pos[0] - minX + at[0], c.pos[1] - minY + at[1]]);
      Object.assign(node, { title: c.title, mode: c.mode, flags: clone(c.flags), size: [...c.size] });
      if (c.color) Object.assign(node, { color: c.color, bgcolor: c.bgcolor });
      if (c.raw) restoreUnknown(node, clone(c.raw));
      const definition = c.raw ? subgraphDefinitions(this.kept).get(String(c.type)) : null;
      if (definition) makeInstance(node, node.raw, definition, defs);
      c.widgets.forEach((v, i) => { if (node.widgets[i]) node.widgets[i].value = clone(v); });
      idMap.set(c.id, node);
      made.push(node);
    }
    for (const l of clip.links) {
      this.connect(idMap.get(l.origin_id), l.origin_slot, idMap.get(l.target_id), l.target_slot);
    }
    return made;
  }
}

/** Rebuild an unknown node's sockets from its saved JSON so its links survive a round trip. */
export function restoreUnknown(node, raw) {
  node.raw = raw;
  node.unknown = true;
  node.inputs = (raw.inputs || []).map((i) => ({ name: i.name, type: i.type, link: null,
    ...(i.widget ? { widget: i.widget } : {}) }));
  node.outputs = (raw.outputs || []).map((o) => ({ name: o.name, type: o.type, links: [] }));
  node.widgets = [];
}

/** Size as drawn: a collapsed node is only its title bar. */
export function visibleSize(node) {
  if (node.flags.collapsed) return [Math.max(90, node.title.length * 7 + 40), TITLE_H];
  return [node.size[0], node.size[1] + TITLE_H];
}

/**
 * Node-local geometry (relative to node.pos, the top-left of the body): socket centres, widget boxes and
 * the free area below the widgets where outputs are shown. Cached until the node changes.
 */
export function nodeLayout(node) {
  if (node.layout && node.layout.w === node.size[0] && node.layout.h === node.size[1]) return node.layout;
  const w = node.size[0];
  const ins = [];
  const outs = node.outputs.map((_, j) => [w, (j + 0.5) * SLOT_H + 4]);
  let row = 0;
  node.inputs.forEach((inp, i) => { if (!inp.widget) ins[i] = [0, (row++ + 0.5) * SLOT_H + 4]; });
  let y = Math.max(row, node.outputs.length) * SLOT_H + 8;
  const widgets = node.widgets.map((wd) => {
    const h = wd.kind === 'multiline' ? MULTILINE_H : WIDGET_H;
    const box = [10, y, w - 20, h];
    y += h + 4;
    return box;
  });
  node.inputs.forEach((inp, i) => {
    if (!inp.widget) return;
    const k = node.widgets.findIndex((wd) => wd.name === inp.widget.name);
    ins[i] = k >= 0 ? [0, widgets[k][1] + WIDGET_H / 2] : [0, y];
  });
  if (node.type === 'Reroute') {
    ins[0] = [0, -TITLE_H / 2];
    outs[0] = [w, -TITLE_H / 2];
  }
  node.layout = { w, h: node.size[1], ins, outs, widgets, free: [6, y, w - 12, Math.max(0, node.size[1] - y - 6)] };
  return node.layout;
}

/**
 * The input a link dropped at node-local point (lx, ly) of the body is meant for: over a widget, the input that
 * widget stands for (a seed's "control after run" and an upload button stand for their seed and image; index
 * -1 when the widget takes no link); over a socket's row, that socket. Null elsewhere (free area, outputs).
 */
export function inputAt(node, lx, ly) {
  if (node.flags.collapsed) return null;
  const l = nodeLayout(node);
  const k = l.widgets.findIndex(([x, y, w, h]) => lx >= x && lx <= x + w && ly >= y && ly <= y + h);
  if (k >= 0) {
    const w = node.widgets[k];
    const name = w.controls || w.uploads || w.name;
    return { index: node.inputs.findIndex((i) => i.widget?.name === name), label: name };
  }
  const index = node.inputs.findIndex((inp, i) => !inp.widget && lx < node.size[0] / 2
    && Math.abs(ly - l.ins[i][1]) <= SLOT_H / 2);
  return index >= 0 ? { index, label: node.inputs[index].name } : null;
}

/** World position of an input (`isInput`) or output socket; collapsed nodes gather them on the title. */
export function socketPos(node, isInput, slot) {
  if (node.flags.collapsed) {
    return [node.pos[0] + (isInput ? 0 : visibleSize(node)[0]), node.pos[1] - TITLE_H / 2];
  }
  const l = nodeLayout(node);
  const p = (isInput ? l.ins[slot] : l.outs[slot]) || [0, 0];
  return [node.pos[0] + p[0], node.pos[1] + p[1]];
}

/** How far a link's bezier bends out of its sockets (the renderer and hit tests share it). */
export const linkBend = (a, b) => Math.max(40, Math.abs(b[0] - a[0]) * 0.5);

/** The middle (t = 0.5) of the bezier drawn for a link from a to b. */
export function linkMid(a, b) {
  const d = linkBend(a, b);
  return [(a[0] + 3 * (a[0] + d) + 3 * (b[0] - d) + b[0]) / 8, (a[1] + 3 * a[1] + 3 * b[1] + b[1]) / 8];
}
