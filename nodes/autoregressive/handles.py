"""AR_MODEL and VQ_MODEL handles: both name the one manager entry a model folder loads into (the
transformer and its VQ tokenizer load together; a Janus VQ is part of the Janus model), each `.get()`
returning its own part. They hold no weights, so the output cache never pins a model the manager freed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nodegraph import NodeError
from nodegraph.runtime.handles import Handle

if TYPE_CHECKING:
    from nodegraph.autoregressive.model import ArModel, VqCodec


@dataclass(eq=False, repr=False)
class ArModelHandle(Handle):
    """AR_MODEL: the transformer, seen as an ArModel (prompt -> image-code logits)."""

    def get(self) -> ArModel:
        return super().get()[0]


@dataclass(eq=False, repr=False)
class VqHandle(Handle):
    """VQ_MODEL: the image tokenizer, seen as a VqCodec (pixels <-> codebook indices)."""

    def get(self) -> VqCodec:
        return super().get()[1]


def loaded(name: str, value: Any, cls: type[Handle], socket: str) -> Any:
    """The ArModel / VqCodec behind a handle input, or NodeError naming the input when it is not one."""
    if not isinstance(value, cls):
        raise NodeError(name, f"expected a {socket} from Load AR Model, got {type(value).__name__}")
    return value.get()
