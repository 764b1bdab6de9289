"""The evaluator's fixed prompt lists: held-out attribute combinations with ground truth.

The dataset never generates these (shape, colour, size, position, background) combinations, so no
evaluation caption is seen verbatim in training. eval_prompts.json phrases them in the dataset's templates;
eval_prompts_held_out.json phrases the same combinations in the caption grammar's held-out structures
(grammar.py), which training never produces. Regenerate with `write_eval_prompts()` (seeded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nodegraph.train.dataset import (
    COLORS,
    EVAL_PROMPTS_PATH,
    HELD_OUT_PROMPTS_PATH,
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


def rephrase_held_out(rows: list[dict], seed: int = 4321) -> list[dict]:
    """The same combinations, each captioned in a held-out structure of the caption grammar."""
    from nodegraph.train.grammar import held_out_caption

    rng = np.random.default_rng(seed)
    return [{**row, "prompt": held_out_caption(_attributes(row), rng)} for row in rows]


def write_eval_prompts(path: Path = EVAL_PROMPTS_PATH, held_out_path: Path = HELD_OUT_PROMPTS_PATH) -> None:
    rows = make_eval_prompts()
    path.write_text(json.dumps({"prompts": rows}, indent=1) + "\n")
    held_out_path.write_text(json.dumps({"prompts": rephrase_held_out(rows)}, indent=1) + "\n")


def _attributes(row: dict) -> Attributes:
    return Attributes(row["background"], (Shape(row["shape"], row["color"], row["size"], row["position"]),))


def load_eval_prompts(path: Path = EVAL_PROMPTS_PATH) -> list[EvalPrompt]:
    rows = json.loads(path.read_text())["prompts"]
    return [EvalPrompt(row["prompt"], _attributes(row)) for row in rows]


def load_held_out_prompts() -> list[EvalPrompt]:
    """The evaluator's combinations in held-out sentence structures."""
    return load_eval_prompts(HELD_OUT_PROMPTS_PATH)
