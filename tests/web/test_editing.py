"""Editing with mouse and keyboard: select, move, delete, copy/paste, undo/redo, groups, collapse, bypass,
mute, reroutes, pan and zoom; and the browser's API prompt agreeing with the server's own conversion."""

from __future__ import annotations

from typing import Any

from editor_helpers import add_node, add_reroute, canvas_point, connect, drag, links, title_point

from nodegraph.plugins import build_registry
from nodegraph.workflow import ui_to_api


def _counts(page: Any) -> tuple[int, int]:
    return tuple(page.evaluate("[app.graph.nodes.size, app.graph.links.size]"))


def _chain(page: Any, y: float = 140) -> tuple[int, int, int]:
    image = add_node(page, "empty image", (60, y))
    invert = add_node(page, "image invert", (330, y))
    preview = add_node(page, "preview image", (600, y))
    connect(page, image, "IMAGE", invert, "image")
    connect(page, invert, "IMAGE", preview, "images")
    return image, invert, preview


def test_copy_paste_delete_undo_redo(page: Any, live_server: Any) -> None:
    image, invert, preview = _chain(page)
    page.mouse.click(900, 700)  # focus the canvas, clear the selection
    page.keyboard.press("Control+a")
    assert sorted(page.evaluate("[...app.selected]")) == sorted([image, invert, preview])
    page.keyboard.press("Control+c")
    page.mouse.move(100, 500)
    page.keyboard.press("Control+v")
    assert _counts(page) == (6, 4)  # the copies come with the links among them
    pasted = sorted(page.evaluate("[...app.selected]"))
    assert len(pasted) == 3 and not set(pasted) & {image, invert, preview}
    page.keyboard.press("Control+z")
    assert _counts(page) == (3, 2)
    page.keyboard.press("Control+y")
    assert _counts(page) == (6, 4)
    page.mouse.click(*title_point(page, invert))
    page.keyboard.press("Delete")
    assert _counts(page) == (5, 2)
    assert invert not in page.evaluate("[...app.graph.nodes.keys()]")
    page.keyboard.press("Control+z")
    assert _counts(page) == (6, 4)
    assert [image, "IMAGE", invert, "image"] in links(page)


def test_select_move_box_select_and_groups(page: Any, live_server: Any) -> None:
    image, invert, preview = _chain(page)
    before = page.evaluate("(id) => [...app.graph.nodes.get(id).pos]", invert)
    a = title_point(page, invert)
    drag(page, a, (a[0] + 40, a[1] + 200))
    after = page.evaluate("(id) => [...app.graph.nodes.get(id).pos]", invert)
    assert [after[0] - before[0], after[1] - before[1]] == [40, 200]
    page.mouse.click(*title_point(page, image))
    page.keyboard.down("Shift")
    page.mouse.click(*title_point(page, preview))
    page.keyboard.up("Shift")
    assert sorted(page.evaluate("[...app.selected]")) == sorted([image, preview])
    # Ctrl+drag on empty canvas draws a selection box: here around the first row only.
    page.keyboard.down("Control")
    drag(page, (30, 90), (1000, 250))
    page.keyboard.up("Control")
    assert sorted(page.evaluate("[...app.selected]")) == sorted([image, preview])
    page.keyboard.press("Control+g")
    assert page.evaluate("app.graph.groups.length") == 1
    bounding = page.evaluate("app.graph.groups[0].bounding")
    group_title = canvas_point(page, (bounding[0] + 60, bounding[1] + 15))
    starts = page.evaluate("(ids) => ids.map((id) => [...app.graph.nodes.get(id).pos])", [image, preview, invert])
    drag(page, group_title, (group_title[0] + 50, group_title[1] + 30))
    ends = page.evaluate("(ids) => ids.map((id) => [...app.graph.nodes.get(id).pos])", [image, preview, invert])
    assert ends[0] == [starts[0][0] + 50, starts[0][1] + 30] and ends[1] == [starts[1][0] + 50, starts[1][1] + 30]
    assert ends[2] == starts[2]  # not inside the group, so it stays


def test_pan_and_zoom(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (300, 300))
    world = page.evaluate("(id) => [...app.graph.nodes.get(id).pos]", image)
    drag(page, (700, 600), (600, 550))
    assert page.evaluate("[...app.view.offset]") == [-100, -50]
    before = page.evaluate("app.toWorld([500, 400])")
    page.mouse.move(500, 440)
    page.mouse.wheel(0, -400)
    page.wait_for_function("app.view.scale > 1.5")
    after = page.evaluate("app.toWorld([500, 400])")
    assert [round(v, 3) for v in after] == [round(v, 3) for v in before]  # the point under the cursor stays put
    assert page.evaluate("(id) => [...app.graph.nodes.get(id).pos]", image) == world


def test_bypass_mute_reroute_collapse_match_server_conversion(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (60, 140))
    invert = add_node(page, "image invert", (480, 140))
    save = add_node(page, "save image", (740, 140))
    reroute = add_reroute(page, (300, 420))
    connect(page, image, "IMAGE", reroute, "")
    connect(page, reroute, "", invert, "image")
    connect(page, invert, "IMAGE", save, "images")
    muted = add_node(page, "preview image", (480, 600))
    connect(page, image, "IMAGE", muted, "images")
    page.mouse.click(*title_point(page, invert))
    page.keyboard.press("Control+b")
    page.mouse.click(*title_point(page, muted))
    page.keyboard.press("Control+m")
    page.keyboard.press("Alt+c")
    assert page.evaluate("(id) => app.graph.nodes.get(id).flags.collapsed", muted) is True
    assert page.evaluate("(ids) => ids.map((id) => app.graph.nodes.get(id).mode)", [invert, muted]) == [4, 2]
    prompt, workflow = page.evaluate("""async () => { const w = await import('./workflow.js');
        return [w.graphToPrompt(app.graph), w.serialize(app.graph, app.view)]; }""")
    assert set(prompt) == {str(image), str(save)}
    assert prompt[str(save)]["inputs"]["images"] == [str(image), 0]
    server_side = ui_to_api(workflow, build_registry([]))
    assert {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in prompt.items()} == \
        {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in server_side.items()}


def _link_middle(page: Any, origin: int) -> tuple[float, float]:
    world = page.evaluate("""async (id) => { const g = await import('./graph.js');
        const l = [...app.graph.links.values()].find((x) => x.origin_id === id);
        return g.linkMid(g.socketPos(app.graph.nodes.get(l.origin_id), false, l.origin_slot),
                         g.socketPos(app.graph.nodes.get(l.target_id), true, l.target_slot)); }""", origin)
    return canvas_point(page, tuple(world))


def test_link_menu_adds_a_reroute_point_or_deletes_the_link(page: Any, live_server: Any) -> None:
    image, invert, preview = _chain(page, y=300)
    page.mouse.click(*_link_middle(page, image))
    page.locator(".menu-item", has_text="Add Reroute Here").click()
    reroute = page.evaluate("[...app.graph.nodes.values()].find((n) => n.type === 'Reroute').id")
    assert links(page) == sorted([[image, "IMAGE", reroute, ""], [reroute, "", invert, "image"],
                                  [invert, "IMAGE", preview, "images"]])
    page.mouse.click(*_link_middle(page, invert))
    page.locator(".menu-item", has_text="Delete Link").click()
    assert [invert, "IMAGE", preview, "images"] not in links(page)
    assert _counts(page) == (4, 2)
