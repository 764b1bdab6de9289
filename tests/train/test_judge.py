"""The pixel judge and the dataset generator agree on ground truth."""

import numpy as np

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
    # The autoencoders' round-trip ceilings (bench/README.md) are not the judge being strict about edges:
    # a Gaussian blur of sigma 0.8 px leaves it at 99% on these scenes; a VAE round trip at 82%.
    from scipy import ndimage

    dataset = ShapesDataset(seed=7, two_shape_probability=0.0)
    verdicts = []
    for i in range(200):
        sample = dataset[i]
        blurred = ndimage.gaussian_filter(sample.image.astype(np.float64), (0.8, 0.8, 0))
        verdicts.append(judge(np.clip(blurred, 0, 255).round().astype(np.uint8), sample.attributes)["fully_correct"])
    assert np.mean(verdicts) >= 0.97
