"""The user routes ComfyUI's official frontend reads before it shows anything: /users (one user, as ComfyUI
without --multi-user), /settings and /settings/{id} (kept in user/default/comfy.settings.json, the file
ComfyUI keeps them in), the user's stylesheet (/user.css, /userdata/user.css) and legacy templates."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from ..runtime.files import write_atomic
from .bodies import fail, read_json, read_json_value
from .handlers_userdata import USER
from .state import STATE, State

SETTINGS_FILE = "comfy.settings.json"
USER_CSS = "user.css"
# Files under user/default the frontend reads at start, with what an absent one reads as.
USER_FILES = {USER_CSS: ("", "text/css"), "comfy.templates.json": ("[]", "application/json")}
# The folders the frontend lists at start (saved workflows, saved subgraphs).
USER_FOLDERS = ("workflows", "subgraphs")
# Setting ids are dotted names ("Comfy.Workflow.SortNodeIdOnSave"); nothing else is a key.
MAX_SETTING_ID = 256


def _user_file(state: State, name: str) -> Path:
    return state.folders.root("user") / USER / name


def _read_settings(state: State) -> dict[str, Any]:
    path = _user_file(state, SETTINGS_FILE)
    if not path.is_file():
        return {}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a hand-edited file that no longer parses is replaced by the next write, as in ComfyUI
    return settings if isinstance(settings, dict) else {}


async def _update(request: web.Request, changes: dict[str, Any]) -> web.Response:
    state = request.app[STATE]
    async with state.settings_lock:  # read-modify-write: two tabs saving at once must not lose a setting
        settings = {**_read_settings(state), **changes}
        path = _user_file(state, SETTINGS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(write_atomic, path, json.dumps(settings, indent=1).encode())
    return web.Response(status=200)


async def users(request: web.Request) -> web.Response:
    """Single-user mode: settings and workflows live on the server, nothing left to migrate."""
    return web.json_response({"storage": "server", "migrated": True})


async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(_read_settings(request.app[STATE]))


def _setting_id(request: web.Request) -> str:
    setting_id = request.match_info["id"]
    if not setting_id or len(setting_id) > MAX_SETTING_ID:
        fail(400, "invalid_request", f"a setting id is 1 to {MAX_SETTING_ID} characters")
    return setting_id


async def get_setting(request: web.Request) -> web.Response:
    """The value, or null for a setting never stored (the frontend then uses its default)."""
    return web.json_response(_read_settings(request.app[STATE]).get(_setting_id(request)))


async def post_settings(request: web.Request) -> web.Response:
    return await _update(request, await read_json(request))


async def post_setting(request: web.Request) -> web.Response:
    """The body is the setting's value: any JSON value, not only an object."""
    setting_id = _setting_id(request)
    value = await read_json_value(request, what=f"the value of setting {setting_id!r}")
    return await _update(request, {setting_id: value})


async def user_file(request: web.Request) -> web.Response:
    """A user file the frontend reads on every start (its stylesheet, its legacy templates list), answered
    with an empty one of the right type when the user has none, so a fresh install loads without errors."""
    name = request.match_info.get("file", USER_CSS)
    empty, content_type = USER_FILES[name]
    path = _user_file(request.app[STATE], name)
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else empty
    return web.Response(text=text, content_type=content_type, headers={"Cache-Control": "no-cache"})


def make_user_folders(state: State) -> None:
    for folder in USER_FOLDERS:
        (_user_file(state, folder)).mkdir(parents=True, exist_ok=True)
