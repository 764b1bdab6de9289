"""ComfyUI subgraph instances in the editor: drawn with the widgets they show, edited, run, saved back."""

from __future__ import annotations

import io
import urllib.parse
from typing import Any

from PIL import Image

from editor_helpers import (add_node, canvas_point, connect, drag, links, node_ids, set_text, title_point, wait_run,
                            widget_value)

SUBGRAPH_ID = "5e1c0a77-0000-4000-8000-00000000c010"
NODE = {"flags": {}, "mode": 0, "properties": {}}


def _workflow() -> dict[str, Any]:
    """A version 1 file as ComfyUI writes it: a 'Solid colour' subgraph (EmptyImage -> ImageInvert) whose
    colour is promoted to the instance, feeding a top-level SaveImage."""
    definition = {
        "id": SUBGRAPH_ID, "version": 1, "revision": 0, "config": {}, "name": "Solid colour",
        "state": {"lastGroupId": 0, "lastNodeId": 6, "lastLinkId": 13, "lastRerouteId": 0},
        "inputNode": {"id": -10, "bounding": [-200, 0, 120, 60]},
        "outputNode": {"id": -20, "bounding": [700, 0, 120, 60]},
        "inputs": [{"id": "in-color", "name": "color", "type": "INT", "linkIds": [11]}],
        "outputs": [{"id": "out-image", "name": "IMAGE", "type": "IMAGE", "linkIds": [13]}],
        "widgets": [], "groups": [], "extra": {},
        "nodes": [
            {"id": 5, "type": "EmptyImage", "pos": [0, 0], "size": [220, 130], "order": 0,
             "inputs": [{"name": name, "type": "INT", "widget": {"name": name}, "link": 11 if name == "color" else None}
                        for name in ("width", "height", "batch_size", "color")],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [12]}], "widgets_values": [32, 24, 1, 0], **NODE},
            {"id": 6, "type": "ImageInvert", "pos": [300, 0], "size": [200, 60], "order": 1,
             "inputs": [{"name": "image", "type": "IMAGE", "link": 12}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [13]}], **NODE},
        ],
        "links": [
            {"id": 11, "origin_id": -10, "origin_slot": 0, "target_id": 5, "target_slot": 3, "type": "INT"},
            {"id": 12, "origin_id": 5, "origin_slot": 0, "target_id": 6, "target_slot": 0, "type": "IMAGE"},
            {"id": 13, "origin_id": 6, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"},
        ],
    }
    return {
        "id": "9c3e", "revision": 0, "version": 1, "config": {}, "extra": {}, "groups": [],
        "state": {"lastGroupId": 0, "lastNodeId": 2, "lastLinkId": 1, "lastRerouteId": 0},
        "nodes": [
            {"id": 1, "type": SUBGRAPH_ID, "pos": [0, 0], "size": [240, 80], "order": 0,
             "inputs": [{"label": "color", "name": "color", "type": "INT", "widget": {"name": "color"}, "link": None}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": [0x204080], **NODE},
            {"id": 2, "type": "SaveImage", "pos": [400, 0], "size": [240, 260], "order": 1,
             "inputs": [{"name": "images", "type": "IMAGE", "link": 1, "label": "pictures"}], "outputs": [],
             "widgets_values": ["subgraph_editor"], **NODE},
        ],
        "links": [{"id": 1, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "IMAGE"}],
        "definitions": {"subgraphs": [definition]},
    }


def _output_image(page: Any, live_server: Any, node_id: int) -> tuple[tuple[int, int], tuple[int, ...]]:
    """Size and pixel (3, 3) of the first image the node saved in the last run."""
    page.wait_for_function("(id) => app.exec.outputs.get(id)?.images?.length", arg=node_id, timeout=20000)
    image = page.evaluate("(id) => app.exec.outputs.get(id).images[0]", node_id)
    query = urllib.parse.urlencode({k: image[k] for k in ("filename", "subfolder", "type")})
    with Image.open(io.BytesIO(live_server.get(f"/view?{query}"))) as png:
        return png.size, png.convert("RGB").getpixel((3, 3))


def _output_pixel(page: Any, live_server: Any, node_id: int) -> tuple[int, ...]:
    return _output_image(page, live_server, node_id)[1]


def test_subgraph_instance_shows_its_widget_runs_and_saves(page: Any, live_server: Any) -> None:
    workflow = _workflow()
    page.evaluate("(w) => app.loadGraphJSON(w, 'subgraph')", workflow)
    instance = page.evaluate("""() => { const n = app.graph.nodes.get(1);
        return {unknown: n.unknown, subgraph: n.subgraph, title: n.title,
                widgets: n.widgets.map((w) => [w.name, w.kind, w.options.display ?? null])}; }""")
    assert instance == {"unknown": False, "subgraph": {"id": SUBGRAPH_ID, "name": "Solid colour"},
                        "title": "Solid colour", "widgets": [["color", "number", "color"]]}
    assert page.locator(".toast", has_text="Unknown node types").count() == 0
    assert widget_value(page, 1, "color") == 0x204080

    # The promoted widget is edited like the inner EmptyImage's own colour widget, then the graph runs:
    # the server flattens the instance, so the saved image is the inverse of the colour typed here.
    set_text(page, 1, "color", "#102030")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    assert _output_pixel(page, live_server, 2) == (0xEF, 0xDF, 0xCF)

    saved = page.evaluate("async () => (await import('./workflow.js')).serialize(app.graph, app.view)")
    node = next(n for n in saved["nodes"] if n["id"] == 1)
    assert node["type"] == SUBGRAPH_ID and node["widgets_values"] == [0x102030] and "title" not in node
    assert node["properties"] == {} and node["inputs"][0]["widget"] == {"name": "color"}
    assert saved["definitions"] == workflow["definitions"]
    # A socket the user renamed in ComfyUI keeps its name (label) on save, on a known node too.
    assert next(n for n in saved["nodes"] if n["id"] == 2)["inputs"][0]["label"] == "pictures"

    # A pasted copy is an instance too, with the value the original shows now.
    page.evaluate("() => app.graph.pasteNodes(app.graph.copyNodes([1]), app.defs, [0, 400])")
    copy = page.evaluate("""() => { const n = [...app.graph.nodes.values()].find((m) => m.id !== 1 && m.subgraph);
        return n && [n.subgraph.name, n.widgets[0].value]; }""")
    assert copy == ["Solid colour", 0x102030]


def test_subgraph_with_proxy_widgets_runs_the_value_shown(page: Any, live_server: Any) -> None:
    # Newer ComfyUI editors list what an instance shows in properties.proxyWidgets: here the inner
    # EmptyImage's width, by inner node id, next to the instance's own colour input ("-1").
    workflow = _workflow()
    instance = workflow["nodes"][0]
    instance["properties"] = {"proxyWidgets": [["-1", "color"], ["5", "width"]]}
    instance["widgets_values"] = [0x000000, 48]
    page.evaluate("(w) => app.loadGraphJSON(w, 'proxy')", workflow)
    widgets = page.evaluate("() => app.graph.nodes.get(1).widgets.map((w) => [w.name, w.value, w.options.max ?? null])")
    assert widgets == [["color", 0, 0xFFFFFF], ["width", 48, 8192]]
    set_text(page, 1, "width", "40")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    page.wait_for_function("(id) => app.exec.outputs.get(id)?.images?.length", arg=2, timeout=20000)
    image = page.evaluate("() => app.exec.outputs.get(2).images[0]")
    query = urllib.parse.urlencode({k: image[k] for k in ("filename", "subfolder", "type")})
    with Image.open(io.BytesIO(live_server.get(f"/view?{query}"))) as png:
        assert png.size == (40, 24) and png.convert("RGB").getpixel((0, 0)) == (255, 255, 255)


def _open_solid_colour(page: Any) -> None:
    """Load the fixture workflow and double-click the instance's title, as a user opens a subgraph."""
    page.evaluate("(w) => app.loadGraphJSON(w, 'subgraph')", _workflow())
    page.mouse.dblclick(*title_point(page, 1))
    page.wait_for_function("() => app.subgraphs.inside")


def test_open_a_subgraph_edit_inside_close_and_run(page: Any, live_server: Any) -> None:
    _open_solid_colour(page)
    shown = page.evaluate("""() => [...app.graph.nodes.values()].map((n) => [n.id, n.title,
        n.inputs.map((i) => i.name), n.outputs.map((o) => o.name)])""")
    assert sorted(shown) == [
        [-20, "Subgraph outputs", ["IMAGE"], []],
        [-10, "Subgraph inputs", [], ["color"]],
        [5, "Empty Image", ["width", "height", "batch_size", "color"], ["IMAGE"]],  # ComfyUI's display names
        [6, "Invert Image Colors", ["image"], ["IMAGE"]],
    ]
    assert page.locator("#breadcrumb").is_visible()
    assert page.locator("#breadcrumb").inner_text().replace("\n", " ").split() == ["Workflow", "›", "Solid", "colour"]
    # The boundary links start and end on the IO nodes, at the definition's positions.
    assert links(page) == [[-10, "color", 5, "color"], [5, "IMAGE", 6, "image"], [6, "IMAGE", -20, "IMAGE"]]
    io_positions = page.evaluate("() => [app.graph.nodes.get(-10).pos, app.graph.nodes.get(-20).pos]")
    assert io_positions == [[-200, 26], [700, 26]]

    set_text(page, 5, "width", "48")
    assert widget_value(page, 5, "width") == 48
    page.mouse.click(*title_point(page, 6))
    page.keyboard.press("Delete")
    assert node_ids(page, "ImageInvert") == []
    connect(page, 5, "IMAGE", -20, "IMAGE")
    assert links(page) == [[-10, "color", 5, "color"], [5, "IMAGE", -20, "IMAGE"]]
    # The boundary nodes are fixed: Delete leaves them.
    page.mouse.click(*title_point(page, -10))
    page.keyboard.press("Delete")
    assert page.evaluate("() => app.graph.nodes.has(-10)")

    page.locator("#breadcrumb button", has_text="Workflow").click()
    assert not page.evaluate("() => app.subgraphs.inside")
    assert page.locator("#breadcrumb").is_hidden()
    assert sorted(page.evaluate("() => [...app.graph.nodes.keys()]")) == [1, 2]
    assert widget_value(page, 1, "color") == 0x204080

    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    # The instance's colour as it is (the first test sees it inverted): the inverting node inside was removed.
    assert _output_image(page, live_server, 2) == ((48, 24), (0x20, 0x40, 0x80))

    saved = page.evaluate("() => app.workflowJSON()")
    definition = saved["definitions"]["subgraphs"][0]
    original = _workflow()["definitions"]["subgraphs"][0]
    assert [n["id"] for n in definition["nodes"]] == [5]
    assert definition["nodes"][0]["widgets_values"] == [48, 24, 1, 0]
    assert definition["links"] == [
        {"id": 11, "origin_id": -10, "origin_slot": 0, "target_id": 5, "target_slot": 3, "type": "INT"},
        {"id": 14, "origin_id": 5, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"},
    ]
    assert definition["nodes"][0]["outputs"][0]["links"] == [14]
    assert definition["inputs"][0]["linkIds"] == [11] and definition["outputs"][0]["linkIds"] == [14]
    assert definition["state"]["lastLinkId"] == 14 and definition["state"]["lastNodeId"] == 6
    assert definition["inputNode"] == original["inputNode"] and definition["outputNode"] == original["outputNode"]
    for key in ("id", "version", "revision", "config", "name", "widgets", "groups", "extra"):
        assert definition[key] == original[key], key


def test_queue_inside_a_subgraph_runs_the_whole_workflow(page: Any, live_server: Any) -> None:
    _open_solid_colour(page)
    set_text(page, 5, "width", "40")
    page.locator("#btn-queue").click()
    assert wait_run(page) == "done"
    # The root's SaveImage ran, with the inner edit that is not closed yet: 0x204080 inverted, saved as ComfyUI
    # saves it (255 * (1 - 128/255) is 126.99999 in float32, truncated to 126).
    assert _output_image(page, live_server, 2) == ((40, 24), (0xDF, 0xBF, 0x7E))
    assert page.evaluate("() => app.subgraphs.inside")
    # Undo inside the subgraph takes back the inner edit and stays inside.
    page.keyboard.press("Control+z")
    assert page.evaluate("() => app.subgraphs.inside") and widget_value(page, 5, "width") == 32
    # A node added inside takes the definition's next free id.
    assert add_node(page, "imginv", canvas_point(page, (300, 250))) == 7

    # Moving the outputs node moves the definition's outputNode; the context menu closes the subgraph.
    drag(page, title_point(page, -20), canvas_point(page, (760, -80)))
    page.mouse.click(*canvas_point(page, (300, 300)), button="right")
    page.locator(".menu-item", has_text="Close subgraph").click()
    assert not page.evaluate("() => app.subgraphs.inside")
    bounding = page.evaluate("() => app.graph.kept.definitions.subgraphs[0].outputNode.bounding")
    assert bounding != [700, 0, 120, 60] and bounding[2:] == [120, 60]
    definition = page.evaluate("() => app.graph.kept.definitions.subgraphs[0]")
    assert [n["id"] for n in definition["nodes"]] == [5, 6, 7] and definition["state"]["lastNodeId"] == 7

    # The context menu opens it again; loading another workflow while inside returns to the root.
    page.mouse.click(*title_point(page, 1), button="right")
    page.locator(".menu-item", has_text="Open subgraph").click()
    assert page.evaluate("() => app.subgraphs.inside")
    page.evaluate("() => app.files.newGraph()")
    assert not page.evaluate("() => app.subgraphs.inside") and page.locator("#breadcrumb").is_hidden()
    assert page.evaluate("() => app.graph.nodes.size") == 0
