/**
 * The mask being painted, at the picture's own resolution: a canvas whose alpha says how much each pixel is
 * masked (to be repainted). Round brush dabs of a size and hardness, erasing, invert, clear, undo and redo;
 * reading the mask a picture already carries (its transparent pixels, as LoadImage reads them) and writing
 * the PNG ComfyUI's mask editor uploads (black, alpha 0 where masked, 255 where kept).
 */

const UNDO_LIMIT = 50;
// The colour the mask is shown in; only its alpha is ever saved.
const RGB = [224, 32, 122];

export class MaskLayer {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.canvas = Object.assign(document.createElement('canvas'), { width, height });
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    this.undoStack = [];
    this.redoStack = [];
  }

  snapshot() {
    return this.ctx.getImageData(0, 0, this.width, this.height);
  }

  /** Remember the mask before an edit (a stroke, invert, clear), for undo. */
  checkpoint() {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  undo() {
    const before = this.undoStack.pop();
    if (!before) return false;
    this.redoStack.push(this.snapshot());
    this.ctx.putImageData(before, 0, 0);
    return true;
  }

  redo() {
    const after = this.redoStack.pop();
    if (!after) return false;
    this.undoStack.push(this.snapshot());
    this.ctx.putImageData(after, 0, 0);
    return true;
  }

  /** How masked each pixel is, 0 to 255, row by row. */
  coverage() {
    const data = this.snapshot().data;
    const out = new Uint8Array(this.width * this.height);
    for (let i = 0; i < out.length; i++) out[i] = data[i * 4 + 3];
    return out;
  }

  setCoverage(coverage) {
    const image = this.ctx.createImageData(this.width, this.height);
    const d = image.data;
    for (let i = 0, j = 0; i < coverage.length; i++, j += 4) {
      d[j] = RGB[0];
      d[j + 1] = RGB[1];
      d[j + 2] = RGB[2];
      d[j + 3] = coverage[i];
    }
    this.ctx.putImageData(image, 0, 0);
  }

  /** The mask a picture carries: `alphaImage` is its alpha channel (/view?channel=a); transparent is masked. */
  loadAlpha(alphaImage) {
    const tmp = Object.assign(document.createElement('canvas'), { width: this.width, height: this.height });
    const ctx = tmp.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(alphaImage, 0, 0, this.width, this.height);
    const data = ctx.getImageData(0, 0, this.width, this.height).data;
    const coverage = new Uint8Array(this.width * this.height);
    for (let i = 0; i < coverage.length; i++) coverage[i] = 255 - data[i * 4 + 3];
    this.setCoverage(coverage);
  }

  /**
   * One round dab at (x, y) in picture pixels, `size` across: fully opaque out to `hardness` of its radius,
   * fading to nothing at the rim. `erase` takes mask away instead.
   */
  dab(x, y, size, hardness, erase) {
    const { ctx } = this;
    const r = Math.max(0.5, size / 2);
    ctx.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
    if (hardness >= 0.99) {
      ctx.fillStyle = `rgb(${RGB})`;
    } else {
      const g = ctx.createRadialGradient(x, y, r * Math.max(0, hardness), x, y, r);
      g.addColorStop(0, `rgba(${RGB}, 1)`);
      g.addColorStop(1, `rgba(${RGB}, 0)`);
      ctx.fillStyle = g;
    }
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.globalCompositeOperation = 'source-over';
  }

  /** Dabs from a to b (a itself excluded: the stroke already has it), close enough to make a solid line. */
  line(a, b, size, hardness, erase) {
    const step = Math.max(0.5, size / 8);
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / step));
    for (let i = 1; i <= n; i++) {
      this.dab(a[0] + ((b[0] - a[0]) * i) / n, a[1] + ((b[1] - a[1]) * i) / n, size, hardness, erase);
    }
  }

  invert() {
    this.setCoverage(this.coverage().map((c) => 255 - c));
  }

  clear() {
    this.ctx.clearRect(0, 0, this.width, this.height);
  }

  /** The PNG the mask is saved as, ComfyUI's way: RGB black, alpha = 255 - how masked (0: repaint here). */
  toBlob() {
    const out = Object.assign(document.createElement('canvas'), { width: this.width, height: this.height });
    const ctx = out.getContext('2d');
    const image = ctx.createImageData(this.width, this.height);
    this.coverage().forEach((c, i) => { image.data[i * 4 + 3] = 255 - c; });
    ctx.putImageData(image, 0, 0);
    return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))),
      'image/png'));
  }
}
