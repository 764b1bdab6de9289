/**
 * Workflow tabs: each open workflow keeps its own graph, view, selection, undo history and run display, so
 * opening a file, template, saved workflow or past run never replaces another tab's work. Each tab is
 * autosaved in the browser (its name, the name it was saved under and whether it has unsaved changes too)
 * and the tabs come back on reload; closing a tab with unsaved changes asks first.
 */

import { Graph } from './graph.js';
import { askChoice } from './menus.js';
import { ExecState } from './run.js';

const INDEX_KEY = 'nodegraph.tabs';
const TAB_PREFIX = 'nodegraph.tab.';
const OLD_KEY = 'nodegraph.workflow'; // before tabs, the one autosaved workflow
export const UNTITLED = 'Unsaved workflow';
// What the app holds of the tab on screen; the other tabs keep theirs.
const LIVE = ['graph', 'view', 'selected', 'selectedGroup', 'undoStack', 'redoStack', 'exec'];

function read(key) {
  try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch { return null; }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: autosave is a convenience, the editor works without it.
  }
}

export class Tabs {
  constructor(app, bar) {
    this.app = app;
    this.bar = bar;
    this.list = [];
    this.nextId = 1;
    // The first tab is put on screen without saving anything: restore() reads what the last session left.
    this.current = this.add(UNTITLED);
    for (const k of LIVE) app[k] = this.current[k];
  }

  add(name, savedName = null, id = null, at = this.list.length) {
    const tab = { id: id ?? this.nextId, name, savedName, savedSnap: null, pending: null, graph: new Graph(),
      view: { scale: 1, offset: [0, 0] }, selected: new Set(), selectedGroup: null, undoStack: [], redoStack: [],
      exec: new ExecState() };
    this.nextId = Math.max(this.nextId, tab.id + 1);
    this.list.splice(at, 0, tab);
    return tab;
  }

  /** Where a tab's live state is: the app's fields for the tab on screen, the tab's own otherwise. */
  state(tab) {
    return tab === this.current ? this.app : tab;
  }

  isDirty(tab) {
    if (tab.pending) return tab.pending.dirty;
    const stack = this.state(tab).undoStack;
    return stack.length > 0 && stack[stack.length - 1] !== tab.savedSnap;
  }

  /** Nothing in it and nothing to lose: opening something may use this tab instead of a new one. */
  isBlank(tab) {
    const { graph } = this.state(tab);
    return !tab.pending && !tab.savedName && !graph.nodes.size && !graph.groups.length && !this.isDirty(tab);
  }

  /** Put `tab` on screen (an autosaved tab is loaded the first time it is shown). */
  activate(tab) {
    const app = this.app;
    if (tab === this.current) return;
    if (this.current && this.list.includes(this.current)) {
      app.subgraphs?.closeTo(0, { commit: false });
      this.save(); // the view as it is now
      for (const k of LIVE) this.current[k] = app[k];
    }
    app.closePopups?.();
    app.drag = null;
    this.current = tab;
    for (const k of LIVE) app[k] = tab[k];
    if (tab.pending) {
      const { workflow, dirty } = tab.pending;
      tab.pending = null;
      app.loadGraphJSON(workflow, tab.name, { quiet: true, savedName: tab.savedName, keepView: true });
      if (dirty) tab.savedSnap = null;
      this.save();
    }
    this.saveIndex();
    this.render();
    app.updateStatus?.();
    app.minimap?.invalidate();
    app.requestDraw();
  }

  /** A new empty tab after the current one, shown. */
  create(name = UNTITLED) {
    const tab = this.add(name, null, null, this.list.indexOf(this.current) + 1);
    this.activate(tab);
    this.app.commit({ clean: true });
    return tab;
  }

  /**
   * Open a workflow in a tab of its own (or in this one when it is blank); a workflow saved on the server
   * that is already open is shown instead of opened twice. False when it cannot be loaded (the tab that was
   * on screen comes back).
   */
  open(json, name, { savedName = null } = {}) {
    const already = savedName && this.list.find((t) => t.savedName === savedName);
    if (already) {
      this.activate(already);
      return true;
    }
    const before = this.current;
    const fresh = !this.isBlank(before);
    if (fresh) this.activate(this.add(name, savedName, null, this.list.indexOf(before) + 1));
    const ok = this.app.loadGraphJSON(json, name, { savedName });
    if (!ok && fresh) this.drop(this.current, before);
    return ok;
  }

  /** Close a tab; with unsaved changes, after asking (Save, Close without saving, or Cancel). */
  async close(tab) {
    if (this.isDirty(tab)) {
      const answer = await askChoice(`"${tab.name}" has unsaved changes.`,
        [['cancel', 'Cancel'], ['discard', 'Close without saving'], ['save', 'Save']]);
      if (!answer || answer === 'cancel') return false;
      if (answer === 'save') {
        this.activate(tab);
        if (!(await this.app.files.save())) return false;
      }
    }
    const i = this.list.indexOf(tab);
    this.drop(tab, this.list[i + 1] || this.list[i - 1] || null);
    return true;
  }

  /** Remove a tab without asking; `next` is shown if the tab was on screen (a new blank one if none is left). */
  drop(tab, next) {
    this.list.splice(this.list.indexOf(tab), 1);
    try { localStorage.removeItem(TAB_PREFIX + tab.id); } catch { /* nothing stored */ }
    if (tab === this.current) {
      if (next && this.list.includes(next)) this.activate(next);
      else this.create();
    }
    this.saveIndex();
    this.render();
  }

  /** The tab on screen was just saved (or opened): its current state is the clean one. */
  markSaved() {
    const stack = this.app.undoStack;
    this.current.savedSnap = stack[stack.length - 1] ?? null;
    this.save();
  }

  /** Autosave the tab on screen (called on every commit). */
  save() {
    const tab = this.current;
    if (!tab || !this.list.includes(tab)) return;
    write(TAB_PREFIX + tab.id, { name: tab.name, savedName: tab.savedName, dirty: this.isDirty(tab),
      workflow: this.app.workflowJSON() });
    this.saveIndex();
    this.render();
  }

  saveIndex() {
    write(INDEX_KEY, { active: this.current?.id, ids: this.list.map((t) => t.id) });
  }

  /** The tabs autosaved by the last session (or the single workflow saved before tabs), the active one shown. */
  restore() {
    const index = read(INDEX_KEY);
    let saved = (index?.ids || []).map((id) => [id, read(TAB_PREFIX + id)]).filter(([, t]) => t?.workflow);
    const old = read(OLD_KEY);
    if (!saved.length && old?.workflow) saved = [[null, { name: old.name, workflow: old.workflow }]];
    try { localStorage.removeItem(OLD_KEY); } catch { /* nothing stored */ }
    if (!saved.length) {
      this.app.commit({ clean: true });
      return;
    }
    const blank = this.current;
    const tabs = saved.map(([id, t]) => {
      const tab = this.add(String(t.name || UNTITLED), t.savedName ?? null, id);
      tab.pending = { workflow: t.workflow, dirty: Boolean(t.dirty) };
      return tab;
    });
    this.list.splice(this.list.indexOf(blank), 1);
    this.activate(tabs.find((t) => t.id === index?.active) || tabs[0]);
  }

  /** The run display a websocket event belongs to: the tab that queued the prompt, else the last to queue. */
  execFor(promptId) {
    for (const tab of this.list) {
      const { exec } = this.state(tab);
      if (promptId && exec.promptIds.has(promptId)) return exec;
    }
    const last = this.app.lastQueued;
    return last && this.list.some((t) => this.state(t).exec === last) ? last : this.app.exec;
  }

  /** The workflow (root) graph whose run display is `exec`. */
  graphOf(exec) {
    const tab = this.list.find((t) => this.state(t).exec === exec);
    if (!tab || tab === this.current) return this.app.subgraphs?.root ?? this.app.graph;
    return tab.graph;
  }

  render() {
    if (typeof document !== 'undefined') document.title = `${this.current?.name ?? UNTITLED} - nodegraph`;
    if (!this.bar) return;
    const items = this.list.map((tab) => {
      const el = Object.assign(document.createElement('div'), { className: `tab${tab === this.current ? ' active' : ''}` });
      el.dataset.tabId = tab.id;
      el.title = tab.savedName ? `${tab.savedName}.json` : 'not saved on the server yet';
      const name = Object.assign(document.createElement('span'), { className: 'tab-name', textContent: tab.name });
      const dirty = Object.assign(document.createElement('span'), { className: 'tab-dirty',
        textContent: this.isDirty(tab) ? '•' : '' });
      const close = Object.assign(document.createElement('button'), { className: 'tab-close', textContent: '×',
        title: 'Close this tab', type: 'button' });
      close.addEventListener('click', (e) => { e.stopPropagation(); this.close(tab); });
      el.addEventListener('click', () => this.activate(tab));
      el.append(name, dirty, close);
      return el;
    });
    const plus = Object.assign(document.createElement('button'), { className: 'tab-new', textContent: '+',
      title: 'New workflow in a new tab', type: 'button' });
    plus.addEventListener('click', () => this.create());
    this.bar.replaceChildren(...items, plus);
  }
}
