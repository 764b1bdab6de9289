/** Workflow files: new, open from disk or drop (JSON or PNG), save to the server, download, templates; each
 * opens in a tab of its own (tabs.js). */

import { askText, toast } from './menus.js';
import { readPngText } from './png.js';

/** The workflow (or API prompt) a PNG carries, or null. */
export async function workflowFromPng(buffer) {
  const text = await readPngText(buffer);
  if (text.workflow) return JSON.parse(text.workflow);
  if (text.prompt) return JSON.parse(text.prompt);
  return null;
}

/**
 * A LoadImage-style value as a /view reference: "sub/dir/name.png", optionally annotated " [input]",
 * " [output]" or " [temp]" as ComfyUI writes it (its mask editor saves "… [input]").
 */
export function imageRef(value) {
  const m = /^(.*?)(?: \[(input|output|temp)\])?$/.exec(String(value ?? ''));
  const path = m[1];
  const cut = path.lastIndexOf('/');
  return { filename: path.slice(cut + 1), subfolder: cut < 0 ? '' : path.slice(0, cut), type: m[2] || 'input' };
}

export class Files {
  constructor(app) {
    this.app = app;
    this.picker = Object.assign(document.createElement('input'), { type: 'file', accept: '.json,.png,application/json,image/png', hidden: true });
    this.picker.addEventListener('change', () => {
      if (this.picker.files[0]) this.openFile(this.picker.files[0]);
      this.picker.value = '';
    });
    document.body.appendChild(this.picker);
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => this.drop(e));
  }

  /** The tab's workflow name on the server, once saved or opened from there. */
  get name() {
    return this.app.tabs.current.savedName;
  }

  newGraph() {
    this.app.tabs.create();
  }

  choose() {
    this.picker.click();
  }

  /** Open a dropped or chosen file: a workflow JSON, or a PNG that carries one. */
  async openFile(file) {
    try {
      const isPng = file.type === 'image/png' || file.name.toLowerCase().endsWith('.png');
      const json = isPng ? await workflowFromPng(await file.arrayBuffer()) : JSON.parse(await file.text());
      if (!json) throw new Error(`${file.name} carries no workflow`);
      return this.app.tabs.open(json, file.name.replace(/\.(json|png)$/i, ''));
    } catch (err) {
      toast(`Could not open ${file.name}: ${err.message}`, 'error');
      return false;
    }
  }

  /** A dropped image without a workflow on an image-upload node goes into that node instead. */
  async drop(e) {
    e.preventDefault();
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    const r = this.app.canvas.getBoundingClientRect();
    const p = this.app.toWorld([e.clientX - r.left, e.clientY - r.top]);
    const node = this.app.graph.nodeAt(p[0], p[1]);
    const upload = node?.widgets.find((w) => w.kind === 'upload');
    if (upload && file.type.startsWith('image/')) {
      await this.app.uploadInto(node, upload, file);
      return;
    }
    await this.openFile(file);
  }

  async save() {
    if (!this.name) return this.saveAs();
    return this.write(this.name);
  }

  async saveAs() {
    const name = await askText('Save workflow as', this.name || this.app.workflowName || 'workflow');
    if (!name) return false;
    return this.write(name.endsWith('.json') ? name.slice(0, -5) : name);
  }

  async write(name) {
    try {
      await this.app.api.saveUserWorkflow(`${name}.json`, this.app.workflowJSON());
      Object.assign(this.app.tabs.current, { name, savedName: name });
      this.app.tabs.markSaved();
      toast(`Saved ${name}.json`);
      return true;
    } catch (err) {
      toast(`Save failed: ${err.message}`, 'error');
      return false;
    }
  }

  download() {
    const blob = new Blob([JSON.stringify(this.app.workflowJSON(), null, 2)], { type: 'application/json' });
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob),
      download: `${this.name || this.app.workflowName || 'workflow'}.json` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** Saved workflows on the server, as menu items. */
  async savedItems() {
    try {
      const names = await this.app.api.listWorkflows();
      const items = (names || []).filter((n) => String(n).endsWith('.json')).map((n) => ({
        label: String(n).replace(/\.json$/, ''), action: () => this.openSaved(String(n)),
      }));
      return items.length ? items : [{ label: '(none saved yet)', disabled: true }];
    } catch (err) {
      return [{ label: `unavailable: ${err.message}`, disabled: true }];
    }
  }

  async openSaved(file) {
    try {
      const json = await this.app.api.loadUserWorkflow(file);
      const name = file.replace(/\.json$/, '');
      this.app.tabs.open(json, name, { savedName: name });
    } catch (err) {
      toast(`Could not open ${file}: ${err.message}`, 'error');
    }
  }

  /** The shipped workflows/ listed by the server, as menu items. */
  async templateItems() {
    try {
      const list = await this.app.api.templates();
      const names = templateNames(list);
      const items = names.map((n) => ({ label: n.replace(/\.json$/, ''), action: () => this.openTemplate(n) }));
      return items.length ? items : [{ label: '(no templates)', disabled: true }];
    } catch (err) {
      return [{ label: `unavailable: ${err.message}`, disabled: true }];
    }
  }

  async openTemplate(name) {
    try {
      const json = await this.app.api.template(name);
      this.app.tabs.open(json, name.replace(/\.json$/, ''));
    } catch (err) {
      toast(`Could not open template ${name}: ${err.message}`, 'error');
    }
  }
}

/** Names from /workflow_templates, whether it answers a list, a list of objects or {module: [names]}. */
export function templateNames(list) {
  const pick = (x) => (typeof x === 'string' ? x : x?.name || x?.file || x?.filename);
  if (Array.isArray(list)) return list.map(pick).filter(Boolean);
  if (list && typeof list === 'object') return Object.values(list).flat().map(pick).filter(Boolean);
  return [];
}
