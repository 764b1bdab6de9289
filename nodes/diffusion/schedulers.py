"""ComfyUI's sampler and scheduler names, mapped onto diffusers schedulers: the one table of them.

A sampler name picks a diffusers scheduler class (and its solver options); a scheduler name picks how the
steps are spaced (timestep spacing or a sigma schedule). Names diffusers cannot honour are not offered,
and a pair the chosen class cannot honour (e.g. ddim with karras sigmas) is refused, never substituted.
"""

from __future__ import annotations

import ast
import copy
import inspect
import json
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SamplerEntry:
    scheduler_class: str
    options: dict[str, Any] = field(default_factory=dict)
    requires: str | None = None  # an optional package the class needs

    def available(self) -> bool:
        return self.requires is None or find_spec(self.requires) is not None


_SDE = {"algorithm_type": "sde-dpmsolver++"}
_TABLE: dict[str, SamplerEntry] = {
    "euler": SamplerEntry("EulerDiscreteScheduler"),
    "euler_ancestral": SamplerEntry("EulerAncestralDiscreteScheduler"),
    "heun": SamplerEntry("HeunDiscreteScheduler"),
    "dpm_2": SamplerEntry("KDPM2DiscreteScheduler"),
    "dpm_2_ancestral": SamplerEntry("KDPM2AncestralDiscreteScheduler"),
    "lms": SamplerEntry("LMSDiscreteScheduler", requires="scipy"),
    "dpmpp_sde": SamplerEntry("DPMSolverSDEScheduler", requires="torchsde"),
    "dpmpp_2m": SamplerEntry("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}),
    "dpmpp_2m_sde": SamplerEntry("DPMSolverMultistepScheduler", {**_SDE, "solver_order": 2}),
    "dpmpp_3m_sde": SamplerEntry("DPMSolverMultistepScheduler", {**_SDE, "solver_order": 3}),
    "ddpm": SamplerEntry("DDPMScheduler"),
    "lcm": SamplerEntry("LCMScheduler"),
    "deis": SamplerEntry("DEISMultistepScheduler"),
    "ddim": SamplerEntry("DDIMScheduler"),
    # diffusers' bh1 update turns NaN on a final step to sigma 0 (an infinite log-SNR step), so it ends at
    # the schedule's smallest sigma instead (found by the contract test in tests/nodes/diffusion).
    "uni_pc": SamplerEntry("UniPCMultistepScheduler", {"solver_type": "bh1", "final_sigmas_type": "sigma_min"}),
    "uni_pc_bh2": SamplerEntry("UniPCMultistepScheduler", {"solver_type": "bh2"}),
}

# Scheduler name -> the constructor option it sets, and that option's value.
SCHEDULES: dict[str, tuple[str, Any]] = {
    "normal": ("timestep_spacing", "linspace"),
    "karras": ("use_karras_sigmas", True),
    "exponential": ("use_exponential_sigmas", True),
    "simple": ("timestep_spacing", "trailing"),
    "ddim_uniform": ("timestep_spacing", "leading"),
    "beta": ("use_beta_sigmas", True),
    # Flow-matching models only: ComfyUI's sgm_uniform (timesteps evenly spaced, the last one dropped).
    "sgm_uniform": ("timestep_spacing", "sgm_uniform"),
}
FLOW_ONLY = frozenset({"sgm_uniform"})
# Flow-matching models (SD3, Flux) sample with diffusers' flow-matching Euler, the one their pipelines use.
FLOW_SAMPLERS = {"euler": "FlowMatchEulerDiscreteScheduler"}
FLOW_SCHEDULES = ("normal", "simple", "sgm_uniform", "karras", "exponential", "beta")

SAMPLERS: dict[str, SamplerEntry] = {name: entry for name, entry in _TABLE.items() if entry.available()}
SAMPLER_NAMES = list(SAMPLERS)
SCHEDULER_NAMES = list(SCHEDULES)


class UnsupportedSchedule(ValueError):
    """The sampler's diffusers class has no such spacing or sigma schedule."""


def scheduler_class(sampler_name: str) -> type:
    return scheduler_class_named(SAMPLERS[sampler_name].scheduler_class)


def supports(sampler_name: str, schedule: str) -> bool:
    if schedule in FLOW_ONLY:
        return True  # checked against the model when it samples (flow_problem / sd_problem)
    option = SCHEDULES[schedule][0]
    return option in _init_parameters(SAMPLERS[sampler_name].scheduler_class)


@cache
def _init_parameters(class_name: str) -> frozenset[str]:
    """The constructor parameters of a diffusers scheduler class. Read from diffusers' source with `ast`, so
    validating a workflow never imports diffusers (and torch, seconds); imported only if the source is not
    where diffusers keeps its schedulers."""
    spec = find_spec("diffusers")
    folder = Path(spec.origin).parent / "schedulers" if spec is not None and spec.origin else None
    for path in sorted(folder.glob("scheduling_*.py")) if folder is not None and folder.is_dir() else []:
        source = path.read_text(encoding="utf-8")
        if f"class {class_name}(" not in source:
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef) and node.name == class_name:
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        args = item.args
                        return frozenset(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
    return frozenset(inspect.signature(scheduler_class_named(class_name).__init__).parameters)


def scheduler_class_named(class_name: str) -> type:
    import diffusers

    return getattr(diffusers, class_name)


def compatibility_problem(sampler_name: str, schedule: str) -> str | None:
    """A message when the pair cannot run, for validation before anything loads."""
    if sampler_name not in SAMPLERS:
        return f"sampler {sampler_name!r} is not available; choose one of {', '.join(SAMPLER_NAMES)}"
    if schedule not in SCHEDULES:
        return f"scheduler {schedule!r} is not available; choose one of {', '.join(SCHEDULER_NAMES)}"
    if not supports(sampler_name, schedule):
        usable = [s for s in SCHEDULER_NAMES if s not in FLOW_ONLY and supports(sampler_name, s)]
        return (f"scheduler {schedule!r} cannot be used with sampler {sampler_name!r} "
                f"(diffusers' {SAMPLERS[sampler_name].scheduler_class} has no such schedule); "
                f"use one of {', '.join(usable)}")
    return None


def model_problem(sampler_name: str, schedule: str, flow: bool) -> str | None:
    """A message when the pair cannot sample this kind of model (flow matching or not)."""
    if flow:
        if sampler_name not in FLOW_SAMPLERS:
            return (f"sampler {sampler_name!r} cannot sample a flow-matching model (SD3, Flux) here; use "
                    f"{', '.join(FLOW_SAMPLERS)}")
        if schedule not in FLOW_SCHEDULES:
            return (f"scheduler {schedule!r} does not apply to a flow-matching model (SD3, Flux); use one of "
                    f"{', '.join(FLOW_SCHEDULES)}")
        return None
    if schedule in FLOW_ONLY:
        usable = [s for s in SCHEDULER_NAMES if s not in FLOW_ONLY and supports(sampler_name, s)]
        return f"scheduler {schedule!r} is for flow-matching models (SD3, Flux); use one of {', '.join(usable)}"
    return None


def build_scheduler(sampler_name: str, schedule: str, model_config: dict[str, Any], flow: bool = False) -> Any:
    """A fresh scheduler for one sampling run, built on the model's own training-noise config."""
    problem = compatibility_problem(sampler_name, schedule) or model_problem(sampler_name, schedule, flow)
    if problem:
        raise UnsupportedSchedule(problem)
    if flow:
        return copy.deepcopy(_flow_prototype(schedule, json.dumps(model_config, sort_keys=True)))
    # Schedulers keep per-run state, so each run gets a copy of a prototype (from_config costs milliseconds).
    return copy.deepcopy(_prototype(sampler_name, schedule, json.dumps(model_config, sort_keys=True)))


@lru_cache(maxsize=64)
def _prototype(sampler_name: str, schedule: str, config_json: str) -> Any:
    model_config = json.loads(config_json)
    entry = SAMPLERS[sampler_name]
    option, value = SCHEDULES[schedule]
    overrides: dict[str, Any] = dict(entry.options)
    overrides[option] = value
    if option != "timestep_spacing":
        # Sigma schedules replace the spacing; keep the model's own spacing for anything else they read.
        overrides.setdefault("timestep_spacing", model_config.get("timestep_spacing", "leading"))
    config = {k: v for k, v in model_config.items() if not k.startswith("_")}
    return scheduler_class(sampler_name).from_config(config, **overrides)


@lru_cache(maxsize=64)
def _flow_prototype(schedule: str, config_json: str) -> Any:
    option, value = SCHEDULES[schedule]
    overrides = {option: value} if option != "timestep_spacing" else {}
    config = {k: v for k, v in json.loads(config_json).items() if not k.startswith("_")}
    return scheduler_class_named(FLOW_SAMPLERS["euler"]).from_config(config, **overrides)


def flow_shift(config: Any, sequence_length: int) -> float:
    """diffusers' resolution-dependent shift (mu) for a flow model whose schedule shifts dynamically: linear in
    the image's token count between (base_image_seq_len, base_shift) and (max_image_seq_len, max_shift)."""
    low, high = config.get("base_image_seq_len", 256), config.get("max_image_seq_len", 4096)
    base, top = config.get("base_shift", 0.5), config.get("max_shift", 1.15)
    slope = (top - base) / (high - low)
    return sequence_length * slope + base - slope * low


def set_timesteps(scheduler: Any, schedule: str, steps: int, device: Any, sequence_length: int,
                  mu: float | None = None) -> None:
    """Set a scheduler's timesteps for `steps` steps as the pipelines do: SD schedulers by their own spacing;
    flow schedulers by the named spacing (normal: the scheduler's own, StableDiffusion3Pipeline's; simple: sigmas
    1 .. 1/steps, FluxPipeline's; sgm_uniform: steps + 1 evenly spaced timesteps, the last dropped), shifted by
    the model's shift, or by mu (given, or from the image's token count) for a dynamically shifting model."""
    if not is_flow_scheduler(scheduler):
        scheduler.set_timesteps(steps, device=device)
        return
    import numpy as np

    extra: dict[str, Any] = {}
    if scheduler.config.get("use_dynamic_shifting"):
        extra["mu"] = mu if mu is not None else flow_shift(scheduler.config, sequence_length)
    if schedule == "simple":
        scheduler.set_timesteps(sigmas=np.linspace(1.0, 1 / steps, steps), device=device, **extra)
    elif schedule == "sgm_uniform":
        train = scheduler.config.num_train_timesteps
        times = np.linspace(scheduler.sigma_max * train, scheduler.sigma_min * train, steps + 1)[:-1]
        scheduler.set_timesteps(sigmas=times / train, device=device, **extra)
    else:
        scheduler.set_timesteps(steps, device=device, **extra)


def is_flow_scheduler(scheduler: Any) -> bool:
    return type(scheduler).__name__ in FLOW_SAMPLERS.values()
