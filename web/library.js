/**
 * The node library sidebar (N, or the toolbar button): every node under its category by display name, with a
 * filter box (the search's fuzzy match); click a node to add it in the middle of the view, or drag it onto the
 * canvas to drop it there.
 */

import { el } from './menus.js';
import { searchNodes } from './search.js';

export class Library {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.expanded = new Set(); // category paths the user opened, kept across re-renders
    const head = el('div', 'lib-head');
    head.append(el('b', '', 'Node Library'));
    this.filter = Object.assign(el('input', 'lib-filter'), { type: 'search', placeholder: 'Filter: name, category, TYPE' });
    this.filter.addEventListener('input', () => this.render());
    this.tree = el('div', 'lib-tree');
    root.replaceChildren(head, this.filter, this.tree);
  }

  toggle() {
    this.root.hidden = !this.root.hidden;
    if (!this.root.hidden) this.render();
    this.app.renderer.resize();
    this.app.requestDraw();
  }

  render() {
    if (this.root.hidden) return;
    const query = this.filter.value.trim();
    if (query) {
      const found = searchNodes(this.app.defs, query).slice(0, 80);
      this.tree.replaceChildren(...found.map((e) => this.item(e, true)));
      if (!found.length) this.tree.replaceChildren(el('div', 'empty', 'No node matches'));
      return;
    }
    this.tree.replaceChildren(...this.branch(this.app.defs.categoryTree(), ''));
  }

  /** One level of the category tree: sub-categories (folded), then its nodes by display name. */
  branch(tree, path) {
    const subs = Object.keys(tree).filter((k) => k !== '__nodes').sort();
    const parts = subs.map((name) => {
      const here = path ? `${path}/${name}` : name;
      const details = el('details', 'lib-cat');
      details.dataset.category = here;
      details.open = this.expanded.has(here);
      details.append(el('summary', '', name), ...this.branch(tree[name], here));
      details.addEventListener('toggle', (e) => {
        e.stopPropagation();
        if (details.open) this.expanded.add(here); else this.expanded.delete(here);
      });
      return details;
    });
    const nodes = [...tree.__nodes].sort((a, b) => a.title.localeCompare(b.title)).map((e) => this.item(e, false));
    return [...parts, ...nodes];
  }

  item(entry, withCategory) {
    const row = el('div', 'lib-node', entry.title);
    row.dataset.type = entry.name;
    row.title = entry.def.description ? `${entry.title} (${entry.name})\n${entry.def.description}` : entry.name;
    if (withCategory) row.append(el('span', 'c', entry.category));
    row.addEventListener('pointerdown', (e) => this.press(e, entry));
    return row;
  }

  /** A press on a node: a drag drops it where it is let go on the canvas; a click adds it mid-view. */
  press(e, entry) {
    if (e.button !== 0) return;
    e.preventDefault();
    const { app } = this;
    const start = [e.clientX, e.clientY];
    let ghost = null;
    const move = (ev) => {
      if (!ghost && Math.hypot(ev.clientX - start[0], ev.clientY - start[1]) > 4) {
        ghost = el('div', 'lib-ghost', entry.title);
        document.body.append(ghost);
      }
      if (ghost) Object.assign(ghost.style, { left: `${ev.clientX + 8}px`, top: `${ev.clientY + 8}px` });
    };
    const up = (ev) => {
      window.removeEventListener('pointermove', move);
      ghost?.remove();
      const r = app.canvas.getBoundingClientRect();
      let at = null;
      if (!ghost) at = app.toWorld([r.width / 2 - 100, r.height / 2 - 60]);
      else if (document.elementFromPoint(ev.clientX, ev.clientY) === app.canvas) {
        at = app.toWorld([ev.clientX - r.left, ev.clientY - r.top]);
      }
      if (!at) return;
      app.addNode(entry.name, at);
      app.commit();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up, { once: true });
  }
}
