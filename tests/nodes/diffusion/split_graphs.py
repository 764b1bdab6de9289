"""Test helper: a KSampler prompt rewritten as ComfyUI's split sampler (RandomNoise, CFGGuider or BasicGuider,
KSamplerSelect, BasicScheduler, SamplerCustomAdvanced), keeping the KSampler's node id for the sampled latent."""

from __future__ import annotations

import copy
from typing import Any


def split(prompt: dict[str, Any], node: str = "3", guider: str = "CFGGuider") -> dict[str, Any]:
    """The same sampling as KSampler `node`, through the sampler parts (ids node+"0".. node+"3")."""
    out = copy.deepcopy(prompt)
    k = out[node]["inputs"]
    ids = {part: f"{node}{i}" for i, part in enumerate(("noise", "guider", "sampler", "sigmas"))}
    out[ids["noise"]] = {"class_type": "RandomNoise", "inputs": {"noise_seed": k["seed"]}}
    if guider == "CFGGuider":
        out[ids["guider"]] = {"class_type": "CFGGuider", "inputs": {
            "model": k["model"], "positive": k["positive"], "negative": k["negative"], "cfg": k["cfg"]}}
    else:
        out[ids["guider"]] = {"class_type": "BasicGuider", "inputs": {"model": k["model"],
                                                                      "conditioning": k["positive"]}}
    out[ids["sampler"]] = {"class_type": "KSamplerSelect", "inputs": {"sampler_name": k["sampler_name"]}}
    out[ids["sigmas"]] = {"class_type": "BasicScheduler", "inputs": {
        "model": k["model"], "scheduler": k["scheduler"], "steps": k["steps"], "denoise": k["denoise"]}}
    out[node] = {"class_type": "SamplerCustomAdvanced", "inputs": {
        "noise": [ids["noise"], 0], "guider": [ids["guider"], 0], "sampler": [ids["sampler"], 0],
        "sigmas": [ids["sigmas"], 0], "latent_image": k["latent_image"]}}
    return out
