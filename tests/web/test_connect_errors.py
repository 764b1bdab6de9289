"""Connecting sockets (only compatible ones), dropping a link on empty canvas, and errors shown on nodes."""

from __future__ import annotations

from typing import Any

from editor_helpers import add_node, choose, connect, drag, links, set_text, socket_point, wait_run, widget_point


def test_incompatible_sockets_dim_and_are_refused(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (60, 140))
    show = add_node(page, "show text", (500, 140))
    invert = add_node(page, "image invert", (500, 400))
    start = socket_point(page, image, "IMAGE", False)
    target = socket_point(page, show, "text", True)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*target, steps=6)
    # While dragging an IMAGE link, the STRING-only node is dimmed and the IMAGE node is not.
    assert page.evaluate("(id) => app.renderer.acceptsDrag(app.graph.nodes.get(id))", show) is False
    assert page.evaluate("(id) => app.renderer.acceptsDrag(app.graph.nodes.get(id))", invert) is True
    page.mouse.up()
    assert links(page) == []
    assert "Cannot connect IMAGE to STRING" in page.inner_text("#toasts")
    connect(page, image, "IMAGE", invert, "image")
    assert links(page) == [[image, "IMAGE", invert, "image"]]


def test_link_dropped_on_empty_canvas_offers_matching_nodes(page: Any, live_server: Any) -> None:
    image = add_node(page, "empty image", (60, 140))
    page.mouse.move(*socket_point(page, image, "IMAGE", False))
    page.mouse.down()
    page.mouse.move(700, 500, steps=6)
    page.mouse.up()
    page.wait_for_selector(".search li")
    assert "type IMAGE" in page.inner_text(".search-hint")
    offered = page.eval_on_selector_all(".search li", "els => els.map(e => e.dataset.type)")
    assert "SaveImage" in offered and "ImageInvert" in offered
    assert "ShowText" not in offered and "PrimitiveInt" not in offered
    page.keyboard.type("save image")
    page.keyboard.press("Enter")
    save = page.evaluate("[...app.selected][0]")
    assert page.evaluate("(id) => app.graph.nodes.get(id).type", save) == "SaveImage"
    assert links(page) == [[image, "IMAGE", save, "images"]]


def test_validation_error_shown_on_the_failing_node_and_input(page: Any, live_server: Any) -> None:
    invert = add_node(page, "image invert", (300, 140))
    preview = add_node(page, "preview image", (600, 140))
    connect(page, invert, "IMAGE", preview, "images")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("app.exec.errors.size > 0")
    errors = page.evaluate(
        "JSON.stringify([...app.exec.errors].map(([id, e]) => [id, e.message, [...e.inputs.keys()]]))")
    assert errors == f'[[{invert},"Required input is missing: image",["image"]]]'
    assert "Required input is missing" in page.inner_text("#toasts")
    assert page.evaluate("(id) => app.renderer.nodeOutline(app.graph.nodes.get(id))[0]", invert) == "#ff4444"
    assert page.evaluate("(id) => app.renderer.nodeOutline(app.graph.nodes.get(id))[0]", preview) != "#ff4444"


def test_execution_error_names_node_and_input(page: Any, live_server: Any) -> None:
    math = add_node(page, "math int", (60, 140))
    text = add_node(page, "tostring", (400, 140))
    show = add_node(page, "show text", (700, 140))
    connect(page, math, "INT", text, "value")
    connect(page, text, "STRING", show, "text")
    set_text(page, math, "a", "7")
    choose(page, math, "operation", "divide")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "error"
    error = page.evaluate(
        "(id) => { const e = app.exec.errors.get(id); return e && [e.message, [...e.inputs.keys()]]; }", math)
    assert error is not None and "divide by zero" in error[0]
    assert error[1] == ["b"]


def test_link_dropped_on_a_widget_drives_it(page: Any, live_server: Any) -> None:
    number = add_node(page, "primitive int", (60, 140))
    math = add_node(page, "math int", (360, 140))
    text = add_node(page, "tostring", (660, 140))
    show = add_node(page, "show text", (660, 400))
    set_text(page, number, "value", "5")
    set_text(page, math, "b", "3")
    # The widget's socket only appears while a matching link is dragged; drop onto the widget's left end.
    drag(page, socket_point(page, number, "INT", False), widget_point(page, math, "a", "left"))
    assert [number, "INT", math, "a"] in links(page)
    connect(page, math, "INT", text, "value")
    connect(page, text, "STRING", show, "text")
    prompt = page.evaluate("async () => (await import('./workflow.js')).graphToPrompt(app.graph)")
    assert prompt[str(math)]["inputs"] == {"a": [str(number), 0], "b": 3, "operation": "add"}
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    page.wait_for_function("(id) => app.exec.outputs.get(id)?.text", arg=show)
    assert page.evaluate("(id) => app.exec.outputs.get(id).text", show) == ["8"]
