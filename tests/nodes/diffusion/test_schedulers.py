"""Shared contract over every sampler x scheduler name offered: each offered pair builds a diffusers scheduler
that honours the name and denoises; each pair it cannot honour is refused by name, never substituted."""

from __future__ import annotations

import diffusers
import pytest
import torch

from nodegraph_nodes.diffusion import denoise
from nodegraph_nodes.diffusion.family import Guidance
from nodegraph_nodes.diffusion.unet import UNET
from nodegraph_nodes.diffusion.schedulers import (
    SAMPLER_NAMES,
    SAMPLERS,
    SCHEDULER_NAMES,
    FLOW_ONLY,
    SCHEDULES,
    UnsupportedSchedule,
    build_scheduler,
    compatibility_problem,
    set_timesteps,
)

MODEL_CONFIG = {"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_schedule": "linear",
                "beta_start": 0.0001, "beta_end": 0.02, "prediction_type": "v_prediction", "clip_sample": False,
                "timestep_spacing": "trailing", "set_alpha_to_one": True, "steps_offset": 1}
COMFY_SAMPLERS = {"euler", "euler_ancestral", "heun", "dpm_2", "dpm_2_ancestral", "lms", "dpmpp_sde", "dpmpp_2m",
                  "dpmpp_2m_sde", "dpmpp_3m_sde", "ddpm", "lcm", "deis", "ddim", "uni_pc", "uni_pc_bh2"}
REQUIRED = {"euler", "euler_ancestral", "heun", "dpm_2", "dpm_2_ancestral", "lms", "dpmpp_2m", "dpmpp_2m_sde",
            "ddim", "ddpm", "uni_pc", "lcm"}
PAIRS = [(a, b) for a in SAMPLER_NAMES for b in SCHEDULER_NAMES]


def test_names_are_comfyui_names_and_cover_the_required_ones():
    assert set(SAMPLER_NAMES) <= COMFY_SAMPLERS
    assert REQUIRED <= set(SAMPLER_NAMES)
    assert {"normal", "karras", "exponential", "beta", "simple"} <= set(SCHEDULER_NAMES)


class _Unet(torch.nn.Module):
    """A fixed linear velocity field: enough to drive every scheduler through its steps."""

    dtype = torch.float32
    config = None

    def forward(self, x, t, encoder_hidden_states=None, return_dict=False, **extra):
        return (0.1 * x + 0.01 * encoder_hidden_states.mean(),)


@pytest.mark.parametrize("sampler,schedule", PAIRS)
def test_every_pair_builds_honours_its_name_and_denoises(sampler, schedule):
    problem = compatibility_problem(sampler, schedule)
    if schedule in FLOW_ONLY:  # offered for flow-matching models only, refused for the others when they sample
        assert problem is None
        with pytest.raises(UnsupportedSchedule, match="flow-matching"):
            build_scheduler(sampler, schedule, MODEL_CONFIG)
        return
    if problem:
        assert sampler in problem and schedule in problem
        with pytest.raises(UnsupportedSchedule):
            build_scheduler(sampler, schedule, MODEL_CONFIG)
        return
    scheduler = build_scheduler(sampler, schedule, MODEL_CONFIG)
    assert type(scheduler) is getattr(diffusers, SAMPLERS[sampler].scheduler_class)
    option, value = SCHEDULES[schedule]
    assert scheduler.config[option] == value
    for key, wanted in SAMPLERS[sampler].options.items():
        assert scheduler.config[key] == wanted
    assert scheduler.config.prediction_type == "v_prediction"  # the model's training config is kept
    guide = Guidance([(torch.ones(1, 4, 8), [], None)], [(torch.zeros(1, 4, 8), [], None)], cfg=3.0)
    latent, noise = torch.zeros(1, 4, 8, 8), torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    steps = []
    set_timesteps(scheduler, schedule, 4, "cpu", 64)
    out = denoise.run(UNET.predictor(_Unet(), guide, latent), scheduler, latent, noise, denoise.Window(4, 0, 4),
                      torch.Generator().manual_seed(0), on_step=lambda i, n, x: steps.append((i, n))).samples
    assert out.shape == latent.shape and torch.isfinite(out).all()
    assert steps[-1][0] == steps[-1][1] == len(scheduler.timesteps) >= 4
    assert (out - noise).abs().mean() > 1e-3  # it moved away from the starting noise


def test_incompatible_pairs_exist_and_are_refused_not_substituted():
    assert compatibility_problem("ddim", "karras") is not None
    assert compatibility_problem("euler", "karras") is None
    assert "unknown" not in SAMPLER_NAMES
    assert compatibility_problem("unknown", "normal") is not None


def test_schedule_support_read_from_source_equals_the_imported_classes():
    """Validation reads diffusers' scheduler signatures from source (no torch import); they must be exactly
    what the imported classes take."""
    import inspect

    from nodegraph_nodes.diffusion import schedulers

    for name, entry in schedulers.SAMPLERS.items():
        imported = frozenset(inspect.signature(schedulers.scheduler_class(name).__init__).parameters)
        assert schedulers._init_parameters(entry.scheduler_class) == imported, name
