"""Ray is optional: a server without --ray runs prompts with nothing of Ray imported."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import asyncio, sys, tempfile
from pathlib import Path
from aiohttp import web
from nodegraph.config import Config
from nodegraph.server import create_app

async def main():
    runner = web.AppRunner(create_app(Config(base_dir=Path(tempfile.mkdtemp()))))
    await runner.setup()  # the worker starts with the app
    await runner.cleanup()

asyncio.run(main())
print(sorted(m for m in sys.modules if m == 'ray' or m.startswith(('ray.', 'nodegraph.scaleout'))))
"""


def test_a_server_without_ray_imports_none_of_it(tmp_path):
    done = subprocess.run([sys.executable, "-c", CODE], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
