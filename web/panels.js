/** The queue and history side panel: running and pending prompts, past runs (when, how long, what they asked,
 * how they ended) to re-open in a tab, interrupt, clear. */

import { runInfo } from './history.js';
import { el, toast } from './menus.js';

export class Panels {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.timer = null;
    root.innerHTML = `<div class="panel-head"><b>Queue</b>
      <button data-act="interrupt" title="Stop the running prompt">Interrupt</button>
      <button data-act="clear" title="Remove every pending prompt">Clear queue</button></div>
      <div class="queue-list"></div><div class="panel-head"><b>History</b>
      <button data-act="refresh">Refresh</button></div><div class="history-list"></div>`;
    root.querySelector('[data-act=interrupt]').addEventListener('click', () => this.act(() => app.api.interrupt(), 'Interrupt sent'));
    root.querySelector('[data-act=clear]').addEventListener('click', () => this.act(() => app.api.clearQueue(), 'Queue cleared'));
    root.querySelector('[data-act=refresh]').addEventListener('click', () => this.refresh());
  }

  async act(fn, message) {
    try {
      await fn();
      toast(message);
    } catch (err) {
      toast(err.message, 'error');
    }
    this.refresh();
  }

  /** Show or hide the panel (the toolbar button, or Q). */
  toggle() {
    this.root.hidden = !this.root.hidden;
    this.app.renderer.resize();
    this.app.requestDraw();
    this.refresh();
  }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 150);
  }

  async refresh() {
    if (this.root.hidden) return;
    try {
      const [queue, history] = await Promise.all([this.app.api.queue(), this.app.api.history(30)]);
      this.renderQueue(queue);
      this.renderHistory(history);
    } catch (err) {
      this.root.querySelector('.history-list').textContent = `Could not load history: ${err.message}`;
    }
  }

  renderQueue(queue) {
    const list = this.root.querySelector('.queue-list');
    const rows = [
      ...(queue.queue_running || []).map((item) => [item, 'running']),
      ...(queue.queue_pending || []).map((item) => [item, 'pending']),
    ];
    list.replaceChildren(...rows.map(([item, state]) => {
      const row = el('div', `q-item ${state}`, `#${item[0]} ${state}`);
      row.dataset.promptId = item[1];
      return row;
    }));
    if (!rows.length) list.replaceChildren(el('div', 'empty', 'Nothing queued'));
  }

  renderHistory(history) {
    const list = this.root.querySelector('.history-list');
    const entries = Object.entries(history || {}).sort((a, b) => (b[1].prompt?.[0] ?? 0) - (a[1].prompt?.[0] ?? 0));
    list.replaceChildren(...entries.map(([id, entry]) => this.historyRow(id, entry)));
    if (!entries.length) list.replaceChildren(el('div', 'empty', 'No runs yet'));
  }

  historyRow(id, entry) {
    const row = el('div', 'h-item');
    row.dataset.promptId = id;
    const info = runInfo(entry, (type) => this.app.defs.get(type)?.display_name);
    const head = el('div', 'h-head');
    head.append(el('span', `h-status ${info.status}`, info.status), el('span', 'h-num', `#${entry.prompt?.[0] ?? ''}`),
      el('span', 'h-time', info.started), el('span', 'h-duration', info.duration));
    const open = el('button', 'h-open', 'Open');
    open.title = 'Open this run\'s workflow and outputs in a new tab';
    open.addEventListener('click', () => this.open(entry));
    head.append(open);
    const summary = el('div', 'h-summary', info.summary);
    summary.title = info.summary;
    row.append(head, summary);
    if (info.reason) row.append(el('div', `h-reason ${info.status}`, info.reason));
    const thumbs = el('div', 'h-thumbs');
    for (const out of Object.values(entry.outputs || {})) {
      for (const img of (out.images || []).slice(0, 4)) {
        const t = el('img');
        t.src = this.app.api.viewUrl(img);
        t.loading = 'lazy';
        thumbs.append(t);
      }
    }
    row.append(thumbs);
    return row;
  }

  /** Re-open a past run in a tab: its workflow (or API prompt) and the outputs it produced. */
  open(entry) {
    const extra = entry.prompt?.[3] || {};
    const workflow = extra.extra_pnginfo?.workflow;
    if (!this.app.tabs.open(workflow || entry.prompt?.[2], `run #${entry.prompt?.[0] ?? ''}`)) return;
    for (const [id, out] of Object.entries(entry.outputs || {})) this.app.exec.outputs.set(Number(id), out);
    this.app.requestDraw();
  }
}
