"""ComfyUI client libraries from PyPI (pinned in the dev extra), used exactly as their READMEs show, against a
real `python -m nodegraph.server.main` on loopback with the shipped model: each gets the saved PNG of the
shipped txt2img back. Neither asked for previews, so the server sends them text frames only (a binary frame
would have come back as an "image" from comfy-api-simplified, and crashed comfy-script's watcher)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nodegraph
from nodegraph.config import Config

pytestmark = pytest.mark.slow  # a server process and two model loads: about a minute on the 2-core machine


@dataclass
class Server:
    url: str
    base: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("clients-base")
    process = subprocess.Popen([sys.executable, "-m", "nodegraph.server.main", "--port", "0", "--base-dir", str(base)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert "listening on" in line, f"the server did not start: {line!r}"
        yield Server(line.split("listening on ")[1].strip(), base)
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The shipped txt2img's image, run in this process: what every client must get back."""
    engine = nodegraph.Engine(Config(base_dir=tmp_path_factory.mktemp("reference"), device="cpu"))
    (path,) = nodegraph.run("txt2img", engine=engine).images
    return np.asarray(Image.open(path))


def pixels(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return np.asarray(image)


def test_comfy_api_simplified_queue_and_wait_images(server: Server, reference: np.ndarray, tmp_path: Path) -> None:
    from comfy_api_simplified import ComfyApiWrapper, ComfyWorkflowWrapper

    # "Download your workflow in API-format": what the editor's Export (API) writes for the shipped txt2img.
    prompt, _ = nodegraph.Engine().load("txt2img")
    (tmp_path / "workflow_api.json").write_text(json.dumps(prompt))

    api = ComfyApiWrapper(server.url + "/")
    wf = ComfyWorkflowWrapper(str(tmp_path / "workflow_api.json"))
    wf.set_node_param("Empty Latent Image", "batch_size", 1)
    results = api.queue_and_wait_images(wf, "Save Image")

    assert list(results) == ["txt2img_00001_.png"]
    data = results["txt2img_00001_.png"]
    assert data == (server.base / "output" / "txt2img_00001_.png").read_bytes()
    assert np.array_equal(pixels(data), reference)


COMFY_SCRIPT = """
from comfy_script.runtime import *
load({url!r})
from comfy_script.runtime.nodes import *

with Workflow(wait=True):
    model, clip, vae = CheckpointLoaderSimple('shapes-sd')
    conditioning = CLIPTextEncode('a large red circle in the center on a white background', clip)
    conditioning2 = CLIPTextEncode('', clip)
    latent = EmptyLatentImage(64, 64, 1)
    latent = KSampler(model, 42, 20, 3, 'ddim', 'simple', conditioning, conditioning2, latent, 1)
    image = VAEDecode(latent, vae)
    images = SaveImage(image, 'script')

images.wait()[0].save({out!r})
"""


def test_comfy_script_remote_workflow(server: Server, reference: np.ndarray, tmp_path: Path) -> None:
    """Remote mode as its README shows it, the shipped txt2img written as a script; run in a process of its
    own, since the runtime keeps its server and watcher thread in module state."""
    out = tmp_path / "returned.png"
    script = tmp_path / "txt2img_script.py"
    script.write_text(textwrap.dedent(COMFY_SCRIPT).format(url=server.url + "/", out=str(out)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Failed to watch" not in done.stdout, done.stdout[-2000:]
    saved = server.base / "output" / "script_00001_.png"
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(saved)))
    assert np.array_equal(np.asarray(Image.open(saved)), reference)
