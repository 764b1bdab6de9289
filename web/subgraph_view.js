/**
 * Opening a subgraph instance on the canvas: its definition's inner nodes become the graph the editor shows
 * and edits, with two IO nodes (ids -10 and -20, the ids ComfyUI's links already use for the boundary) for
 * the subgraph's inputs and outputs, and a breadcrumb to get back. Closing writes the inner graph back into
 * the definition in ComfyUI's format. The root graph stays the workflow: saving, queueing and undo always
 * serialize it, with the open definitions written in as if they were closed.
 */

import { Graph, TITLE_H, SLOT_H, clone } from './graph.js';
import { toast } from './menus.js';
import { instanceValues, linkObject, makeInstance, subgraphDefinitions } from './subgraphs.js';
import { loadWorkflow, nodeJSON, serialize } from './workflow.js';

export const INPUTS_ID = -10;
export const OUTPUTS_ID = -20;

/** A boundary node: drawn and connected like a node, but saved as the definition's inputNode / outputNode. */
function ioNode(graph, id, title, bounding, slots) {
  const isInputs = id === INPUTS_ID;
  const [x, y, w, h] = Array.isArray(bounding) ? bounding.map(Number) : [isInputs ? -300 : 600, 0, 120, 60];
  const node = graph.addNode(isInputs ? 'SubgraphInputs' : 'SubgraphOutputs', null, [x, y + TITLE_H], id);
  Object.assign(node, { unknown: false, io: isInputs ? 'inputs' : 'outputs', title, properties: {} });
  const sockets = slots.map((s) => ({ name: s.name, type: s.type,
    ...(s.label && s.label !== s.name ? { label: s.label } : {}) }));
  if (isInputs) node.outputs = sockets.map((s) => ({ ...s, links: [] }));
  else node.inputs = sockets.map((s) => ({ ...s, link: null }));
  const longest = Math.max(0, ...sockets.map((s) => String(s.label || s.name).length));
  node.size = [Math.max(w, 140, longest * 7 + 40), Math.max(h - TITLE_H, sockets.length * SLOT_H + 10, 30)];
  return node;
}

/** The graph a definition's inner nodes make, sharing the root's kept fields so nested instances resolve. */
export function innerGraph(definition, kept, defs) {
  const graph = new Graph();
  loadWorkflow(graph, { ...definition, definitions: kept.definitions }, defs);
  graph.kept = kept;
  const inputs = ioNode(graph, INPUTS_ID, 'Subgraph inputs', definition.inputNode?.bounding, definition.inputs || []);
  const outputs = ioNode(graph, OUTPUTS_ID, 'Subgraph outputs', definition.outputNode?.bounding,
    definition.outputs || []);
  // Boundary nodes first, so the inner nodes are drawn over them.
  graph.nodes = new Map([[INPUTS_ID, inputs], [OUTPUTS_ID, outputs],
    ...[...graph.nodes].filter(([id]) => id !== INPUTS_ID && id !== OUTPUTS_ID)]);
  // loadWorkflow skipped the boundary links (their ends did not exist yet); target inputs are matched by
  // name as it does, since a node may have gained inputs since the file was saved.
  const saved = new Map((definition.nodes || []).map((n) => [String(n.id), n]));
  for (const l of (definition.links || []).filter(Boolean).map(linkObject)) {
    if (Number(l.origin_id) !== INPUTS_ID && Number(l.target_id) !== OUTPUTS_ID) continue;
    const origin = graph.nodes.get(Number(l.origin_id));
    const target = graph.nodes.get(Number(l.target_id));
    if (!origin || !target) continue;
    const name = saved.get(String(l.target_id))?.inputs?.[l.target_slot]?.name;
    const found = name === undefined ? -1 : target.inputIndex(name);
    graph.connect(origin, Number(l.origin_slot), target, found >= 0 ? found : Number(l.target_slot), Number(l.id), true);
  }
  graph.touch();
  return graph;
}

/** Groups as ComfyUI saved them unless they were edited here (the editor keeps fewer of their fields). */
function groupsJSON(graph, original) {
  const before = Array.isArray(original) ? original : [];
  const same = before.length === graph.groups.length && graph.groups.every((g, i) => g.title === (before[i].title
    || 'Group') && JSON.stringify(g.bounding) === JSON.stringify(before[i].bounding));
  if (same) return clone(original);
  return graph.groups.map((g, i) => ({ ...clone(before[i]), id: before[i]?.id ?? i + 1, title: g.title,
    bounding: [...g.bounding], color: g.color, font_size: before[i]?.font_size ?? 24, flags: before[i]?.flags ?? {} }));
}

/** Where a boundary node stands, as its bounding box: the position moves, the saved size stays. */
function bounding(node, original) {
  const [, , w, h] = Array.isArray(original) ? original : [0, 0, node.size[0], node.size[1] + TITLE_H];
  return [node.pos[0], node.pos[1] - TITLE_H, w, h];
}

/** The definition `original` with the inner graph's nodes, links and boundary written in; other fields kept. */
export function definitionFrom(graph, original) {
  const def = clone(original);
  const inputs = graph.nodes.get(INPUTS_ID);
  const outputs = graph.nodes.get(OUTPUTS_ID);
  def.nodes = [...graph.nodes.values()].filter((n) => !n.io).map((n, order) => nodeJSON(n, order));
  const before = new Map((original.links || []).filter(Boolean).map(linkObject).map((l) => [Number(l.id), l]));
  def.links = [...graph.links.values()].map((l) => ({ ...clone(before.get(l.id)), id: l.id, origin_id: l.origin_id,
    origin_slot: l.origin_slot, target_id: l.target_id, target_slot: l.target_slot, type: l.type }));
  def.inputs = (original.inputs || []).map((s, i) => ({ ...clone(s), linkIds: [...(inputs?.outputs[i]?.links || [])] }));
  def.outputs = (original.outputs || []).map((s, i) => {
    const link = outputs?.inputs[i]?.link;
    return { ...clone(s), linkIds: link === null || link === undefined ? [] : [link] };
  });
  if (inputs) def.inputNode = { ...clone(original.inputNode), id: INPUTS_ID, bounding: bounding(inputs, original.inputNode?.bounding) };
  if (outputs) {
    def.outputNode = { ...clone(original.outputNode), id: OUTPUTS_ID,
      bounding: bounding(outputs, original.outputNode?.bounding) };
  }
  def.state = { ...clone(original.state), lastNodeId: Math.max(graph.lastNodeId, original.state?.lastNodeId ?? 0),
    lastLinkId: Math.max(graph.lastLinkId, original.state?.lastLinkId ?? 0) };
  if (original.groups !== undefined || graph.groups.length) def.groups = groupsJSON(graph, original.groups);
  return def;
}

function putDefinition(kept, definition) {
  const list = kept.definitions.subgraphs;
  const i = list.findIndex((s) => String(s?.id) === String(definition.id));
  if (i >= 0) list[i] = definition;
}

/** Instances of `definition` in a live graph take its new shape, keeping the values they hold. */
function rederive(graph, definition, defs) {
  for (const node of graph.nodes.values()) {
    if (node.subgraph?.id !== String(definition.id)) continue;
    const title = node.title;
    node.raw = { ...node.raw, widgets_values: instanceValues(node) };
    makeInstance(node, node.raw, definition, defs);
    node.title = title;
  }
}

export class SubgraphView {
  constructor(app) {
    this.app = app;
    // One frame per open level, outermost first: the definition's id and name, and what the level
    // around it showed (graph, view, selection), restored on close.
    this.frames = [];
    this.bar = Object.assign(document.createElement('nav'), { id: 'breadcrumb', hidden: true });
    app.canvas.parentElement?.appendChild(this.bar);
  }

  get inside() {
    return this.frames.length > 0;
  }

  /** The workflow's own graph, whatever level is shown. */
  get root() {
    return this.inside ? this.frames[0].outer.graph : this.app.graph;
  }

  /** The graphs of every level from the root to the one shown. */
  graphs() {
    return [...this.frames.map((f) => f.outer.graph), this.app.graph];
  }

  open(instance) {
    const app = this.app;
    const id = instance?.subgraph?.id;
    const definition = id ? subgraphDefinitions(this.root.kept).get(id) : null;
    if (!definition) { toast(`No subgraph definition ${id} in this workflow`, 'error'); return; }
    if (this.frames.some((f) => f.id === id)) { toast('That subgraph is already open'); return; }
    app.closePopups();
    this.frames.push({ id, name: definition.name || 'Subgraph',
      outer: { graph: app.graph, view: app.view, selected: app.selected } });
    app.graph = innerGraph(definition, this.root.kept, app.defs);
    app.selected = new Set();
    app.selectedGroup = null;
    app.fitView();
    this.render();
    app.requestDraw();
  }

  /** Close levels until `depth` remain open (0: back to the root), writing each definition back. */
  closeTo(depth = this.frames.length - 1, { commit = true } = {}) {
    const app = this.app;
    if (depth < 0 || depth >= this.frames.length) return;
    app.closePopups();
    const kept = this.root.kept;
    while (this.frames.length > depth) {
      const frame = this.frames.pop();
      const definition = definitionFrom(app.graph, subgraphDefinitions(kept).get(frame.id));
      putDefinition(kept, definition);
      Object.assign(app, { graph: frame.outer.graph, view: frame.outer.view, selected: frame.outer.selected });
      for (const graph of this.graphs()) rederive(graph, definition, app.defs);
    }
    app.selectedGroup = null;
    app.drag = null;
    this.render();
    if (commit) app.commit(); else app.requestDraw();
  }

  /** The whole workflow as saved, the open definitions written in as if closed (`withView`: the root's view). */
  workflow(withView) {
    const view = withView ? (this.inside ? this.frames[0].outer.view : this.app.view) : null;
    if (!this.inside) return serialize(this.app.graph, view);
    const root = this.root;
    const kept = root.kept;
    root.kept = clone(kept);
    try {
      const levels = this.graphs();
      this.frames.forEach((f, k) => {
        putDefinition(root.kept, definitionFrom(levels[k + 1], subgraphDefinitions(root.kept).get(f.id)));
      });
      return serialize(root, view);
    } finally {
      root.kept = kept;
    }
  }

  /** Load a whole workflow (an undo step, refreshed definitions) and show the same open levels again. */
  reload(json) {
    const app = this.app;
    loadWorkflow(this.root, json, app.defs);
    if (!this.inside) return;
    const root = this.root;
    const definitions = subgraphDefinitions(root.kept);
    if (!this.frames.every((f) => definitions.has(f.id))) {
      Object.assign(app, { graph: root, view: this.frames[0].outer.view, selected: new Set() });
      this.frames = [];
    } else {
      let graph = root;
      for (const frame of this.frames) {
        frame.outer.graph = graph;
        graph = innerGraph(definitions.get(frame.id), root.kept, app.defs);
      }
      app.graph = graph;
    }
    this.render();
  }

  render() {
    this.bar.hidden = !this.inside;
    const crumbs = [{ name: 'Workflow' }, ...this.frames].map((f, depth) => {
      if (depth === this.frames.length) return Object.assign(document.createElement('span'), { textContent: f.name });
      const b = Object.assign(document.createElement('button'), { textContent: f.name, type: 'button' });
      b.addEventListener('click', () => this.closeTo(depth));
      return b;
    });
    this.bar.replaceChildren(...crumbs.flatMap((c, i) => (i ? [Object.assign(document.createElement('span'),
      { className: 'sep', textContent: '›' }), c] : [c])));
  }
}
