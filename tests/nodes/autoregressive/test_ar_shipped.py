"""The shipped AR model follows its prompts: the shipped ar_txt2img workflow, judged by the evaluator's
pixel judge on its held-out prompts. Skips (saying why) while models/autoregressive/shapes-ar is not there."""

from __future__ import annotations

from pathlib import Path

import ar_graphs
import numpy as np
import pytest
from ar_engine import Engine, captured
from ar_tiny import engine_for

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "models" / "autoregressive" / "shapes-ar"
PROMPTS = 8

needs_transformer = pytest.mark.skipif(
    not (SHIPPED / "nodegraph_ar.json").is_file() or not (SHIPPED / "transformer").is_dir(),
    reason="the shipped AR model (models/autoregressive/shapes-ar, issue 3) is not installed yet")


@pytest.fixture(scope="module")
def shipped_engine(registry, tmp_path_factory) -> Engine:
    return Engine(engine_for(registry, ROOT / "models", tmp_path_factory.mktemp("shipped")))


@needs_transformer
def test_ar_images_follow_their_prompts(shipped_engine):
    from nodegraph.train.eval_prompts import load_eval_prompts
    from nodegraph.train.judge import judge

    verdicts = []
    for seed, item in enumerate(load_eval_prompts()[:PROMPTS]):
        prompt = ar_graphs.ar_txt2img(text=item.prompt, seed=seed)
        prompt["99"] = {"class_type": "Capture", "inputs": {"value": ["8", 0], "label": "image"}}
        result = shipped_engine.run(prompt)
        assert result.status == "success", result.error
        pixels = (captured()["image"][0].numpy() * 255).round().astype(np.uint8)
        verdicts.append(judge(pixels, item.attributes))
    hits = sum(v["color"] + v["background"] for v in verdicts)
    # Pictures that ignore the prompt name the right one of 8 colours about 1 time in 8 (2 hits expected in
    # 16 checks); the trainer's evaluator scores this model at 95% (background) and 83% (colour) with the
    # same settings, so about 14 are expected.
    assert hits >= 10, verdicts


@pytest.mark.skipif(not (SHIPPED / "vq" / "config.json").is_file(),
                    reason="the shipped VQ model (models/autoregressive/shapes-ar/vq) is not installed yet")
def test_shipped_vq_round_trip_keeps_what_the_judge_sees():
    import torch
    from diffusers import VQModel

    from nodegraph.train.dataset import ShapesDataset
    from nodegraph.train.judge import judge
    from nodegraph.autoregressive.vq import vq_decode, vq_encode

    vq = VQModel.from_pretrained(str(SHIPPED / "vq"), use_safetensors=True).eval()
    dataset = ShapesDataset(seed=987, two_shape_probability=0.0)
    correct = 0
    for index in range(4):
        sample = dataset[index]
        pixels = torch.from_numpy(sample.image).float().permute(2, 0, 1)[None] / 127.5 - 1
        with torch.no_grad():
            codes = vq_encode(vq, pixels)
            back = vq_decode(vq, codes)
        assert codes.shape == (1, 16, 16) and codes.dtype == torch.int64
        image = ((back[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        correct += judge(image, sample.attributes)["fully_correct"]
    assert correct >= 3
