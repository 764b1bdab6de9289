"""The mask editor: brush size and hardness, eraser, invert, clear, zoom, pan, undo; saved through /upload/mask as
ComfyUI's editor saves it (and a ComfyUI-made mask opens here); the shipped inpaint_painted workflow run on a
painted mask changes the picture inside the mask only; a mask painted on an output goes to a new Load Image."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from editor_helpers import (
    add_node, connect, node_ids, pick_available_models, set_text, title_point, upload, wait_run, widget_value,
    workflow_menu,
)
from PIL import Image

SIZE = 64


def _picture(folder: Path, name: str) -> Path:
    """A 64x64 picture with a pattern, so a changed or moved pixel shows."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    rgb = np.stack([xx * 4, yy * 4, (xx + yy) * 2], axis=-1).astype(np.uint8)
    path = folder / name
    Image.fromarray(rgb, "RGB").save(path)
    return path


def _open_editor(page: Any, node: int) -> None:
    page.mouse.click(*title_point(page, node), button="right")
    page.locator(".menu-item", has_text="Open in Mask Editor").click()
    page.wait_for_function("app.maskEditor && app.maskEditor.canvas.getBoundingClientRect().width > 0")
    page.wait_for_timeout(100)  # the first frame


def _at(page: Any, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of picture pixel (x, y) in the editor as it is zoomed and panned now."""
    return tuple(page.evaluate("([x, y]) => app.maskEditor.toScreen([x, y])", [x, y]))


def _stroke(page: Any, *points: tuple[float, float]) -> None:
    page.mouse.move(*_at(page, *points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*_at(page, *p), steps=8)
    page.mouse.up()


def _mask(page: Any) -> np.ndarray:
    """How masked each pixel is (0-255), as the editor holds it."""
    flat = page.evaluate("() => Array.from(app.maskEditor.layer.coverage())")
    return np.array(flat, dtype=np.uint8).reshape(SIZE, SIZE)


def _brush(page: Any, size: int, hardness: int) -> None:
    page.locator(".me-toolbar input[name=size]").fill(str(size))
    page.locator(".me-toolbar input[name=hardness]").fill(str(hardness))


def _view(live_server: Any, ref: dict[str, str]) -> Image.Image:
    query = urlencode({"filename": ref["filename"], "subfolder": ref.get("subfolder", ""), "type": ref["type"]})
    return Image.open(io.BytesIO(live_server.get("/view?" + query)))


def test_brush_eraser_invert_clear_zoom_pan_and_undo(page: Any, live_server: Any, tmp_path: Path) -> None:
    loader = add_node(page, "load image", (80, 140))
    upload(page, loader, _picture(tmp_path, "mask tools.png"))
    _open_editor(page, loader)
    assert _mask(page).max() == 0  # an opaque picture has no mask yet
    _brush(page, 10, 100)
    _stroke(page, (8, 16), (56, 16))
    m = _mask(page)
    assert m[16, 30] == 255 and m[12, 30] == 255 and m[23, 30] == 0 and m[40, 30] == 0  # 10 px wide, hard
    # A soft brush: full in the middle, fading towards its rim.
    _brush(page, 20, 0)
    page.mouse.click(*_at(page, 16, 46))
    m = _mask(page)
    assert m[46, 16] > 200 and 0 < m[46, 22] < m[46, 18] and m[46, 27] == 0
    # The eraser takes mask away where it goes, and only there.
    page.keyboard.press("e")
    _brush(page, 6, 100)
    _stroke(page, (30, 6), (30, 26))
    m = _mask(page)
    assert m[16, 30] == 0 and m[16, 50] == 255
    page.keyboard.press("Control+z")
    assert _mask(page)[16, 30] == 255
    page.keyboard.press("Control+y")
    assert _mask(page)[16, 30] == 0

    before = _mask(page)
    page.click(".me-toolbar [data-act=invert]")
    assert np.array_equal(_mask(page), 255 - before)
    page.click(".me-toolbar [data-act=clear]")
    assert _mask(page).max() == 0
    page.click(".me-toolbar [data-act=undo]")
    assert np.array_equal(_mask(page), 255 - before)
    page.click(".me-toolbar [data-act=undo]")
    assert np.array_equal(_mask(page), before)

    # Zoom keeps the picture point under the pointer; painting then lands where the pointer is.
    page.keyboard.press("b")
    scale = page.evaluate("app.maskEditor.view.scale")
    page.mouse.move(*_at(page, 48, 48))
    under = "() => app.maskEditor.toImage(app.maskEditor.cursor).map((v) => Math.round(v * 1000) / 1000)"
    before = page.evaluate(under)
    page.mouse.wheel(0, -300)
    page.wait_for_function("(s) => app.maskEditor.view.scale > s * 1.3", arg=scale)
    after = page.evaluate(under)  # within the pixel the wheel event reports (its position is rounded)
    assert abs(after[0] - before[0]) < 0.1 and abs(after[1] - before[1]) < 0.1 and abs(before[0] - 48) < 0.5
    page.mouse.click(*_at(page, 48, 48))
    assert _mask(page)[48, 48] == 255
    # Right-drag pans (Space+drag and the middle button too): the picture moves with the pointer.
    start = _at(page, 0, 0)
    page.mouse.move(700, 400)
    page.mouse.down(button="right")
    page.mouse.move(640, 370, steps=5)
    page.mouse.up(button="right")
    moved = _at(page, 0, 0)
    assert [round(moved[0] - start[0]), round(moved[1] - start[1])] == [-60, -30]
    page.mouse.click(*_at(page, 58, 40))
    assert _mask(page)[40, 58] == 255

    # Escape closes without saving.
    page.keyboard.press("Escape")
    assert page.evaluate("app.maskEditor") is None
    assert widget_value(page, loader, "image") == "mask tools.png"


# Records the multipart forms the page posts (Chromium does not hand blob bodies to Playwright), then sends them.
RECORD_FORMS = """() => { const send = window.fetch; window.sentForms = [];
  window.fetch = async (url, init) => {
    if (init?.body instanceof FormData) {
      const fields = {};
      for (const [k, v] of init.body.entries()) {
        fields[k] = typeof v === 'string' ? [null, v] : [v.name, Array.from(new Uint8Array(await v.arrayBuffer()))];
      }
      window.sentForms.push({ url: String(url), fields });
    }
    return send(url, init);
  }; }"""


def test_painted_mask_saved_as_comfyui_and_inpaint_changes_only_inside_it(page: Any, live_server: Any,
                                                                           tmp_path: Path) -> None:
    workflow_menu(page, "Templates", "inpaint_painted")
    page.wait_for_function("app.workflowName === 'inpaint_painted'")
    pick_available_models(page)
    loader = node_ids(page, "LoadImage")[0]
    name = upload(page, loader, _picture(tmp_path, "to inpaint.png"))
    _open_editor(page, loader)
    _brush(page, 14, 100)
    _stroke(page, (40, 36), (56, 36), (56, 56), (40, 56))
    painted = _mask(page)
    page.evaluate(RECORD_FORMS)
    page.click(".me-toolbar [data-act=save]")
    page.wait_for_function("(id) => app.graph.nodes.get(id).widget('image').value.startsWith('clipspace/')",
                           arg=loader)
    # What ComfyUI's mask editor posts: the mask PNG, the picture it was painted on, into input/clipspace.
    [sent] = page.evaluate("window.sentForms")
    fields = sent["fields"]
    assert sent["url"].endswith("/upload/mask") and list(fields) == ["image", "original_ref", "type", "subfolder"]
    assert re.fullmatch(r"clipspace-mask-\d+\.png", fields["image"][0])
    assert json.loads(fields["original_ref"][1]) == {"filename": name, "type": "input"}
    assert fields["type"][1] == "input" and fields["subfolder"][1] == "clipspace"
    uploaded = np.asarray(Image.open(io.BytesIO(bytes(fields["image"][1]))).convert("RGBA"))
    assert np.array_equal(uploaded[..., 3], 255 - painted) and uploaded[..., :3].max() == 0
    value = widget_value(page, loader, "image")
    masked = np.asarray(_view(live_server, {"filename": value.split("/", 1)[1], "subfolder": "clipspace",
                                            "type": "input"}).convert("RGBA"))
    original = np.asarray(Image.open(tmp_path / "to inpaint.png").convert("RGB"))
    assert np.array_equal(masked[..., :3], original) and np.array_equal(masked[..., 3], 255 - painted)

    sampler = node_ids(page, "KSampler")[0]
    set_text(page, sampler, "steps", "2")
    page.keyboard.press("Control+Enter")
    assert wait_run(page, timeout=240000) == "done", page.inner_text("#toasts")
    save = node_ids(page, "SaveImage")[0]
    result = np.asarray(_view(live_server, page.evaluate("(id) => app.exec.outputs.get(id).images[0]", save))
                        .convert("RGB")).astype(int)
    outside, inside = painted == 0, painted == 255
    assert inside.sum() > 200 and outside.sum() > 2000
    assert np.array_equal(result[outside], original[outside])  # pixel for pixel outside the mask
    assert np.abs(result[inside] - original[inside]).mean() > 5  # repainted inside it


def test_comfyui_mask_opens_here_and_an_output_mask_goes_to_a_new_load_image(page: Any, live_server: Any,
                                                                               tmp_path: Path) -> None:
    # A mask made by ComfyUI's editor: the picture uploaded, then its mask through /upload/mask, and the Load
    # Image value written as ComfyUI writes it ("clipspace/<file> [input]"), in a workflow opened here.
    picture = _picture(tmp_path, "from comfyui.png")
    api = page.request
    up = api.post(live_server.url + "/upload/image", multipart={
        "image": {"name": picture.name, "mimeType": "image/png", "buffer": picture.read_bytes()}, "type": "input"})
    alpha = np.full((SIZE, SIZE, 4), 255, np.uint8)
    alpha[..., :3] = 0
    alpha[10:30, 20:50, 3] = 0
    buffer = io.BytesIO()
    Image.fromarray(alpha, "RGBA").save(buffer, format="PNG")
    made = api.post(live_server.url + "/upload/mask", multipart={
        "image": {"name": "clipspace-mask-123.png", "mimeType": "image/png", "buffer": buffer.getvalue()},
        "original_ref": json.dumps({"filename": up.json()["name"], "type": "input"}), "type": "input",
        "subfolder": "clipspace"}).json()
    loader = add_node(page, "load image", (80, 140))
    workflow = page.evaluate("app.workflowJSON()")
    workflow["nodes"][0]["widgets_values"] = [f"clipspace/{made['name']} [input]", "image"]
    path = tmp_path / "comfyui_mask.json"
    path.write_text(json.dumps(workflow))
    with page.expect_file_chooser() as chooser:
        workflow_menu(page, "Open…")
    chooser.value.set_files(str(path))
    page.wait_for_function("app.workflowName === 'comfyui_mask'")
    _open_editor(page, loader)
    m = _mask(page)
    assert (m[10:30, 20:50] == 255).all() and m.sum() == 255 * 20 * 30
    page.keyboard.press("Escape")

    # On an output, the masked picture goes to a new Load Image beside it.
    image = add_node(page, "empty image", (60, 500))
    preview = add_node(page, "preview image", (400, 500))
    connect(page, image, "IMAGE", preview, "images")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    _open_editor(page, preview)
    _brush(page, 8, 100)
    page.mouse.click(*_at(page, 20, 20))
    page.click(".me-toolbar [data-act=save]")
    page.wait_for_function("app.graph.nodes.size === 4")
    new = [n for n in node_ids(page, "LoadImage") if n != loader][0]
    value = widget_value(page, new, "image")
    assert value.startswith("clipspace/clipspace-mask-")
    shown = page.evaluate("(id) => app.exec.outputs.get(id).images[0]", preview)
    saved = np.asarray(_view(live_server, {"filename": value.split("/", 1)[1], "subfolder": "clipspace",
                                           "type": "input"}).convert("RGBA"))
    assert np.array_equal(saved[..., :3], np.asarray(_view(live_server, shown).convert("RGB")))
    assert saved[20, 20, 3] == 0 and saved[50, 50, 3] == 255
