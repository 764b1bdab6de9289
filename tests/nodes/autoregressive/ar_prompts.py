"""API prompts used by the AR tests: small builders so each test states only what it changes."""

from __future__ import annotations

from typing import Any


def loader(model: str = "tiny") -> dict[str, Any]:
    return {"class_type": "ARModelLoader", "inputs": {"model_name": model}}


def sampler(model_node: str = "1", **settings: Any) -> dict[str, Any]:
    inputs = {"ar_model": [model_node, 0], "vq_model": [model_node, 1], "prompt": "a red circle",
              "negative": "", "seed": 1, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "cfg": 3.0,
              "use_kv_cache": True, "batch_size": 1}
    inputs.update(settings)
    return {"class_type": "ARSampler", "inputs": inputs}


def decode(tokens: list[Any], model_node: str = "1") -> dict[str, Any]:
    return {"class_type": "ImageTokenDecode", "inputs": {"vq_model": [model_node, 1], "image_tokens": tokens}}


def capture(value: list[Any], label: str) -> dict[str, Any]:
    return {"class_type": "Capture", "inputs": {"value": value, "label": label}}


def sample_graph(**settings: Any) -> dict[str, Any]:
    return {"1": loader(), "2": sampler(**settings), "3": decode(["2", 0]), "4": preview(["2", 0]),
            "5": capture(["2", 0], "tokens"), "6": capture(["3", 0], "image")}


def preview(tokens: list[Any]) -> dict[str, Any]:
    return {"class_type": "PreviewImageTokens", "inputs": {"image_tokens": tokens}}
