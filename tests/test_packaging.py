"""The package is the product: built-in nodes under their own name, loaded once, beside a ComfyUI-style pack
that has its own `nodes.py`; the wheel carries the editor, workflows and default models and runs from a
fresh virtual environment outside the checkout."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"nodegraph_nodes": "nodes"}


def test_every_package_folder_is_in_the_wheel_list():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "nodegraph").rglob("__init__.py")}
    for name, folder in MAPPED.items():
        found |= {".".join((name, *p.relative_to(ROOT / folder).parent.parts))
                  for p in (ROOT / folder).rglob("__init__.py")}
    code = {name for name in listed if not name.startswith(("nodegraph_web", "nodegraph_workflows",
                                                            "nodegraph_models"))}
    assert found == code, f"missing from pyproject: {sorted(found - code)}; stale: {sorted(code - found)}"
    assert config["package-dir"]["nodegraph_nodes"] == "nodes"


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_builtin_nodes_load_once_and_never_as_a_top_level_nodes_module(tmp_path):
    code = """
import sys, collections
from nodegraph.plugins import build_registry
registry = build_registry()
assert not registry.failures, registry.failures
files = collections.defaultdict(list)
for name, module in list(sys.modules.items()):
    path = getattr(module, '__file__', None) or ''
    if '/nodes/' in path.replace('\\\\', '/') and 'nodegraph' not in path.split('/nodes/')[1]:
        files[path].append(name)
twice = {path: names for path, names in files.items() if len(names) > 1}
print(len(files), sorted(twice.items()), 'nodes' in sys.modules)
assert files and not twice and 'nodes' not in sys.modules
"""
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


COMFY_PACK = '''
MAX_RESOLUTION = 16384  # what a ComfyUI pack's own nodes.py often defines


class PackDouble:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 1, "min": 0, "max": MAX_RESOLUTION})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "double"
    CATEGORY = "pack"

    def double(self, value):
        return (value * 2,)


NODE_CLASS_MAPPINGS = {"PackDouble": PackDouble}
'''


def test_a_pack_with_its_own_nodes_module_loads_beside_the_builtins(tmp_path):
    pack = tmp_path / "custom_nodes"
    pack.mkdir()
    (pack / "nodes.py").write_text(COMFY_PACK)
    prompt = {"1": {"class_type": "PackDouble", "inputs": {"value": 21}},
              "2": {"class_type": "MathInt", "inputs": {"a": ["1", 0], "b": 0, "operation": "add"}},
              "3": {"class_type": "ShowText", "inputs": {"text": ["4", 0]}},
              "4": {"class_type": "ToString", "inputs": {"value": ["2", 0]}}}
    code = f"""
import json, sys
from pathlib import Path
import nodegraph
from nodegraph.config import Config
engine = nodegraph.Engine(Config(base_dir=Path({str(tmp_path)!r}), nodes_dirs=(Path({str(pack)!r}),),
                                 custom_nodes=False))
assert not engine.registry.failures, engine.registry.failures
outputs = nodegraph.run(json.loads({json.dumps(json.dumps(prompt))}), engine=engine)
print(json.dumps(outputs.ui))
"""
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["3"]["text"] == ["42"]


def test_a_shipped_workflow_runs_by_name_and_a_wrong_name_lists_them(tmp_path):
    nodegraph_cli = Path(sys.executable).with_name("nodegraph")
    done = subprocess.run([str(nodegraph_cli), "validate", "txt2img"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("ok:"), done.stdout + done.stderr
    wrong = subprocess.run([str(nodegraph_cli), "run", "txt2imgg"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert wrong.returncode == 1
    assert "no shipped workflow has that name" in wrong.stderr and "txt2img, " in wrong.stderr
    assert "Traceback" not in wrong.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_built_wheel_is_the_whole_product(tmp_path):
    """Build the wheel, install it into a fresh venv in a folder outside the checkout, and use it there."""
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next(dist.glob("nodegraph-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    torch_spec = f"torch=={_installed('torch')}"  # the build this machine already runs (CPU-only here)
    for args in ([torch_spec], [str(wheel)]):
        done = subprocess.run(pip + args, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NODEGRAPH_", "PYTHONPATH"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["nodegraph", "run", "txt2img", "--quiet"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    saved = Path(done.stdout.strip().splitlines()[-1])
    assert saved.is_file() and saved.parent == work / "output", done.stdout
    assert str(ROOT) not in _site_of(venv, env, work)
    # the picture inpaint_painted starts from is part of the install, and is put in the input folder on use
    checked = subprocess.run(["nodegraph", "validate", "inpaint_painted"], cwd=work, env=env, capture_output=True,
                             text=True, timeout=600)
    assert checked.returncode == 0 and (work / "input" / "inpaint_picture.png").is_file(), checked.stderr
    port = _free_port()
    server = subprocess.Popen(["nodegraph", "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "listening" in (server.stdout.readline() if server.stdout else "")
        page = _get(f"http://127.0.0.1:{port}/")
        assert "<html" in page.lower() and "nodegraph" in page.lower()
        info = json.loads(_get(f"http://127.0.0.1:{port}/object_info"))
        assert "KSampler" in info and "shapes-sd" in info["CheckpointLoaderSimple"]["input"]["required"][
            "ckpt_name"][0]
        templates = json.loads(_get(f"http://127.0.0.1:{port}/workflow_templates"))
        assert "txt2img" in json.dumps(templates)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _installed(name: str) -> str:
    from importlib.metadata import version

    return re.sub(r"\+.*$", "", version(name))


def _site_of(venv: Path, env: dict[str, str], cwd: Path) -> str:
    code = "import nodegraph, nodegraph_nodes, nodegraph.resources as r; print(nodegraph.__file__, " \
           "nodegraph_nodes.__file__, r.web_root(), r.models_dir())"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert str(venv) in done.stdout, done.stdout
    return done.stdout


def _get(url: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
