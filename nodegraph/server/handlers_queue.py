"""Handlers for prompts, the queue, interrupts and history (ComfyUI's shapes, plus /run and pause)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..core import previews
from ..core.errors import error, node_errors_entry
from ..core.limits import InputRefused
from ..core.validate import Validated, validate
from ..queue import DuplicatePromptId
from .bodies import error_body, fail, raise_with, read_json, refuse
from .state import STATE, State

MAX_PROMPT_ID = 256  # characters in a prompt_id or client_id
MAX_NUMBER = 2**53  # a queue position beyond this is not exact as a JavaScript number
MAX_QUERY_INT = 2**53


@dataclass
class Submission:
    prompt_id: str
    validated: Validated
    extra_data: dict[str, Any]
    number: float | None
    front: bool


def _workflow_module() -> Any:
    """nodegraph.workflow, imported on first use (and None if this install lacks the converter)."""
    try:
        from .. import workflow
        from ..workflow import WorkflowError, kind, ui_to_api  # noqa: F401 - the API this module needs
    except ImportError:
        return None
    return workflow


async def _as_api(state: State, raw: Any, extra_data: dict[str, Any]) -> Any:
    """A UI workflow is converted here, on the server; the browser is never needed to run one."""
    workflow = _workflow_module()
    if workflow is not None:
        kind = workflow.kind(raw)
    else:
        kind = "ui" if isinstance(raw, dict) and isinstance(raw.get("nodes"), list) else "api"
    if kind != "ui":
        return raw
    if workflow is None:
        fail(400, "invalid_prompt", "This server cannot convert UI workflows (nodegraph.workflow is missing)",
             "send the API format instead")
    try:
        api = await asyncio.to_thread(workflow.ui_to_api, raw, state.registry, state.config.limits)
    except InputRefused as exc:  # over the node or nesting limit: refused before converting anything
        refuse(exc)
    except workflow.WorkflowError as exc:
        body = error_body("invalid_workflow", "The UI workflow could not be converted to a prompt", str(exc))
        # Shaped like validation's node_errors, so an editor outlines every node at fault.
        body["node_errors"] = {node_id: node_errors_entry(node_type, [error("invalid_workflow", message)])
                               for node_id, node_type, message in exc.nodes}
        raise_with(400, body)
    pnginfo = extra_data.setdefault("extra_pnginfo", {})
    if isinstance(pnginfo, dict):
        pnginfo.setdefault("workflow", raw)
    return api


def _field(body: dict[str, Any], name: str, kinds: tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds):
        fail(400, "invalid_prompt", f"'{name}' must be {what}", f"got {type(value).__name__}")
    return value


def _refuse_if_stalled(state: State) -> None:
    """Work the queue cannot run is refused, with the reason, instead of accepted and left to wait."""
    reason = state.stalled()
    if reason is not None:
        fail(503, "queue_stalled", "The queue is stalled: prompts cannot run until its database works again",
             reason)


def _short_string(body: dict[str, Any], name: str) -> str | None:
    value = _field(body, name, (str,), "a string")
    if value is not None and len(value) > MAX_PROMPT_ID:
        fail(400, "invalid_prompt", f"'{name}' is longer than {MAX_PROMPT_ID} characters")
    return value


def _targets(body: dict[str, Any], state: State) -> list[str] | None:
    targets = _field(body, "partial_execution_targets", (list,), "a list of node ids")
    if targets is None:
        return None
    if len(targets) > state.config.max_prompt_nodes or not all(
            isinstance(t, (str, int)) and not isinstance(t, bool) and len(str(t)) <= MAX_PROMPT_ID for t in targets):
        fail(400, "invalid_prompt", "'partial_execution_targets' must be a list of node ids",
             f"at most {state.config.max_prompt_nodes:,} ids of at most {MAX_PROMPT_ID} characters each")
    return [str(t) for t in targets]


async def _read_submission(request: web.Request) -> Submission:
    state = request.app[STATE]
    _refuse_if_stalled(state)
    # ComfyUI packs' on_prompt handlers (PromptServer.instance.add_on_prompt_handler) see the body first.
    body = state.engine.comfy.on_prompt(await read_json(request))
    if "prompt" not in body:
        raise_with(400, error_body("no_prompt", "No prompt provided", "the body needs a 'prompt' object"))
    extra_data = dict(_field(body, "extra_data", (dict,), "an object") or {})
    try:
        previews.requested(extra_data)
    except ValueError as exc:
        fail(400, "invalid_prompt", str(exc))
    client_id = _short_string(body, "client_id")
    if client_id is not None:
        extra_data["client_id"] = client_id
    extra_data["create_time"] = int(time.time() * 1000)  # as ComfyUI: the jobs list sorts and shows it
    prompt_id = _short_string(body, "prompt_id") or uuid.uuid4().hex
    number = _field(body, "number", (int, float), "a number")
    if number is not None and abs(number) > MAX_NUMBER:
        fail(400, "invalid_prompt", f"'number' must be between -2**53 and 2**53, got {number:.3g}")
    targets = _targets(body, state)
    raw = await _as_api(state, body["prompt"], extra_data)
    validated = await asyncio.to_thread(validate, raw, state.registry, targets, state.config.limits)
    if not validated.ok:
        raise_with(400, validated.body())
    return Submission(prompt_id, validated, extra_data, number, bool(body.get("front")))


async def _enqueue(state: State, sub: Submission) -> float:
    assert state.store is not None and state.worker is not None and state.hub is not None
    try:
        # Off the event loop: a commit may wait for a WAL checkpoint's fsync.
        number = await asyncio.to_thread(state.store.put, sub.prompt_id, sub.validated.prompt, sub.extra_data,
                                         sub.validated.outputs, number=sub.number, front=sub.front)
    except DuplicatePromptId as exc:
        fail(400, "duplicate_prompt_id", str(exc), "choose a new prompt_id for each submission")
    state.worker.wake()
    state.hub.outbox.put_nowait(("status",))
    return number


def _number(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


async def post_prompt(request: web.Request) -> web.Response:
    sub = await _read_submission(request)
    number = await _enqueue(request.app[STATE], sub)
    return web.json_response({"prompt_id": sub.prompt_id, "number": _number(number),
                              "node_errors": sub.validated.node_errors})


async def run_prompt(request: web.Request) -> web.Response:
    """Queue a prompt and answer when it has finished, with its outputs and per-node cache report."""
    state = request.app[STATE]
    sub = await _read_submission(request)
    future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    state.waiters.setdefault(sub.prompt_id, []).append(future)
    try:
        number = await _enqueue(state, sub)
        entry = await future
    finally:
        waiting = state.waiters.get(sub.prompt_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            state.waiters.pop(sub.prompt_id, None)
    messages = entry["status"]["messages"]
    last = messages[-1] if messages else ["execution_error", {}]
    outcome = {"execution_success": "success", "execution_interrupted": "interrupted",
               "execution_cancelled": "cancelled"}.get(last[0], "error")
    return web.json_response({
        "prompt_id": sub.prompt_id, "number": _number(number), "status": outcome,
        "outputs": entry["outputs"], "nodes": entry.get("nodes", {}),
        "error": last[1] if outcome != "success" else None, "node_errors": sub.validated.node_errors,
    })


async def get_prompt(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].status())


async def get_queue(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None and state.worker is not None
    return web.json_response({"queue_running": [j.item() for j in state.store.running()],
                              "queue_pending": [j.item() for j in state.store.pending()],
                              "paused": state.worker.paused})


async def post_queue(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None and state.hub is not None
    body = await read_json(request)
    removed: list[str] = []
    if body.get("clear"):
        removed += state.store.clear_pending()
    if "delete" in body:
        ids = body["delete"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            fail(400, "invalid_request", "'delete' must be a list of prompt ids")
        removed += state.store.delete_pending(ids)
    removed_from_queue(state, removed)
    return web.Response(status=200)


def removed_from_queue(state: State, removed: list[str]) -> None:
    """After pending prompts were deleted: a /run waiting for one gets its answer, clients a new status."""
    assert state.hub is not None
    for prompt_id in removed:
        for future in state.waiters.pop(prompt_id, []):
            if not future.done():
                future.set_result({"outputs": {}, "nodes": {}, "status": {"messages": [
                    ["execution_cancelled", {"prompt_id": prompt_id, "reason": "removed from the queue"}]]}})
    state.hub.outbox.put_nowait(("status",))


async def _set_paused(request: web.Request, paused: bool) -> web.Response:
    state = request.app[STATE]
    assert state.worker is not None and state.hub is not None
    state.worker.set_paused(paused)
    state.hub.outbox.put_nowait(("status",))
    return web.json_response(state.status())


async def pause(request: web.Request) -> web.Response:
    return await _set_paused(request, True)


async def resume(request: web.Request) -> web.Response:
    return await _set_paused(request, False)


async def interrupt(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.worker is not None
    body = await read_json(request, allow_empty=True)
    prompt_id = body.get("prompt_id")
    if prompt_id is not None and not isinstance(prompt_id, str):
        fail(400, "invalid_request", "'prompt_id' must be a string")
    state.worker.interrupt(prompt_id)
    return web.Response(status=200)


def _int_query(request: web.Request, name: str, default: int | None) -> int | None:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text) if len(text) <= 20 else MAX_QUERY_INT + 1
    except ValueError:
        fail(400, "invalid_request", f"'{name}' must be an integer", f"got {text[:40]!r}")
    if abs(value) > MAX_QUERY_INT:
        fail(400, "invalid_request", f"'{name}' must be between -2**53 and 2**53", f"got {text[:40]!r}")
    return value


async def get_history(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None
    max_items = _int_query(request, "max_items", None)
    offset = _int_query(request, "offset", -1)
    if max_items is not None and max_items < 0:
        fail(400, "invalid_request", "'max_items' must not be negative")
    return web.json_response(state.store.history(max_items, offset if offset is not None else -1))


async def get_history_entry(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None
    prompt_id = request.match_info["prompt_id"]
    entry = state.store.history_entry(prompt_id)
    return web.json_response({prompt_id: entry} if entry is not None else {})


async def post_history(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None
    body = await read_json(request)
    if body.get("clear"):
        state.store.clear_history()
    if "delete" in body:
        ids = body["delete"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            fail(400, "invalid_request", "'delete' must be a list of prompt ids")
        state.store.delete_history(ids)
    return web.Response(status=200)
