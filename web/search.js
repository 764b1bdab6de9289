/** Node search: fuzzy match on name, category and socket types, in a box opened over the canvas. */

import { typesMatch } from './defs.js';

/** Fuzzy score of `needle` inside `hay` (subsequence, rewarding prefixes and runs), or -1. */
export function fuzzy(needle, hay) {
  const h = hay.toLowerCase();
  const direct = h.indexOf(needle);
  if (direct >= 0) {
    // A whole word of the name ("text" in "CLIP Text Encode") beats the same letters inside a run-together
    // class name ("CLIPTextEncodeSD3"), so a spaced display name wins over a longer name it prefixes.
    const word = direct === 0 || !/[a-z0-9]/.test(h[direct - 1]);
    return 100 - direct + (direct === 0 ? 50 : 0) + (word ? 30 : 0) + (h.length === needle.length ? 100 : 0);
  }
  let score = 0;
  let at = 0;
  let run = 0;
  for (const ch of needle) {
    const i = h.indexOf(ch, at);
    if (i < 0) return -1;
    run = i === at ? run + 1 : 0;
    score += 1 + run * 2;
    at = i + 1;
  }
  return score;
}

/** Score of one catalog entry against a query; every word must match one of its fields. */
export function scoreEntry(entry, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  let total = 0;
  for (const word of words) {
    const best = Math.max(
      fuzzy(word, entry.title) * 3,
      fuzzy(word, entry.name) * 2,
      fuzzy(word, entry.category),
      ...entry.inTypes.concat(entry.outTypes).map((t) => fuzzy(word, String(t))),
    );
    if (best < 0) return -1;
    total += best;
  }
  return total;
}

/**
 * Split type filters out of a query: "in:IMAGE" and "out:LATENT" match a socket side; a bare upper-case
 * word naming a known type matches either side. The rest is fuzzy text.
 */
export function parseQuery(query, knownTypes) {
  const filters = [];
  const words = [];
  for (const word of query.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(in|out):(.+)$/i.exec(word);
    if (m) filters.push({ side: m[1].toLowerCase(), type: m[2].toUpperCase() });
    else if (word === word.toUpperCase() && knownTypes.has(word)) filters.push({ side: 'any', type: word });
    else words.push(word);
  }
  return { filters, text: words.join(' ') };
}

function hasType(entry, { side, type }) {
  const ins = entry.inTypes.some((t) => String(t).split(',').includes(type));
  const outs = entry.outTypes.some((t) => String(t).split(',').includes(type));
  return side === 'in' ? ins : side === 'out' ? outs : ins || outs;
}

/** Entries matching the query (and a link's type filter), best first. */
export function searchNodes(defs, query, filter = null) {
  let entries = defs.list;
  if (filter) {
    entries = entries.filter((e) => (filter.fromOutput ? e.inTypes.some((t) => typesMatch(filter.type, t))
      : e.outTypes.some((t) => typesMatch(t, filter.type))));
  }
  const known = new Set(defs.list.flatMap((e) => [...e.inTypes, ...e.outTypes]).map(String));
  const { filters, text } = parseQuery(query, known);
  entries = entries.filter((e) => filters.every((f) => hasType(e, f)));
  if (!text) return [...entries].sort((a, b) => a.title.localeCompare(b.title));
  return entries.map((e) => [scoreEntry(e, text), e]).filter(([s]) => s >= 0)
    .sort((a, b) => b[0] - a[0] || a[1].title.localeCompare(b[1].title)).map(([, e]) => e);
}

export class SearchBox {
  constructor(app) {
    this.app = app;
    this.el = null;
  }

  close() {
    this.el?.remove();
    this.el = null;
  }

  /** Open at screen point `at`; `onPick(entry)` is called with the chosen node entry. */
  open(at, filter, onPick) {
    this.close();
    const el = document.createElement('div');
    el.className = 'search';
    el.innerHTML = '<input type="text" placeholder="Search nodes: name, category, TYPE, in:TYPE, out:TYPE"><div class="search-hint"></div><ul></ul>';
    const input = el.querySelector('input');
    const list = el.querySelector('ul');
    el.querySelector('.search-hint').textContent = filter
      ? `nodes with ${filter.fromOutput ? 'an input' : 'an output'} of type ${filter.type}` : '';
    let results = [];
    let active = 0;
    const render = () => {
      results = searchNodes(this.app.defs, input.value, filter).slice(0, 40);
      active = Math.min(active, Math.max(0, results.length - 1));
      list.replaceChildren(...results.map((r, i) => {
        const li = document.createElement('li');
        li.className = i === active ? 'active' : '';
        li.innerHTML = '<span class="t"></span><span class="c"></span>';
        li.querySelector('.t').textContent = r.title;
        li.querySelector('.c').textContent = r.category;
        li.dataset.type = r.name;
        li.addEventListener('pointerdown', (e) => { e.preventDefault(); this.close(); onPick(r); });
        return li;
      }));
    };
    input.addEventListener('input', () => { active = 0; render(); });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') active = Math.min(results.length - 1, active + 1);
      else if (e.key === 'ArrowUp') active = Math.max(0, active - 1);
      else if (e.key === 'Escape') { this.close(); return; }
      else if (e.key === 'Enter') {
        const pick = results[active];
        this.close();
        if (pick) onPick(pick);
        return;
      } else return;
      e.preventDefault();
      render();
    });
    el.addEventListener('pointerdown', (e) => e.stopPropagation());
    document.body.appendChild(el);
    el.style.left = `${Math.min(at[0], window.innerWidth - 420)}px`;
    el.style.top = `${Math.min(at[1], window.innerHeight - 360)}px`;
    this.el = el;
    render();
    input.focus();
  }
}
