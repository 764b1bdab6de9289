"""Every shipped workflow runs as shipped, headless, in a fresh base folder: `nodegraph run NAME` needs nothing
but the installed package (inpaint_painted's starting picture is shipped and copied into the input folder)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nodegraph import Engine
from nodegraph.config import Config
from nodegraph.resources import example_inputs_dir, shipped_workflows

SHIPPED = sorted(shipped_workflows())


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine(Config(base_dir=tmp_path_factory.mktemp("shipped"), custom_nodes=False))


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_workflow_runs_as_shipped(engine: Engine, name: str) -> None:
    result = engine.execute(name)
    assert result.status == "success", result.error
    saved = [item for ui in result.ui.values() for key in ("images", "checkpoints") for item in ui.get(key, ())]
    assert saved or any(ui.get("text") for ui in result.ui.values()), result.ui


def test_inpaint_painted_keeps_every_pixel_outside_the_shipped_mask(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nodegraph.cli", "run", "inpaint_painted", "--quiet",
                           "--base-dir", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # --quiet: no bar of nodegraph's, and none of transformers' ("Loading weights")
    shipped = example_inputs_dir() / "inpaint_picture.png"
    copied = tmp_path / "input" / "inpaint_picture.png"
    assert copied.read_bytes() == shipped.read_bytes()
    picture = np.asarray(Image.open(shipped).convert("RGBA"))
    result = np.asarray(Image.open(done.stdout.split()[-1]).convert("RGB"))
    keep = picture[..., 3] == 255
    assert keep.any() and (~keep).any()
    assert np.array_equal(result[keep], picture[..., :3][keep])
    assert not np.array_equal(result[~keep], picture[..., :3][~keep])


def test_a_users_own_file_of_that_name_is_never_replaced(tmp_path: Path) -> None:
    engine = Engine(Config(base_dir=tmp_path, custom_nodes=False))
    mine = tmp_path / "input" / "inpaint_picture.png"
    mine.parent.mkdir(parents=True)
    Image.new("RGBA", (64, 64), (10, 20, 30, 255)).save(mine)
    before = mine.read_bytes()
    assert engine.services.files.provide_examples(["inpaint_picture.png", "../models.png", "nope.png"]) == []
    engine.load("inpaint_painted")
    assert mine.read_bytes() == before
    assert sorted(p.name for p in mine.parent.iterdir()) == ["inpaint_picture.png"]
