"""ComfyUI's `comfy.utils`: progress bars that report through the running node, resizing, and reading weights
(safetensors only: nodegraph never unpickles a file)."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from ...core.context import current
from ...core.events import Progress
from ...runtime.resize import common_upscale as _resize
from ...runtime.resize import lanczos

__all__ = ["ProgressBar", "PROGRESS_BAR_ENABLED", "set_progress_bar_enabled", "common_upscale", "lanczos",
           "load_torch_file", "save_torch_file", "safetensors_header", "calculate_parameters",
           "state_dict_prefix_replace", "repeat_to_batch_size"]

PROGRESS_BAR_ENABLED = True
SAFETENSORS = (".safetensors", ".sft")


def set_progress_bar_enabled(enabled: bool) -> None:
    """Accepted for compatibility; progress always reaches the running node's events."""


class ProgressBar:
    """Reports `value / total` as the progress of the node that created it (or `node_id`), with an optional
    preview `(format, PIL image, max size)`; raises if the user interrupted, as ComfyUI's hook does."""

    def __init__(self, total: int, node_id: str | None = None) -> None:
        self.total = total
        self.current = 0
        self.node_id = node_id
        self._ctx = current()  # captured: a progress bar may be updated from a worker thread

    def update_absolute(self, value: float, total: float | None = None, preview: Any = None) -> None:
        if total is not None:
            self.total = total
        self.current = min(value, self.total)
        ctx = self._ctx or current()
        if ctx is None:
            return
        image = preview[1] if isinstance(preview, (tuple, list)) and len(preview) >= 2 else preview
        ctx.check_interrupted()
        ctx.emit(Progress(ctx.prompt_id, self.node_id or ctx.display_node_id, self.current, self.total, image))

    def update(self, value: float) -> None:
        self.update_absolute(self.current + value)


def common_upscale(samples: Any, width: int, height: int, upscale_method: str, crop: str) -> Any:
    """[B, C, H, W] resized (nearest-exact, bilinear, area, bicubic, lanczos; "bislerp" is not provided)."""
    return _resize(samples, width, height, upscale_method, crop)


def _refuse_pickles(path: Path) -> None:
    if path.suffix.lower() not in SAFETENSORS:
        raise ValueError(f"{path.name}: nodegraph loads weights from safetensors files only (it never unpickles "
                         f".ckpt/.pt/.bin files)")


def load_torch_file(ckpt: str | Path, safe_load: bool = False, device: Any = None,
                    return_metadata: bool = False) -> Any:
    """The tensors of a .safetensors file (and its metadata when asked); any other file is refused."""
    from safetensors import safe_open

    path = Path(ckpt)
    _refuse_pickles(path)
    target = "cpu" if device is None else str(device)
    with safe_open(str(path), framework="pt", device=target) as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        metadata = handle.metadata()
    return (tensors, metadata) if return_metadata else tensors


def save_torch_file(sd: dict[str, Any], ckpt: str | Path, metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save_file

    _refuse_pickles(Path(ckpt))
    save_file(sd, str(ckpt), metadata=metadata)


def safetensors_header(safetensors_path: str | Path, max_size: int = 100 * 1024 * 1024) -> bytes | None:
    """The JSON header of a .safetensors file as bytes (None when larger than max_size): describes every
    tensor's dtype and shape without reading the weights."""
    with open(safetensors_path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return None
        (length,) = struct.unpack("<Q", head)
        if length > max_size:
            return None
        data = handle.read(length)
    json.loads(data)  # a truncated or foreign file fails here, not in the caller's parser
    return data


def calculate_parameters(sd: dict[str, Any], prefix: str = "") -> int:
    return sum(value.nelement() for key, value in sd.items() if key.startswith(prefix))


def state_dict_prefix_replace(state_dict: dict[str, Any], replace_prefix: dict[str, str],
                              filter_keys: bool = False) -> dict[str, Any]:
    """Keys starting with each old prefix renamed to the new one (others dropped when filter_keys)."""
    out = {} if filter_keys else state_dict
    for old, new in replace_prefix.items():
        for key in [k for k in state_dict if k.startswith(old)]:
            out[new + key[len(old):]] = state_dict.pop(key)
    return out


def repeat_to_batch_size(tensor: Any, batch_size: int, dim: int = 0) -> Any:
    """`tensor` cut or repeated along `dim` to batch_size items."""
    size = tensor.shape[dim]
    if size > batch_size:
        return tensor.narrow(dim, 0, batch_size)
    if size < batch_size:
        repeats = [1] * tensor.ndim
        repeats[dim] = -(-batch_size // size)
        return tensor.repeat(repeats).narrow(dim, 0, batch_size)
    return tensor
