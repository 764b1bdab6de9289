"""The shipped workflows, run as shipped (UI files from workflows/) on the shipped models, judged from pixels
by the evaluator's judge: each image shows what its prompt asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nodegraph.config import Config
from nodegraph.engine import Engine
from nodegraph.train.dataset import COLORS, Attributes, Shape
from nodegraph.train.judge import MIN_AREA, extract, iou, judge, nearest_colors, shape_mask

REPO_ROOT = Path(__file__).resolve().parents[3]  # the checkout these tests belong to

MODELS = REPO_ROOT / "models"
WORKFLOWS = REPO_ROOT / "workflows"
HAVE_SD = (MODELS / "checkpoints" / "shapes-sd" / "model_index.json").is_file()
HAVE_CN = (MODELS / "controlnet" / "shapes-controlnet-mask" / "config.json").is_file()
needs_sd = pytest.mark.skipif(not HAVE_SD, reason="models/checkpoints/shapes-sd is not trained yet (issue 3)")
needs_cn = pytest.mark.skipif(not (HAVE_SD and HAVE_CN),
                              reason="models/controlnet/shapes-controlnet-mask is not trained yet (issue 3)")
BATCH = 3  # three seeds' worth of images in one run; most must be right
# What the shipped model follows on most seeds. Its evaluator (nodegraph eval, issue 3) scores every one of
# these at 98% or more over 64 held-out prompts.
FOLLOWED = ("background", "color", "shape", "position")


@pytest.fixture()
def session(tmp_path) -> Engine:
    torch.set_num_threads(1)
    return Engine(Config(base_dir=tmp_path, device="cpu"))


def run(session: Engine, name: str, overrides: dict | None = None):
    result = session.execute(WORKFLOWS / f"{name}.json", overrides)
    assert result.status == "success", result.error
    return result


def pixels(image: torch.Tensor) -> list[np.ndarray]:
    """As SaveImage writes them."""
    return list(np.clip(image.numpy() * 255.0, 0, 255).astype(np.uint8))


def mostly(verdicts: list[dict], *fields: str) -> None:
    right = [all(v[f] for f in fields) for v in verdicts]
    assert sum(right) * 2 > len(right), verdicts


@needs_sd
def test_txt2img_draws_what_the_prompt_says(session):
    result = run(session, "txt2img", {"5.batch_size": BATCH})
    expected = Attributes("white", (Shape("circle", "red", "large", "center"),))
    mostly([judge(image, expected) for image in pixels(result.output("8"))], *FOLLOWED)
    assert Path(result.ui["9"]["images"][0]["filename"]).suffix == ".png"


@needs_sd
def test_img2img_adds_the_prompted_shape_to_the_canvas(session):
    result = run(session, "img2img", {"10.batch_size": BATCH})
    expected = Attributes("blue", (Shape("square", "yellow", "large", "center"),))
    mostly([judge(image, expected) for image in pixels(result.output("8"))], *FOLLOWED, "size")


@needs_sd
def test_inpaint_repaints_only_the_masked_quadrant(session):
    result = run(session, "inpaint")
    original, final = result.output("23"), result.output("12")
    mask = result.output("32")[0].bool()
    assert torch.equal(final[0][~mask], original[0][~mask])  # pixel-exact outside the mask
    base = extract(pixels(original)[0])
    assert base.background == "white" and any(s.color == "blue" for s in base.shapes), base.shapes
    # The prompt's red shape is painted, and only inside the masked quadrant.
    labels = nearest_colors(pixels(final)[0])
    red = labels == list(COLORS).index("red")
    assert red[mask.numpy()].sum() >= MIN_AREA and not red[~mask.numpy()].any()


@needs_cn
def test_controlnet_puts_the_shape_where_the_control_mask_is(session):
    result = run(session, "controlnet")
    control = result.output("32")[0].numpy() > 0.5
    score = iou(shape_mask(pixels(result.output("8"))[0]), control)
    assert score >= 0.5, score
    moved = run(session, "controlnet", {
        "6.text": "a large orange square at the bottom right on a purple background",
        "32.x": 35, "32.y": 35})
    moved_control = moved.output("32")[0].numpy() > 0.5
    moved_mask = shape_mask(pixels(moved.output("8"))[0])
    assert iou(moved_mask, moved_control) > max(iou(moved_mask, control), 0.5)


@needs_sd
def test_tokenizer_view_shows_the_tokens_and_samples_from_them(session):
    result = run(session, "tokenizer_view", {"5.batch_size": BATCH})
    shown = result.ui["13"]["text"][0]
    assert shown.startswith("14 tokens: <bos> a large white circle at the top right on a purple background <eos>")
    assert "ids:" in shown
    expected = Attributes("purple", (Shape("circle", "white", "large", "top right"),))
    mostly([judge(image, expected) for image in pixels(result.output("8"))], *FOLLOWED)
