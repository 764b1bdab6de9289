"""Pixel scorer: read background, shape colour, kind, size and position back from an image, and compare.

Pure functions on uint8 HxWx3 arrays; no model involved. Other tests import `judge` to check that a
generated image follows its prompt, and `extract` to see what an image shows.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from nodegraph.train.dataset import COLORS, POSITIONS, Attributes

_NAMES = list(COLORS)
_PALETTE = np.array([COLORS[name] for name in _NAMES], dtype=np.float32)
# Components smaller than this are noise or anti-aliasing fringes, not shapes (a small shape is >= ~90 px).
MIN_AREA = 24
# Bounding-box side separating "small" (13-18 px) from "large" (25-31 px).
SIZE_THRESHOLD = 22


@dataclass(frozen=True)
class DetectedShape:
    """One connected region of a single non-background colour."""

    kind: str
    color: str
    size: str
    position: str
    area: int
    centroid: tuple[float, float]
    corner_reach: tuple[float, float]  # (top, bottom): see corner_reach()


@dataclass(frozen=True)
class Detection:
    background: str
    shapes: tuple[DetectedShape, ...]  # largest first
    foreground: np.ndarray  # bool HxW: pixels not of the background colour


def nearest_colors(image: np.ndarray) -> np.ndarray:
    """Index into COLORS of the nearest palette colour, per pixel."""
    pixels = image.reshape(-1, 3).astype(np.float32)
    distances = ((pixels[:, None, :] - _PALETTE[None, :, :]) ** 2).sum(-1)
    return distances.argmin(1).reshape(image.shape[:2])


def components(region: np.ndarray) -> list[np.ndarray]:
    """4-connected components of a boolean grid, each as an array of (y, x) pixel coordinates."""
    seen = np.zeros_like(region, dtype=bool)
    found = []
    height, width = region.shape
    for y0, x0 in zip(*np.nonzero(region), strict=True):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        queue, pixels = deque([(y0, x0)]), []
        while queue:
            y, x = queue.popleft()
            pixels.append((y, x))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < height and 0 <= nx < width and region[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        found.append(np.array(pixels))
    return found


# (top, bottom) corner reach of the ideal shapes: a square fills all four corners of its bounding box, a
# circle none, the dataset's upward triangle only the two at its base.
KIND_PROTOTYPES = {"square": (2.0, 2.0), "circle": (2 ** 0.5, 2 ** 0.5), "triangle": (1.0, 2.0)}


def corner_reach(pixels: np.ndarray) -> tuple[float, float]:
    """How far a region reaches into the corners of its bounding box, as the largest |u| + |v| per quadrant
    (u, v: pixel centres scaled so the box spans [-1, 1]), averaged over the top and the bottom quadrants.

    An earlier judge used bounding-box fill, which cannot tell a circle from a square with slightly concave
    sides (fill ~0.85) or a triangle with rounded base corners (fill ~0.7): a square's corners still reach
    out where a circle has none, however its sides bend."""
    ys, xs = pixels[:, 0].astype(np.float64), pixels[:, 1].astype(np.float64)
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    u = (xs - cx) / max((xs.max() - xs.min()) / 2, 0.5)
    v = (ys - cy) / max((ys.max() - ys.min()) / 2, 0.5)
    reach = np.abs(u) + np.abs(v)

    def quadrant(horizontal: np.ndarray, vertical: np.ndarray) -> float:
        inside = horizontal & vertical
        return float(reach[inside].max()) if inside.any() else 0.0

    top = (quadrant(u <= 0, v <= 0) + quadrant(u >= 0, v <= 0)) / 2
    bottom = (quadrant(u <= 0, v >= 0) + quadrant(u >= 0, v >= 0)) / 2
    return top, bottom


def classify_kind(reach: tuple[float, float]) -> str:
    """The kind whose ideal shape's corner reach is nearest."""
    top, bottom = reach
    return min(KIND_PROTOTYPES,
               key=lambda kind: (KIND_PROTOTYPES[kind][0] - top) ** 2 + (KIND_PROTOTYPES[kind][1] - bottom) ** 2)


def nearest_position(cx: float, cy: float, width: int, height: int) -> str:
    scale_x, scale_y = width / 64, height / 64
    return min(POSITIONS, key=lambda p: (POSITIONS[p][0] * scale_x - cx) ** 2 + (POSITIONS[p][1] * scale_y - cy) ** 2)


def describe_region(pixels: np.ndarray, color: str, width: int, height: int) -> DetectedShape:
    ys, xs = pixels[:, 0], pixels[:, 1]
    box_w, box_h = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    reach = corner_reach(pixels)
    # Triangles point up, so their centroid sits low; the box centre is where the caption's position is.
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    extent = max(box_w, box_h) * 64 / max(width, height)
    return DetectedShape(
        kind=classify_kind(reach), color=color, size="small" if extent < SIZE_THRESHOLD else "large",
        position=nearest_position(cx, cy, width, height), area=len(pixels),
        centroid=(float(cx), float(cy)), corner_reach=reach,
    )


def extract(image: np.ndarray) -> Detection:
    """What the image shows: background colour (majority of the border) and its shapes."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected uint8 HxWx3, got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    labels = nearest_colors(image)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    background = int(np.bincount(border, minlength=len(_NAMES)).argmax())
    shapes = []
    for index, name in enumerate(_NAMES):
        if index == background:
            continue
        for pixels in components(labels == index):
            if len(pixels) >= MIN_AREA * width * height / 4096:
                shapes.append(describe_region(pixels, name, width, height))
    shapes.sort(key=lambda s: -s.area)
    return Detection(background=_NAMES[background], shapes=tuple(shapes), foreground=labels != background)


def judge(image: np.ndarray, expected: Attributes) -> dict[str, bool]:
    """Does the image show what `expected` describes? For one expected shape, the largest detected shape
    is scored; for several, the detected shape agreeing best with the first one, and `all_shapes` says
    whether each expected shape is found. `fully_correct` = background, colour, kind and position right."""
    found = extract(image)
    main = expected.shapes[0]
    best = found.shapes[0] if found.shapes else None
    if len(expected.shapes) > 1 and found.shapes:
        best = max(found.shapes, key=lambda d: (d.color == main.color) + (d.kind == main.kind)
                   + (d.position == main.position))
    result = {
        "background": found.background == expected.background,
        "color": best is not None and best.color == main.color,
        "shape": best is not None and best.kind == main.kind,
        "position": best is not None and best.position == main.position,
        "size": best is not None and best.size == main.size,
    }
    result["fully_correct"] = all(result[k] for k in ("background", "color", "shape", "position"))
    result["all_shapes"] = result["background"] and all(
        any((d.kind, d.color, d.position) == (s.kind, s.color, s.position) for d in found.shapes)
        for s in expected.shapes
    )
    return result


def shape_mask(image: np.ndarray) -> np.ndarray:
    """Binary (uint8) mask of non-background pixels, for IoU against a requested mask."""
    return extract(image).foreground.astype(np.uint8)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
