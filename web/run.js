/** What the current run looks like on the canvas: running node, progress, previews, outputs, errors. */

import { imageRef } from './files.js';
import { nodeLayout } from './graph.js';
import { toast } from './menus.js';

export class ExecState {
  constructor() {
    this.running = null;
    this.promptId = null;
    this.progress = new Map();
    this.cached = new Set();
    this.errors = new Map(); // node id -> {message, inputs: Map(input name -> message)}
    this.outputs = new Map(); // node id -> ui dict ({images: [...], text: [...]})
    this.previews = new Map(); // node id -> HTMLImageElement
    this.promptIds = new Set(); // the prompts this tab queued: their events are shown here
    this.lastStatus = 'idle';
  }

  clearRunMarks() {
    this.running = null;
    this.progress.clear();
    this.cached.clear();
    this.errors.clear();
    this.previews.clear();
  }
}

/** A node that receives an image (a preview, a result) grows once so the image has room under its widgets. */
function makeRoomForImage(app, ex, id) {
  // Run events name the workflow's own nodes, also while a subgraph is open on the canvas.
  const node = app.tabs.graphOf(ex).nodes.get(id);
  if (!node || node.flags.collapsed) return;
  const free = nodeLayout(node).free[3];
  if (free >= 120) return;
  node.size = [node.size[0], node.size[1] + 160 - free];
  node.invalidate();
}

/** Graph node id of an event's node: expanded nodes report the node the user sees as display_node. */
function nodeId(data, key = 'node') {
  const raw = data.display_node ?? data[key];
  if (raw === null || raw === undefined) return null;
  const n = Number(String(raw).split(':')[0].split('.')[0]);
  return Number.isFinite(n) ? n : null;
}

/** Show a 400 from POST /prompt: every node error on its node and input, and the summary as a toast. */
export function showValidationErrors(app, body) {
  const ex = app.exec;
  ex.errors.clear();
  for (const [id, entry] of Object.entries(body?.node_errors || {})) {
    const inputs = new Map();
    const lines = [];
    for (const e of entry.errors || []) {
      const line = e.details ? `${e.message}: ${e.details}` : e.message;
      lines.push(line);
      if (e.extra_info?.input_name) inputs.set(e.extra_info.input_name, line);
    }
    const target = nodeId({ node: id });
    if (target !== null) ex.errors.set(target, { message: lines.join('\n'), inputs });
  }
  const err = body?.error;
  toast(typeof err === 'string' ? err : `${err?.message || 'Prompt rejected'}${err?.details ? `: ${err.details}` : ''}`, 'error');
  ex.lastStatus = 'error';
  app.requestDraw();
}

/** A node's name as the user sees it: its title in the graph, else its class's display name. */
export function nodeLabel(app, graph, id, type) {
  const node = graph?.nodes.get(Number(id));
  const name = node?.title || app.defs.get(type)?.display_name || type || 'Node';
  return id === null || id === undefined || id === '' ? name : `${name} #${id}`;
}

// One handler per websocket event type; `ex` is the run display of the tab that queued the prompt.
const HANDLERS = {
  status(app, d) {
    app.queueRemaining = d.status?.exec_info?.queue_remaining ?? 0;
    app.stalled = d.status?.exec_info?.stalled ?? null; // why the queue cannot run prompts (its database fails)
    app.panels?.refreshSoon();
  },
  execution_start(app, d, ex) {
    ex.clearRunMarks();
    ex.promptId = d.prompt_id;
    ex.lastStatus = 'running';
  },
  execution_cached(app, d, ex) {
    for (const id of d.nodes || []) ex.cached.add(Number(id));
  },
  executing(app, d, ex) {
    if (ex.running !== null) ex.progress.delete(ex.running);
    ex.running = nodeId(d);
    if (ex.running === null && ex.lastStatus === 'running') ex.lastStatus = 'done';
    if (ex.running === null) app.panels?.refreshSoon();
  },
  progress(app, d, ex) {
    const id = nodeId(d);
    if (id !== null) ex.progress.set(id, { value: d.value, max: d.max });
  },
  executed(app, d, ex) {
    const id = nodeId(d);
    if (id === null) return;
    ex.outputs.set(id, d.output || {});
    ex.previews.delete(id);
    if (d.output?.images?.length) makeRoomForImage(app, ex, id);
    for (const img of d.output?.images || []) app.images.get(app.api.viewUrl(img));
  },
  execution_success(app, d, ex) {
    ex.progress.clear();
    ex.lastStatus = 'done';
  },
  execution_error(app, d, ex) {
    const id = nodeId(d, 'node_id');
    const message = `${d.exception_type ? `${d.exception_type}: ` : ''}${d.exception_message}`;
    const inputs = new Map();
    const named = /input '?([A-Za-z_][\w]*)'?/.exec(d.exception_message || '');
    if (named) inputs.set(named[1], message);
    if (id !== null) ex.errors.set(id, { message, inputs });
    ex.running = null;
    ex.lastStatus = 'error';
    toast(`${nodeLabel(app, app.tabs.graphOf(ex), d.node_id, d.node_type)} failed: ${message}`, 'error');
  },
  execution_interrupted(app, d, ex) {
    ex.running = null;
    ex.progress.clear();
    ex.lastStatus = 'interrupted';
    const at = d.node_id ? ` at ${nodeLabel(app, app.tabs.graphOf(ex), d.node_id, d.node_type)}` : '';
    toast(`Run interrupted${at}`);
  },
  b_preview(app, d, ex) {
    const id = d.node ? nodeId({ node: d.node }) : ex.running;
    if (id === null) return;
    const img = new Image();
    const url = URL.createObjectURL(d.blob);
    img.onload = () => {
      const old = ex.previews.get(id);
      if (old?.src?.startsWith('blob:')) URL.revokeObjectURL(old.src);
      ex.previews.set(id, img);
      makeRoomForImage(app, ex, id);
      app.requestDraw();
    };
    img.src = url;
  },
};

/** Route the api's websocket events into the run display of the tab that queued the prompt, and redraw. */
export function bindExecution(app) {
  for (const [type, fn] of Object.entries(HANDLERS)) {
    app.api.addEventListener(type, (ev) => {
      fn(app, ev.detail, app.tabs.execFor(ev.detail?.prompt_id));
      app.updateStatus();
      app.requestDraw();
    });
  }
}

/**
 * The image a node shows, as a /view reference: the first image its last run produced, else the picture an
 * image loader has picked (a LoadImage value, ComfyUI's " [input]" annotation understood). Null if none.
 */
export function shownImage(exec, node) {
  const out = exec.outputs.get(node.id)?.images?.[0];
  if (out) return { ...out, type: out.type || 'output' };
  const upload = node.widgets.find((w) => w.kind === 'upload');
  const value = upload ? node.widget(upload.uploads)?.value : null;
  return value ? imageRef(value) : null;
}

/** Loads output images once and redraws when each arrives. */
export class ImageCache {
  constructor(onLoad) {
    this.onLoad = onLoad;
    this.map = new Map();
  }

  get(url) {
    let img = this.map.get(url);
    if (!img) {
      img = new Image();
      img.onload = () => this.onLoad();
      img.src = url;
      this.map.set(url, img);
    }
    return img;
  }

  forget(url) {
    this.map.delete(url);
  }
}
