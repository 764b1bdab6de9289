/** DOM editors laid over a widget: typed text and numbers, combo lists and the image file chooser. */

import { nodeLayout } from './graph.js';
import { showMenu } from './menus.js';
import { normalizeNumber, parseNumber } from './widgets.js';

function screenBox(app, node, w) {
  const k = node.widgets.indexOf(w);
  const [x, y, bw, bh] = nodeLayout(node).widgets[k];
  const r = app.canvas.getBoundingClientRect();
  const [sx, sy] = app.toScreen([node.pos[0] + x, node.pos[1] + y]);
  return [r.left + sx, r.top + sy, bw * app.view.scale, bh * app.view.scale];
}

function overlay(app, node, w, multiline, onCommit) {
  const [x, y, bw, bh] = screenBox(app, node, w);
  const input = document.createElement(multiline ? 'textarea' : 'input');
  input.className = 'widget-editor';
  input.dataset.widget = w.name;
  Object.assign(input.style, { left: `${x}px`, top: `${y}px`, width: `${Math.max(bw, 120)}px`,
    height: `${multiline ? Math.max(bh, 80) : bh}px`, fontSize: `${Math.max(11, 12 * app.view.scale)}px` });
  input.value = w.options.display === 'color'
    ? `#${(Number(w.value) >>> 0).toString(16).padStart(6, '0')}` : String(w.value ?? '');
  let done = false;
  const finish = (commit) => {
    if (done) return;
    done = true;
    if (commit) onCommit(input.value);
    input.remove();
    app.requestDraw();
  };
  input.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Escape') finish(false);
    if (e.key === 'Enter' && (!multiline || e.ctrlKey)) { e.preventDefault(); finish(true); }
  });
  input.addEventListener('blur', () => finish(true));
  document.body.appendChild(input);
  input.focus();
  if (!multiline) input.select();
  return input;
}

/** Open the editor a widget needs (`kind` as asked by widgets.pressWidget). */
export function editWidget(app, node, w, kind) {
  if (kind === 'text') {
    overlay(app, node, w, w.kind === 'multiline', (v) => { w.value = v; app.widgetChanged(node, w, true); });
  } else if (kind === 'number') {
    overlay(app, node, w, false, (v) => {
      const n = parseNumber(w, v);
      if (Number.isFinite(n)) {
        w.value = normalizeNumber(w, n);
        app.widgetChanged(node, w, true);
      }
    });
  } else if (kind === 'combo') {
    const [x, y, , bh] = screenBox(app, node, w);
    const items = (w.options.values || []).map((v) => ({
      label: String(v), action: () => { w.value = v; app.widgetChanged(node, w, true); },
    }));
    const menu = showMenu(items.length ? items : [{ label: '(no options)', disabled: true }], [x, y + bh]);
    menu.classList.add('combo-menu');
  } else if (kind === 'upload') {
    const picker = Object.assign(document.createElement('input'), { type: 'file', accept: 'image/*' });
    picker.addEventListener('change', () => { if (picker.files[0]) app.uploadInto(node, w, picker.files[0]); });
    picker.click();
  }
}
