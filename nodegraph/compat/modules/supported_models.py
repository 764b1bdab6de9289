"""ComfyUI's `comfy.supported_models`: the UNet families nodegraph can recognise, each with the architecture
values (`unet_config`) that identify it, in the order a detector should try them (`models`).

The values are facts about the published architectures (channel widths, text-embedding width, depth of
the transformer stacks, extra conditioning inputs), not ComfyUI's code; loading these families is the job of
nodegraph's own loaders, so the classes carry only what identifies them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["BASE", "SD15", "SD20", "SD21UnclipL", "SD21UnclipH", "SDXLRefiner", "SDXL", "SSD1B", "SVD_img2vid",
           "models"]


class BASE:
    unet_config: ClassVar[dict[str, Any]] = {}
    unet_extra_config: ClassVar[dict[str, Any]] = {}

    @classmethod
    def matches(cls, unet_config: dict[str, Any]) -> bool:
        return all(unet_config.get(key) == value for key, value in cls.unet_config.items())


class SD15(BASE):
    """Stable Diffusion 1.x: CLIP ViT-L text embeddings (768), convolutional transformer projections."""

    unet_config: ClassVar[dict[str, Any]] = {"context_dim": 768, "model_channels": 320,
                                             "use_linear_in_transformer": False, "adm_in_channels": None,
                                             "use_temporal_attention": False}


class SD20(BASE):
    """Stable Diffusion 2.x: OpenCLIP ViT-H embeddings (1024), linear projections."""

    unet_config: ClassVar[dict[str, Any]] = {"context_dim": 1024, "model_channels": 320,
                                             "use_linear_in_transformer": True, "adm_in_channels": None,
                                             "use_temporal_attention": False}


class SD21UnclipL(BASE):
    unet_config: ClassVar[dict[str, Any]] = {"context_dim": 1024, "model_channels": 320,
                                             "use_linear_in_transformer": True, "adm_in_channels": 1536,
                                             "use_temporal_attention": False}


class SD21UnclipH(BASE):
    unet_config: ClassVar[dict[str, Any]] = {"context_dim": 1024, "model_channels": 320,
                                             "use_linear_in_transformer": True, "adm_in_channels": 2048,
                                             "use_temporal_attention": False}


class SDXLRefiner(BASE):
    unet_config: ClassVar[dict[str, Any]] = {"model_channels": 384, "use_linear_in_transformer": True,
                                             "context_dim": 1280, "adm_in_channels": 2560,
                                             "transformer_depth": [0, 0, 4, 4, 4, 4, 0, 0],
                                             "use_temporal_attention": False}


class SDXL(BASE):
    """SDXL base: two text encoders (2048 wide together), pooled text and size conditioning (2816)."""

    unet_config: ClassVar[dict[str, Any]] = {"model_channels": 320, "use_linear_in_transformer": True,
                                             "transformer_depth": [0, 0, 2, 2, 10, 10], "context_dim": 2048,
                                             "adm_in_channels": 2816, "use_temporal_attention": False}


class SSD1B(BASE):
    """Segmind's distilled SDXL: SDXL's interface with shallower transformer stacks."""

    unet_config: ClassVar[dict[str, Any]] = {"model_channels": 320, "use_linear_in_transformer": True,
                                             "transformer_depth": [0, 0, 2, 2, 4, 4], "context_dim": 2048,
                                             "adm_in_channels": 2816, "use_temporal_attention": False}


class SVD_img2vid(BASE):  # noqa: N801 - ComfyUI's name
    unet_config: ClassVar[dict[str, Any]] = {"model_channels": 320, "in_channels": 8,
                                             "use_linear_in_transformer": True,
                                             "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0], "context_dim": 1024,
                                             "adm_in_channels": 768, "use_temporal_attention": True,
                                             "use_temporal_resblock": True}


models: list[type[BASE]] = [SD15, SD20, SD21UnclipL, SD21UnclipH, SDXLRefiner, SDXL, SSD1B, SVD_img2vid]
