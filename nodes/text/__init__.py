"""Text family: tokenizer and text-encoder nodes producing TEXT_TOKENS and CONDITIONING (SDXL's, SD3's and Flux's
included), and conditioning arithmetic."""

from .conditioning import NODES as _conditioning
from .dit_prompts import NODES as _dit
from .encode import NODES as _encode
from .sdxl_encode import NODES as _sdxl

NODES = [*_encode, *_sdxl, *_dit, *_conditioning]
