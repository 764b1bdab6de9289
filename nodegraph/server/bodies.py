"""Reading JSON request bodies, and HTTP errors in ComfyUI's `{error: {type, message, ...}}` shape.

A body is parsed by the engine's strict reader (nodegraph.core.safejson): nesting past max_json_depth,
NaN, Infinity, huge integers and lone surrogates get a 400 naming where they are, a body over max_json_mb
a 413; nothing a client sends can make a handler raise a RecursionError or store a number that strict
JSON cannot carry.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from aiohttp import web

from ..core import safejson
from ..core.limits import InputRefused, Limits
from .state import STATE

log = logging.getLogger(__name__)

# Bodies up to this size are parsed on the event loop; larger ones in a thread, so one big prompt does not
# stall every other client while it parses.
INLINE_PARSE_BYTES = 256 * 2**10


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
    text = safejson.dumps(body)
    if kind is web.HTTPRequestEntityTooLarge:
        limit = body["error"].get("extra_info", {}).get("limit", 0) if isinstance(body.get("error"), dict) else 0
        return web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=0, text=text,
                                             content_type="application/json")
    return kind(text=text, content_type="application/json")


def raise_with(status: int, body: dict[str, Any]) -> NoReturn:
    raise _http(status, body)


def refuse(exc: InputRefused, status: int = 400) -> NoReturn:
    """A 400 for input a reader or a limit refused: its type, and the setting when a limit did."""
    extra = {"setting": exc.setting} if exc.setting else {}
    fail(status, exc.type, str(exc), safejson.format_path(exc.path) if exc.path else "", **extra)


def limits_of(request: web.Request) -> Limits:
    return request.app[STATE].config.limits


async def read_json(request: web.Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object, or a 400 (413 when too large) that says what was wrong with it."""
    body = await read_json_value(request, allow_empty=allow_empty)
    if not isinstance(body, dict):
        fail(400, "invalid_json", "The request body must be a JSON object", f"got {type(body).__name__}")
    return body


async def read_json_value(request: web.Request, *, allow_empty: bool = False, what: str = "the request body") -> Any:
    """The body as any JSON value (an empty body is {} when allowed), read strictly and within the limits;
    a 400 (413 when too large) that says what was wrong with `what` otherwise."""
    limits = limits_of(request)
    max_bytes = limits.max_json_mb * 2**20
    too_large = (f"JSON bodies are limited to {limits.max_json_mb} MB (setting max_json_mb)", "")
    if request.content_length is not None and request.content_length > max_bytes:
        fail(413, "body_too_large", *too_large, setting="max_json_mb", limit=max_bytes)
    raw = await request.read()
    if len(raw) > max_bytes:  # a chunked body carries no length up front
        fail(413, "body_too_large", *too_large, setting="max_json_mb", limit=max_bytes)
    if not raw.strip():
        if allow_empty:
            return {}
        fail(400, "invalid_json", "The request body is empty; expected a JSON object")
    try:
        if len(raw) <= INLINE_PARSE_BYTES:
            body = safejson.loads(raw, limits, what)
        else:
            body = await asyncio.to_thread(safejson.loads, raw, limits, what)
    except InputRefused as exc:
        refuse(exc)
    return body


@web.middleware
async def unexpected_errors(request: web.Request,
                            handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """A bug in a handler answers a JSON 500 naming the route; the traceback goes to the log, not the client.
    Refused input that escaped its handler still gets its 400, and a storage fault a 503 that says so."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except InputRefused as exc:
        refuse(exc)
    except sqlite3.Error as exc:
        log.error("%s %s: the queue database failed: %s", request.method, request.path, exc)
        body = error_body("storage_error", "The server's queue database cannot be used right now",
                          f"{type(exc).__name__}: {exc}")
        return web.json_response(body, status=503, dumps=safejson.dumps)
    except Exception as exc:
        log.exception("%s %s failed", request.method, request.path)
        body = error_body("server_error", f"{request.method} {request.path} failed on the server",
                          f"{type(exc).__name__}: {exc}")
        return web.json_response(body, status=500, dumps=safejson.dumps)
