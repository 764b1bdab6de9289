"""The `nodegraph` command as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 8, "batch_size": 2, "color": 0xFF0000}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}, "_meta": {"title": "Invert"}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "cli/test"}},
}


def nodegraph(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nodegraph.cli", *args, "--base-dir", str(cwd)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def workflow(tmp_path: Path) -> Path:
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(PROMPT))
    return path


def test_run_saves_pngs_with_the_prompt_embedded(tmp_path, workflow):
    done = nodegraph("run", str(workflow), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    paths = [Path(line) for line in done.stdout.split()]
    assert [p.name for p in paths] == ["test_00001_.png", "test_00002_.png"]
    picture = Image.open(paths[0])
    assert picture.size == (16, 8) and picture.getpixel((0, 0)) == (0, 255, 255)
    assert json.loads(picture.text["prompt"])["2"]["class_type"] == "ImageInvert"
    again = nodegraph("run", str(workflow), "--quiet", "--out", str(tmp_path / "elsewhere"), cwd=tmp_path)
    assert again.returncode == 0 and "elsewhere/cli/test_00001_.png" in again.stdout


def test_set_overrides_by_id_and_title_and_png_reload(tmp_path, workflow):
    done = nodegraph("run", str(workflow), "--quiet", "--set", "1.color=255", "--set", "1.batch_size=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = Path(done.stdout.split()[0])
    assert Image.open(saved).getpixel((0, 0)) == (255, 255, 0)
    rerun = nodegraph("run", str(saved), "--quiet", cwd=tmp_path)  # a PNG carrying the prompt runs as is
    assert rerun.returncode == 0, rerun.stderr
    assert Image.open(Path(rerun.stdout.split()[0])).getpixel((0, 0)) == (255, 255, 0)


def test_invalid_workflow_names_node_and_input(tmp_path, workflow):
    done = nodegraph("run", str(workflow), "--quiet", "--set", "1.width=0", cwd=tmp_path)
    assert done.returncode == 1
    assert "node 1 (EmptyImage), input 'width'" in done.stderr
    assert "smaller than min" in done.stderr and "Traceback" not in done.stderr
    checked = nodegraph("validate", str(workflow), cwd=tmp_path)
    assert checked.returncode == 0 and "ok: 3 nodes" in checked.stdout


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"1": {"class_type": "Nope", "inputs": {}}}', ""])
def test_bad_files_give_readable_errors(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    done = nodegraph("run", str(bad), "--quiet", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr and done.stderr.strip()


def test_missing_file_and_bad_set_syntax(tmp_path, workflow):
    done = nodegraph("run", str(tmp_path / "missing.json"), cwd=tmp_path)
    assert done.returncode == 1 and "missing.json" in done.stderr and "Traceback" not in done.stderr
    done = nodegraph("run", str(workflow), "--set", "nonsense", cwd=tmp_path)
    assert done.returncode != 0 and "NODE.INPUT=VALUE" in done.stderr


def test_runtime_error_names_the_node(tmp_path):
    path = tmp_path / "div.json"
    path.write_text(json.dumps({
        "1": {"class_type": "MathInt", "inputs": {"a": 1, "b": 0, "operation": "divide"}},
        "2": {"class_type": "ToString", "inputs": {"value": ["1", 0]}},
        "3": {"class_type": "ShowText", "inputs": {"text": ["2", 0]}},
    }))
    done = nodegraph("run", str(path), "--quiet", cwd=tmp_path)
    assert done.returncode == 1
    assert "node 1 (MathInt), input 'b'" in done.stderr and "divide by zero" in done.stderr


def test_nodes_lists_schemas_as_object_info(tmp_path):
    done = nodegraph("nodes", "--json", cwd=tmp_path)
    assert done.returncode == 0
    info = json.loads(done.stdout)
    assert info["SaveImage"]["output_node"] is True
    assert info["EmptyImage"]["input_order"]["required"] == ["width", "height", "batch_size", "color"]


def test_subcommands_with_their_own_flags_get_them(tmp_path):
    done = subprocess.run([sys.executable, "-m", "nodegraph.cli", "train", "--help"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and "resume" in done.stdout.lower()
    bad = subprocess.run([sys.executable, "-m", "nodegraph.cli", "validate", "x.json", "--bogus"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode == 2 and "unrecognized arguments: --bogus" in bad.stderr


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "models" / "checkpoints" / "shapes-sd").is_dir(),
                    reason="models/checkpoints/shapes-sd is not installed")
def test_run_prints_every_saved_file_not_only_images(tmp_path):
    workflow = Path(__file__).resolve().parents[2] / "workflows" / "save_checkpoint.json"
    done = nodegraph("run", str(workflow), "--quiet", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path / "out" / "checkpoints" / "shapes_00001_.safetensors")]
    assert Path(done.stdout.strip()).stat().st_size > 1_000_000


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "models" / "autoregressive" / "shapes-ar").is_dir(),
                    reason="models/autoregressive/shapes-ar is not installed")
def test_ar_run_prints_no_library_deprecation_noise(tmp_path):
    # Each of these lines once reached every AR run's terminal: transformers' renamed KV-cache keyword and
    # diffusers' warning on casting a VQModel after loading it.
    workflow = Path(__file__).resolve().parents[2] / "workflows" / "ar_txt2img.json"
    done = nodegraph("run", str(workflow), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "deprecated" not in done.stderr and "should be kept in float32" not in done.stderr, done.stderr
