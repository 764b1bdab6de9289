"""Reading JSON request bodies, and HTTP errors in ComfyUI's `{error: {type, message, ...}}` shape."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from aiohttp import web

log = logging.getLogger(__name__)

# JSON bodies (prompts, settings) are far smaller than uploads; a prompt of 100,000 nodes is ~20 MB.
MAX_JSON_BYTES = 64 * 2**20


def error_body(type_: str, message: str, details: str = "", **extra: Any) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "details": details, "extra_info": extra},
            "node_errors": {}}


def fail(status: int, type_: str, message: str, details: str = "", **extra: Any) -> NoReturn:
    raise _http(status, error_body(type_, message, details, **extra))


def _http(status: int, body: dict[str, Any]) -> web.HTTPException:
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest, 403: web.HTTPForbidden, 404: web.HTTPNotFound, 409: web.HTTPConflict,
        413: web.HTTPRequestEntityTooLarge, 503: web.HTTPServiceUnavailable,
    }
    kind = kinds.get(status, web.HTTPBadRequest)
    if kind is web.HTTPRequestEntityTooLarge:
        return web.HTTPRequestEntityTooLarge(max_size=MAX_JSON_BYTES, actual_size=0, text=json.dumps(body),
                                             content_type="application/json")
    return kind(text=json.dumps(body), content_type="application/json")


def raise_with(status: int, body: dict[str, Any]) -> NoReturn:
    raise _http(status, body)


async def read_json(request: web.Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says what was wrong with it."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        fail(413, "body_too_large", f"JSON bodies are limited to {MAX_JSON_BYTES // 2**20} MB")
    raw = await request.read()
    if not raw.strip():
        if allow_empty:
            return {}
        fail(400, "invalid_json", "The request body is empty; expected a JSON object")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        fail(400, "invalid_json", "The request body is not valid JSON", str(exc))
    if not isinstance(body, dict):
        fail(400, "invalid_json", "The request body must be a JSON object", f"got {type(body).__name__}")
    return body


@web.middleware
async def unexpected_errors(request: web.Request,
                            handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """A bug in a handler answers a JSON 500 naming the route; the traceback goes to the log, not the client."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("%s %s failed", request.method, request.path)
        body = error_body("server_error", f"{request.method} {request.path} failed on the server",
                          f"{type(exc).__name__}: {exc}")
        return web.json_response(body, status=500)
