"""General-purpose nodes that need no models: primitives, math, strings, flow control."""

from .flow import NODES as _flow
from .math_nodes import NODES as _math
from .primitives import NODES as _primitives
from .strings import NODES as _strings

NODES = [*_primitives, *_math, *_strings, *_flow]
