"""Pauses Python's cyclic garbage collector around whole-graph passes.

The collector rescans every live object each time it triggers, and a big graph's bookkeeping allocates
enough objects to trigger it thousands of times, which makes validation and execution superlinear. The
passes create no reference cycles worth collecting before they end.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
