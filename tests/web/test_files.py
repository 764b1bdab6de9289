"""Workflow files in the editor: PNG drag-and-drop round trip, save/open on the server, download, unknown
node types kept, and every shipped workflow opened as a template, edited and run."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from editor_helpers import (
    add_node, connect, links, node_ids, pick_available_models, reveal, set_text, wait_run, widget_point,
    upload, widget_value, workflow_menu,
)

from nodegraph.plugins import build_registry
from nodegraph.workflow import ui_to_api

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout these tests belong to

GRAPH_SHAPE = """() => [...app.graph.nodes.values()].map((n) => [n.id, n.type, n.mode,
    n.widgets.filter((w) => w.serialize !== false).map((w) => w.value)]).sort((a, b) => a[0] - b[0])"""


def _drop_file(page: Any, data: bytes, name: str, mime: str, at: tuple[float, float] = (500, 400)) -> None:
    """Drop a file on the canvas as the browser does for a file dragged in from the desktop."""
    page.evaluate(
        """([b64, name, mime, x, y]) => { const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer(); dt.items.add(new File([bytes], name, { type: mime }));
        app.canvas.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, clientX: x, clientY: y, bubbles: true,
        cancelable: true })); }""", [base64.b64encode(data).decode(), name, mime, at[0], at[1]])


def test_png_from_a_run_dropped_back_gives_the_same_graph(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (60, 140))
    invert = add_node(page, "image invert", (330, 140))
    save = add_node(page, "save image", (600, 140))
    connect(page, image, "IMAGE", invert, "image")
    connect(page, invert, "IMAGE", save, "images")
    set_text(page, image, "width", "40")
    set_text(page, save, "filename_prefix", "roundtrip")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    shape, wired = page.evaluate(GRAPH_SHAPE), links(page)
    ref = page.evaluate("(id) => app.exec.outputs.get(id).images[0]", save)
    png = live_server.get("/view?" + urlencode({"filename": ref["filename"], "subfolder": ref["subfolder"],
                                               "type": ref["type"]}))
    workflow_menu(page, "New")
    assert page.evaluate("app.graph.nodes.size") == 0
    _drop_file(page, png, ref["filename"], "image/png")
    page.wait_for_function("app.graph.nodes.size === 3")
    assert page.evaluate(GRAPH_SHAPE) == shape
    assert links(page) == wired


def test_save_to_server_and_open_again(page: Any, live_server: Any) -> None:
    number = add_node(page, "primitive int", (60, 140))
    set_text(page, number, "value", "77")
    page.keyboard.press("Control+s")
    page.wait_for_selector(".modal input")
    page.fill(".modal input", "editor saved flow")
    page.keyboard.press("Enter")
    page.wait_for_function("app.files.name === 'editor saved flow'")
    saved = live_server.get("/userdata?dir=workflows")
    assert "editor saved flow.json" in saved
    stored = live_server.get("/userdata/" + "workflows%2Feditor%20saved%20flow.json")
    stored = json.loads(stored) if isinstance(stored, bytes) else stored
    assert [n["widgets_values"] for n in stored["nodes"]] == [[77]]
    workflow_menu(page, "New")
    assert page.evaluate("app.graph.nodes.size") == 0
    workflow_menu(page, "Open saved", "editor saved flow")
    page.wait_for_function("app.graph.nodes.size === 1")
    assert page.evaluate("[...app.graph.nodes.values()][0].widget('value').value") == 77


def test_canvas_survives_a_reload(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (60, 140))
    invert = add_node(page, "image invert", (400, 140))
    connect(page, image, "IMAGE", invert, "image")
    set_text(page, image, "width", "33")
    shape, wired = page.evaluate(GRAPH_SHAPE), links(page)
    page.reload()
    page.wait_for_function("window.app && app.defs.list.length > 3 && app.graph.nodes.size === 2")
    assert page.evaluate(GRAPH_SHAPE) == shape
    assert links(page) == wired


def test_download_gives_the_workflow_json(page: Any, live_server: Any) -> None:
    add_node(page, "image invert", (60, 140))
    with page.expect_download() as info:
        workflow_menu(page, "Download")
    data = json.loads(open(info.value.path()).read())
    assert [n["type"] for n in data["nodes"]] == ["ImageInvert"]
    assert data["version"] == 0.4


def test_unknown_node_types_are_kept(page: Any, live_server: Any, tmp_path: Any) -> None:
    workflow = {
        "last_node_id": 2, "last_link_id": 1, "version": 0.4, "groups": [], "config": {}, "extra": {},
        "nodes": [
            {"id": 1, "type": "EmptyImage", "pos": [0, 0], "size": [200, 130], "flags": {}, "mode": 0, "order": 0,
             "inputs": [], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1], "slot_index": 0}],
             "properties": {}, "widgets_values": [32, 16, 1, 255]},
            {"id": 2, "type": "SomePackUpscaler", "pos": [300, 0], "size": [220, 100], "flags": {}, "mode": 0,
             "order": 1, "inputs": [{"name": "pixels", "type": "IMAGE", "link": 1}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": []}], "properties": {"cnr_id": "somepack"},
             "widgets_values": ["4x", 0.5]},
        ],
        "links": [[1, 1, 0, 2, 0, "IMAGE"]],
    }
    path = tmp_path / "with_unknown.json"
    path.write_text(json.dumps(workflow))
    with page.expect_file_chooser() as chooser:
        workflow_menu(page, "Open…")
    chooser.value.set_files(str(path))
    page.wait_for_function("app.graph.nodes.size === 2")
    assert "SomePackUpscaler" in page.inner_text("#toasts")
    assert page.evaluate("app.graph.nodes.get(2).unknown") is True
    assert links(page) == [[1, "IMAGE", 2, "pixels"]]
    saved = page.evaluate("async () => (await import('./workflow.js')).serialize(app.graph, app.view)")
    unknown = next(n for n in saved["nodes"] if n["id"] == 2)
    assert unknown["type"] == "SomePackUpscaler"
    assert unknown["widgets_values"] == ["4x", 0.5] and unknown["properties"] == {"cnr_id": "somepack"}
    assert saved["links"] == [[1, 1, 0, 2, 0, "IMAGE"]]
    assert next(n for n in saved["nodes"] if n["id"] == 1)["widgets_values"] == [32, 16, 1, 255]


def test_comfyui_primitive_node_feeds_its_value_like_the_server_conversion(page: Any, live_server: Any) -> None:
    workflow = {
        "last_node_id": 3, "last_link_id": 2, "version": 0.4, "groups": [], "config": {}, "extra": {},
        "nodes": [
            {"id": 1, "type": "PrimitiveNode", "pos": [0, 0], "size": [200, 80], "flags": {}, "mode": 0,
             "inputs": [], "outputs": [{"name": "INT", "type": "INT", "links": [1], "widget": {"name": "width"}}],
             "properties": {"Run widget replace on values": False}, "widgets_values": [48, "fixed"]},
            {"id": 2, "type": "EmptyImage", "pos": [300, 0], "size": [200, 130], "flags": {}, "mode": 0,
             "inputs": [{"name": "width", "type": "INT", "link": 1, "widget": {"name": "width"}}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}], "properties": {},
             "widgets_values": [64, 32, 1, 0]},
            {"id": 3, "type": "PreviewImage", "pos": [600, 0], "size": [200, 200], "flags": {}, "mode": 0,
             "inputs": [{"name": "images", "type": "IMAGE", "link": 2}], "outputs": [], "properties": {}},
        ],
        "links": [[1, 1, 0, 2, 0, "INT"], [2, 2, 0, 3, 0, "IMAGE"]],
    }
    page.evaluate("(w) => app.loadGraphJSON(w, 'primitive')", workflow)
    prompt = page.evaluate("async () => (await import('./workflow.js')).graphToPrompt(app.graph)")
    server_side = ui_to_api(workflow, build_registry([]))
    assert prompt["2"]["inputs"]["width"] == 48
    assert {k: v["inputs"] for k, v in prompt.items()} == {k: v["inputs"] for k, v in server_side.items()}
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"


def test_version_1_workflow_with_link_objects_opens(page: Any, live_server: Any) -> None:
    workflow = {
        "id": "5f0c", "revision": 0, "version": 1, "config": {}, "extra": {}, "groups": [],
        "state": {"lastGroupId": 0, "lastNodeId": 2, "lastLinkId": 1, "lastRerouteId": 0},
        "nodes": [
            {"id": 1, "type": "EmptyImage", "pos": [0, 0], "size": [200, 130], "flags": {}, "mode": 0, "order": 0,
             "inputs": [], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "properties": {},
             "widgets_values": [20, 10, 1, 0]},
            {"id": 2, "type": "PreviewImage", "pos": [300, 0], "size": [200, 200], "flags": {}, "mode": 0,
             "order": 1, "inputs": [{"name": "images", "type": "IMAGE", "link": 1}], "outputs": [],
             "properties": {}},
        ],
        "links": [{"id": 1, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "IMAGE"}],
    }
    page.evaluate("(w) => app.loadGraphJSON(w, 'v1')", workflow)
    assert links(page) == [[1, "IMAGE", 2, "images"]]
    prompt = page.evaluate("async () => (await import('./workflow.js')).graphToPrompt(app.graph)")
    server_side = ui_to_api(workflow, build_registry([]))
    assert {k: v["inputs"] for k, v in prompt.items()} == {k: v["inputs"] for k, v in server_side.items()}
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"


def test_native_reroutes_floating_links_and_subgraphs_survive_a_save(page: Any, live_server: Any) -> None:
    # ComfyUI's own reroute points and subgraph definitions are not drawn here, but saving must not lose them.
    node = {"flags": {}, "mode": 0, "properties": {}}
    subgraphs = {"subgraphs": [{"id": "a1b2", "name": "inner", "nodes": [], "links": []}]}
    workflow = {
        "id": "77aa", "revision": 0, "version": 1, "config": {}, "extra": {}, "groups": [],
        "state": {"lastGroupId": 0, "lastNodeId": 3, "lastLinkId": 2, "lastRerouteId": 2},
        "nodes": [
            {"id": 1, "type": "EmptyImage", "pos": [0, 0], "size": [200, 130], "order": 0, "inputs": [],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1, 2]}], "widgets_values": [8, 8, 1, 0],
             **node},
            {"id": 2, "type": "PreviewImage", "pos": [400, 0], "size": [200, 200], "order": 1,
             "inputs": [{"name": "images", "type": "IMAGE", "link": 1}], "outputs": [], **node},
            {"id": 3, "type": "ImageInvert", "pos": [400, 300], "size": [200, 60], "order": 2,
             "inputs": [{"name": "image", "type": "IMAGE", "link": 2}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": []}], **node},
        ],
        "links": [{"id": 1, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "IMAGE",
                   "parentId": 2},
                  {"id": 2, "origin_id": 1, "origin_slot": 0, "target_id": 3, "target_slot": 0, "type": "IMAGE",
                   "parentId": 1}],
        "reroutes": [{"id": 1, "pos": [250, 100], "linkIds": [1, 2]},
                     {"id": 2, "parentId": 1, "pos": [320, 60], "linkIds": [1]}],
        "floatingLinks": [{"id": 3, "origin_id": 1, "origin_slot": 0, "target_id": -1, "target_slot": -1,
                           "type": "IMAGE", "parentId": 1}],
        "definitions": subgraphs,
    }
    page.evaluate("(w) => app.loadGraphJSON(w, 'v1')", workflow)
    save = "async () => (await import('./workflow.js')).serialize(app.graph, app.view)"
    saved = page.evaluate(save)
    assert saved["version"] == 0.4
    assert saved["extra"]["reroutes"] == workflow["reroutes"]
    assert saved["extra"]["linkExtensions"] == [{"id": 1, "parentId": 2}, {"id": 2, "parentId": 1}]
    assert saved["floatingLinks"] == workflow["floatingLinks"] and saved["definitions"] == subgraphs
    # The saved 0.4 file loads back to the same reroutes; deleting a link drops the ids that named it.
    page.evaluate("(w) => app.loadGraphJSON(w, 'again')", saved)
    page.evaluate("() => app.graph.removeLink(2)")
    again = page.evaluate(save)
    assert [r["linkIds"] for r in again["extra"]["reroutes"]] == [[1], [1]]
    assert again["extra"]["linkExtensions"] == [{"id": 1, "parentId": 2}]
    assert again["definitions"] == subgraphs


SHIPPED = sorted((REPO_ROOT / "workflows").glob("*.json"))


def _missing_models(page: Any) -> str | None:
    """Name of a model picker with nothing to pick from (no models installed), if any."""
    return page.evaluate("""() => { for (const n of app.graph.nodes.values()) for (const w of n.widgets)
        if (w.kind === 'combo' && /ckpt|model|vae|control_net|lora/i.test(w.name) && !(w.options.values || []).length)
          return `${n.type}.${w.name}`; return null; }""")


def _upload_pictures(page: Any, folder: Path) -> None:
    """Give every Load Image a picture (64x64, its top-left corner transparent: a mask) with its upload button."""
    from PIL import Image

    picture = Image.new("RGBA", (64, 64), (240, 240, 240, 255))
    picture.paste((0, 0, 0, 0), (0, 0, 24, 24))
    picture.save(folder / "shipped_picture.png")
    for loader in node_ids(page, "LoadImage"):
        upload(page, loader, folder / "shipped_picture.png")


@pytest.mark.parametrize("path", SHIPPED or [None], ids=[p.stem for p in SHIPPED] or ["none"])
def test_shipped_workflow_opens_edits_and_runs(page: Any, live_server: Any, path: Any, tmp_path: Path) -> None:
    if path is None:
        pytest.skip("no shipped workflows in workflows/ yet")
    workflow_menu(page, "Templates", path.stem)
    page.wait_for_function("app.graph.nodes.size > 0")
    assert not page.evaluate("[...app.graph.nodes.values()].filter((n) => n.unknown).map((n) => n.type)")
    missing = _missing_models(page)
    if missing:
        pytest.skip(f"{path.name} needs a model that is not installed ({missing} has no options)")
    pick_available_models(page)
    _upload_pictures(page, tmp_path)  # a workflow that starts from a picture (inpaint_painted) gets one
    # The edit: fewer sampling steps where there are any (typed in), else one step up on the first number,
    # else a new file name typed into the first text widget.
    steps = page.evaluate("[...app.graph.nodes.values()].filter((n) => n.widget('steps')).map((n) => n.id)")
    for node in steps:
        set_text(page, node, "steps", "3")
        assert widget_value(page, node, "steps") == 3
    first = """(kind) => { for (const n of app.graph.nodes.values())
        for (const w of n.widgets) if (w.kind === kind) return [n.id, w.name, w.value]; return null; }"""
    number = None if steps else page.evaluate(first, "number")
    if number:
        node, name, value = number
        reveal(page, node)
        page.mouse.click(*widget_point(page, node, name, "right"))
        assert widget_value(page, node, name) != value
    elif not steps:
        node, name, value = page.evaluate(first, "text")
        set_text(page, node, name, value + "_edited")
        assert widget_value(page, node, name) == value + "_edited"
    page.keyboard.press("Control+Enter")
    assert wait_run(page, timeout=240000) == "done", page.inner_text("#toasts")
    for kind, key in (("SaveImage", "images"), ("CheckpointSave", "checkpoints")):
        saves = page.evaluate("(t) => [...app.graph.nodes.values()].filter((n) => n.type === t).map((n) => n.id)", kind)
        assert all(page.evaluate("([id, key]) => app.exec.outputs.get(id)?.[key]?.length > 0", [s, key])
                   for s in saves), kind
