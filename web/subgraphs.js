/**
 * ComfyUI subgraphs (its frontend 1.24 and later): an instance node's type is the id of a definition the
 * workflow saves under `definitions.subgraphs`. This editor does not open a definition. It draws each
 * instance with its sockets and the widgets it shows, writes it back as it came except for those widgets'
 * values, and has the server flatten the instances when the graph runs.
 */

import { describeInput } from './defs.js';

/** Subgraph definitions by id, from the workflow fields the graph keeps (graph.kept). */
export function subgraphDefinitions(kept) {
  const list = kept?.definitions?.subgraphs;
  return new Map((Array.isArray(list) ? list : []).filter((s) => s && s.id).map((s) => [String(s.id), s]));
}

/** A saved link in either form (a 0.4 array, a version 1 object) as an object. */
export function linkObject(l) {
  return Array.isArray(l)
    ? { id: l[0], origin_id: l[1], origin_slot: l[2], target_id: l[3], target_slot: l[4], type: l[5] }
    : l;
}

/** The inner node and input a definition's input `name` feeds first, or null. */
function innerTarget(definition, name) {
  const slot = (definition.inputs || []).findIndex((i) => i.name === name);
  if (slot < 0) return null;
  const link = (definition.links || []).map(linkObject)
    .find((l) => Number(l.origin_id) === -10 && Number(l.origin_slot) === slot);
  if (!link) return null;
  const node = innerNode(definition, link.target_id);
  const input = node?.inputs?.[link.target_slot];
  return node && input ? { node, input: input.widget?.name || input.name } : null;
}

function innerNode(definition, id) {
  return (definition.nodes || []).find((n) => String(n.id) === String(id)) || null;
}

/** A widget like the inner input's own (its kind, range and options), holding the instance's value. */
function widgetFor(defs, target, name, value, slot) {
  const def = target ? defs.get(target.node.type) : null;
  const entry = def?.input?.required?.[target.input] ?? def?.input?.optional?.[target.input];
  const described = entry ? describeInput(name, entry).widget : null;
  const widget = described || fallbackWidget(name, value);
  if (value !== undefined && value !== null) widget.value = value;
  widget.slot = slot; // where the value goes back in the instance's widgets_values
  return widget;
}

/** For an inner node this editor has no definition of (a nested instance, a missing plugin): by value type. */
function fallbackWidget(name, value) {
  if (typeof value === 'number') return { name, kind: 'number', type: 'FLOAT', value, options: {} };
  if (typeof value === 'boolean') return { name, kind: 'toggle', type: 'BOOLEAN', value, options: {} };
  return { name, kind: 'text', type: 'STRING', value: value ?? '', options: {} };
}

/** What a proxyWidgets entry edits: an input of the instance ("-1") or a widget of one inner node. */
function proxyTarget(definition, id, name) {
  if (String(id) === '-1') return innerTarget(definition, name);
  const node = innerNode(definition, id);
  return node ? { node, input: name } : null;
}

/**
 * The widgets an instance shows, in its widgets_values order: `properties.proxyWidgets` ([inner node id,
 * widget name] pairs, "-1" for the instance's own inputs) when saved, else one per instance input that is a
 * widget, the way resolve.py reads them on the server.
 */
function shownWidgets(raw, definition, defs) {
  const values = raw.widgets_values;
  const proxies = raw.properties?.proxyWidgets;
  if (Array.isArray(proxies)) {
    return proxies.filter((p) => Array.isArray(p) && p.length === 2).map(([id, name], i) => widgetFor(
      defs, proxyTarget(definition, id, name), name, Array.isArray(values) ? values[i] : undefined, i));
  }
  const widgetInputs = (raw.inputs || []).filter((i) => i.widget);
  return widgetInputs.map((input, position) => {
    const name = input.widget.name;
    const byName = values && !Array.isArray(values) && typeof values === 'object';
    const value = byName ? values[name] : Array.isArray(values) ? values[position] : undefined;
    return widgetFor(defs, innerTarget(definition, input.name), name, value, byName ? name : position);
  });
}

/** Turn a node rebuilt from its saved JSON (restoreUnknown) into an instance of `definition`. */
export function makeInstance(node, raw, definition, defs) {
  node.unknown = false;
  node.subgraph = { id: String(definition.id), name: definition.name || 'Subgraph' };
  if (!raw.title) node.title = node.subgraph.name;
  node.widgets = shownWidgets(raw, definition, defs);
  node.layout = null;
}

/** The instance's widgets_values as saved, with the values its widgets hold now. */
export function instanceValues(node) {
  const saved = node.raw?.widgets_values;
  const values = saved && typeof saved === 'object' ? JSON.parse(JSON.stringify(saved)) : [];
  for (const w of node.widgets) values[w.slot] = JSON.parse(JSON.stringify(w.value ?? null));
  return values;
}

export function hasInstances(graph) {
  return [...graph.nodes.values()].some((n) => n.subgraph);
}
