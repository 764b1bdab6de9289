"""Cache keys: a node's key digests its class, constants, fingerprint hook and its producers' keys.

Each key is computed once per node per prompt from the already-computed keys of its producers, so the
total cost is linear in the graph's size (ComfyUI rebuilds every ancestor's signature per node).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any


# Separators are control characters, which repr and json always escape inside names and parts.
_PART, _NAME = "\x1f", "\x1d"


@dataclass(frozen=True, slots=True)
class Signature:
    """The parts a key is made of, kept so the executor can say why a node re-ran.

    The (input name, digest) parts are held joined in one string: one is kept per node across prompts,
    and a tuple of tuples of strings costs several times the memory (see bench/README.md, Executor).
    """

    class_type: str
    fingerprint: str
    text: str

    @classmethod
    def of(cls, class_type: str, fingerprint: str, parts: list[tuple[str, str]]) -> Signature:
        return cls(class_type, fingerprint, _PART.join(f"{name}{_NAME}{part}" for name, part in parts))

    @property
    def key(self) -> str:
        text = "\x1e".join((self.class_type, self.fingerprint, self.text))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    @property
    def parts(self) -> dict[str, str]:
        return dict(item.split(_NAME, 1) for item in self.text.split(_PART)) if self.text else {}


_SCALARS = (bool, int, float, type(None))


def digest_literal(value: Any) -> str:
    if isinstance(value, _SCALARS) or (isinstance(value, str) and len(value) <= 64):
        return "=" + repr(value)  # repr keeps 1, 1.0, True and "1" apart, and is far cheaper than json
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) <= 64:
        return "=" + text
    return "#" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def digest_fingerprint(value: Any) -> str:
    """NaN never equals itself in ComfyUI's contract: such a node must run every time."""
    if isinstance(value, float) and math.isnan(value):
        return "nan:" + uuid.uuid4().hex
    return digest_literal(value)


def explain(old: Signature | None, new: Signature) -> str:
    """A short human reason for a node not coming from the cache."""
    if old is None:
        return "first run"
    if new.fingerprint.startswith("nan:"):
        return "always re-runs (its fingerprint changes every time)"
    if old.class_type != new.class_type:
        return "node class changed"
    if old.fingerprint != new.fingerprint:
        return "its fingerprint changed (e.g. an input file changed)"
    before, after = old.parts, new.parts
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    literal_changes = [k for k in changed if not (after.get(k, "").startswith("@")
                                                  or before.get(k, "").startswith("@"))]
    if literal_changes:
        return "input changed: " + ", ".join(literal_changes)
    if changed:
        return "upstream changed: " + ", ".join(changed)
    return "evicted from the cache"
