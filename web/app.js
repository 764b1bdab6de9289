/** The editor application: owns the graph, view, selection and undo history, and wires the modules together. */

import { Api } from './api.js';
import { Renderer } from './canvas.js';
import { canvasMenu, categoryItems, groupMenu, nodeMenu } from './contextmenu.js';
import { NodeDefs, typesMatch } from './defs.js';
import { editWidget } from './editors.js';
import { Files, imageRef } from './files.js';
import { TEXT_ZOOM, allVisible, fitView, nodeBounds } from './fit.js';
import { TITLE_H } from './graph.js';
import { Interaction } from './interact.js';
import { Library } from './library.js';
import { askText, closeMenus, showMenu, toast } from './menus.js';
import { Minimap } from './minimap.js';
import { Panels } from './panels.js';
import { ImageCache, bindExecution, showValidationErrors } from './run.js';
import { SearchBox } from './search.js';
import { SubgraphView } from './subgraph_view.js';
import { hasInstances } from './subgraphs.js';
import { Tabs } from './tabs.js';
import { applySeedControls } from './widgets.js';
import { graphToPrompt, loadAny } from './workflow.js';

const UNDO_LIMIT = 100;

/**
 * The editor. The tab on screen lends the app its live state (graph, view, selection, undo stacks, run
 * display: see tabs.js), so every module edits `app.graph` and `app.view` whatever tab is shown.
 */
export class App {
  constructor({ canvas, panel, library = null, api = new Api() }) {
    this.api = api;
    this.canvas = canvas;
    this.defs = new NodeDefs({});
    this.drag = null;
    this.images = new ImageCache(() => this.requestDraw());
    this.clipboard = null;
    this.queueRemaining = 0;
    this.stalled = null; // why the server's queue cannot run prompts now (its database keeps failing)
    this.lastQueued = null; // the run display of the tab that queued last (run.js routes events to it)
    this.tabs = new Tabs(this, document.getElementById('tabs'));
    this.renderer = new Renderer(canvas, this);
    this.interaction = new Interaction(this, canvas);
    this.search = new SearchBox(this);
    this.files = new Files(this);
    this.panels = panel ? new Panels(this, panel) : null;
    this.subgraphs = new SubgraphView(this);
    this.minimap = new Minimap(this);
    this.library = library ? new Library(this, library) : null;
  }

  async start() {
    this.defs = new NodeDefs(await this.api.objectInfo());
    bindExecution(this);
    this.api.connect();
    window.addEventListener('resize', () => { this.renderer.resize(); this.requestDraw(); });
    this.renderer.resize();
    this.tabs.restore();
    this.library?.render();
    this.panels?.refresh();
    this.requestDraw();
  }

  /** R: fetch node definitions again (new models, uploaded images) and rebuild the graph with them. */
  async refreshDefs() {
    try {
      this.defs = new NodeDefs(await this.api.objectInfo());
      this.restore(JSON.stringify(this.workflowJSON(false)));
      this.library?.render();
      toast('Node definitions refreshed');
    } catch (err) {
      toast(`Could not refresh node definitions: ${err.message}`, 'error');
    }
  }

  toWorld([sx, sy]) {
    return [sx / this.view.scale - this.view.offset[0], sy / this.view.scale - this.view.offset[1]];
  }

  toScreen([wx, wy]) {
    return [(wx + this.view.offset[0]) * this.view.scale, (wy + this.view.offset[1]) * this.view.scale];
  }

  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.renderer.draw();
    });
  }

  /** The whole workflow as saved (an open subgraph's edits included); `withView`: with the root's view. */
  workflowJSON(withView = true) {
    return this.subgraphs.workflow(withView);
  }

  /**
   * Record the workflow as an undo step (when it changed) and autosave the tab. `clean`: this state is the
   * saved one (just opened or saved), so the tab shows no unsaved changes.
   */
  commit({ clean = false } = {}) {
    const snap = JSON.stringify(this.workflowJSON(false));
    if (snap !== this.undoStack[this.undoStack.length - 1]) {
      this.undoStack.push(snap);
      if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
      this.redoStack = [];
    }
    if (clean) this.tabs.current.savedSnap = snap;
    this.tabs.save();
    this.minimap?.invalidate();
    this.requestDraw();
  }

  restore(snap) {
    this.subgraphs.reload(JSON.parse(snap));
    this.selected = new Set([...this.selected].filter((id) => this.graph.nodes.has(id)));
    this.minimap?.invalidate();
    this.requestDraw();
  }

  undo() {
    if (this.undoStack.length < 2) return;
    this.redoStack.push(this.undoStack.pop());
    this.restore(this.undoStack[this.undoStack.length - 1]);
    this.tabs.save();
  }

  redo() {
    const snap = this.redoStack.pop();
    if (!snap) return;
    this.undoStack.push(snap);
    this.restore(snap);
    this.tabs.save();
  }

  /**
   * Load a workflow (UI or API format) into the tab on screen, as one undo step: Ctrl+Z brings back what was
   * there. Unknown node types are kept and reported. User-facing opens go through tabs.open, which gives a
   * workflow its own tab. `keepView`: show the saved view as it is (an autosaved tab coming back).
   */
  loadGraphJSON(json, name = 'Unsaved workflow', { quiet = false, savedName = null, keepView = false } = {}) {
    const before = this.undoStack[this.undoStack.length - 1];
    try {
      this.subgraphs.closeTo(0, { commit: false });
      const ds = loadAny(this.graph, json, this.defs);
      this.exec.clearRunMarks();
      this.exec.outputs.clear();
      this.selected = new Set();
      this.selectedGroup = null;
      Object.assign(this.tabs.current, { name, savedName });
      // A saved view is kept when it is readable and shows the whole graph on this screen; else fit readably.
      if (ds?.offset && ds.scale) this.view = { scale: ds.scale, offset: [...ds.offset] };
      if (!keepView && (!ds?.offset || !ds.scale || ds.scale < TEXT_ZOOM || !allVisible(this))) this.fitView();
      this.commit({ clean: true });
      const unknown = [...new Set([...this.graph.nodes.values()]
        .filter((n) => n.unknown && n.type !== 'PrimitiveNode').map((n) => n.type))]; // PrimitiveNode: see workflow.js
      if (unknown.length && !quiet) toast(`Unknown node types (kept, not runnable): ${unknown.join(', ')}`, 'error');
      return true;
    } catch (err) {
      if (before) this.restore(before); // a file that fails half-way leaves the graph as it was
      toast(`Could not load workflow: ${err.message}`, 'error');
      return false;
    }
  }

  get workflowName() {
    return this.tabs.current.name;
  }

  /** Fit the view: readable (never below the zoom where text is drawn) unless `readable: false`. */
  fitView(options = {}) {
    fitView(this, options);
    this.requestDraw();
  }

  /** The "." key: the selection, or the whole graph, all in view (as small as it takes). */
  fitAll() {
    const nodes = this.selectedNodes();
    fitView(this, { readable: false, nodes: nodes.length ? nodes : null });
    this.requestDraw();
  }

  addNode(type, pos) {
    const node = this.graph.addNode(type, this.defs.get(type), pos);
    this.selected = new Set([node.id]);
    return node;
  }

  bringToFront(node) {
    this.graph.nodes.delete(node.id);
    this.graph.nodes.set(node.id, node);
  }

  /** Search box at screen point `at`; the chosen node goes at world point `p`, linked to `filter`'s socket. */
  openSearch(at, p, filter) {
    closeMenus();
    this.search.open(at, filter, (entry) => {
      const node = this.addNode(entry.name, filter && !filter.fromOutput ? [p[0] - 200, p[1]] : p);
      if (filter) this.connectToNew(filter, node);
      this.commit();
    });
  }

  connectToNew(filter, node) {
    if (filter.fromOutput) {
      const slot = node.inputs.findIndex((i) => typesMatch(filter.type, i.type));
      if (slot >= 0) this.graph.connect(filter.node, filter.slot, node, slot);
    } else {
      const slot = node.outputs.findIndex((o) => typesMatch(o.type, filter.type));
      if (slot >= 0) this.graph.connect(node, slot, filter.node, filter.slot);
    }
  }

  closePopups() {
    closeMenus();
    this.search.close();
  }

  contextMenu(at, p, node, group) {
    const items = node ? nodeMenu(this, node) : group ? groupMenu(this, group) : canvasMenu(this, at, p);
    showMenu(items, at);
  }

  linkMenu(at, link, mid) {
    showMenu([
      { label: 'Add Reroute Here', action: () => this.insertReroute(link, mid) },
      { label: 'Delete Link', action: () => { this.graph.removeLink(link.id); this.commit(); } },
    ], at);
  }

  /** Split a link with a reroute point at world point `mid`. */
  insertReroute(link, mid) {
    const origin = this.graph.nodes.get(link.origin_id);
    const target = this.graph.nodes.get(link.target_id);
    const reroute = this.addNode('Reroute', [mid[0] - 30, mid[1] + TITLE_H / 2]);
    this.graph.connect(origin, link.origin_slot, reroute, 0);
    this.graph.connect(reroute, 0, target, link.target_slot);
    this.commit();
  }

  showAddMenu(at, p) {
    showMenu(categoryItems(this, p), at);
  }

  editWidget(node, w, kind) {
    editWidget(this, node, w, kind);
  }

  widgetChanged(node, w, final) {
    this.exec.errors.get(node.id)?.inputs.delete(w.name);
    if (final) this.commit(); else this.requestDraw();
  }

  async renameNode(node) {
    const title = await askText('Node title', node.title);
    if (title === null) return;
    node.title = title || node.type;
    this.commit();
  }

  async uploadInto(node, w, file) {
    try {
      const res = await this.api.uploadImage(file);
      this.setImage(node, node.widget(w.uploads), res);
    } catch (err) {
      toast(`Upload failed: ${err.message}`, 'error');
    }
  }

  /** Point an image combo at an uploaded file ({name, subfolder, type} as the upload routes answer). */
  setImage(node, combo, res) {
    const name = res.subfolder ? `${res.subfolder}/${res.name}` : res.name;
    if (!combo.options.values.includes(name)) combo.options.values = [...combo.options.values, name];
    combo.value = name;
    this.images.forget(this.api.viewUrl(imageRef(name)));
    this.widgetChanged(node, combo, true);
  }

  selectedNodes() {
    return [...this.selected].map((id) => this.graph.nodes.get(id)).filter(Boolean);
  }

  deleteSelected() {
    if (this.selectedGroup) {
      this.graph.groups = this.graph.groups.filter((g) => g !== this.selectedGroup);
      this.selectedGroup = null;
    }
    // A subgraph's boundary nodes stay: its inputs and outputs are fixed here.
    for (const id of this.selected) if (!this.graph.nodes.get(id)?.io) this.graph.removeNode(id);
    this.selected = new Set();
    this.commit();
  }

  copy() {
    if (!this.selected.size) return;
    const ids = [...this.selected].filter((id) => !this.graph.nodes.get(id)?.io);
    if (!ids.length) return;
    this.clipboard = this.graph.copyNodes(ids);
    try {
      localStorage.setItem('nodegraph.clipboard', JSON.stringify(this.clipboard));
    } catch {
      // The in-memory clipboard still works within this tab.
    }
  }

  paste(at) {
    let clip = this.clipboard;
    if (!clip) {
      try { clip = JSON.parse(localStorage.getItem('nodegraph.clipboard') || 'null'); } catch { clip = null; }
    }
    if (!clip?.nodes?.length) return;
    const made = this.graph.pasteNodes(clip, this.defs, at);
    this.selected = new Set(made.map((n) => n.id));
    this.commit();
  }

  selectAll() {
    this.selected = new Set(this.graph.nodes.keys());
  }

  /** Ctrl+B / Ctrl+M: toggle bypass (4) or mute (2) on the selection. */
  toggleMode(mode) {
    const nodes = this.selectedNodes().filter((n) => !n.io); // a subgraph's boundary is never left out
    const all = nodes.every((n) => n.mode === mode);
    for (const n of nodes) n.mode = all ? 0 : mode;
    this.commit();
  }

  toggleCollapse() {
    for (const n of this.selectedNodes()) n.flags.collapsed = !n.flags.collapsed;
    this.commit();
  }

  groupSelected() {
    const b = nodeBounds(this.selectedNodes());
    if (!b) return;
    const [x0, y0] = [b[0] - 20, b[1] - 54];
    this.graph.groups.push({ title: 'Group', bounding: [x0, y0, b[2] + 20 - x0, b[3] + 20 - y0], color: '#3f789e' });
    this.commit();
  }

  /** Convert, send, and on a 400 show each error on its node; seeds then move as their control says. */
  async queue() {
    // The whole workflow runs, also while a subgraph is open (its edits included).
    const workflow = this.workflowJSON();
    const root = this.subgraphs.root;
    // Subgraph instances are flattened by the server, which takes a UI workflow as the prompt.
    const prompt = hasInstances(root) ? workflow : graphToPrompt(root);
    const exec = this.exec; // this tab's run display, even if another tab is shown when the answer comes
    exec.errors.clear();
    // Set before sending: the run's websocket events may arrive before the POST's answer does.
    exec.lastStatus = 'queued';
    this.lastQueued = exec;
    try {
      const res = await this.api.queuePrompt(prompt, workflow);
      exec.lastPromptId = res?.prompt_id;
      if (res?.prompt_id) exec.promptIds.add(res.prompt_id);
      // The workflow's own seeds, as before a subgraph was opened: those inside definitions stay as saved.
      for (const node of root.nodes.values()) applySeedControls(node);
      this.commit();
      this.panels?.refreshSoon();
    } catch (err) {
      if (err.status === 400 && err.body) showValidationErrors(this, err.body);
      else {
        exec.lastStatus = 'error';
        toast(`Queue failed: ${err.message}`, 'error');
      }
    }
    this.updateStatus();
    this.requestDraw();
  }

  updateStatus() {
    const el = document.getElementById('status');
    if (!el) return;
    const ex = this.exec;
    if (this.stalled) {
      el.textContent = `queue stalled: ${this.stalled}`;
      el.title = this.stalled;
      el.className = 'status error stalled';
      return;
    }
    el.title = '';
    el.textContent = `${ex.lastStatus}${this.queueRemaining ? ` · ${this.queueRemaining} in queue` : ''}`;
    el.className = `status ${ex.lastStatus}`;
  }

  toast(message) {
    toast(message);
  }
}
