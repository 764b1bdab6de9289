/** Socket and link colours by data type: ComfyUI's for the types it knows, a stable hashed hue otherwise. */

const TYPE_COLORS = {
  MODEL: '#b39ddb', CLIP: '#ffd54f', VAE: '#ef5350', CONDITIONING: '#ffa931', LATENT: '#ff9cf9',
  IMAGE: '#64b5f6', MASK: '#81c784', INT: '#7fd1c6', FLOAT: '#aad16f', STRING: '#9ccc65', BOOLEAN: '#d4a5a5',
  COMBO: '#b0b0b0', CONTROL_NET: '#00d78d', '*': '#cccccc',
};

/** Stable colour per type: known ComfyUI colours, otherwise a hue hashed from the name. */
export function typeColor(type) {
  if (TYPE_COLORS[type]) return TYPE_COLORS[type];
  let h = 0;
  for (const c of String(type)) h = (h * 31 + c.charCodeAt(0)) % 360;
  TYPE_COLORS[type] = `hsl(${h}, 55%, 62%)`;
  return TYPE_COLORS[type];
}
