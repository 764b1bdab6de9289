"""ComfyUI's official frontend (comfyui-frontend-package, pinned in the dev extra) served by
`--front-end comfyui` in front of a real server with the shipped model, driven as a user would: it loads
with no failed /api/ request, opens the shipped txt2img through Menu > File > Open, runs it and shows the
saved image and the run in its job queue; then it opens the shipped inpaint_painted the same way, a picture
uploaded through its Load Image widget gets a mask painted in the mask editor, and the run repaints the
painted region only. One server and one page for the whole story."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from nodegraph.config import Config
from web_server import REPO_ROOT, LiveServer, serve_in_thread

pytest.importorskip("comfyui_frontend_package", reason="needs the ComfyUI frontend: pip install 'nodegraph[comfyui]'")

# Canvas coordinates to page coordinates, through the frontend's own transform.
CLIENT = """([x, y]) => { const c = app.canvas; const r = c.canvas.getBoundingClientRect();
  const [cx, cy] = c.ds.convertOffsetToCanvas([x, y]); return [r.left + cx, r.top + cy]; }"""

# An image of the page (not only a request) shows the file: loaded, 64 pixels wide.
SHOWN = "(name) => [...document.images].some((i) => i.src.includes(name) && i.naturalWidth === 64)"


@pytest.fixture(scope="module")
def comfyui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = Config(base_dir=tmp_path_factory.mktemp("comfyui-base"), front_end="comfyui", device="cpu")
    yield from serve_in_thread(config, None)


def open_workflow(page: Any, path: Path) -> None:
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("menuitem", name="File").hover()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("menuitem", name="Open").click()
    chooser.value.set_files(str(path))
    page.wait_for_function("(n) => app.graph.nodes.length === n", arg=len(json.loads(path.read_text())["nodes"]))


def run_and_wait_for(page: Any, prefix: str) -> Any:
    """Press Run; the response of the saved image the page then shows."""
    with page.expect_response(lambda r: "/api/view" in r.url and f"filename={prefix}" in r.url,
                              timeout=120_000) as shown:
        page.get_by_role("button", name="Run", exact=True).click()
    return shown.value


def paint_bottom_right(page: Any) -> None:
    """Strokes over the bottom-right quarter of the mask editor's drawing canvas."""
    box = page.locator("canvas.z-30").bounding_box()
    for row in range(6):
        y = box["y"] + box["height"] * (0.55 + row * 0.08)
        page.mouse.move(box["x"] + box["width"] * 0.55, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.97, y, steps=12)
        page.mouse.up()


@pytest.mark.slow
def test_the_official_frontend_loads_runs_txt2img_and_inpaints_a_painted_mask(
        browser: Any, comfyui_server: LiveServer, tmp_path: Path) -> None:
    base = comfyui_server.config.base_dir
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    # HTTP errors from our API (requests the page abandons without reading, and the frontend's calls to
    # comfy.org, which this offline machine cannot reach, are not answers of this server).
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.request.method} {r.url}")
            if r.status >= 400 and urlparse(r.url).path.startswith("/api/") else None)
    page.goto(comfyui_server.url + "/")
    page.wait_for_function("window.app && window.app.graph && !document.querySelector('#splash-loader')",
                           timeout=120_000)
    page.keyboard.press("Escape")  # the template browser it opens on a first start

    open_workflow(page, REPO_ROOT / "workflows" / "txt2img.json")
    assert page.evaluate("app.graph.getNodeById(5).title") == "Empty Latent Image"
    shown = run_and_wait_for(page, "txt2img_")
    saved = base / "output" / "txt2img_00001_.png"
    assert shown.status == 200 and shown.body() == saved.read_bytes()
    page.wait_for_function("app.nodeOutputs['9']?.images?.[0]?.filename === 'txt2img_00001_.png'")
    page.get_by_role("button", name="Expand job queue").click()
    page.get_by_text("txt2img_00001_.png").first.wait_for()  # the run, in the queue panel, with its image
    page.wait_for_function(SHOWN, arg="txt2img_00001_")

    open_workflow(page, REPO_ROOT / "workflows" / "inpaint_painted.json")
    # Its Load Image sits at the top left, its title under the tab bar: bring it to the middle of the canvas.
    page.evaluate("app.canvas.centerOnNode(app.graph.getNodeById(1)); app.canvas.setDirty(true, true)")
    (x, y), (width, _), widget_y = page.evaluate("""(() => { const n = app.graph.getNodeById(1);
        return [n.pos, n.size, n.widgets.find((w) => w.name === 'upload').y]; })()""")
    upload = tmp_path / "my_picture.png"
    shutil.copy(saved, upload)
    with page.expect_file_chooser() as chooser:
        page.mouse.click(*page.evaluate(CLIENT, [x + width / 2, y + widget_y + 12]))
    chooser.value.set_files(str(upload))
    page.wait_for_function("app.graph.getNodeById(1).widgets[0].value === 'my_picture.png'")
    assert (base / "input" / "my_picture.png").read_bytes() == saved.read_bytes()

    page.mouse.click(*page.evaluate(CLIENT, [x + 40, y - 15]), button="right")
    page.locator(".litemenu-entry", has_text="Open in MaskEditor").click()
    page.locator("canvas.z-30").wait_for()
    paint_bottom_right(page)
    page.locator("[role=dialog] button", has_text="Save").first.click()
    page.wait_for_function("app.graph.getNodeById(1).widgets[0].value.startsWith('clipspace-painted-masked')")
    masked = page.evaluate("app.graph.getNodeById(1).widgets[0].value").removesuffix(" [input]")
    alpha = np.asarray(Image.open(base / "input" / masked).getchannel("A"))
    assert alpha[48:, 48:].max() == 0 and alpha[:24, :24].min() == 255  # painted = transparent = masked

    shown = run_and_wait_for(page, "inpaint_")
    result = np.asarray(Image.open(io.BytesIO(shown.body())).convert("RGB")).astype(int)
    picture = np.asarray(Image.open(saved).convert("RGB")).astype(int)
    assert np.array_equal(result[:24, :24], picture[:24, :24])  # composited through the mask: kept exactly
    assert np.abs(result[48:, 48:] - picture[48:, 48:]).max() > 40  # the painted corner was repainted
    page.get_by_text("inpaint_00001_.png").first.wait_for()
    page.wait_for_function(SHOWN, arg="inpaint_00001_")
    context.close()
    assert failed == [], f"the frontend's /api/ requests that failed: {failed}"
