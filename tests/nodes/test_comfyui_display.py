"""Every built-in node that carries a ComfyUI class name shows as ComfyUI's does: display name, category and
inputs in ComfyUI's order, none added. The names and inputs are those of ComfyUI's own /object_info as its
official frontend ships them (comfyui-frontend-package 1.58.1, English); categories are ComfyUI's."""

from __future__ import annotations

from typing import Any

import pytest

import nodegraph

COMFYUI: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "CLIPSetLastLayer": ("CLIP Set Last Layer", "conditioning", ("clip", "stop_at_clip_layer")),
    "CLIPTextEncode": ("CLIP Text Encode (Prompt)", "conditioning", ("text", "clip")),
    "CheckpointLoaderSimple": ("Load Checkpoint", "loaders", ("ckpt_name",)),
    "CheckpointSave": ("Save Checkpoint", "advanced/model_merging", ("model", "clip", "vae", "filename_prefix")),
    "ConditioningAverage": ("Conditioning (Average)", "conditioning",
                            ("conditioning_to", "conditioning_from", "conditioning_to_strength")),
    "ConditioningCombine": ("Conditioning (Combine)", "conditioning", ("conditioning_1", "conditioning_2")),
    "ConditioningConcat": ("Conditioning (Concat)", "conditioning", ("conditioning_to", "conditioning_from")),
    "ConditioningZeroOut": ("Conditioning Zero Out", "advanced/conditioning", ("conditioning",)),
    "ControlNetApply": ("Apply ControlNet (DEPRECATED)", "conditioning/controlnet",
                        ("conditioning", "control_net", "image", "strength")),
    "ControlNetApplyAdvanced": ("Apply ControlNet", "conditioning/controlnet",
                                ("positive", "negative", "control_net", "image", "strength", "start_percent",
                                 "end_percent", "vae")),
    "ControlNetLoader": ("Load ControlNet Model", "loaders", ("control_net_name",)),
    "DiffusersLoader": ("Load Diffusers Model (DEPRECATED)", "advanced/loaders/deprecated", ("model_path",)),
    "EmptyImage": ("Empty Image", "image", ("width", "height", "batch_size", "color")),
    "EmptyLatentImage": ("Empty Latent Image", "latent", ("width", "height", "batch_size")),
    "FeatherMask": ("Feather Mask", "mask", ("mask", "left", "top", "right", "bottom")),
    "GrowMask": ("Grow Mask", "mask", ("mask", "expand", "tapered_corners")),
    "ImageBlend": ("Blend Images", "image/postprocessing", ("image1", "image2", "blend_factor", "blend_mode")),
    "ImageCompositeMasked": ("Image Composite Masked", "image",
                             ("destination", "source", "x", "y", "resize_source", "mask")),
    "ImageInvert": ("Invert Image Colors", "image", ("image",)),
    "ImageScale": ("Upscale Image", "image/upscaling", ("image", "upscale_method", "width", "height", "crop")),
    "ImageScaleBy": ("Upscale Image By", "image/upscaling", ("image", "upscale_method", "scale_by")),
    "ImageToMask": ("Convert Image to Mask", "mask", ("image", "channel")),
    "InvertMask": ("Invert Mask", "mask", ("mask",)),
    "KSampler": ("KSampler", "sampling", ("model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive",
                                          "negative", "latent_image", "denoise")),
    "KSamplerAdvanced": ("KSampler (Advanced)", "sampling",
                         ("model", "add_noise", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "positive",
                          "negative", "latent_image", "start_at_step", "end_at_step", "return_with_leftover_noise")),
    "LatentUpscaleBy": ("Upscale Latent By", "latent", ("samples", "upscale_method", "scale_by")),
    "LoadImage": ("Load Image", "image", ("image",)),
    "MaskComposite": ("Combine Masks", "mask", ("destination", "source", "x", "y", "operation")),
    "MaskToImage": ("Convert Mask to Image", "mask", ("mask",)),
    "PreviewImage": ("Preview Image", "image", ("images",)),
    "PrimitiveBoolean": ("Boolean", "utils/primitive", ("value",)),
    "PrimitiveFloat": ("Float", "utils/primitive", ("value",)),
    "PrimitiveInt": ("Int", "utils/primitive", ("value",)),
    "PrimitiveString": ("Text", "utils/primitive", ("value",)),
    "PrimitiveStringMultiline": ("Text (Multiline)", "utils/primitive", ("value",)),
    "SaveImage": ("Save Image", "image", ("images", "filename_prefix")),
    "SetLatentNoiseMask": ("Set Latent Noise Mask", "latent/inpaint", ("samples", "mask")),
    "SolidMask": ("Create Solid Mask", "mask", ("value", "width", "height")),
    "StringReplace": ("Replace Text", "utils/string", ("string", "find", "replace")),
    "VAEDecode": ("VAE Decode", "latent", ("samples", "vae")),
    "VAEEncode": ("VAE Encode", "latent", ("pixels", "vae")),
    "VAEEncodeForInpaint": ("VAE Encode (for Inpainting)", "latent/inpaint", ("pixels", "vae", "mask", "grow_mask_by")),
    "VAELoader": ("Load VAE", "loaders", ("vae_name",)),
}


@pytest.fixture(scope="module")
def object_info() -> dict[str, Any]:
    return nodegraph.Engine().object_info()


@pytest.mark.parametrize("name", sorted(COMFYUI))
def test_shown_as_comfyui_shows_it(object_info: dict[str, Any], name: str) -> None:
    display, category, order = COMFYUI[name]
    info = object_info[name]
    assert (info["display_name"], info["category"]) == (display, category)
    listed = [*info["input"].get("required", {}), *info["input"].get("optional", {})]
    assert tuple(listed) == order  # no input ComfyUI's node lacks, none missing, same order
    assert tuple(info["input_order"].get("required", []) + info["input_order"].get("optional", [])) == order
