"""What the comparison tests run on, importable under a name no other test folder uses (a test importing
from `conftest` gets whichever conftest module was imported first)."""

from __future__ import annotations

# Two evaluator prompts (ground truth included), neither with a white shape, so both also give an edit.
PROMPTS = [
    {"prompt": "a little blue square in the top right on a red background", "shape": "square", "color": "blue",
     "size": "small", "position": "top right", "background": "red"},
    {"prompt": "black background, a large green circle in the lower right", "shape": "circle", "color": "green",
     "size": "large", "position": "bottom right", "background": "black"},
]
STEPS = (2, 3)
