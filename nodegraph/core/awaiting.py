"""Runs a hook's coroutine to completion from synchronous code (async VALIDATE_INPUTS and the like)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable
from typing import Any


async def _wrap(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def resolve(value: Any) -> Any:
    """`value` itself, or what it resolves to when it is awaitable.

    Without an event loop on this thread the coroutine runs on a fresh one here; inside a running loop
    (which cannot be re-entered) it runs on a helper thread's loop, and this thread waits for it.
    """
    if not isinstance(value, Awaitable):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_wrap(value))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nodegraph-hook") as pool:
        return pool.submit(asyncio.run, _wrap(value)).result()
