/** What a run left on a node, drawn on the canvas: its images (or the live preview, or an image loader's
 * picture) and text in the node's free area, and a failed node's error under it. */

import { shownImage } from './run.js';
import { wrap } from './widgets.js';

/** Images and text a run produced (or the live preview, or an image loader's picture) in the free area. */
export function drawOutputs(r, node, [x, y, w, h]) {
  const { ctx, app } = r;
  if (h < 12) return;
  const out = r.exec.outputs.get(node.id);
  let img = r.exec.previews.get(node.id) || null;
  const ref = img ? null : shownImage(r.exec, node);
  if (ref) img = app.images.get(app.api.viewUrl(ref));
  if (img && img.complete !== false && img.naturalWidth !== 0) {
    const iw = img.naturalWidth || img.width;
    const ih = img.naturalHeight || img.height;
    const s = Math.min(w / iw, h / ih);
    ctx.drawImage(img, x + (w - iw * s) / 2, y + (h - ih * s) / 2, iw * s, ih * s);
    if (out?.images?.length > 1) {
      ctx.fillStyle = '#ccc';
      ctx.textAlign = 'right';
      ctx.fillText(`1 / ${out.images.length}`, x + w, y + h - 8);
    }
  } else if (out?.text?.length) {
    ctx.fillStyle = '#e6e6e6';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    wrap(ctx, r.measure, out.text.join('\n'), w - 8).slice(0, Math.floor(h / 15))
      .forEach((line, i) => ctx.fillText(line, x + 4, y + 2 + i * 15));
  }
}

/** The error of a failed node, in a red box under it. */
export function drawError(r, node, x, y) {
  const err = r.exec.errors.get(node.id);
  if (!err) return;
  const { ctx } = r;
  ctx.font = '12px sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  const lines = wrap(ctx, r.measure, err.message, Math.max(240, node.size[0])).slice(0, 6);
  ctx.fillStyle = '#3a1010ee';
  ctx.fillRect(x, y + 4, Math.max(240, node.size[0]) + 8, lines.length * 15 + 8);
  ctx.fillStyle = '#ff8080';
  lines.forEach((line, i) => ctx.fillText(line, x + 4, y + 8 + i * 15));
}
