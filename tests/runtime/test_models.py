"""The model manager: finding models by name, memoised loading, what is loaded, freeing, the memory budget."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nodegraph.config import Config
from nodegraph.runtime.devices import DeviceError, pick_device, pick_dtype
from nodegraph.runtime.models import ModelManager, ModelNotFound


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "checkpoints" / "alpha").mkdir(parents=True)
    (second / "checkpoints" / "beta").mkdir(parents=True)
    (second / "checkpoints" / "alpha").mkdir(parents=True)  # shadowed by the first folder's
    (second / "controlnet").mkdir(parents=True)
    (second / "controlnet" / "edge.safetensors").write_bytes(b"")
    (second / "checkpoints" / ".hidden").mkdir()
    return first, second


def _linear(size: int):
    def load(device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
        return torch.nn.Linear(size, size).to(device, dtype)

    return load


def test_find_and_list_search_every_models_folder_in_order(tmp_path):
    first, second = _folders(tmp_path)
    manager = ModelManager(Config(models_dirs=(first, second), device="cpu"))
    assert manager.list("checkpoints") == ["alpha", "beta"]
    assert manager.list("controlnet") == ["edge.safetensors"]
    assert manager.list("vae") == []
    assert manager.find("checkpoints", "alpha") == first / "checkpoints" / "alpha"
    assert manager.find("checkpoints", "beta") == second / "checkpoints" / "beta"


@pytest.mark.parametrize("name", ["gamma", "../a/checkpoints/alpha", "/etc", ""])
def test_missing_or_escaping_names_are_not_found_and_the_error_lists_what_exists(tmp_path, name):
    first, second = _folders(tmp_path)
    manager = ModelManager(Config(models_dirs=(first, second), device="cpu"))
    with pytest.raises(ModelNotFound) as caught:
        manager.find("checkpoints", name)
    assert "alpha, beta" in str(caught.value) and str(first / "checkpoints") in str(caught.value)


def test_hub_ids_resolve_from_the_local_hugging_face_cache(tmp_path, monkeypatch):
    import huggingface_hub.constants

    cache = tmp_path / "hub"
    repo = cache / "models--someone--tiny-sd"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "model_index.json").write_text("{}")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # never reach the network here
    manager = ModelManager(Config(models_dirs=(tmp_path / "models",), device="cpu"))
    assert manager.find("checkpoints", "someone/tiny-sd") == snapshot
    with pytest.raises(ModelNotFound):
        manager.find("checkpoints", "nobody/not-a-cached-model")


def test_a_model_and_its_own_submodule_count_once(tmp_path):
    manager = ModelManager(Config(models_dirs=(tmp_path,), device="cpu"))
    outer = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 8))
    manager.load("pair", lambda device, dtype: (outer, outer[1]))  # as Janus's codec is part of its model
    assert manager.loaded()[0]["bytes"] == 2 * (64 + 8) * 4


def test_load_is_memoised_and_reported(tmp_path):
    manager = ModelManager(Config(models_dirs=(tmp_path,), device="cpu"))
    first = manager.load("unet", _linear(8), kind="checkpoints", name="m/unet")
    again = manager.load("unet", _linear(8))
    assert first is again and manager.load_count == 1
    assert manager.loaded() == [{"key": "unet", "name": "m/unet", "kind": "checkpoints", "bytes": (64 + 8) * 4,
                                 "device": "cpu"}]
    assert manager.free("unet") == 288 and manager.loaded() == []
    assert manager.load("unet", _linear(8)) is not first and manager.load_count == 2


def test_cpu_budget_frees_the_least_recently_used(tmp_path):
    # Each Linear(64) is (64*64 + 64) * 4 = 16,640 bytes; a 40 kB budget keeps two.
    manager = ModelManager(Config(models_dirs=(tmp_path,), device="cpu", vram_budget_gb=40_000 / 2**30))
    manager.load("a", _linear(64))
    manager.load("b", _linear(64))
    manager.load("a", _linear(64))  # touch: b is now the least recently used
    manager.load("c", _linear(64))
    assert [e["key"] for e in manager.loaded()] == ["a", "c"]
    manager.load("b", _linear(64))
    assert manager.load_count == 4


def test_device_and_dtype_come_from_the_config():
    assert ModelManager(Config(device="cpu")).device == torch.device("cpu")
    assert ModelManager(Config(device="cpu")).dtype == torch.float32
    assert pick_dtype(torch.device("cuda", 0)) in (torch.float16, torch.bfloat16)
    assert pick_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(DeviceError, match="not one of"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA"):
            pick_device("cuda:0")
