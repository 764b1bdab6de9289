"""Image nodes: load from the input folder, save and preview as PNG with the workflow embedded, resize, batch."""

from .batch import NODES as _batch
from .blend import NODES as _blend
from .generate import NODES as _generate
from .load import NODES as _load
from .save import NODES as _save
from .scale import NODES as _scale

NODES = [*_load, *_save, *_generate, *_blend, *_scale, *_batch]
