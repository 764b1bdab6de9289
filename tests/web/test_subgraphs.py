"""ComfyUI subgraph instances in the editor: drawn with the widgets they show, edited, run, saved back."""

from __future__ import annotations

import io
import urllib.parse
from typing import Any

from PIL import Image

from editor_helpers import set_text, wait_run, widget_value

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


def _output_pixel(page: Any, live_server: Any, node_id: int) -> tuple[int, ...]:
    page.wait_for_function("(id) => app.exec.outputs.get(id)?.images?.length", arg=node_id, timeout=20000)
    image = page.evaluate("(id) => app.exec.outputs.get(id).images[0]", node_id)
    query = urllib.parse.urlencode({k: image[k] for k in ("filename", "subfolder", "type")})
    with Image.open(io.BytesIO(live_server.get(f"/view?{query}"))) as png:
        return png.convert("RGB").getpixel((3, 3))


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
