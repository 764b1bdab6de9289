"""examples/client.py, run as a user would, against a real server: it queues, follows and downloads."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.asyncio
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "client.py"


async def test_client_example_downloads_the_saved_image(server, tmp_path):
    out = tmp_path / "downloads"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), "--server", server.url.removeprefix("http://"), "--out", str(out),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = output.decode()
    assert process.returncode == 0, text
    assert "executing node 3" in text
    files = sorted(out.glob("client_example*.png"))
    assert len(files) == 1, text
    image = Image.open(files[0]).convert("RGB")
    assert image.size == (256, 128)
    # The inverted colour, as ComfyUI saves it: 255 * (1 - 0xCC/255) is 50.99999 in float32, and SaveImage
    # truncates (clip(255 * x).astype(uint8)), so the blue level is 50, not 51.
    assert image.getpixel((0, 0)) == (0xFF - 0x33, 0xFF - 0x66, 0xFF - 0xCC - 1)
