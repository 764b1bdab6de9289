/** What a history entry says about its run: outcome and why, when it ran, how long it took, and what it asked. */

/** The entry's ComfyUI status messages as {type: data} (the last of each type). */
function messagesByType(entry) {
  return Object.fromEntries((entry.status?.messages || []).filter((m) => Array.isArray(m)).map(([t, d]) => [t, d || {}]));
}

/** The node a message names, as the user sees it: its title in the queued prompt, or its display name. */
function nodeName(entry, id, type, displayName) {
  const node = entry.prompt?.[2]?.[String(id)];
  const cls = node?.class_type || type;
  const name = node?._meta?.title || displayName(cls) || cls || 'node';
  return id === null || id === undefined ? name : `${name} #${id}`;
}

function cut(text, n) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

/** The prompt in a line: its first text prompt (the positive one, by node order) and how many nodes ran. */
export function promptSummary(prompt) {
  const nodes = Object.entries(prompt || {}).sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
  for (const [, node] of nodes) {
    for (const key of ['text', 'prompt', 'positive', 'string']) {
      const v = node?.inputs?.[key];
      if (typeof v === 'string' && v.trim()) return `“${cut(v, 80)}” · ${nodes.length} nodes`;
    }
  }
  return `${nodes.length} nodes`;
}

export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60000) return `${Math.round(ms / 1000)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function formatTime(ms, now = new Date()) {
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

/**
 * {status, reason, started, duration, summary} of a history entry. An interrupted run is "interrupted" and
 * names the node it stopped at (the server files it as an error, as ComfyUI does); a failed one names the node
 * and the message. `displayName(classType)` gives a node class's display name.
 */
export function runInfo(entry, displayName = () => null) {
  const m = messagesByType(entry);
  const start = m.execution_start?.timestamp;
  const endMessage = m.execution_success || m.execution_error || m.execution_interrupted;
  let status = entry.status?.status_str || (entry.status?.completed ? 'success' : 'unknown');
  let reason = '';
  if (m.execution_interrupted) {
    status = 'interrupted';
    const at = m.execution_interrupted;
    reason = at.node_id ? `stopped at ${nodeName(entry, at.node_id, at.node_type, displayName)}` : 'stopped before any node ran';
  } else if (m.execution_error) {
    const err = m.execution_error;
    status = 'error';
    const where = err.node_id ? `${nodeName(entry, err.node_id, err.node_type, displayName)}: ` : '';
    reason = `${where}${err.exception_message || err.exception_type || 'failed'}`;
  }
  return {
    status,
    reason,
    started: formatTime(start),
    duration: start && endMessage?.timestamp ? formatDuration(endMessage.timestamp - start) : '',
    summary: promptSummary(entry.prompt?.[2]),
  };
}
