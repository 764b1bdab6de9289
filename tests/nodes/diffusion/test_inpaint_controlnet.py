"""Inpainting keeps every unmasked pixel; ControlNets change the result, chain, and respect strength 0."""

from __future__ import annotations

import torch

TEXT = "a small red circle at the bottom right on a white background"


def test_inpaint_workflow_equals_the_input_outside_the_mask(engine, graphs):
    prompt = graphs.inpaint("tiny-sd", TEXT, seed=2)
    for node in ("3", "22"):
        prompt[node]["inputs"]["steps"] = 3
    result = engine.run(prompt)
    assert result.status == "success", result.error
    original, final, mask = result.output("23"), result.output("12"), result.output("32")
    assert mask.shape == (1, 64, 64) and mask.sum() == 32 * 32
    outside = (mask == 0)[..., None].expand_as(final)
    assert torch.equal(final[outside], original[outside])
    inside = ~outside
    assert (final[inside] - original[inside]).abs().mean() > 0.01  # the masked quadrant was repainted
    latent = result.output("11")
    assert latent["noise_mask"].shape == (1, 1, 64, 64)
    assert latent["noise_mask"].sum() > mask.sum()  # grown by grow_mask_by


def test_noise_mask_keeps_the_unmasked_latent(engine, graphs):
    prompt = graphs.img2img("tiny-sd", TEXT, seed=1, denoise=1.0)
    prompt["3"]["inputs"]["steps"] = 3
    prompt.update(graphs.box_mask((0, 0, 32, 64), 30))  # left half
    prompt["15"] = {"class_type": "SetLatentNoiseMask", "inputs": {"samples": ["11", 0], "mask": ["32", 0]}}
    prompt["3"]["inputs"]["latent_image"] = ["15", 0]
    result = engine.run(prompt)
    before, after = result.output("11")["samples"], result.output("3")["samples"]
    assert torch.allclose(after[..., 8:], before[..., 8:], atol=1e-6)  # right half of the 16-wide latent
    assert (after[..., :8] - before[..., :8]).abs().mean() > 0.05


def _with_two_controlnets(graphs, second: bool, strength: float = 1.0) -> dict:
    prompt = graphs.controlnet("tiny-sd", "tiny-cn-a", TEXT, seed=3, strength=strength)
    prompt["3"]["inputs"]["steps"] = 3
    if second:
        prompt["42"] = {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "tiny-cn-b"}}
        prompt["43"] = {"class_type": "ControlNetApplyAdvanced", "inputs": {
            "positive": ["41", 0], "negative": ["41", 1], "control_net": ["42", 0], "image": ["33", 0],
            "strength": 0.8, "start_percent": 0.0, "end_percent": 0.7}}
        prompt["3"]["inputs"]["positive"], prompt["3"]["inputs"]["negative"] = ["43", 0], ["43", 1]
    return prompt


def test_controlnets_change_the_image_and_chain(engine, graphs):
    plain = graphs.txt2img("tiny-sd", TEXT, seed=3, steps=3)
    without = engine.run(plain).output("3")["samples"]
    one = engine.run(_with_two_controlnets(graphs, second=False))
    two = engine.run(_with_two_controlnets(graphs, second=True))
    zero = engine.run(_with_two_controlnets(graphs, second=False, strength=0.0))
    one_latent, two_latent = one.output("3")["samples"], two.output("3")["samples"]
    assert (one_latent - without).abs().mean() > 1e-3
    assert (two_latent - one_latent).abs().mean() > 1e-3  # the second ControlNet is applied too
    assert torch.equal(zero.output("3")["samples"], without)  # strength 0 is a no-op
    chain = two.output("43")[0][1]["control"].chain()
    assert [spec.controlnet.name for spec in chain] == ["tiny-cn-a", "tiny-cn-b"]


def test_inpaint_from_an_uploaded_picture_whose_alpha_is_the_mask(engine, tmp_path):
    import numpy as np
    from PIL import Image

    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[..., :3] = np.random.default_rng(0).integers(0, 256, (64, 64, 3))
    rgba[..., 3] = 255
    rgba[8:24, 40:60, 3] = 0  # transparent: repaint here
    (tmp_path / "input").mkdir(exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "input" / "edit.png")
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "edit.png"}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "11": {"class_type": "VAEEncodeForInpaint", "inputs": {"pixels": ["1", 0], "vae": ["4", 2],
                                                               "mask": ["1", 1], "grow_mask_by": 4}},
        "3": {"class_type": "KSampler", "inputs": {
            "seed": 1, "steps": 2, "cfg": 5.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
            "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["11", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "12": {"class_type": "ImageCompositeMasked", "inputs": {
            "destination": ["1", 0], "source": ["8", 0], "x": 0, "y": 0, "resize_source": False, "mask": ["1", 1]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "edit", "images": ["12", 0]}},
    }
    result = engine.run(prompt)
    assert result.status == "success", result.error
    mask = result.output("1", 1)[0]
    assert mask.sum() == 16 * 20
    saved = np.asarray(Image.open(tmp_path / "output" / result.ui["9"]["images"][0]["filename"]).convert("RGB"))
    keep = mask.numpy() == 0
    assert (saved[keep] == rgba[..., :3][keep]).all()  # the saved PNG keeps every unmasked pixel
    assert (saved[~keep] != rgba[..., :3][~keep]).any()
