"""The real nodegraph server (real engine, built-in nodes) in a background thread, and Debian's Chromium.

Browser tests skip, naming what is missing, when /usr/bin/chromium or Python's playwright is absent.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodegraph.config import Config
from web_server import REPO_ROOT, LiveServer, serve_in_thread

CHROMIUM = Path(os.environ.get("NODEGRAPH_CHROMIUM", "/usr/bin/chromium"))
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def tiny_models(root: Path) -> Path | None:
    """Tiny random diffusion and AR models (the diffusion and AR tests' own builders), so graphs with model
    nodes run in seconds; None when those builders are not importable."""
    helpers = [REPO_ROOT / "tests" / "nodes" / "diffusion", REPO_ROOT / "tests" / "nodes" / "autoregressive"]
    sys.path[:0] = [str(p) for p in helpers]
    try:
        import torch
        from ar_tiny import build_layout_model
        from sd_tiny import build_models
    except ImportError:
        return None
    finally:
        del sys.path[:len(helpers)]
    # Tiny models on the shared 2-core machine run fastest on one thread (as the model tests found).
    torch.set_num_threads(1)
    build_models(root)
    build_layout_model(root / "autoregressive" / "tiny", image_size=64, seed=0)  # the templates draw 64 px
    return root


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the browser tests: built-in nodes plus fixtures/, workflows/ as templates, a fresh base."""
    base = tmp_path_factory.mktemp("web-base")
    # The trained models/ are used only when asked for (NODEGRAPH_WEB_SHIPPED_MODELS=1): they are slower, and
    # may be mid-training; by default model nodes get tiny stand-ins, picked in the editor like any model.
    if os.environ.get("NODEGRAPH_WEB_SHIPPED_MODELS") == "1":
        models: tuple[Path, ...] = (REPO_ROOT / "models",)
    else:
        tiny = tiny_models(tmp_path_factory.mktemp("web-models"))
        models = (tiny,) if tiny else ()
    config = Config(base_dir=base, history_limit=200, nodes_dirs=(FIXTURES,), models_dirs=models)
    yield from serve_in_thread(config, REPO_ROOT / "web")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the 'playwright' Python package (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (empty localStorage) on the editor, once node definitions are loaded."""
    context = browser.new_context(viewport={"width": 1400, "height": 860}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(live_server.url + "/")
    pg.wait_for_function("window.app && window.app.defs.list.length > 3 && window.app.api.socket"
                         " && window.app.api.socket.readyState === 1", timeout=20000)
    pg.js_errors = errors
    yield pg
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
