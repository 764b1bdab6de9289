"""What ComfyUI users expect of the canvas: a link dropped on a widget links exactly that input, workflows open
readable, "." fits everything, the minimap, the node library, node colours, Open/Save Image on outputs, and
display names wherever a node is named."""

from __future__ import annotations

from typing import Any

from editor_helpers import (
    add_node, add_reroute, choose, connect, drag, links, node_ids, set_text, socket_point, title_point, wait_run,
    widget_point, workflow_menu,
)

# Each widget of KSampler, the kind of output dropped on its middle, and the input that must get the link.
# "control after run" belongs to the seed; a reroute's output is untyped, so it can feed a combo.
KSAMPLER_DROPS = [("seed", "int", "seed"), ("control_after_generate", "int", "seed"), ("steps", "int", "steps"),
                  ("cfg", "float", "cfg"), ("sampler_name", "any", "sampler_name"), ("scheduler", "any", "scheduler"),
                  ("denoise", "float", "denoise")]
TEXT_ZOOM = 0.6  # web/fit.js


def _into(page: Any, node: int) -> list[list[Any]]:
    return [link for link in links(page) if link[2] == node]


def test_link_dropped_on_each_ksampler_widget_links_that_input(page: Any, live_server: Any) -> None:
    sampler = add_node(page, "ksampler", (560, 110))
    number = add_node(page, "primitive int", (60, 110))
    real = add_node(page, "primitive float", (60, 330))
    reroute = add_reroute(page, (120, 640))
    sources = {"int": (number, "INT"), "float": (real, "FLOAT"), "any": (reroute, "")}
    for widget, kind, expected in KSAMPLER_DROPS:
        origin, output = sources[kind]
        drag(page, socket_point(page, origin, output, False), widget_point(page, sampler, widget))
        assert _into(page, sampler) == [[origin, output, sampler, expected]], widget
        page.keyboard.press("Control+z")
        assert _into(page, sampler) == [], widget

    # A link of another type dropped on a widget links nothing, and says why.
    drag(page, socket_point(page, number, "INT", False), widget_point(page, sampler, "cfg"))
    assert _into(page, sampler) == []
    assert "Cannot connect INT to cfg (FLOAT)" in page.inner_text("#toasts")
    # On the title there is no input to guess: the widgets that would take it are named instead.
    drag(page, socket_point(page, number, "INT", False), title_point(page, sampler))
    assert _into(page, sampler) == []
    assert "Drop the link on the widget it should drive: seed, steps" in page.inner_text("#toasts")

    # The widget is converted: drawn as linked, and the prompt sends the link instead of its value.
    drag(page, socket_point(page, number, "INT", False), widget_point(page, sampler, "steps"))
    prompt = page.evaluate("async () => (await import('./workflow.js')).graphToPrompt(app.graph)")
    assert prompt[str(sampler)]["inputs"]["steps"] == [str(number), 0]
    assert prompt[str(sampler)]["inputs"]["seed"] == page.evaluate(
        "(id) => app.graph.nodes.get(id).widget('seed').value", sampler)


def _node_on_screen(page: Any, node: int) -> bool:
    return page.evaluate("""(id) => { const n = app.graph.nodes.get(id); const r = app.canvas.getBoundingClientRect();
        const [ax, ay] = app.toScreen([n.pos[0], n.pos[1] - 26]);
        const [bx, by] = app.toScreen([n.pos[0] + n.size[0], n.pos[1] + n.size[1]]);
        return ax >= 0 && ay >= 0 && bx <= r.width && by <= r.height; }""", node)


def _drawn(page: Any) -> dict[str, Any]:
    return page.evaluate("() => { app.renderer.draw(); return app.renderer.stats; }")


def test_templates_open_readable_dot_fits_all_and_the_minimap_moves_the_view(page: Any, live_server: Any) -> None:
    for name in ("txt2img", "inpaint"):
        workflow_menu(page, "Templates", name)
        page.wait_for_function("(n) => app.workflowName === n && app.graph.nodes.size > 0", arg=name)
        assert page.evaluate("app.view.scale") >= TEXT_ZOOM, name
        stats = _drawn(page)
        assert stats["detail"] and stats["titles"] == stats["nodesDrawn"] > 0, name
        first = page.evaluate("""() => [...app.graph.nodes.values()].sort((a, b) => a.pos[0] - b.pos[0]
            || a.pos[1] - b.pos[1])[0].id""")
        assert _node_on_screen(page, first), name  # it starts where the workflow starts
    count = page.evaluate("app.graph.nodes.size")
    assert page.evaluate("app.tabs.list.map((t) => t.name)") == ["txt2img", "inpaint"]

    # Off screen at the readable zoom; a click on its place in the minimap brings it into view.
    save = node_ids(page, "SaveImage")[0]
    assert not _node_on_screen(page, save)
    at = page.evaluate("""(id) => { const n = app.graph.nodes.get(id);
        const [x, y] = app.minimap.toMap([n.pos[0] + n.size[0] / 2, n.pos[1] + n.size[1] / 2]);
        const r = app.minimap.canvas.getBoundingClientRect(); return [r.left + x, r.top + y]; }""", save)
    page.mouse.click(*at)
    assert _node_on_screen(page, save)
    # Dragging in the minimap moves the view with the pointer.
    page.mouse.move(*at)
    page.mouse.down()
    page.mouse.move(at[0] - 60, at[1], steps=5)
    page.mouse.up()
    assert not _node_on_screen(page, save)

    # "." fits everything, however small; titles are still drawn, in a font grown to stay legible.
    assert page.evaluate("app.selected.size") == 0
    page.keyboard.press(".")
    assert page.evaluate("async () => (await import('./fit.js')).allVisible(app)")
    assert page.evaluate("app.view.scale") < TEXT_ZOOM
    stats = _drawn(page)
    assert not stats["detail"] and stats["nodesDrawn"] == count and stats["titles"] == count
    # With a selection, "." fits the selection.
    page.mouse.click(*title_point(page, save))
    page.keyboard.press(".")
    assert page.evaluate("app.view.scale") > 1.0 and _node_on_screen(page, save)


def test_node_library_browses_by_category_with_display_names(page: Any, live_server: Any) -> None:
    page.click("#btn-library")
    assert page.locator("#library").is_visible()
    page.locator(".lib-cat[data-category='loaders'] > summary").click()
    item = page.locator(".lib-cat[data-category='loaders'] > .lib-node", has_text="Load Checkpoint")
    assert item.get_attribute("data-type") == "CheckpointLoaderSimple"
    assert "CheckpointLoaderSimple" not in page.inner_text(".lib-cat[data-category='loaders']")
    item.click()  # a click adds it in the middle of the view
    added = page.evaluate("[...app.selected][0]")
    assert page.evaluate("(id) => [app.graph.nodes.get(id).type, app.graph.nodes.get(id).title]", added) == \
        ["CheckpointLoaderSimple", "Load Checkpoint"]
    # A drag puts it where it is dropped.
    page.locator(".lib-cat[data-category='sampling'] > summary").click()
    box = page.locator(".lib-cat[data-category='sampling'] > .lib-node[data-type='KSampler']").bounding_box()
    drag(page, (box["x"] + 20, box["y"] + box["height"] / 2), (800, 500), steps=10)
    dropped = page.evaluate("[...app.selected][0]")
    assert page.evaluate("(id) => app.graph.nodes.get(id).type", dropped) == "KSampler"
    world = page.evaluate("""() => { const r = app.canvas.getBoundingClientRect();
        return app.toWorld([800 - r.left, 500 - r.top]); }""")
    assert page.evaluate("(id) => app.graph.nodes.get(id).pos", dropped) == [round(world[0]), round(world[1])]
    # The filter finds nodes by display name, fuzzily.
    page.fill(".lib-filter", "vae dec")
    assert page.locator(".lib-node").first.get_attribute("data-type") == "VAEDecode"
    page.mouse.click(1000, 700)
    page.keyboard.press("n")
    assert page.locator("#library").is_hidden()


def test_execution_error_names_the_node_by_its_display_name(page: Any, live_server: Any) -> None:
    math = add_node(page, "math int", (60, 140))
    text = add_node(page, "tostring", (400, 140))
    show = add_node(page, "show text", (700, 140))
    connect(page, math, "INT", text, "value")
    connect(page, text, "STRING", show, "text")
    set_text(page, math, "a", "3")
    choose(page, math, "operation", "divide")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "error"
    assert f"Math (Int) #{math} failed" in page.inner_text("#toasts")


def test_node_colours_and_open_or_save_an_output_image(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (60, 140))
    save = add_node(page, "save image", (420, 140))
    connect(page, image, "IMAGE", save, "images")
    set_text(page, image, "width", "24")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    ref = page.evaluate("(id) => app.exec.outputs.get(id).images[0]", save)

    page.mouse.click(*title_point(page, save), button="right")
    with page.context.expect_page() as opened:
        page.locator(".menu-item", has_text="Open Image").click()
    assert f"filename={ref['filename']}" in opened.value.url and "type=output" in opened.value.url
    opened.value.close()
    page.mouse.click(*title_point(page, save), button="right")
    with page.expect_download() as download:
        page.locator(".menu-item", has_text="Save Image").click()
    assert download.value.suggested_filename == ref["filename"]

    # Colours apply to the whole selection and are saved as ComfyUI saves them.
    page.mouse.click(*title_point(page, image))
    page.keyboard.down("Shift")
    page.mouse.click(*title_point(page, save))
    page.keyboard.up("Shift")
    page.mouse.click(*title_point(page, save), button="right")
    page.locator(".menu-item", has_text="Colors").hover()
    page.locator(".menu-item", has_text="red").click()
    saved = page.evaluate("async () => (await import('./workflow.js')).serialize(app.graph, app.view)")
    assert {n["id"]: (n.get("color"), n.get("bgcolor")) for n in saved["nodes"]} == \
        {image: ("#322", "#533"), save: ("#322", "#533")}
    page.mouse.click(*title_point(page, image), button="right")
    page.locator(".menu-item", has_text="Colors").hover()
    page.locator(".menu-item", has_text="No color").click()
    assert page.evaluate("(id) => app.graph.nodes.get(id).color", image) is None
