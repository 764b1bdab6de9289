/** The right-click menus' contents: canvas (add node by category, group, reroute), node (colours, its image:
 * open, save, mask editor) and group, and the entries that open and close a subgraph. */

import { MODE_BYPASS, MODE_NEVER } from './graph.js';
import { openMaskEditor } from './maskeditor.js';
import { askText } from './menus.js';
import { shownImage } from './run.js';

/** LiteGraph's node palette, as ComfyUI saves it: title `color`, body `bgcolor`; `group` for groups. */
export const NODE_COLORS = {
  red: { color: '#322', bgcolor: '#533', group: '#aa8888' },
  brown: { color: '#332922', bgcolor: '#593930', group: '#b06634' },
  green: { color: '#232', bgcolor: '#353', group: '#88aa88' },
  blue: { color: '#223', bgcolor: '#335', group: '#8888aa' },
  pale_blue: { color: '#2a363b', bgcolor: '#3f5159', group: '#3f789e' },
  cyan: { color: '#233', bgcolor: '#355', group: '#88aaaa' },
  purple: { color: '#323', bgcolor: '#535', group: '#a1309b' },
  yellow: { color: '#432', bgcolor: '#653', group: '#b58b2a' },
  black: { color: '#222', bgcolor: '#000', group: '#444444' },
};

/** Colour every selected node (null: back to the default colours). */
function colorItems(app) {
  const paint = (c) => () => {
    for (const n of app.selectedNodes()) {
      if (c) Object.assign(n, { color: c.color, bgcolor: c.bgcolor });
      else { delete n.color; delete n.bgcolor; }
    }
    app.commit();
  };
  return [{ label: 'No color', action: paint(null) },
    ...Object.entries(NODE_COLORS).map(([name, c]) => ({ label: name.replace('_', ' '), action: paint(c) }))];
}

/** Open Image / Save Image / Open in Mask Editor, for a node that shows an image. */
function imageItems(app, node) {
  const ref = shownImage(app.subgraphs.inside ? app.renderer.exec : app.exec, node);
  if (!ref) return [];
  const url = app.api.viewUrl(ref);
  return [
    { label: 'Open Image', action: () => window.open(url, '_blank') },
    { label: 'Save Image', action: () => Object.assign(document.createElement('a'), { href: url, download: ref.filename }).click() },
    { label: 'Open in Mask Editor', action: () => openMaskEditor(app, node, ref) },
    null,
  ];
}

/** Nested category menu; picking a node adds it at world point p. */
export function categoryItems(app, p, tree = app.defs.categoryTree()) {
  const subs = Object.keys(tree).filter((k) => k !== '__nodes').sort();
  const items = subs.map((name) => ({ label: name, submenu: () => categoryItems(app, p, tree[name]) }));
  const nodes = [...tree.__nodes].sort((a, b) => a.title.localeCompare(b.title));
  for (const e of nodes) {
    items.push({ label: e.title, title: e.def.description || e.name, action: () => { app.addNode(e.name, p); app.commit(); } });
  }
  return items;
}

/** Inside a subgraph, the way back out (also on the breadcrumb). */
function closeItems(app) {
  return app.subgraphs.inside ? [{ label: 'Close subgraph', action: () => app.subgraphs.closeTo() }, null] : [];
}

export function canvasMenu(app, at, p) {
  return [
    ...closeItems(app),
    { label: 'Add Node', submenu: () => categoryItems(app, p) },
    { label: 'Search…', action: () => app.openSearch(at, p, null) },
    null,
    { label: 'Add Group', action: () => { app.graph.groups.push({ title: 'Group', bounding: [p[0], p[1], 400, 300], color: '#3f789e' }); app.commit(); } },
    { label: 'Add Reroute', action: () => { app.addNode('Reroute', p); app.commit(); } },
    { label: 'Add Note', action: () => { app.addNode('Note', p); app.commit(); } },
    null,
    { label: 'Paste', action: () => app.paste(p) },
    { label: 'Select All', action: () => { app.selectAll(); app.requestDraw(); } },
    { label: 'Fit View', action: () => { app.fitView(); app.requestDraw(); } },
  ];
}

export function nodeMenu(app, node) {
  if (node.io) return closeItems(app).filter(Boolean);
  return [
    ...closeItems(app),
    ...(node.subgraph ? [{ label: 'Open subgraph', action: () => app.subgraphs.open(node) }, null] : []),
    ...imageItems(app, node),
    { label: 'Rename…', action: () => app.renameNode(node) },
    { label: 'Colors', submenu: () => colorItems(app) },
    { label: node.flags.collapsed ? 'Expand' : 'Collapse', action: () => app.toggleCollapse() },
    { label: node.mode === MODE_BYPASS ? 'Remove Bypass' : 'Bypass', action: () => app.toggleMode(MODE_BYPASS) },
    { label: node.mode === MODE_NEVER ? 'Unmute' : 'Mute', action: () => app.toggleMode(MODE_NEVER) },
    null,
    { label: 'Copy', action: () => app.copy() },
    { label: 'Clone', action: () => { app.copy(); app.paste([node.pos[0] + 30, node.pos[1] + 30]); } },
    { label: 'Group Selected', action: () => app.groupSelected() },
    null,
    { label: 'Remove', action: () => app.deleteSelected() },
  ];
}

export function groupMenu(app, group) {
  return [
    { label: 'Rename Group…', action: async () => {
      const t = await askText('Group title', group.title);
      if (t !== null) { group.title = t; app.commit(); }
    } },
    { label: 'Select Nodes', action: () => { app.selected = new Set(app.graph.nodesInGroup(group).map((n) => n.id)); app.requestDraw(); } },
    { label: 'Color', submenu: () => Object.entries(NODE_COLORS).map(([name, c]) => ({
      label: name.replace('_', ' '), action: () => { group.color = c.group; app.commit(); } })) },
    { label: 'Remove Group', action: () => { app.graph.groups = app.graph.groups.filter((g) => g !== group); app.commit(); } },
  ];
}
