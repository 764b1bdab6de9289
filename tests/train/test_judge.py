"""The pixel judge and the dataset generator agree on ground truth."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nodegraph.train.dataset import Attributes, Shape, ShapesDataset, render
from nodegraph.train.eval_prompts import load_eval_prompts
from nodegraph.train.judge import extract, iou, judge, shape_mask


def test_judge_scores_single_shape_dataset_images_fully_correct():
    dataset = ShapesDataset(seed=5, two_shape_probability=0.0)
    verdicts = [judge(dataset[i].image, dataset[i].attributes) for i in range(300)]
    assert all(v["fully_correct"] and v["size"] for v in verdicts)


def test_judge_finds_both_shapes_in_most_two_shape_images():
    # Two shapes can touch or overlap, which the judge cannot untangle: "most", not "all".
    dataset = ShapesDataset(seed=6, two_shape_probability=1.0)
    verdicts = [judge(dataset[i].image, dataset[i].attributes) for i in range(200)]
    assert np.mean([v["all_shapes"] for v in verdicts]) >= 0.95


def test_eval_prompt_ground_truth_renders_and_judges_correct():
    prompts = load_eval_prompts()
    assert len(prompts) >= 32
    rng = np.random.default_rng(0)
    for prompt in prompts:
        sample = render(prompt.attributes, rng)
        assert judge(sample.image, prompt.attributes)["fully_correct"], prompt.prompt
        assert iou(shape_mask(sample.image), sample.mask) > 0.8


def test_judge_rejects_a_wrong_image():
    sample = render(Attributes("blue", (Shape("circle", "red", "large", "top left"),)), np.random.default_rng(1))
    wrong = Attributes("green", (Shape("square", "yellow", "small", "bottom right"),))
    verdict = judge(sample.image, wrong)
    assert not any(verdict[k] for k in ("background", "color", "shape", "position", "size", "fully_correct"))
    assert extract(sample.image).shapes[0].kind == "circle"


def test_blank_image_has_no_shape():
    blank = np.zeros((64, 64, 3), np.uint8)
    verdict = judge(blank, Attributes("black", (Shape("circle", "red", "small", "center"),)))
    assert verdict["background"] and not verdict["fully_correct"]


def test_judge_tolerates_a_slight_blur():
    # Generated shapes have soft edges: a Gaussian blur of sigma 0.8 px (1.2 too) leaves every scene right.
    from scipy import ndimage

    dataset = ShapesDataset(seed=7, two_shape_probability=0.0)
    verdicts = []
    for i in range(200):
        sample = dataset[i]
        blurred = ndimage.gaussian_filter(sample.image.astype(np.float64), (0.8, 0.8, 0))
        verdicts.append(judge(np.clip(blurred, 0, 255).round().astype(np.uint8), sample.attributes)["fully_correct"])
    assert np.mean(verdicts) >= 0.97


def drawn(outline: list[tuple[float, float]] | None = None, rounded: tuple[float, float] | None = None) -> np.ndarray:
    """A red shape on white, drawn at 8x and box-downsampled as the dataset draws: a polygon given in units
    of a 16 px box centred in the image, or a rounded square (half-extent px, corner radius px)."""
    scale, centre = 8, 32 * 8
    big = Image.new("RGB", (64 * scale, 64 * scale), (255, 255, 255))
    canvas = ImageDraw.Draw(big)
    if outline is not None:
        canvas.polygon([(centre + 8 * scale * x, centre + 8 * scale * y) for x, y in outline], fill=(255, 0, 0))
    else:
        half, radius = rounded
        box = (centre - half * scale, centre - half * scale, centre + half * scale, centre + half * scale)
        canvas.rounded_rectangle(box, radius=radius * scale, fill=(255, 0, 0))
    return np.asarray(big.resize((64, 64), Image.Resampling.BOX))


def pincushion(bow: float) -> list[tuple[float, float]]:
    """A square whose sides bend inwards by `bow` (of the half-extent) at their middles."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    points = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        for t in np.linspace(0, 1, 16, endpoint=False):
            inward = bow * np.sin(np.pi * t)
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            points.append((x - np.sign(x0) * inward, y) if x0 == x1 else (x, y - np.sign(y0) * inward))
    return points


@pytest.mark.parametrize("bow", [0.1, 0.2, 0.3])
def test_a_square_with_concave_sides_is_still_a_square(bow):
    # The UNet's squares come out like this; bounding-box fill (~0.85) used to call them circles.
    assert extract(drawn(pincushion(bow))).shapes[0].kind == "square"


@pytest.mark.parametrize(("radius", "kind"), [(2, "square"), (4, "square"), (10, "circle"), (12, "circle")])
def test_rounded_corners_turn_a_square_into_a_circle_past_half_its_half_extent(radius, kind):
    # The line sits halfway between the two ideal corner reaches: a corner radius of half the half-extent.
    assert extract(drawn(rounded=(12, radius))).shapes[0].kind == kind


SHIPPED_VAE = Path(__file__).resolve().parents[2] / "models" / "checkpoints" / "shapes-sd" / "vae"


@pytest.mark.skipif(not (SHIPPED_VAE / "config.json").is_file(), reason="the shipped VAE is not installed")
def test_judge_reads_vae_round_trips_of_dataset_scenes_as_drawn():
    # Ground truth is known here, so any miss is the judge's: fill read 15% of these triangles as circles.
    import torch
    from diffusers import AutoencoderKL

    from nodegraph.train.batches import to_tensor, to_uint8

    vae = AutoencoderKL.from_pretrained(str(SHIPPED_VAE), use_safetensors=True).eval()
    dataset = ShapesDataset(seed=11, two_shape_probability=0.0)
    samples = [dataset[i] for i in range(150)]
    with torch.no_grad():
        latents = vae.encode(to_tensor(np.stack([s.image for s in samples]))).latent_dist.mode()
        images = to_uint8(vae.decode(latents).sample)
    kinds = [extract(image).shapes[0].kind == sample.attributes.shapes[0].kind
             for image, sample in zip(images, samples, strict=True)]
    assert np.mean(kinds) >= 0.98
