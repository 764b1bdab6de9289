/** HTTP and websocket client for the server's ComfyUI-compatible routes; emits one DOM event per message. */

async function json(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: { message: text } };
  }
  if (!res.ok) {
    const err = new Error(body?.error?.message || body?.error || `${res.status} ${res.statusText}`);
    Object.assign(err, { status: res.status, body });
    throw err;
  }
  return body;
}

/**
 * The editor's one opt-in to live previews, kept in one place because the server's opt-in may move between the
 * socket's feature flags (sent when it opens) and a prompt's extra_data (merged into every queued prompt).
 */
const PREVIEWS = Object.freeze({ socketFlags: { supports_preview_metadata: true },
  extraData: { preview_method: 'auto' } });

export class Api extends EventTarget {
  constructor(base = '') {
    super();
    this.base = base;
    this.clientId = sessionStorage.getItem('nodegraph.clientId') || crypto.randomUUID().replaceAll('-', '');
    sessionStorage.setItem('nodegraph.clientId', this.clientId);
    this.socket = null;
  }

  url(path) {
    return `${this.base}${path}`;
  }

  get(path) {
    return fetch(this.url(path), { cache: 'no-store' }).then(json);
  }

  post(path, body) {
    return fetch(this.url(path), { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}) }).then(json);
  }

  objectInfo() { return this.get('/object_info'); }
  history(max = 50) { return this.get(`/history?max_items=${max}`); }
  queue() { return this.get('/queue'); }
  interrupt() { return this.post('/interrupt', {}); }
  clearQueue() { return this.post('/queue', { clear: true }); }
  templates() { return this.get('/workflow_templates'); }
  template(name) { return this.get(`/workflow_templates/${encodeURIComponent(name)}`); }

  /** POST /prompt; a 400 rejects with err.body = {error, node_errors}. The editor shows live sampler
   * previews, so it asks for them: the server sends none to a prompt that does not. */
  queuePrompt(prompt, workflow) {
    return this.post('/prompt', { prompt, client_id: this.clientId,
      extra_data: { ...PREVIEWS.extraData, extra_pnginfo: { workflow } } });
  }

  listWorkflows() {
    return this.get('/userdata?dir=workflows');
  }

  loadUserWorkflow(name) {
    return this.get(`/userdata/${encodeURIComponent(`workflows/${name}`)}`);
  }

  saveUserWorkflow(name, workflow) {
    return fetch(this.url(`/userdata/${encodeURIComponent(`workflows/${name}`)}?overwrite=true`), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(workflow),
    }).then(json);
  }

  /**
   * The mask editor's save, as ComfyUI's mask editor sends it: `image` is a PNG whose alpha is the mask (0 where
   * to repaint), `original_ref` the {filename, subfolder, type} of the picture it was painted on; the server
   * writes that picture with this alpha into input/clipspace/ and answers {name, subfolder, type}.
   */
  uploadMask(blob, name, originalRef) {
    const form = new FormData();
    form.append('image', blob, name);
    form.append('original_ref', JSON.stringify(originalRef));
    form.append('type', 'input');
    form.append('subfolder', 'clipspace');
    return fetch(this.url('/upload/mask'), { method: 'POST', body: form }).then(json);
  }

  uploadImage(file) {
    const form = new FormData();
    form.append('image', file, file.name);
    form.append('type', 'input');
    return fetch(this.url('/upload/image'), { method: 'POST', body: form }).then(json);
  }

  viewUrl(ref) {
    const q = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder || '', type: ref.type || 'output' });
    return this.url(`/view?${q}`);
  }

  /** Connect the websocket and keep it connected; messages become events named by their type. */
  connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const host = this.base ? new URL(this.base).host : location.host;
    const ws = new WebSocket(`${proto}://${host}/ws?clientId=${this.clientId}`);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'feature_flags', data: PREVIEWS.socketFlags }));
      this.emit('connected', {});
    };
    ws.onclose = () => {
      this.emit('disconnected', {});
      setTimeout(() => this.connect(), 1000);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const msg = JSON.parse(ev.data);
        if (msg.type === 'status' && msg.data?.sid) this.clientId = msg.data.sid;
        this.emit(msg.type, msg.data || {});
        return;
      }
      this.onBinary(ev.data);
    };
    this.socket = ws;
  }

  /** Binary frames: type 1 = preview image (format 1 JPEG, 2 PNG), 4 = preview with a JSON header. */
  onBinary(buffer) {
    const view = new DataView(buffer);
    const kind = view.getUint32(0);
    if (kind === 1) {
      const mime = view.getUint32(4) === 2 ? 'image/png' : 'image/jpeg';
      this.emit('b_preview', { blob: new Blob([buffer.slice(8)], { type: mime }), node: null });
    } else if (kind === 4) {
      const len = view.getUint32(4);
      const meta = JSON.parse(new TextDecoder().decode(buffer.slice(8, 8 + len)));
      const mime = meta.image_type || 'image/jpeg';
      this.emit('b_preview', { blob: new Blob([buffer.slice(8 + len)], { type: mime }),
        node: meta.display_node_id ?? meta.node_id, prompt_id: meta.prompt_id });
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
