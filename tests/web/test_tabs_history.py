"""Workflow tabs (opening never replaces work, closing unsaved work asks, undo across an open), the saved name
and the tabs surviving a reload, and history entries that say when, how long, what, and where a run stopped."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from editor_helpers import (
    add_node, connect, node_ids, sampler_chain, set_text, title_point, wait_history_shows_last_run, wait_run,
    widget_value, workflow_menu,
)


def _tabs(page: Any) -> list[str]:
    return page.eval_on_selector_all("#tabs .tab .tab-name", "els => els.map((e) => e.textContent)")


def _tab(page: Any, name: str) -> Any:
    return page.locator("#tabs .tab", has=page.locator(".tab-name", has_text=re.compile(rf"^{re.escape(name)}$")))


def test_opening_never_replaces_a_tab_and_closing_unsaved_work_asks(page: Any, live_server: Any,
                                                                     tmp_path: Path) -> None:
    workflow_menu(page, "Templates", "txt2img")  # the blank first tab takes it
    page.wait_for_function("app.graph.nodes.size > 0")
    assert _tabs(page) == ["txt2img"]
    sampler = node_ids(page, "KSampler")[0]
    set_text(page, sampler, "steps", "7")
    assert _tab(page, "txt2img").locator(".tab-dirty").inner_text() == "•"
    workflow_menu(page, "Templates", "img2img")
    page.wait_for_function("app.workflowName === 'img2img'")
    assert _tabs(page) == ["txt2img", "img2img"] and node_ids(page, "EmptyImage")
    _tab(page, "txt2img").click()
    assert widget_value(page, sampler, "steps") == 7  # the edit is still there, and so is its undo history
    page.keyboard.press("Control+z")
    assert widget_value(page, sampler, "steps") == 20
    page.keyboard.press("Control+y")
    assert widget_value(page, sampler, "steps") == 7

    # Closing the tab with unsaved changes asks; Cancel keeps it, Close without saving drops it.
    _tab(page, "txt2img").locator(".tab-close").click()
    page.click(".modal.choice [data-choice=cancel]")
    assert _tabs(page) == ["txt2img", "img2img"]
    _tab(page, "txt2img").locator(".tab-close").click()
    page.click(".modal.choice [data-choice=discard]")
    assert _tabs(page) == ["img2img"] and page.evaluate("app.workflowName") == "img2img"
    # A tab without changes closes at once.
    _tab(page, "img2img").locator(".tab-close").click()
    assert _tabs(page) == ["Unsaved workflow"] and page.evaluate("app.graph.nodes.size") == 0

    # Opening a file into the blank tab is one undo step: Ctrl+Z brings back what was there.
    add_node(page, "image invert", (200, 200))
    path = tmp_path / "other.json"
    path.write_text(json.dumps(page.evaluate("app.workflowJSON()")).replace("ImageInvert", "EmptyImage"))
    page.click("#tabs .tab-new")
    assert _tabs(page) == ["Unsaved workflow", "Unsaved workflow"]
    with page.expect_file_chooser() as chooser:
        workflow_menu(page, "Open…")
    chooser.value.set_files(str(path))
    page.wait_for_function("app.workflowName === 'other'")
    assert _tabs(page) == ["Unsaved workflow", "other"] and node_ids(page, "EmptyImage")
    page.keyboard.press("Control+z")
    assert page.evaluate("app.graph.nodes.size") == 0


def test_saved_name_and_tabs_come_back_after_a_reload(page: Any, live_server: Any) -> None:
    add_node(page, "primitive int", (100, 150))
    page.keyboard.press("Control+s")
    page.fill(".modal input", "kept name")
    page.keyboard.press("Enter")
    page.wait_for_function("app.files.name === 'kept name'")
    assert _tabs(page) == ["kept name"] and _tab(page, "kept name").locator(".tab-dirty").inner_text() == ""
    workflow_menu(page, "Templates", "txt2img")
    page.wait_for_function("app.workflowName === 'txt2img'")
    page.reload()
    page.wait_for_function("window.app && app.defs.list.length > 3 && app.tabs.list.length === 2")
    assert _tabs(page) == ["kept name", "txt2img"] and page.evaluate("app.workflowName") == "txt2img"
    _tab(page, "kept name").click()
    assert node_ids(page, "PrimitiveInt") and page.title() == "kept name - nodegraph"
    # Ctrl+S saves under the kept name at once, without asking for one.
    page.keyboard.press("Control+s")
    page.wait_for_function("document.querySelector('#toasts')?.innerText.includes('Saved kept name.json')")
    assert page.locator(".modal input").count() == 0


def test_a_run_shows_on_the_tab_that_queued_it(page: Any, live_server: Any) -> None:
    sampler, save = sampler_chain(page, steps=6, delay=0.2)
    page.keyboard.press("Control+Enter")
    page.wait_for_function("(id) => app.exec.running === id", arg=sampler, timeout=20000)
    page.click("#tabs .tab-new")  # another tab while it runs: the same node ids, none of the run's marks
    page.wait_for_function("app.tabs.list[0].exec.lastStatus === 'done'", timeout=30000)
    assert page.evaluate("[app.exec.lastStatus, app.exec.outputs.size, app.exec.previews.size]") == ["idle", 0, 0]
    page.locator("#tabs .tab").first.click()
    assert page.evaluate("app.exec.lastStatus") == "done"
    assert page.evaluate("(id) => app.exec.outputs.get(id).images.length", save) == 1


def test_history_shows_time_duration_summary_and_where_an_interrupted_run_stopped(page: Any,
                                                                                   live_server: Any) -> None:
    sampler, _ = sampler_chain(page, steps=3, delay=0.2)
    text = add_node(page, "string replace", (60, 480))
    show = add_node(page, "show text", (420, 480))
    connect(page, text, "STRING", show, "text")
    set_text(page, text, "string", "a lighthouse at dusk")
    page.keyboard.press("Control+Enter")
    assert wait_run(page) == "done"
    wait_history_shows_last_run(page)
    row = page.locator(".history-list .h-item").first
    assert row.locator(".h-status").inner_text() == "success"
    assert re.fullmatch(r"\d\d:\d\d:\d\d( [AP]M)?", row.locator(".h-time").inner_text())
    seconds = float(row.locator(".h-duration").inner_text().removesuffix(" s"))
    assert 0.5 <= seconds < 30  # three 0.2 s steps, and the rest of the run
    assert row.locator(".h-summary").inner_text() == "“a lighthouse at dusk” · 4 nodes"

    # An interrupted run is listed as interrupted, naming the node it stopped at by its title.
    page.mouse.dblclick(*title_point(page, sampler))
    page.fill(".modal input", "Slow sampler")
    page.keyboard.press("Enter")
    set_text(page, sampler, "steps", "400")
    set_text(page, sampler, "delay", "0.05")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("(id) => app.exec.running === id", arg=sampler, timeout=20000)
    page.click("[data-act=interrupt]")
    assert wait_run(page) == "interrupted"
    assert f"Run interrupted at Slow sampler #{sampler}" in page.inner_text("#toasts")
    wait_history_shows_last_run(page)
    row = page.locator(".history-list .h-item").first
    assert row.locator(".h-status").inner_text() == "interrupted"
    assert row.locator(".h-reason").inner_text() == f"stopped at Slow sampler #{sampler}"
