/** Widgets on nodes: how each kind is drawn, and what a click or drag on it does to the value. */

import { SEED_CONTROLS } from './defs.js';

export const COLORS = {
  bg: '#222', border: '#555', text: '#ddd', label: '#999', fill: '#3a6ea5', linked: '#777',
};

function clamp(v, o) {
  let out = v;
  if (o.min !== undefined) out = Math.max(o.min, out);
  if (o.max !== undefined) out = Math.min(o.max, out);
  return out;
}

/** Round to the widget's precision so 0.1 + 0.2 never shows as 0.30000000000000004. */
export function normalizeNumber(w, v) {
  const o = w.options;
  if (w.type === 'INT') return clamp(Math.round(v), o);
  const step = o.round || o.step || 0.01;
  const digits = Math.max(0, Math.min(10, Math.ceil(-Math.log10(step))));
  return clamp(Number(v.toFixed(digits)), o);
}

const isColor = (w) => w.options.display === 'color';
const hexColor = (v) => `#${(Number(v) >>> 0).toString(16).padStart(6, '0').slice(-6).toUpperCase()}`;

/** Parse what was typed into a number widget: a number, or #RRGGBB for colour widgets. */
export function parseNumber(w, text) {
  const t = text.trim();
  if (isColor(w) && /^#?[0-9a-f]{6}$/i.test(t)) return parseInt(t.replace('#', ''), 16);
  return t === '' ? NaN : Number(t);
}

function formatValue(w) {
  if (isColor(w)) return hexColor(w.value);
  if (w.kind === 'number' || w.kind === 'slider') {
    if (w.type === 'INT') return String(w.value);
    const step = w.options.round || w.options.step || 0.01;
    const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step))));
    return Number(w.value).toFixed(digits);
  }
  if (w.kind === 'toggle') return w.value ? 'true' : 'false';
  return String(w.value ?? '');
}

/** `text` cut with an ellipsis to fit `width` pixels. */
export function fitText(ctx, measure, text, width) {
  if (measure(ctx, text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(ctx, `${text.slice(0, mid)}…`) <= width) lo = mid; else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

function roundBox(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

/** Draw one widget in node-local coordinates; `measure` is the renderer's cached text width. */
export function drawWidget(ctx, w, box, { linked, error, measure, detail }) {
  const [x, y, bw, bh] = box;
  roundBox(ctx, x, y, bw, bh, w.kind === 'multiline' ? 4 : bh / 2);
  ctx.fillStyle = COLORS.bg;
  ctx.fill();
  ctx.strokeStyle = error ? '#f44' : COLORS.border;
  ctx.lineWidth = error ? 2 : 1;
  ctx.stroke();
  if (!detail) return;
  const mid = y + bh / 2;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = COLORS.label;
  if (linked) {
    ctx.textAlign = 'left';
    ctx.fillText(`${w.name} ← linked`, x + 12, mid);
    return;
  }
  if (w.kind === 'multiline') {
    drawMultiline(ctx, w, box, measure);
    return;
  }
  if (w.kind === 'upload') {
    ctx.textAlign = 'center';
    ctx.fillStyle = COLORS.text;
    ctx.fillText('⇪ choose image to upload', x + bw / 2, mid);
    return;
  }
  if (w.kind === 'slider') {
    const o = w.options;
    const t = (w.value - o.min) / (o.max - o.min || 1);
    roundBox(ctx, x, y, Math.max(bh, bw * Math.min(1, Math.max(0, t))), bh, bh / 2);
    ctx.fillStyle = '#3a5a7a';
    ctx.fill();
  }
  if (w.kind === 'number' || (w.kind === 'combo')) {
    ctx.fillStyle = COLORS.text;
    ctx.textAlign = 'left';
    ctx.fillText('◀', x + 5, mid);
    ctx.textAlign = 'right';
    ctx.fillText('▶', x + bw - 5, mid);
  }
  if (w.kind === 'toggle') {
    ctx.beginPath();
    ctx.arc(x + bw - 14, mid, 6, 0, Math.PI * 2);
    ctx.fillStyle = w.value ? '#6c6' : '#555';
    ctx.fill();
  }
  const pad = w.kind === 'toggle' ? 26 : 20;
  const label = w.name === 'control_after_generate' ? 'control after run' : w.name;
  // The value gets the room it needs (up to 60%); the label takes what is left.
  const value = fitText(ctx, measure, formatValue(w), (bw - pad * 2) * 0.6);
  ctx.textAlign = 'right';
  ctx.fillStyle = COLORS.text;
  ctx.fillText(value, x + bw - pad, mid);
  if (isColor(w)) {
    ctx.beginPath();
    ctx.arc(x + bw - pad - measure(ctx, value) - 10, mid, 6, 0, Math.PI * 2);
    ctx.fillStyle = hexColor(w.value);
    ctx.fill();
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = COLORS.label;
  const room = bw - pad * 2 - measure(ctx, value) - (isColor(w) ? 26 : 8);
  ctx.fillText(fitText(ctx, measure, label, room), x + pad, mid);
}

function drawMultiline(ctx, w, [x, y, bw, bh], measure) {
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillStyle = w.value ? COLORS.text : COLORS.label;
  const lines = wrap(ctx, measure, String(w.value || w.name), bw - 12).slice(0, Math.floor((bh - 6) / 14));
  lines.forEach((line, i) => ctx.fillText(line, x + 6, y + 5 + i * 14));
}

/** Word-wrap `text` to `width` pixels. */
export function wrap(ctx, measure, text, width) {
  const lines = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (measure(ctx, next) > width && line) {
        lines.push(line);
        line = word;
      } else {
        line = next;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Cycle a combo value by `dir` (+1 / -1). */
export function stepCombo(w, dir) {
  const values = w.options.values || [];
  if (!values.length) return;
  const i = values.indexOf(w.value);
  w.value = values[(i + dir + values.length) % values.length];
}

/**
 * Pointer-down on a widget at node-local x. Returns {move(dx), up(moved)} for a drag, and calls
 * `edit(kind)` for what needs a DOM editor (text, combo list, typed number, file chooser).
 */
export function pressWidget(w, box, localX, edit) {
  const [x, , bw] = box;
  const rel = localX - x;
  if (w.kind === 'toggle') return { move() {}, up() { w.value = !w.value; return true; } };
  if (w.kind === 'upload') return { move() {}, up() { edit('upload'); return false; } };
  if (w.kind === 'text' || w.kind === 'multiline') return { move() {}, up() { edit('text'); return false; } };
  if (w.kind === 'combo') {
    return { move() {}, up() {
      if (rel < 20) stepCombo(w, -1); else if (rel > bw - 20) stepCombo(w, 1); else { edit('combo'); return false; }
      return true;
    } };
  }
  const start = Number(w.value);
  const step = w.options.step || (w.type === 'INT' ? 1 : 0.01);
  if (w.kind === 'slider') {
    const o = w.options;
    const setAt = (px) => { w.value = normalizeNumber(w, o.min + (Math.min(Math.max(px, 0), bw) / bw) * (o.max - o.min)); };
    return { move(dx) { setAt(rel + dx); }, up(moved) { if (!moved) setAt(rel); return true; } };
  }
  return {
    move(dx) { w.value = normalizeNumber(w, start + Math.round(dx / 6) * step); },
    up(moved) {
      if (moved) return true;
      if (rel < 20) w.value = normalizeNumber(w, start - step);
      else if (rel > bw - 20) w.value = normalizeNumber(w, start + step);
      else { edit('number'); return false; }
      return true;
    },
  };
}

/** After a queue, move each seed as its control_after_generate says, as ComfyUI does. */
export function applySeedControls(node) {
  for (const c of node.widgets) {
    if (!c.controls || !SEED_CONTROLS.includes(c.value) || c.value === 'fixed') continue;
    const seed = node.widget(c.controls);
    if (!seed) continue;
    const o = seed.options;
    const max = Math.min(o.max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const min = Math.max(o.min ?? 0, 0);
    if (c.value === 'increment') seed.value = Math.min(max, Number(seed.value) + 1);
    if (c.value === 'decrement') seed.value = Math.max(min, Number(seed.value) - 1);
    if (c.value === 'randomize') seed.value = min + Math.floor(Math.random() * Math.min(max - min, 2 ** 50));
  }
}
