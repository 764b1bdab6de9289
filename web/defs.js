/** Node definitions: turns the server's /object_info entries into socket and widget templates. */

export const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);
export const SEED_CONTROLS = ['fixed', 'increment', 'decrement', 'randomize'];

/** Virtual nodes live only in the editor: they never reach the API prompt. */
export const VIRTUAL_DEFS = {
  Reroute: {
    name: 'Reroute', display_name: 'Reroute', category: 'utils', virtual: true,
    input: { required: { '': ['*', {}] } }, input_order: { required: [''] },
    output: ['*'], output_name: [''], description: 'A point to route a link through.',
  },
  Note: {
    name: 'Note', display_name: 'Note', category: 'utils', virtual: true,
    input: { required: { text: ['STRING', { multiline: true, default: '' }] } },
    input_order: { required: ['text'] }, output: [], output_name: [], description: 'A text note.',
  },
};

/** Do two socket types connect? '*' matches anything; "A,B" means either A or B. */
export function typesMatch(outType, inType) {
  if (!outType || !inType) return false;
  if (outType === '*' || inType === '*') return true;
  const a = String(outType).split(',');
  const b = String(inType).split(',');
  return a.some((t) => b.includes(t));
}

function widgetKind(type, opts) {
  if (type === 'INT') return 'number';
  if (type === 'FLOAT') {
    const bounded = opts.min !== undefined && opts.max !== undefined && opts.max - opts.min <= 100;
    return opts.display === 'slider' || bounded ? 'slider' : 'number';
  }
  if (type === 'STRING') return opts.multiline ? 'multiline' : 'text';
  if (type === 'BOOLEAN') return 'toggle';
  return 'combo';
}

/** One input entry `[type or options list, opts]` as {socketType, widget template or null}. */
export function describeInput(name, entry) {
  const [rawType, opts = {}] = entry;
  const isList = Array.isArray(rawType);
  const type = isList ? 'COMBO' : rawType;
  const options = isList ? rawType : (opts.options || []);
  const isWidget = WIDGET_TYPES.has(type) && !opts.forceInput;
  if (!isWidget) return { name, type, widget: null };
  const kind = widgetKind(type, opts);
  let value = opts.default;
  if (value === undefined) {
    value = { number: 0, slider: opts.min ?? 0, text: '', multiline: '', toggle: false }[kind];
    if (kind === 'combo') value = options[0] ?? '';
  }
  const widget = { name, kind, type, value, options: { ...opts, values: options } };
  return { name, type, widget };
}

/**
 * The template a node of this definition is built from: input sockets (plain inputs first, then one
 * per widget so widgets can be driven by links), outputs, and widgets in ComfyUI's widgets_values order.
 */
export function nodeTemplate(def) {
  const sockets = [];
  const widgetSockets = [];
  const widgets = [];
  const order = [...(def.input_order?.required || []), ...(def.input_order?.optional || [])];
  const all = { ...(def.input?.required || {}), ...(def.input?.optional || {}) };
  for (const name of order.length ? order : Object.keys(all)) {
    if (!all[name]) continue;
    const d = describeInput(name, all[name]);
    const optional = Boolean(def.input?.optional?.[name]);
    if (!d.widget) {
      sockets.push({ name, type: d.type, optional });
      continue;
    }
    widgets.push(d.widget);
    widgetSockets.push({ name, type: d.type, widget: { name }, optional });
    if (d.widget.options.control_after_generate) {
      widgets.push({ name: 'control_after_generate', kind: 'combo', type: 'COMBO', value: 'randomize',
        options: { values: SEED_CONTROLS }, controls: name });
    }
    if (d.widget.options.image_upload) {
      widgets.push({ name: 'upload', kind: 'upload', type: 'BUTTON', value: null, options: {}, uploads: name,
        serialize: false });
    }
  }
  const outputs = (def.output || []).map((type, i) => ({
    name: def.output_name?.[i] ?? type, type, links: [], is_list: Boolean(def.output_is_list?.[i]),
  }));
  return { inputs: [...sockets, ...widgetSockets], outputs, widgets };
}

/** Catalog of node definitions with search helpers, built once per /object_info fetch. */
export class NodeDefs {
  constructor(objectInfo) {
    this.defs = { ...objectInfo, ...VIRTUAL_DEFS };
    this.list = Object.values(this.defs).map((d) => ({
      def: d,
      name: d.name,
      title: d.display_name || d.name,
      category: d.category || '',
      inTypes: Object.values({ ...(d.input?.required || {}), ...(d.input?.optional || {}) })
        .map(([t]) => (Array.isArray(t) ? 'COMBO' : t)),
      outTypes: d.output || [],
    }));
  }

  get(type) {
    return this.defs[type] || null;
  }

  /** Nested {category: {sub: {...}, __nodes: [...]}} for the category menu. */
  categoryTree() {
    const root = { __nodes: [] };
    for (const e of this.list) {
      let at = root;
      for (const part of e.category.split('/').filter(Boolean)) {
        at[part] = at[part] || { __nodes: [] };
        at = at[part];
      }
      at.__nodes.push(e);
    }
    return root;
  }
}
