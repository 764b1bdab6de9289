/** DOM popups: nested context menus, a text prompt dialog, a choice dialog and toasts. */

const open = [];

/** A new element with a class and text. */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function closeMenus() {
  while (open.length) open.pop().remove();
}

function place(el, x, y) {
  document.body.appendChild(el);
  const r = el.getBoundingClientRect();
  el.style.left = `${Math.max(0, Math.min(x, window.innerWidth - r.width - 4))}px`;
  el.style.top = `${Math.max(0, Math.min(y, window.innerHeight - r.height - 4))}px`;
}

/**
 * Show a menu at screen (x, y). Items: {label, action?, submenu?: () => items or a Promise of them, disabled?}, or null for a
 * separator. `depth` is how many parent menus stay open.
 */
export function showMenu(items, [x, y], depth = 0) {
  while (open.length > depth) open.pop().remove();
  const el = document.createElement('div');
  el.className = 'menu';
  for (const item of items) {
    if (!item) {
      el.appendChild(Object.assign(document.createElement('div'), { className: 'menu-sep' }));
      continue;
    }
    const row = document.createElement('div');
    row.className = `menu-item${item.disabled ? ' disabled' : ''}${item.submenu ? ' has-sub' : ''}`;
    row.textContent = item.label;
    if (item.title) row.title = item.title;
    row.addEventListener('pointerenter', async () => {
      if (item.submenu) {
        // A submenu may come from the server (saved workflows, templates): show it once it arrives.
        const sub = await item.submenu();
        if (!row.isConnected) return;
        const r = row.getBoundingClientRect();
        showMenu(sub, [r.right - 2, r.top], depth + 1);
      } else {
        while (open.length > depth + 1) open.pop().remove();
      }
    });
    row.addEventListener('click', (e) => {
      e.stopPropagation();
      if (item.disabled || item.submenu) return;
      closeMenus();
      item.action?.();
    });
    el.appendChild(row);
  }
  el.addEventListener('pointerdown', (e) => e.stopPropagation());
  place(el, x, y);
  open.push(el);
  return el;
}

/** A modal one-line prompt; resolves to the entered text, or null when cancelled. */
export function askText(title, value = '') {
  return new Promise((resolve) => {
    const back = document.createElement('div');
    back.className = 'modal-back';
    back.innerHTML = `<form class="modal"><label></label><input type="text" name="value">
      <div class="modal-buttons"><button type="button" data-act="cancel">Cancel</button>
      <button type="submit">OK</button></div></form>`;
    back.querySelector('label').textContent = title;
    const input = back.querySelector('input');
    input.value = value;
    const done = (v) => { back.remove(); resolve(v); };
    back.querySelector('form').addEventListener('submit', (e) => { e.preventDefault(); done(input.value); });
    back.querySelector('[data-act=cancel]').addEventListener('click', () => done(null));
    input.addEventListener('keydown', (e) => { if (e.key === 'Escape') done(null); });
    document.body.appendChild(back);
    input.focus();
    input.select();
  });
}

/**
 * A modal question with buttons: `choices` is [[key, label], ...], the last one the default (Enter). Resolves
 * to the chosen key, or null when dismissed (Escape, or a click outside).
 */
export function askChoice(message, choices) {
  return new Promise((resolve) => {
    const back = Object.assign(document.createElement('div'), { className: 'modal-back' });
    const box = Object.assign(document.createElement('div'), { className: 'modal choice' });
    box.append(Object.assign(document.createElement('p'), { textContent: message }));
    const row = Object.assign(document.createElement('div'), { className: 'modal-buttons' });
    const done = (v) => { back.remove(); window.removeEventListener('keydown', onKey, true); resolve(v); };
    const onKey = (e) => {
      if (e.key !== 'Escape' && e.key !== 'Enter') return;
      e.preventDefault();
      e.stopPropagation();
      done(e.key === 'Enter' ? choices[choices.length - 1][0] : null);
    };
    for (const [key, label] of choices) {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: label });
      b.dataset.choice = key;
      b.addEventListener('click', () => done(key));
      row.append(b);
    }
    row.lastChild?.classList.add('primary');
    box.append(row);
    back.append(box);
    back.addEventListener('pointerdown', (e) => { if (e.target === back) done(null); });
    window.addEventListener('keydown', onKey, true);
    document.body.appendChild(back);
  });
}

/** A short message in the corner that fades by itself. */
export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = Object.assign(document.createElement('div'), { id: 'toasts' });
    document.body.appendChild(box);
  }
  const el = Object.assign(document.createElement('div'), { className: `toast ${kind}`, textContent: message });
  box.appendChild(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3500);
}
