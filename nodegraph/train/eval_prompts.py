"""The evaluator's fixed prompt list (eval_prompts.json): held-out attribute combinations with ground truth.

The dataset never generates these (shape, colour, size, position, background) combinations, so no
evaluation caption is seen verbatim in training. Regenerate with `write_eval_prompts()` (seeded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nodegraph.train.dataset import (
    COLORS,
    EVAL_PROMPTS_PATH,
    POSITIONS,
    SHAPES,
    SIZES,
    TEMPLATES,
    Attributes,
    Shape,
    describe_shape,
    fix_articles,
)


@dataclass(frozen=True)
class EvalPrompt:
    prompt: str
    attributes: Attributes


def make_eval_prompts(count: int = 64, seed: int = 1234) -> list[dict]:
    """Distinct combinations, cycling through shapes and positions so each is evenly covered."""
    rng = np.random.default_rng(seed)
    positions, seen, rows = list(POSITIONS), set(), []
    while len(rows) < count:
        i = len(rows)
        background = str(rng.choice(list(COLORS)))
        color = str(rng.choice([c for c in COLORS if c != background]))
        shape = Shape(SHAPES[i % len(SHAPES)], color, SIZES[(i // 3) % 2], positions[i % len(positions)])
        key = (shape.kind, shape.color, shape.size, shape.position, background)
        if key in seen:
            continue
        seen.add(key)
        text = fix_articles(str(rng.choice(TEMPLATES)).format(obj=describe_shape(shape, rng), bg=background))
        rows.append({"prompt": text, "shape": shape.kind, "color": shape.color, "size": shape.size,
                     "position": shape.position, "background": background})
    return rows


def write_eval_prompts(path: Path = EVAL_PROMPTS_PATH) -> None:
    path.write_text(json.dumps({"prompts": make_eval_prompts()}, indent=1) + "\n")


def load_eval_prompts(path: Path = EVAL_PROMPTS_PATH) -> list[EvalPrompt]:
    rows = json.loads(path.read_text())["prompts"]
    return [
        EvalPrompt(row["prompt"], Attributes(row["background"], (
            Shape(row["shape"], row["color"], row["size"], row["position"]),)))
        for row in rows
    ]
