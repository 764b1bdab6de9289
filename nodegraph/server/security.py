"""Request guards: bearer token, cross-origin (CSRF) and DNS-rebinding checks for loopback, safe headers.

Body size limits are aiohttp's own `client_max_size` (set in app.py); these middlewares decide who may
ask at all.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN_COOKIE = "nodegraph_token"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_only(netloc: str) -> str:
    """The host part of "host:port" or "[v6]:port"."""
    return urlsplit(f"//{netloc}").hostname or ""


def _error(status: int, type_: str, message: str) -> web.Response:
    return web.json_response({"error": {"type": type_, "message": message, "details": "", "extra_info": {}}},
                             status=status)


def token_guard(token: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Every route needs the token: `Authorization: Bearer T`, `?token=T` (websockets, <img> tags), or the
    cookie set by a successful `?token=` (so the editor's own requests carry it)."""
    expected = token.encode()

    def matches(candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), expected)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        from_query = request.query.get("token")
        if not (matches(bearer) or matches(from_query) or matches(request.cookies.get(TOKEN_COOKIE))):
            return _error(401, "unauthorized", "this server needs a token: Authorization: Bearer <token>")
        response = await handler(request)
        if matches(from_query) and not response.prepared:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
        return response

    return guard


def origin_guard(listen: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """For a loopback server: refuse requests whose Origin is another site (a web page posting prompts to
    127.0.0.1 behind the user's back) and, on a loopback-only listener, any Host that is not loopback (DNS
    rebinding: evil.example resolving to 127.0.0.1 makes the browser treat us as same-origin)."""
    loopback_listener = is_loopback(listen)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        if loopback_listener and host and not is_loopback(_host_only(host)):
            return _error(403, "forbidden_host", f"Host {host!r} is not a loopback name")
        origin = request.headers.get("Origin")
        if origin is not None and is_loopback(_host_only(host)):
            parts = urlsplit(origin)
            if parts.netloc.lower() != host.lower():
                return _error(403, "cross_origin", f"cross-origin request from {origin!r} refused")
        return await handler(request)

    return guard


@web.middleware
async def safe_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
