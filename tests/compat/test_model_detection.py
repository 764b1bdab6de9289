"""comfy.model_detection and comfy.supported_models recognise UNet families from their weights' shapes alone.

The shapes come from diffusers' own UNets for each family's published configuration, built on the meta device
(no memory, no weights) and renamed to the single-file layout by nodegraph's checkpoint converter."""

from __future__ import annotations

import pytest
from accelerate import init_empty_weights
from diffusers import UNet2DConditionModel

from nodegraph.compat.modules import model_detection, supported_models
from nodegraph_nodes.diffusion.single_file import unet_to_ldm

PREFIX = "model.diffusion_model."
SD1_BLOCKS = dict(block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
                  down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                  up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3)
FAMILIES = {
    "SD15": dict(SD1_BLOCKS, cross_attention_dim=768, attention_head_dim=8),
    "SD20": dict(SD1_BLOCKS, cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20), use_linear_projection=True),
    "SDXL": dict(block_out_channels=(320, 640, 1280), layers_per_block=2, transformer_layers_per_block=(1, 2, 10),
                 down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                 up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
                 cross_attention_dim=2048, attention_head_dim=(5, 10, 20), use_linear_projection=True,
                 addition_embed_type="text_time", addition_time_embed_dim=256,
                 projection_class_embeddings_input_dim=2816),
}


def single_file_shapes(config: dict) -> dict:
    with init_empty_weights():
        unet = UNet2DConditionModel(**config)
    state = unet.state_dict()
    # SDXL's pooled-text/size embedding is `label_emb` in the single-file layout.
    renamed = {"add_embedding.linear_1.": "label_emb.0.0.", "add_embedding.linear_2.": "label_emb.0.2."}
    labels = {renamed[k[:23]] + k[23:]: v for k, v in state.items() if k.startswith("add_embedding.")}
    rest = {k: v for k, v in state.items() if not k.startswith("add_embedding.")}
    return {**unet_to_ldm(rest, dict(unet.config)), **{PREFIX + k: v for k, v in labels.items()}}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_family_is_recognised_from_its_shapes(family):
    found = model_detection.detect_unet_config(single_file_shapes(FAMILIES[family]), PREFIX)
    assert model_detection.model_config_from_unet_config(found) is getattr(supported_models, family)
    if family == "SDXL":
        assert found["transformer_depth"] == [0, 0, 2, 2, 10, 10] and found["adm_in_channels"] == 2816
    else:
        assert found["channel_mult"] == [1, 2, 4, 4] and found["num_res_blocks"] == [2, 2, 2, 2]


def test_shapes_alone_suffice_and_other_layouts_are_not_unets():
    class Header:  # what a safetensors header gives: a shape, no tensor
        def __init__(self, shape: tuple[int, ...]) -> None:
            self.shape = shape

    shapes = {k: Header(tuple(v.shape)) for k, v in single_file_shapes(FAMILIES["SD15"]).items()}
    assert model_detection.detect_unet_config(shapes, PREFIX)["context_dim"] == 768
    assert model_detection.detect_unet_config({"transformer.blocks.0.weight": Header((4, 4))}, PREFIX) is None
