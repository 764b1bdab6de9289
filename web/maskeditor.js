/**
 * The mask editor (right-click a node showing an image → Open in Mask Editor): paint the mask over the picture
 * with a round brush of adjustable size and hardness, erase, invert, clear, zoom and pan, undo and redo, then
 * Save. Saving uploads through /upload/mask exactly as ComfyUI's mask editor does (the mask as a PNG's alpha,
 * `original_ref` naming the picture, into input/clipspace/), so either editor opens the other's masks. A Load
 * Image node then loads the masked picture (its MASK output is the mask); an output node gets a new Load Image
 * node beside it holding it.
 */

import { MaskLayer } from './mask_paint.js';
import { toast } from './menus.js';

const TOOLBAR = `
  <button type="button" data-tool="brush" title="Paint the mask (B)">Brush</button>
  <button type="button" data-tool="eraser" title="Erase the mask (E)">Eraser</button>
  <label>Size <input type="range" name="size" min="1" max="256" step="1"><output data-for="size"></output></label>
  <label>Hardness <input type="range" name="hardness" min="0" max="100" step="1"><output data-for="hardness"></output></label>
  <button type="button" data-act="invert" title="Mask what is not masked, and the reverse (I)">Invert</button>
  <button type="button" data-act="clear" title="Remove the whole mask">Clear</button>
  <button type="button" data-act="undo" title="Ctrl+Z">Undo</button>
  <button type="button" data-act="redo" title="Ctrl+Y or Ctrl+Shift+Z">Redo</button>
  <button type="button" data-act="fit" title="Fit the picture (F)">Fit</button>
  <span class="me-zoom"></span><span class="spacer"></span>
  <button type="button" data-act="cancel" title="Close without saving (Escape)">Cancel</button>
  <button type="button" data-act="save" class="primary" title="Save the mask (Ctrl+S)">Save</button>`;
const HINT = 'Left drag: paint · right or middle drag, or Space + drag: pan · wheel: zoom · [ ]: brush size';

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

/** Open the editor on `ref` ({filename, subfolder, type}), the picture `node` shows. */
export async function openMaskEditor(app, node, ref) {
  try {
    const url = app.api.viewUrl(ref);
    const [picture, alpha] = await Promise.all([loadImage(`${url}&channel=rgb`), loadImage(`${url}&channel=a`)]);
    app.maskEditor?.close();
    app.maskEditor = new MaskEditor(app, node, ref, picture, alpha);
  } catch (err) {
    toast(`Could not open the mask editor: ${err.message}`, 'error');
  }
}

class MaskEditor {
  constructor(app, node, ref, picture, alpha) {
    Object.assign(this, { app, node, ref, picture });
    this.layer = new MaskLayer(picture.naturalWidth, picture.naturalHeight);
    this.layer.loadAlpha(alpha);
    const shortSide = Math.min(this.layer.width, this.layer.height);
    this.brush = { size: Math.max(1, Math.min(256, Math.round(shortSide / 8))), hardness: 0.8, erase: false };
    this.view = { scale: 1, offset: [0, 0] };
    this.cursor = null;
    this.op = null;
    this.build();
    this.fit();
  }

  build() {
    this.back = Object.assign(document.createElement('div'), { className: 'mask-editor-back' });
    const box = Object.assign(document.createElement('div'), { className: 'mask-editor' });
    const bar = Object.assign(document.createElement('div'), { className: 'me-toolbar', innerHTML: TOOLBAR });
    this.canvas = Object.assign(document.createElement('canvas'), { className: 'me-canvas' });
    box.append(bar, this.canvas, Object.assign(document.createElement('div'), { className: 'me-hint', textContent: HINT }));
    this.back.append(box);
    document.body.append(this.back);
    this.bar = bar;
    for (const b of bar.querySelectorAll('[data-tool]')) b.addEventListener('click', () => this.setTool(b.dataset.tool));
    const acts = { invert: () => this.edit(() => this.layer.invert()), clear: () => this.edit(() => this.layer.clear()),
      undo: () => this.undo(), redo: () => this.redo(), fit: () => this.fit(), cancel: () => this.close(),
      save: () => this.save() };
    for (const b of bar.querySelectorAll('[data-act]')) b.addEventListener('click', () => acts[b.dataset.act]());
    for (const input of bar.querySelectorAll('input[type=range]')) {
      input.addEventListener('input', () => this.setBrush(input.name, Number(input.value)));
      input.addEventListener('change', () => input.blur()); // so the editor's keys work again at once
    }
    this.setTool('brush');
    this.syncInputs();
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => this.down(e));
    c.addEventListener('pointermove', (e) => this.move(e));
    c.addEventListener('pointerup', (e) => this.up(e));
    c.addEventListener('pointerleave', () => { this.cursor = null; this.requestDraw(); });
    c.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    c.addEventListener('contextmenu', (e) => e.preventDefault());
    this.onKey = (e) => this.key(e);
    this.onKeyUp = (e) => { if (e.key === ' ') this.space = false; };
    this.onResize = () => this.requestDraw();
    window.addEventListener('keydown', this.onKey, true);
    window.addEventListener('keyup', this.onKeyUp, true);
    window.addEventListener('resize', this.onResize);
  }

  close() {
    window.removeEventListener('keydown', this.onKey, true);
    window.removeEventListener('keyup', this.onKeyUp, true);
    window.removeEventListener('resize', this.onResize);
    this.back.remove();
    if (this.app.maskEditor === this) this.app.maskEditor = null;
    this.app.requestDraw();
  }

  setTool(tool) {
    this.brush.erase = tool === 'eraser';
    for (const b of this.bar.querySelectorAll('[data-tool]')) b.classList.toggle('active', b.dataset.tool === tool);
  }

  /** `size` in picture pixels across, `hardness` in percent (as the sliders give them). */
  setBrush(name, value) {
    if (name === 'size') this.brush.size = Math.max(1, Math.min(256, Math.round(value)));
    if (name === 'hardness') this.brush.hardness = Math.max(0, Math.min(100, value)) / 100;
    this.syncInputs();
    this.requestDraw();
  }

  syncInputs() {
    const values = { size: this.brush.size, hardness: Math.round(this.brush.hardness * 100) };
    for (const [name, v] of Object.entries(values)) {
      this.bar.querySelector(`input[name=${name}]`).value = String(v);
      this.bar.querySelector(`output[data-for=${name}]`).textContent = name === 'size' ? `${v} px` : `${v}%`;
    }
    this.bar.querySelector('.me-zoom').textContent = `${Math.round(this.view.scale * 100)}%`;
  }

  /** An edit of the whole mask (invert, clear), undoable. */
  edit(fn) {
    this.layer.checkpoint();
    fn();
    this.requestDraw();
  }

  undo() { if (this.layer.undo()) this.requestDraw(); }

  redo() { if (this.layer.redo()) this.requestDraw(); }

  /** Canvas (CSS) pixels to picture pixels, and back (toScreen gives page coordinates, for tests too). */
  toImage([sx, sy]) {
    return [sx / this.view.scale - this.view.offset[0], sy / this.view.scale - this.view.offset[1]];
  }

  toScreen([ix, iy]) {
    const r = this.canvas.getBoundingClientRect();
    return [r.left + (ix + this.view.offset[0]) * this.view.scale, r.top + (iy + this.view.offset[1]) * this.view.scale];
  }

  local(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  fit() {
    const r = this.canvas.getBoundingClientRect();
    const { width, height } = this.layer;
    const scale = Math.max(0.05, Math.min(16, 0.92 * Math.min(r.width / width, r.height / height)));
    this.view = { scale, offset: [(r.width / scale - width) / 2, (r.height / scale - height) / 2] };
    this.syncInputs();
    this.requestDraw();
  }

  down(e) {
    this.canvas.setPointerCapture?.(e.pointerId);
    const p = this.local(e);
    if (e.button === 1 || e.button === 2 || (e.button === 0 && this.space)) {
      const from = [...this.view.offset];
      this.op = { pan: true, start: p, from };
      return;
    }
    if (e.button !== 0) return;
    const at = this.toImage(p);
    this.layer.checkpoint();
    this.layer.dab(at[0], at[1], this.brush.size, this.brush.hardness, this.brush.erase);
    this.op = { last: at };
    this.requestDraw();
  }

  move(e) {
    const p = this.local(e);
    this.cursor = p;
    const op = this.op;
    if (op?.pan) {
      this.view.offset = [op.from[0] + (p[0] - op.start[0]) / this.view.scale, op.from[1] + (p[1] - op.start[1]) / this.view.scale];
    } else if (op) {
      const at = this.toImage(p);
      this.layer.line(op.last, at, this.brush.size, this.brush.hardness, this.brush.erase);
      op.last = at;
    }
    this.requestDraw();
  }

  up() {
    this.op = null;
  }

  wheel(e) {
    e.preventDefault();
    const p = this.local(e);
    this.cursor = p;
    const before = this.toImage(p);
    this.view.scale = Math.min(32, Math.max(0.05, this.view.scale * Math.exp(-e.deltaY * 0.0015)));
    const after = this.toImage(p);
    this.view.offset = [this.view.offset[0] + after[0] - before[0], this.view.offset[1] + after[1] - before[1]];
    this.syncInputs();
    this.requestDraw();
  }

  /** Keys go to the editor while it is open; sliders keep their own arrow keys. */
  key(e) {
    if (e.target?.tagName === 'INPUT') return;
    e.stopPropagation();
    const ctrl = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    const actions = {
      ' ': () => { this.space = true; },
      escape: () => this.close(),
      z: ctrl && (() => (e.shiftKey ? this.redo() : this.undo())),
      y: ctrl && (() => this.redo()),
      s: ctrl && (() => this.save()),
      b: !ctrl && (() => this.setTool('brush')),
      e: !ctrl && (() => this.setTool('eraser')),
      i: !ctrl && (() => this.edit(() => this.layer.invert())),
      f: !ctrl && (() => this.fit()),
      '[': () => this.setBrush('size', this.brush.size * 0.8),
      ']': () => this.setBrush('size', this.brush.size * 1.25 + 1),
    };
    const act = actions[k];
    if (!act) return;
    e.preventDefault();
    act();
  }

  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.draw();
    });
  }

  draw() {
    const c = this.canvas;
    const r = c.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(r.width * dpr) || c.height !== Math.round(r.height * dpr)) {
      c.width = Math.round(r.width * dpr);
      c.height = Math.round(r.height * dpr);
    }
    const ctx = c.getContext('2d');
    const { scale, offset } = this.view;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#151518';
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * scale * offset[0], dpr * scale * offset[1]);
    ctx.imageSmoothingEnabled = scale < 2; // zoomed in, show the pixels that will be masked
    ctx.drawImage(this.picture, 0, 0);
    ctx.globalAlpha = 0.7;
    ctx.drawImage(this.layer.canvas, 0, 0);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = '#8ab4f8';
    ctx.lineWidth = 1 / scale;
    ctx.strokeRect(0, 0, this.layer.width, this.layer.height);
    if (this.cursor && !this.op?.pan) {
      const [x, y] = this.toImage(this.cursor);
      ctx.strokeStyle = this.brush.erase ? '#fff' : '#ffd54f';
      ctx.beginPath();
      ctx.arc(x, y, this.brush.size / 2, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  /** Upload the mask as ComfyUI does, then put the masked picture on the node (or a new Load Image node). */
  async save() {
    const { app, node, ref } = this;
    try {
      const blob = await this.layer.toBlob();
      // original_ref as ComfyUI's editor writes it: filename, the subfolder only when there is one, the type.
      const original = { filename: ref.filename, ...(ref.subfolder ? { subfolder: ref.subfolder } : {}),
        type: ref.type || 'input' };
      const res = await app.api.uploadMask(blob, `clipspace-mask-${Date.now()}.png`, original);
      const upload = node.widgets.find((w) => w.kind === 'upload');
      let target = upload ? node.widget(upload.uploads) : null;
      let holder = node;
      if (!target && app.defs.get('LoadImage')) {
        holder = app.addNode('LoadImage', [node.pos[0] + node.size[0] + 40, node.pos[1]]);
        target = holder.widget('image');
      }
      if (target) app.setImage(holder, target, res);
      this.close();
      toast(`Mask saved: ${res.subfolder ? `${res.subfolder}/` : ''}${res.name}`);
    } catch (err) {
      toast(`Could not save the mask: ${err.message}`, 'error');
    }
  }
}
