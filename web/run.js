/** What the current run looks like on the canvas: running node, progress, previews, outputs, errors. */

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
    this.queueRemaining = 0;
    this.stalled = null; // why the server's queue cannot run prompts now (its database keeps failing)
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
function makeRoomForImage(app, id) {
  // Run events name the workflow's own nodes, also while a subgraph is open on the canvas.
  const node = (app.subgraphs?.root ?? app.graph).nodes.get(id);
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

const HANDLERS = {
  status(app, d) {
    app.exec.queueRemaining = d.status?.exec_info?.queue_remaining ?? 0;
    app.exec.stalled = d.status?.exec_info?.stalled ?? null;
    app.panels?.refreshSoon();
  },
  execution_start(app, d) {
    app.exec.clearRunMarks();
    app.exec.promptId = d.prompt_id;
    app.exec.lastStatus = 'running';
  },
  execution_cached(app, d) {
    for (const id of d.nodes || []) app.exec.cached.add(Number(id));
  },
  executing(app, d) {
    const ex = app.exec;
    if (ex.running !== null) ex.progress.delete(ex.running);
    ex.running = nodeId(d);
    if (ex.running === null && ex.lastStatus === 'running') ex.lastStatus = 'done';
    if (ex.running === null) app.panels?.refreshSoon();
  },
  progress(app, d) {
    const id = nodeId(d);
    if (id !== null) app.exec.progress.set(id, { value: d.value, max: d.max });
  },
  executed(app, d) {
    const id = nodeId(d);
    if (id === null) return;
    app.exec.outputs.set(id, d.output || {});
    app.exec.previews.delete(id);
    if (d.output?.images?.length) makeRoomForImage(app, id);
    for (const img of d.output?.images || []) app.images.get(app.api.viewUrl(img));
  },
  execution_success(app) {
    app.exec.progress.clear();
    app.exec.lastStatus = 'done';
  },
  execution_error(app, d) {
    const id = nodeId(d, 'node_id');
    const message = `${d.exception_type ? `${d.exception_type}: ` : ''}${d.exception_message}`;
    const inputs = new Map();
    const named = /input '?([A-Za-z_][\w]*)'?/.exec(d.exception_message || '');
    if (named) inputs.set(named[1], message);
    if (id !== null) app.exec.errors.set(id, { message, inputs });
    app.exec.running = null;
    app.exec.lastStatus = 'error';
    toast(`${d.node_type || 'Node'} #${d.node_id} failed: ${message}`, 'error');
  },
  execution_interrupted(app) {
    app.exec.running = null;
    app.exec.progress.clear();
    app.exec.lastStatus = 'interrupted';
    toast('Run interrupted');
  },
  b_preview(app, d) {
    const id = d.node ? nodeId({ node: d.node }) : app.exec.running;
    if (id === null) return;
    const img = new Image();
    const url = URL.createObjectURL(d.blob);
    img.onload = () => {
      const old = app.exec.previews.get(id);
      if (old?.src?.startsWith('blob:')) URL.revokeObjectURL(old.src);
      app.exec.previews.set(id, img);
      makeRoomForImage(app, id);
      app.requestDraw();
    };
    img.src = url;
  },
};

/** Route the api's websocket events into the execution state and redraw. */
export function bindExecution(app) {
  for (const [type, fn] of Object.entries(HANDLERS)) {
    app.api.addEventListener(type, (ev) => {
      fn(app, ev.detail);
      app.updateStatus();
      app.requestDraw();
    });
  }
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
