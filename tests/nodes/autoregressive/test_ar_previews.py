"""The AR sampler draws the previews a run asked for: the VQ decode, the cheap token grid, or none."""

from __future__ import annotations

from typing import Any

import pytest
from ar_prompts import sample_graph

from nodegraph.core.executor import Executor
from nodegraph.core.validate import validate
from nodegraph.runtime.context import Context


def previews(engine: Any, method: str) -> list[Any]:
    engine.registry.bind(engine.services)
    checked = validate(sample_graph(seed=3), engine.registry, None)
    events: list[Any] = []
    fresh = Executor(engine.registry, None, engine.services, Context)  # nothing cached: the sampler runs
    result = fresh.run(checked.prompt, checked.outputs, sink=events.append,
                                 extra_data={"preview_method": method})
    assert result.status == "success", result.error
    return [e.preview for e in events if e.type == "progress" and e.node == "2"]


@pytest.mark.parametrize(("method", "size"), [("auto", (32, 32)), ("latent2rgb", (64, 64)), ("none", None)])
def test_the_preview_method_decides_what_the_sampler_draws(engine: Any, method: str, size: Any) -> None:
    drawn = previews(engine, method)
    assert len(drawn) == 8  # one progress report per token row whatever the method
    assert [p.size if p is not None else None for p in drawn] == [size] * 8
