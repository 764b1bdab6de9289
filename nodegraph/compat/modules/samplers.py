"""ComfyUI's `comfy.samplers` name lists (KSampler.SAMPLERS, KSampler.SCHEDULERS, SAMPLER_NAMES, ...), read
from the engine's own KSampler: a pack's combo offers exactly the names nodegraph's sampler honours."""

from __future__ import annotations

from typing import Any


def _choices(host: Any, node: str, input_name: str) -> list[str]:
    spec = host.registry.get(node)
    decl = spec.inputs.get(input_name) if spec is not None else None
    return list(decl.options_list()) if decl is not None else []


def bind(host: Any) -> dict[str, Any]:
    samplers = _choices(host, "KSampler", "sampler_name")
    schedulers = _choices(host, "KSampler", "scheduler")

    class KSampler:
        """Only the name lists: sampling itself is nodegraph's KSampler node."""

        SAMPLERS = samplers
        SCHEDULERS = schedulers

    return {"KSampler": KSampler, "SAMPLER_NAMES": samplers, "SCHEDULER_NAMES": schedulers,
            "KSAMPLER_NAMES": list(samplers)}
