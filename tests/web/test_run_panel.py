"""Watching a run (running node, progress, live previews, seed moving after the run) and the queue/history
panel (re-open a past run, interrupt, clear), with a model-free sampler plugin from fixtures/."""

from __future__ import annotations

from typing import Any

from editor_helpers import sampler_chain, set_text, wait_history_shows_last_run, wait_run, widget_value


def _sampler_graph(page: Any, steps: int, delay: float) -> tuple[int, int]:
    sampler, save = sampler_chain(page, steps, delay)
    set_text(page, sampler, "seed", "5")
    return sampler, save


def test_running_node_progress_preview_and_seed(page: Any, live_server: Any) -> None:
    sampler, save = _sampler_graph(page, steps=8, delay=0.25)
    assert widget_value(page, sampler, "control_after_generate") == "randomize"
    page.keyboard.press("Control+Enter")
    page.wait_for_function("(id) => app.exec.running === id", arg=sampler, timeout=20000)
    page.wait_for_function("(id) => (app.exec.progress.get(id)?.value ?? 0) >= 2", arg=sampler, timeout=20000)
    page.wait_for_function("(id) => app.exec.previews.get(id)?.naturalWidth === 48", arg=sampler, timeout=20000)
    assert page.evaluate("(id) => app.renderer.nodeOutline(app.graph.nodes.get(id))[0]", sampler) == "#46e05c"
    assert wait_run(page) == "done"
    assert widget_value(page, sampler, "seed") != 5  # randomized after queueing, as ComfyUI does
    assert page.evaluate("(id) => app.exec.outputs.get(id).images.length", save) == 1

    # The history panel re-opens the run as it was queued (seed 5) with its image on the save node.
    page.click("#menu-workflow")
    page.locator(".menu-item", has_text="New").click()
    wait_history_shows_last_run(page)
    page.locator(".history-list .h-item").first.locator(".h-open").click()
    page.wait_for_function("app.graph.nodes.size === 2")
    reopened = page.evaluate(
        "[...app.graph.nodes.values()].find((n) => n.type === 'EditorSampler').widget('seed').value")
    assert reopened == 5
    assert page.evaluate("[...app.exec.outputs.values()][0].images.length") == 1
    assert page.locator(".history-list .h-item").first.locator("img").count() == 1


def test_interrupt_and_clear_queue(page: Any, live_server: Any) -> None:
    sampler, _ = _sampler_graph(page, steps=400, delay=0.05)
    for _ in range(3):
        page.keyboard.press("Control+Enter")
        page.wait_for_timeout(150)
    page.wait_for_function("(id) => app.exec.running === id", arg=sampler, timeout=20000)
    page.wait_for_selector(".queue-list .q-item.pending")
    page.click("[data-act=clear]")
    page.wait_for_function("!document.querySelector('.queue-list .q-item.pending')")
    assert live_server.get("/queue")["queue_pending"] == []
    page.click("[data-act=interrupt]")
    assert wait_run(page) == "interrupted"
    page.wait_for_function("!document.querySelector('.queue-list .q-item')")
