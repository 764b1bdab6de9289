"""Mouse-and-keyboard steps on the editor page, shared by the browser tests.

Positions are read from the page (where a node or socket is drawn); every action is a real pointer or key
event, so the tests go through the same code paths a person does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout these tests belong to


ARTIFACTS = REPO_ROOT / "artifacts"

Point = tuple[float, float]


def canvas_point(page: Any, world: Point) -> Point:
    """Page coordinates of a world point on the canvas."""
    return tuple(page.evaluate(
        """([x, y]) => { const r = app.canvas.getBoundingClientRect(); const [sx, sy] = app.toScreen([x, y]);
        return [r.left + sx, r.top + sy]; }""", list(world)))


def socket_point(page: Any, node_id: int, name: str, is_input: bool) -> Point:
    world = page.evaluate(
        """async ([id, name, isInput]) => { const g = await import('./graph.js'); const n = app.graph.nodes.get(id);
        const list = isInput ? n.inputs : n.outputs; const i = list.findIndex((s) => s.name === name);
        if (i < 0) throw new Error(`no socket ${name} on node ${id}`); return g.socketPos(n, isInput, i); }""",
        [node_id, name, is_input])
    return canvas_point(page, tuple(world))


def widget_point(page: Any, node_id: int, name: str, where: str = "center") -> Point:
    world = page.evaluate(
        """async ([id, name, where]) => { const g = await import('./graph.js'); const n = app.graph.nodes.get(id);
        const k = n.widgets.findIndex((w) => w.name === name); if (k < 0) throw new Error(`no widget ${name}`);
        const [x, y, w, h] = g.nodeLayout(n).widgets[k];
        const fx = where === 'left' ? x + 8 : where === 'right' ? x + w - 8 : x + w / 2;
        return [n.pos[0] + fx, n.pos[1] + y + Math.min(h, 22) / 2]; }""", [node_id, name, where])
    return canvas_point(page, tuple(world))


def reveal(page: Any, node_id: int) -> None:
    """Bring a node into view as a user would when it is off screen: click its place on the minimap."""
    inside = page.evaluate("""(id) => { const n = app.graph.nodes.get(id); const r = app.canvas.getBoundingClientRect();
        const [ax, ay] = app.toScreen([n.pos[0], n.pos[1] - 26]);
        const [bx, by] = app.toScreen([n.pos[0] + n.size[0], n.pos[1] + n.size[1]]);
        return ax >= 0 && ay >= 0 && bx <= r.width && by <= r.height; }""", node_id)
    if inside:
        return
    at = page.evaluate("""(id) => { const n = app.graph.nodes.get(id); app.minimap.draw();
        const [x, y] = app.minimap.toMap([n.pos[0] + n.size[0] / 2, n.pos[1] + n.size[1] / 2]);
        const r = app.minimap.canvas.getBoundingClientRect(); return [r.left + x, r.top + y]; }""", node_id)
    page.mouse.click(*at)


def title_point(page: Any, node_id: int) -> Point:
    world = page.evaluate(
        "(id) => { const n = app.graph.nodes.get(id); return [n.pos[0] + n.size[0] / 2, n.pos[1] - 13]; }", node_id)
    return canvas_point(page, tuple(world))


def drag(page: Any, a: Point, b: Point, steps: int = 8) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=steps)
    page.mouse.up()


def add_node(page: Any, query: str, at: Point) -> int:
    """Double-click empty canvas at page point `at`, type into the search box, press Enter."""
    page.mouse.dblclick(*at)
    page.wait_for_selector(".search input")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    return page.evaluate("() => [...app.selected][0]")


def add_reroute(page: Any, at: Point) -> int:
    """Right-click empty canvas at page point `at` and pick Add Reroute."""
    page.mouse.click(*at, button="right")
    page.locator(".menu-item", has_text="Add Reroute").click()
    return page.evaluate("[...app.selected][0]")


def sampler_chain(page: Any, steps: int, delay: float) -> tuple[int, int]:
    """The model-free Editor Sampler (fixtures/) into a Save Image, `steps` progress steps `delay` seconds apart."""
    sampler = add_node(page, "editor sampler", (60, 140))
    save = add_node(page, "save image", (420, 140))
    connect(page, sampler, "IMAGE", save, "images")
    set_text(page, sampler, "steps", str(steps))
    set_text(page, sampler, "delay", str(delay))
    return sampler, save


def connect(page: Any, origin: int, output: str, target: int, input_name: str) -> None:
    drag(page, socket_point(page, origin, output, False), socket_point(page, target, input_name, True))


def set_text(page: Any, node_id: int, widget: str, value: str) -> None:
    """Click a text or number widget (double-click a slider) and type a new value."""
    reveal(page, node_id)
    kind = page.evaluate("([id, name]) => app.graph.nodes.get(id).widget(name).kind", [node_id, widget])
    if kind == "slider":
        page.mouse.dblclick(*widget_point(page, node_id, widget))
    else:
        page.mouse.click(*widget_point(page, node_id, widget))
    editor = page.wait_for_selector(".widget-editor")
    editor.fill(value)
    page.keyboard.press("Control+Enter" if editor.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
    page.wait_for_selector(".widget-editor", state="detached")


def choose(page: Any, node_id: int, widget: str, option: str) -> None:
    """Open a combo widget's list and click one option."""
    reveal(page, node_id)
    page.mouse.click(*widget_point(page, node_id, widget))
    page.locator(".combo-menu .menu-item", has_text=option).first.click()


def widget_value(page: Any, node_id: int, widget: str) -> Any:
    return page.evaluate("([id, name]) => app.graph.nodes.get(id).widget(name).value", [node_id, widget])


def links(page: Any) -> list[list[Any]]:
    """Links as [origin id, origin slot name, target id, target input name], sorted."""
    return sorted(page.evaluate("""() => [...app.graph.links.values()].map((l) => [l.origin_id,
        app.graph.nodes.get(l.origin_id).outputs[l.origin_slot].name, l.target_id,
        app.graph.nodes.get(l.target_id).inputs[l.target_slot].name])"""))


def wait_run(page: Any, timeout: float = 60000) -> str:
    """Wait until the run the page queued has finished; returns done / error / interrupted."""
    page.wait_for_function("['done', 'error', 'interrupted'].includes(app.exec.lastStatus)", timeout=timeout)
    return page.evaluate("app.exec.lastStatus")


def node_ids(page: Any, type_: str) -> list[int]:
    return page.evaluate("(t) => [...app.graph.nodes.values()].filter((n) => n.type === t).map((n) => n.id)", type_)


def wait_history_shows_last_run(page: Any) -> None:
    """Wait until the history panel's newest entry is the run this page queued last."""
    page.wait_for_function(
        "document.querySelector('.history-list .h-item')?.dataset.promptId === app.lastQueued?.lastPromptId")


def workflow_menu(page: Any, *path: str) -> None:
    """Click through the Workflow menu, each label matched whole ("inpaint" is not "inpaint_painted")."""
    page.click("#menu-workflow")
    for label in path[:-1]:
        page.locator(".menu-item", has_text=re.compile(rf"^{re.escape(label)}$")).first.hover()
        page.wait_for_timeout(200)
    page.locator(".menu-item", has_text=re.compile(rf"^{re.escape(path[-1])}$")).last.click()


def pick_available_models(page: Any) -> None:
    """Where a saved choice (a model name) is not installed here, pick the first installed one with the mouse."""
    stale = page.evaluate("""() => [...app.graph.nodes.values()].flatMap((n) => n.widgets
        .filter((w) => w.kind === 'combo' && (w.options.values || []).length && !w.options.values.includes(w.value)
          && w.name !== 'image')
        .map((w) => [n.id, w.name, String(w.options.values[0])]))""")
    for node, name, option in stale:
        choose(page, node, name, option)


def upload(page: Any, node_id: int, path: Path) -> str:
    """Upload a picture into an image loader with its upload button and the file chooser; returns its value."""
    reveal(page, node_id)
    with page.expect_file_chooser() as chooser:
        page.mouse.click(*widget_point(page, node_id, "upload"))
    chooser.value.set_files(str(path))
    page.wait_for_function("([id, stem]) => String(app.graph.nodes.get(id).widget('image').value).startsWith(stem)",
                           arg=[node_id, Path(path).stem])
    return widget_value(page, node_id, "image")
