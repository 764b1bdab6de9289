/** ComfyUI UI workflow files: save, load (0.4 and 1, or an API prompt), and conversion to an API prompt. */

import { MODE_BYPASS, MODE_NEVER, clone, restoreUnknown } from './graph.js';
import { instanceValues, linkObject, makeInstance, subgraphDefinitions } from './subgraphs.js';

/** One node as saved in a workflow's (or a subgraph definition's) `nodes`. */
export function nodeJSON(n, order) {
  const label = (slot) => (slot.label ? { label: slot.label } : {});
  const inputs = n.inputs.map((i) => ({ name: i.name, type: i.type, link: i.link ?? null, ...label(i),
    ...(i.widget ? { widget: { name: i.widget.name } } : {}) }));
  const outputs = n.outputs.map((o, j) => ({ name: o.name, type: o.type, links: [...o.links], slot_index: j,
    ...label(o) }));
  const base = (n.unknown || n.subgraph) && n.raw ? clone(n.raw) : {};
  const out = Object.assign(base, {
    id: n.id, type: n.type, pos: [...n.pos], size: [...n.size], flags: clone(n.flags), order, mode: n.mode,
    inputs, outputs, properties: clone(n.properties) || {},
  });
  if (n.subgraph) out.widgets_values = instanceValues(n);
  else if (!n.unknown) out.widgets_values = n.widgets.filter((w) => w.serialize !== false).map((w) => clone(w.value));
  if (n.def && n.title !== (n.def.display_name || n.def.name)) out.title = n.title;
  else if (!n.def && n.title !== (n.subgraph?.name ?? n.type)) out.title = n.title;
  if (n.color) out.color = n.color;
  if (n.bgcolor) out.bgcolor = n.bgcolor;
  return out;
}

/** ComfyUI's native reroutes (drawn by its editor, not by this one), in the 0.4 form ComfyUI writes:
 * `extra.reroutes`, and each link's parent reroute in `extra.linkExtensions` (0.4 link arrays have no room
 * for it). References to links deleted here are dropped, so ComfyUI finds no dangling ids. */
function rerouteExtra(graph) {
  const extra = clone(graph.extra);
  if (!Array.isArray(extra.reroutes)) return extra;
  extra.reroutes = extra.reroutes.map((r) => ({ ...r, linkIds: (r.linkIds || []).filter((id) => graph.links.has(id)) }));
  extra.linkExtensions = (extra.linkExtensions || []).filter((e) => graph.links.has(e.id));
  return extra;
}

/** The graph as a ComfyUI 0.4 UI workflow (links in array form), readable by ComfyUI itself. */
export function serialize(graph, view) {
  return {
    ...clone(graph.kept),
    last_node_id: graph.lastNodeId,
    last_link_id: graph.lastLinkId,
    nodes: [...graph.nodes.values()].map(nodeJSON),
    links: [...graph.links.values()].map((l) => [l.id, l.origin_id, l.origin_slot, l.target_id, l.target_slot, l.type]),
    groups: graph.groups.map((g) => ({ title: g.title, bounding: [...g.bounding], color: g.color, font_size: 24,
      flags: {} })),
    config: {},
    extra: { ...rerouteExtra(graph), ds: view ? { scale: view.scale, offset: [...view.offset] } : undefined },
    version: 0.4,
  };
}

/** Assign saved widgets_values: by name when the file stored an object, by position otherwise. */
function applyWidgetValues(node, values) {
  if (!values) return;
  const ws = node.widgets.filter((w) => w.serialize !== false);
  if (Array.isArray(values)) {
    ws.forEach((w, i) => { if (i < values.length && values[i] !== null) w.value = clone(values[i]); });
  } else if (typeof values === 'object') {
    for (const w of ws) if (w.name in values) w.value = clone(values[w.name]);
  }
}

function normalizeLinks(json) {
  return (json.links || []).filter(Boolean).map((l) => ({ ...linkObject(l) }));
}

/** The names a user gave sockets in ComfyUI (`label`), shown and saved instead of being lost. */
function keepLabels(node, saved) {
  for (const s of saved.inputs || []) {
    const input = node.inputs.find((i) => i.name === s.name);
    if (input && typeof s.label === 'string' && s.label !== s.name) input.label = s.label;
  }
  (saved.outputs || []).forEach((s, j) => {
    if (node.outputs[j] && typeof s?.label === 'string' && s.label !== node.outputs[j].name) node.outputs[j].label = s.label;
  });
}

/** Replace the graph's content with a UI workflow; unknown node types are kept, drawn as unknown. */
export function loadWorkflow(graph, json, defs) {
  graph.clear();
  const saved = new Map();
  const subgraphs = subgraphDefinitions(json);
  for (const n of json.nodes || []) {
    const def = defs.get(n.type);
    const node = graph.addNode(n.type, def, n.pos || [0, 0], Number(n.id));
    saved.set(node.id, n);
    if (n.size && (n.size[0] || n.size.length)) node.size = [Number(n.size[0]), Number(n.size[1])];
    Object.assign(node, { flags: clone(n.flags) || {}, mode: n.mode || 0 });
    if (n.title) node.title = n.title;
    if (n.properties) node.properties = clone(n.properties);
    if (n.color) node.color = n.color;
    if (n.bgcolor) node.bgcolor = n.bgcolor;
    if (def) applyWidgetValues(node, n.widgets_values);
    else restoreUnknown(node, clone(n));
    keepLabels(node, n);
    if (!def && subgraphs.has(String(n.type))) makeInstance(node, node.raw, subgraphs.get(String(n.type)), defs);
  }
  for (const l of normalizeLinks(json)) {
    const origin = graph.nodes.get(Number(l.origin_id));
    const target = graph.nodes.get(Number(l.target_id));
    if (!origin || !target) continue;
    // Match the target input by name: a node may have gained inputs since the file was saved.
    const savedName = saved.get(target.id)?.inputs?.[l.target_slot]?.name;
    let tslot = savedName === undefined ? -1 : target.inputIndex(savedName);
    if (tslot < 0) tslot = l.target_slot;
    graph.connect(origin, l.origin_slot, target, tslot, Number(l.id), true);
  }
  graph.groups = (json.groups || []).map((g) => ({ title: g.title || 'Group', bounding: [...g.bounding],
    color: g.color || '#3f789e' }));
  graph.lastNodeId = Math.max(graph.lastNodeId, json.last_node_id ?? json.state?.lastNodeId ?? 0);
  graph.lastLinkId = Math.max(graph.lastLinkId, json.last_link_id ?? json.state?.lastLinkId ?? 0);
  graph.extra = clone(json.extra) || {};
  // A version 1 file keeps native reroutes at the top level and parent ids on link objects: move them
  // where the 0.4 form this editor saves keeps them, as ComfyUI does.
  if (Array.isArray(json.reroutes) && json.reroutes.length) {
    graph.extra.reroutes = clone(json.reroutes);
    graph.extra.linkExtensions = normalizeLinks(json).filter((l) => l.parentId !== undefined)
      .map((l) => ({ id: Number(l.id), parentId: l.parentId }));
  }
  graph.kept = {};
  for (const key of ['floatingLinks', 'definitions']) if (json[key] !== undefined) graph.kept[key] = clone(json[key]);
  return json.extra?.ds || null;
}

/** Load an API prompt (no layout saved): nodes placed in columns by their depth in the graph. */
export function loadApiPrompt(graph, prompt, defs) {
  graph.clear();
  const ids = Object.keys(prompt);
  const depth = {};
  const isLink = (v) => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string';
  const depthOf = (id, seen = new Set()) => {
    if (depth[id] !== undefined) return depth[id];
    if (seen.has(id) || !prompt[id]) return 0;
    seen.add(id);
    const ups = Object.values(prompt[id].inputs || {}).filter(isLink).map((v) => depthOf(v[0], seen) + 1);
    depth[id] = Math.max(0, ...ups);
    return depth[id];
  };
  const rows = {};
  for (const id of ids) {
    const d = depthOf(id);
    rows[d] = (rows[d] || 0) + 1;
    const node = graph.addNode(prompt[id].class_type, defs.get(prompt[id].class_type), [d * 300, rows[d] * 220 - 180],
      Number(id) || undefined);
    if (prompt[id]._meta?.title) node.title = prompt[id]._meta.title;
    if (node.unknown) restoreUnknown(node, { inputs: [], outputs: [] });
    for (const [name, v] of Object.entries(prompt[id].inputs || {})) {
      const w = node.widget(name);
      if (w && !isLink(v)) w.value = v && typeof v === 'object' && '__value__' in v ? v.__value__ : v;
    }
  }
  for (const id of ids) {
    const target = graph.nodes.get(Number(id));
    for (const [name, v] of Object.entries(prompt[id].inputs || {})) {
      const origin = graph.nodes.get(Number(v?.[0]));
      if (!isLink(v) || !origin || !target) continue;
      graph.connect(origin, v[1], target, target.inputIndex(name), null, true);
    }
  }
}

/** ComfyUI's frontend-only "Primitive" node: its value is sent as the literal of every input it feeds. */
const FRONTEND_PRIMITIVE = 'PrimitiveNode';

function primitiveValue(node) {
  const values = node.raw?.widgets_values;
  if (Array.isArray(values)) return values[0];
  return values && typeof values === 'object' ? values.value : undefined;
}

/** Follow a link back through reroutes and bypassed nodes to the node that really produces the value. */
export function resolveSource(graph, node, slot) {
  let src = graph.inputSource(node, slot);
  for (let hops = 0; src && hops < 10000; hops++) {
    const n = src.node;
    if (!n) return null;
    if (n.type === 'Reroute') {
      src = graph.inputSource(n, 0);
    } else if (n.mode === MODE_BYPASS) {
      const outType = n.outputs[src.slot]?.type;
      const ok = (i) => n.inputs[i] && n.inputs[i].link !== null && n.inputs[i].link !== undefined
        && (n.inputs[i].type === outType || outType === '*' || n.inputs[i].type === '*');
      let k = ok(src.slot) ? src.slot : n.inputs.findIndex((_, i) => ok(i));
      src = k >= 0 ? graph.inputSource(n, k) : null;
    } else if (n.mode === MODE_NEVER) {
      return null;
    } else {
      return src;
    }
  }
  return null;
}

/**
 * The API prompt ComfyUI's graphToPrompt would produce: virtual, muted and bypassed nodes left out
 * (bypass routes the link through), widget values by name, links as [origin id string, slot].
 */
export function graphToPrompt(graph) {
  const output = {};
  for (const node of graph.nodes.values()) {
    if (node.virtual || node.type === FRONTEND_PRIMITIVE || node.mode === MODE_NEVER || node.mode === MODE_BYPASS) {
      continue;
    }
    const inputs = {};
    const linked = new Set(node.inputs.filter((i) => i.link !== null && i.link !== undefined).map((i) => i.name));
    for (const w of node.widgets) {
      if (w.serialize === false || w.controls || linked.has(w.name)) continue;
      inputs[w.name] = Array.isArray(w.value) ? { __value__: w.value } : w.value;
    }
    node.inputs.forEach((inp, slot) => {
      const src = resolveSource(graph, node, slot);
      if (src?.node.type === FRONTEND_PRIMITIVE) {
        const value = primitiveValue(src.node);
        if (value !== undefined) inputs[inp.name] = value;
      } else if (src) {
        inputs[inp.name] = [String(src.node.id), src.slot];
      }
    });
    output[String(node.id)] = { class_type: node.type, inputs, _meta: { title: node.title } };
  }
  for (const entry of Object.values(output)) {
    for (const [name, v] of Object.entries(entry.inputs)) {
      if (Array.isArray(v) && typeof v[0] === 'string' && !output[v[0]]) delete entry.inputs[name];
    }
  }
  return output;
}

/** Parse any workflow-carrying JSON: a UI workflow, or an API prompt. */
export function loadAny(graph, json, defs) {
  if (json && Array.isArray(json.nodes)) return loadWorkflow(graph, json, defs);
  if (json && typeof json === 'object' && Object.values(json).every((v) => v && v.class_type)) {
    loadApiPrompt(graph, json, defs);
    return null;
  }
  throw new Error('not a workflow: expected a UI workflow with "nodes" or an API prompt');
}

