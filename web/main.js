/** Entry point: builds the App on the page and wires the toolbar buttons. */

import { App } from './app.js';
import { showMenu } from './menus.js';

const app = new App({ canvas: document.getElementById('canvas'), panel: document.getElementById('panel'),
  library: document.getElementById('library') });
window.app = app; // a handle for the browser console and the browser tests

function below(button) {
  const r = button.getBoundingClientRect();
  return [r.left, r.bottom + 2];
}

const workflowMenu = document.getElementById('menu-workflow');
workflowMenu.addEventListener('click', () => showMenu([
  { label: 'New', action: () => app.files.newGraph() },
  { label: 'Open…', action: () => app.files.choose() },
  { label: 'Open saved', submenu: () => app.files.savedItems() },
  { label: 'Templates', submenu: () => app.files.templateItems() },
  null,
  { label: 'Save (Ctrl+S)', action: () => app.files.save() },
  { label: 'Save As…', action: () => app.files.saveAs() },
  { label: 'Download', action: () => app.files.download() },
], below(workflowMenu)));

const addMenu = document.getElementById('menu-add');
addMenu.addEventListener('click', () => {
  const r = app.canvas.getBoundingClientRect();
  app.showAddMenu(below(addMenu), app.toWorld([r.width / 2 - 100, r.height / 2 - 60]));
});

document.getElementById('btn-queue').addEventListener('click', () => app.queue());
document.getElementById('btn-panel').addEventListener('click', () => app.panels.toggle());
document.getElementById('btn-library').addEventListener('click', () => app.library.toggle());

// A clicked toolbar button gives the focus back, so Space and Enter keep working on the canvas.
for (const button of document.querySelectorAll('#toolbar button')) button.addEventListener('click', () => button.blur());

app.start().catch((err) => {
  document.getElementById('status').textContent = `cannot reach the server: ${err.message}`;
});
