"""Widgets driven by the mouse (number arrows and drag, slider, toggle, combo, multiline text, image upload
with thumbnail) and the node library (fuzzy search by name, category and type; the category menu)."""

from __future__ import annotations

import io
from typing import Any

from editor_helpers import add_node, drag, set_text, widget_point, widget_value
from PIL import Image


def test_number_slider_toggle_combo_and_text(page: Any, live_server: Any) -> None:
    math = add_node(page, "math int", (60, 140))
    page.mouse.click(*widget_point(page, math, "a", "right"))
    page.mouse.click(*widget_point(page, math, "a", "right"))
    page.mouse.click(*widget_point(page, math, "b", "left"))
    assert [widget_value(page, math, "a"), widget_value(page, math, "b")] == [2, -1]
    centre = widget_point(page, math, "a")
    drag(page, centre, (centre[0] + 60, centre[1]))  # 6 px per step
    assert widget_value(page, math, "a") == 12
    page.mouse.click(*widget_point(page, math, "operation", "right"))
    assert widget_value(page, math, "operation") == "subtract"
    page.mouse.click(*widget_point(page, math, "operation"))
    page.locator(".combo-menu .menu-item", has_text="modulo").click()
    assert widget_value(page, math, "operation") == "modulo"

    blend = add_node(page, "image blend", (420, 140))
    left = widget_point(page, blend, "blend_factor", "left")
    right = widget_point(page, blend, "blend_factor", "right")
    drag(page, widget_point(page, blend, "blend_factor"), (left[0] + (right[0] - left[0]) * 0.25 + 8, left[1]))
    assert 0.1 < widget_value(page, blend, "blend_factor") < 0.4

    flag = add_node(page, "primitive boolean", (60, 420))
    page.mouse.click(*widget_point(page, flag, "value"))
    assert widget_value(page, flag, "value") is True
    text = add_node(page, "primitive string multiline", (420, 420))
    set_text(page, text, "value", "two\nlines")
    assert widget_value(page, text, "value") == "two\nlines"
    page.keyboard.press("Control+z")
    assert widget_value(page, text, "value") == ""


def test_image_upload_shows_thumbnail(page: Any, live_server: Any, tmp_path: Any) -> None:
    picture = tmp_path / "upload me.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture)
    load = add_node(page, "load image", (60, 140))
    with page.expect_file_chooser() as chooser:
        page.mouse.click(*widget_point(page, load, "upload"))
    chooser.value.set_files(str(picture))
    # The widget first shows whatever the input folder already holds (other tests' files): wait for the upload.
    page.wait_for_function("(id) => String(app.graph.nodes.get(id).widget('image').value).startsWith('upload me')",
                           arg=load)
    name = widget_value(page, load, "image")
    assert name.startswith("upload me") and name.endswith(".png")
    page.wait_for_function(
        """(id) => { const name = app.graph.nodes.get(id).widget('image').value;
        const img = app.images.get(app.api.viewUrl({ filename: name, type: 'input' }));
        return img.complete && img.naturalWidth === 40; }""", arg=load)
    assert (live_server.config.input_dir / name).is_file()
    # R fetches the node definitions again: the server now lists the upload among the input images.
    page.keyboard.press("r")
    page.wait_for_function("(n) => [...app.graph.nodes.values()][0].widget('image').options.values.includes(n)"
                           " && app.defs.get('LoadImage').input.required.image[0].includes(n)", arg=name)
    assert widget_value(page, load, "image") == name


def test_image_dropped_on_a_load_image_node_is_uploaded_into_it(page: Any, live_server: Any) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 20), (20, 160, 60)).save(buffer, format="PNG")
    load = add_node(page, "load image", (60, 140))
    at = widget_point(page, load, "image")
    page.evaluate(
        """([bytes, x, y]) => { const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
        app.canvas.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, clientX: x, clientY: y, bubbles: true,
        cancelable: true })); }""", [list(buffer.getvalue()), at[0], at[1] + 40])
    page.wait_for_function("(id) => app.graph.nodes.get(id).widget('image').value.startsWith('dropped')", arg=load)
    assert page.evaluate("app.graph.nodes.size") == 1  # the image went into the node, no workflow was loaded
    assert (live_server.config.input_dir / widget_value(page, load, "image")).is_file()


def _search(page: Any, query: str) -> list[str]:
    page.mouse.dblclick(700, 600)
    page.wait_for_selector(".search input")
    page.keyboard.type(query)
    found = page.eval_on_selector_all(".search li", "els => els.map(e => e.dataset.type)")
    page.keyboard.press("Escape")
    return found


def test_search_by_name_category_and_type_and_category_menu(page: Any, live_server: Any) -> None:
    assert _search(page, "imginv")[0] == "ImageInvert"  # fuzzy: letters in order
    assert _search(page, "Show Text")[0] == "ShowText"
    by_category = _search(page, "utils/math")
    assert {"MathInt", "MathFloat"} <= set(by_category[:4])
    assert "ImageInvert" not in by_category
    by_type = _search(page, "CONDITIONING")
    assert "CLIPTextEncode" in by_type and "KSampler" in by_type
    assert all(page.evaluate("""(t) => { const e = app.defs.list.find((x) => x.name === t);
        return [...e.inTypes, ...e.outTypes].includes('CONDITIONING'); }""", t) for t in by_type)
    assert _search(page, "out:IMAGE decode")[0] == "VAEDecode"
    assert "SaveImage" not in _search(page, "out:IMAGE")
    page.click("#menu-add")
    page.locator(".menu-item", has_text="image").first.hover()
    page.locator(".menu-item", has_text="Invert Image Colors").click()  # ComfyUI's display name
    assert page.evaluate("[...app.graph.nodes.values()].map((n) => n.type)") == ["ImageInvert"]
