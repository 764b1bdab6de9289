"""Image nodes: load from the input folder, save and preview as PNG with the workflow embedded."""

from .generate import NODES as _generate
from .load import NODES as _load
from .save import NODES as _save

NODES = [*_load, *_save, *_generate]
