"""Synthetic captioned shape scenes: index -> (image, caption, mask, edges, attributes), deterministic by seed.

Each 64x64 RGB scene shows one shape (sometimes two) on a flat background. The caption states every
attribute the evaluator checks (colour, shape, size, position, background), in varied paraphrases.
Attribute combinations listed in eval_prompts.json are never generated, so evaluation prompts are unseen.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 64
# Drawing at 4x and downsampling gives anti-aliased edges, which autoencoders reconstruct far better.
_SUPERSAMPLE = 4

# Chosen so every pair is >= ~90 apart in RGB: a nearest-colour pixel classifier separates them.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 50),
    "blue": (30, 70, 225),
    "yellow": (240, 225, 40),
    "purple": (140, 40, 180),
    "orange": (245, 130, 0),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
SHAPES = ("circle", "square", "triangle")
SIZES = ("small", "large")
# Nominal centres (x, y) in pixels; a shape is jittered around its centre.
POSITIONS: dict[str, tuple[int, int]] = {
    "top left": (16, 16),
    "top right": (48, 16),
    "bottom left": (16, 48),
    "bottom right": (48, 48),
    "center": (32, 32),
}
# Shape extent (bounding-box side) ranges in pixels, per size word.
EXTENTS: dict[str, tuple[int, int]] = {"small": (13, 18), "large": (25, 31)}
JITTER = 3
TWO_SHAPE_PROBABILITY = 0.15

SIZE_WORDS = {"small": ("small", "little"), "large": ("large", "big")}
POSITION_WORDS = {
    "top left": ("top left", "upper left", "top left corner"),
    "top right": ("top right", "upper right", "top right corner"),
    "bottom left": ("bottom left", "lower left", "bottom left corner"),
    "bottom right": ("bottom right", "lower right", "bottom right corner"),
    "center": ("center", "middle"),
}
# {obj} is one "a small red circle at the top left"-like phrase, or two joined by "and".
TEMPLATES = (
    "{obj} on a {bg} background",
    "{obj}, {bg} background",
    "a {bg} background with {obj}",
    "{bg} background, {obj}",
    "an image of {obj} on {bg}",
    "a picture of {obj} on a {bg} background",
    "there is {obj} on a {bg} background",
)
OBJECT_TEMPLATES = (
    "{size} {color} {shape} at the {pos}",
    "{size} {color} {shape} in the {pos}",
    "{color} {shape}, {size}, at the {pos}",
    "{size} {shape} in {color} at the {pos}",
)

EVAL_PROMPTS_PATH = Path(__file__).with_name("eval_prompts.json")
HELD_OUT_PROMPTS_PATH = Path(__file__).with_name("eval_prompts_held_out.json")


@dataclass(frozen=True)
class Shape:
    """One shape's named attributes, as stated in a caption."""

    kind: str
    color: str
    size: str
    position: str


@dataclass(frozen=True)
class Attributes:
    """Ground truth of a scene: the background colour and its shapes (the first is the main one)."""

    background: str
    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class Sample:
    """One dataset item. image uint8 HxWx3; mask and edges uint8 HxW in {0, 1}."""

    image: np.ndarray
    caption: str
    mask: np.ndarray
    edges: np.ndarray
    attributes: Attributes


def fix_articles(text: str) -> str:
    """Turn "a" into "an" before a vowel ("an orange circle")."""
    return re.sub(r"\ba ([aeiou])", r"an \1", text)


def describe_shape(shape: Shape, rng: np.random.Generator, template: str | None = None) -> str:
    template = template or str(rng.choice(OBJECT_TEMPLATES))
    phrase = template.format(
        size=str(rng.choice(SIZE_WORDS[shape.size])), color=shape.color, shape=shape.kind,
        pos=str(rng.choice(POSITION_WORDS[shape.position])),
    )
    return "a " + phrase


def caption_for(attributes: Attributes, rng: np.random.Generator) -> str:
    objects = " and ".join(describe_shape(shape, rng) for shape in attributes.shapes)
    return fix_articles(str(rng.choice(TEMPLATES)).format(obj=objects, bg=attributes.background))


def shape_polygon(kind: str, cx: float, cy: float, extent: float) -> list[tuple[float, float]] | None:
    """Vertices for polygon shapes (None for a circle), in pixel coordinates."""
    half = extent / 2
    if kind == "square":
        return [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half)]
    if kind == "triangle":
        return [(cx, cy - half), (cx + half, cy + half), (cx - half, cy + half)]
    return None


def draw_scene(attributes: Attributes, geometry: list[tuple[float, float, float]]) -> tuple[Image.Image, np.ndarray]:
    """Render the scene; geometry holds (cx, cy, extent) per shape. Returns the image and the binary mask."""
    big = IMAGE_SIZE * _SUPERSAMPLE
    image = Image.new("RGB", (big, big), COLORS[attributes.background])
    mask = Image.new("L", (big, big), 0)
    for shape, (cx, cy, extent) in zip(attributes.shapes, geometry, strict=True):
        s = _SUPERSAMPLE
        poly = shape_polygon(shape.kind, cx * s, cy * s, extent * s)
        for canvas, fill in ((ImageDraw.Draw(image), COLORS[shape.color]), (ImageDraw.Draw(mask), 255)):
            if poly is None:
                half = extent * s / 2
                canvas.ellipse([cx * s - half, cy * s - half, cx * s + half, cy * s + half], fill=fill)
            else:
                canvas.polygon(poly, fill=fill)
    small = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX)
    mask_small = np.asarray(mask.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX)) >= 128
    return small, mask_small.astype(np.uint8)


def edge_map(mask: np.ndarray) -> np.ndarray:
    """Pixels of the mask whose 4-neighbourhood leaves the mask: a one-pixel outline."""
    padded = np.pad(mask, 1, mode="edge")
    inner = (
        padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:] & mask
    )
    return (mask & (1 - inner)).astype(np.uint8)


@lru_cache(maxsize=1)
def held_out_combinations() -> frozenset[tuple[str, str, str, str, str]]:
    """(kind, colour, size, position, background) tuples reserved for evaluation."""
    if not EVAL_PROMPTS_PATH.exists():
        return frozenset()
    prompts = json.loads(EVAL_PROMPTS_PATH.read_text())["prompts"]
    return frozenset(
        (p["shape"], p["color"], p["size"], p["position"], p["background"]) for p in prompts
    )


def _random_shape(rng: np.random.Generator, background: str, taken: set[str]) -> Shape:
    colors = [c for c in COLORS if c != background]
    positions = [p for p in POSITIONS if p not in taken]
    return Shape(
        kind=str(rng.choice(SHAPES)), color=str(rng.choice(colors)),
        size=str(rng.choice(SIZES)), position=str(rng.choice(positions)),
    )


def random_attributes(rng: np.random.Generator, two_shape_probability: float = TWO_SHAPE_PROBABILITY) -> Attributes:
    held_out = held_out_combinations()
    while True:
        background = str(rng.choice(list(COLORS)))
        first = _random_shape(rng, background, set())
        key = (first.kind, first.color, first.size, first.position, background)
        if key not in held_out:
            break
    shapes = [first]
    if rng.random() < two_shape_probability:
        second = _random_shape(rng, background, {first.position})
        # Two large shapes in neighbouring corners would overlap; keep the second one small.
        shapes.append(Shape(second.kind, second.color, "small", second.position))
    return Attributes(background=background, shapes=tuple(shapes))


def random_geometry(shape: Shape, rng: np.random.Generator) -> tuple[float, float, float]:
    low, high = EXTENTS[shape.size]
    extent = float(rng.uniform(low, high))
    nx, ny = POSITIONS[shape.position]
    margin = extent / 2 + 1
    cx = float(np.clip(nx + rng.uniform(-JITTER, JITTER), margin, IMAGE_SIZE - margin))
    cy = float(np.clip(ny + rng.uniform(-JITTER, JITTER), margin, IMAGE_SIZE - margin))
    return cx, cy, extent


def render(attributes: Attributes, rng: np.random.Generator) -> Sample:
    geometry = [random_geometry(shape, rng) for shape in attributes.shapes]
    image, mask = draw_scene(attributes, geometry)
    return Sample(
        image=np.asarray(image, dtype=np.uint8), caption=caption_for(attributes, rng),
        mask=mask, edges=edge_map(mask), attributes=attributes,
    )


class ShapesDataset:
    """Indexable, deterministic dataset: the same (seed, index) always gives the same sample."""

    def __init__(self, length: int = 1_000_000, seed: int = 0,
                 two_shape_probability: float = TWO_SHAPE_PROBABILITY) -> None:
        self.length = length
        self.seed = seed
        self.two_shape_probability = two_shape_probability

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Sample:
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        return render(random_attributes(rng, self.two_shape_probability), rng)

    def attributes_at(self, index: int) -> Attributes:
        """What sample `index` shows, without drawing it (its attributes come first from the same draws)."""
        return random_attributes(np.random.default_rng([self.seed, index]), self.two_shape_probability)


def batch_arrays(dataset: ShapesDataset, indices: range | list[int]) -> dict[str, np.ndarray | list[str]]:
    """Stack samples into arrays: images [N,64,64,3] uint8, masks [N,64,64] uint8, captions list."""
    samples = [dataset[i] for i in indices]
    return {
        "images": np.stack([s.image for s in samples]),
        "masks": np.stack([s.mask for s in samples]),
        "captions": [s.caption for s in samples],
    }
