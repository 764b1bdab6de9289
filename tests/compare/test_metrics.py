"""The comparison's pixel metrics on real dataset renderings: FID-style distance, edit inside / outside."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.compare import metrics
from nodegraph.train.dataset import COLORS, Attributes, Shape, ShapesDataset, draw_scene


def scene(background: str, *shapes: tuple[Shape, tuple[float, float, float]]) -> np.ndarray:
    attributes = Attributes(background, tuple(s for s, _ in shapes))
    image, _ = draw_scene(attributes, [g for _, g in shapes])
    return np.asarray(image)


def test_frechet_is_zero_for_the_same_set_and_grows_with_a_worse_one():
    real = metrics.features(metrics.reference_images(48))
    other_real = metrics.features(metrics.floor_images(48))
    noise = metrics.features(list(np.random.default_rng(0).integers(0, 256, (48, 64, 64, 3), dtype=np.uint8)))
    grey = metrics.features([np.full((64, 64, 3), 128, np.uint8) + i % 3 for i in range(48)])
    assert metrics.frechet(real, real) == pytest.approx(0, abs=1e-9)
    same_kind = metrics.frechet(other_real, real)
    assert same_kind < metrics.frechet(noise, real) and same_kind < metrics.frechet(grey, real)


def test_frechet_needs_two_images_a_side():
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet(np.zeros((1, 25)), np.zeros((5, 25)))
    assert metrics.quality([np.zeros((64, 64, 3), np.uint8)], np.zeros((5, 25))) is None


def test_features_accept_other_sizes():
    images = [ShapesDataset(seed=5)[0].image]
    small = [np.asarray(__import__("PIL.Image").Image.fromarray(images[0]).resize((32, 32)))]
    assert metrics.features(small).shape == metrics.features(images).shape == (1, 25)


def test_edit_scores_judge_inside_the_mask_and_measure_what_is_kept_outside():
    kept = Shape("square", "blue", "small", "top left")
    new = Shape("circle", "red", "small", "bottom right")
    original = scene("white", (kept, (16, 16, 15)))
    edited = scene("white", (kept, (16, 16, 15)), (new, (48, 48, 15)))
    mask = np.zeros((64, 64), np.float32)
    mask[32:, 32:] = 1
    wanted = Attributes("white", (new,))
    good = metrics.edit_scores(edited, original, mask, wanted)
    assert good["fully_correct"] and good["preserved"] == 1.0 and good["preserved_psnr_db"] == 100.0
    wrong_kind = metrics.edit_scores(edited, original, mask, Attributes("white", (Shape("triangle", "red", "small",
                                                                                          "bottom right"),)))
    assert wrong_kind["color"] and not wrong_kind["shape"] and not wrong_kind["fully_correct"]
    smeared = edited.copy()
    smeared[:32] = COLORS["black"]  # the edit also wrecked the top half
    damaged = metrics.edit_scores(smeared, original, mask, wanted)
    assert damaged["fully_correct"] and damaged["preserved"] == pytest.approx(1 / 3)  # 2048 of the 3072 outside pixels
    assert damaged["preserved_psnr_db"] < 20


def test_rates_count_each_field():
    verdicts = [{"color": True, "shape": False}, {"color": True, "shape": True}]
    assert metrics.rates(verdicts, ("color", "shape")) == {"color": 1.0, "shape": 0.5}
