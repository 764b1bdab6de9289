"""Tiny random SD3 and Flux pipelines in diffusers' layout, built as diffusers' own fast tests build theirs:
SD3Transformer2DModel / FluxTransformer2DModel, CLIP-L (and for SD3 CLIP-G) with projection and CLIP's real BPE
tokenizer, a small T5EncoderModel (with a word-level tokenizer: T5's own vocabulary cannot be fetched here), a
16-channel AutoencoderKL without quant convolutions, and FlowMatchEulerDiscreteScheduler with each family's
config. Their widths keep the real models' proportions (the CLIP states narrower than T5's)."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    FlowMatchEulerDiscreteScheduler,
    FluxPipeline,
    FluxTransformer2DModel,
    SD3Transformer2DModel,
    StableDiffusion3Pipeline,
)
from sdxl_tiny import clip_config, clip_tokenizer
from transformers import CLIPTextModel, CLIPTextModelWithProjection, T5Config, T5EncoderModel

from safetensors.torch import save_file
from single_tiny import clip_state, save_clip

from nodegraph.train.text_tokenizer import caption_corpus, train_tokenizer, wrap
from nodegraph_nodes.diffusion import single_file

T5_WIDTH = 256
SD3_SCHEDULE = {"num_train_timesteps": 1000, "shift": 3.0}
FLUX_SCHEDULE = {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": True, "base_shift": 0.5,
                 "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096}


def t5(seed: int) -> tuple[T5EncoderModel, object]:
    tokenizer = wrap(train_tokenizer(caption_corpus(300, seed=0)))
    torch.manual_seed(seed)
    model = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=T5_WIDTH, d_kv=32, d_ff=T5_WIDTH,
                                    num_layers=1, num_heads=2, relative_attention_num_buckets=8,
                                    pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id))
    return model, tokenizer


def vae(seed: int, scaling: float, shift: float, width: int = 32) -> AutoencoderKL:
    torch.manual_seed(seed)
    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=16, sample_size=64,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         block_out_channels=(width,) * 4, layers_per_block=1, norm_num_groups=min(width, 32),
                         scaling_factor=scaling, shift_factor=shift, use_quant_conv=False, use_post_quant_conv=False)


def clip(seed: int, width: int, act: str, projection: bool = True) -> CLIPTextModel:
    torch.manual_seed(seed)
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(clip_config(width, 1, act))


def sd3_transformer(layers: int = 1) -> SD3Transformer2DModel:
    """One layer: its last block takes no ControlNet residual (context_pre_only), so ControlNet tests use two."""
    return SD3Transformer2DModel(sample_size=16, patch_size=2, in_channels=16, out_channels=16, num_layers=layers,
                                 attention_head_dim=64, num_attention_heads=1, joint_attention_dim=T5_WIDTH,
                                 caption_projection_dim=64, pooled_projection_dim=64 + 128,
                                 pos_embed_max_size=96)  # as the released 192, for up to 1536 pixels a side


def build_sd3(seed: int = 0) -> StableDiffusion3Pipeline:
    torch.manual_seed(seed)
    transformer = sd3_transformer()
    encoder_3, tokenizer_3 = t5(seed + 3)
    return StableDiffusion3Pipeline(
        transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(**SD3_SCHEDULE),
        vae=vae(seed + 4, 1.5305, 0.0609), text_encoder=clip(seed + 1, 64, "quick_gelu"),
        tokenizer=clip_tokenizer("sdxl", "tokenizer"), text_encoder_2=clip(seed + 2, 128, "gelu"),
        tokenizer_2=clip_tokenizer("sdxl", "tokenizer_2"), text_encoder_3=encoder_3, tokenizer_3=tokenizer_3)


def build_flux(seed: int = 0, distilled: bool = True) -> FluxPipeline:
    """Flux dev (guidance_embeds: distilled guidance) or, with distilled False, schnell-style."""
    torch.manual_seed(seed)
    transformer = FluxTransformer2DModel(patch_size=1, in_channels=64, num_layers=1, num_single_layers=1,
                                         attention_head_dim=16, num_attention_heads=2, joint_attention_dim=T5_WIDTH,
                                         pooled_projection_dim=64, guidance_embeds=distilled, axes_dims_rope=(4, 4, 8))
    encoder_2, tokenizer_2 = t5(seed + 2)
    return FluxPipeline(transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(**FLUX_SCHEDULE),
                        vae=vae(seed + 3, 0.3611, 0.1159), text_encoder=clip(seed + 1, 64, "quick_gelu", False),
                        tokenizer=clip_tokenizer("sdxl", "tokenizer"), text_encoder_2=encoder_2,
                        tokenizer_2=tokenizer_2)


def save(pipe, folder: Path):
    """Save, and load back (fresh weights can sit in memory in another layout, which changes float rounding)."""
    pipe.save_pretrained(str(folder), safe_serialization=True)
    again = type(pipe).from_pretrained(str(folder), use_safetensors=True)
    again.set_progress_bar_config(disable=True)
    return again


def save_all(root: Path) -> dict[str, object]:
    """models/checkpoints/tiny-sd3, tiny-flux-dev and tiny-flux-schnell under `root`, and their pipelines."""
    return {"tiny-sd3": save(build_sd3(), root / "checkpoints" / "tiny-sd3"),
            "tiny-flux-dev": save(build_flux(), root / "checkpoints" / "tiny-flux-dev"),
            "tiny-flux-schnell": save(build_flux(seed=10, distilled=False), root / "checkpoints" / "tiny-flux-schnell")}


def save_separate(root: Path, name: str, pipe) -> dict[str, str]:
    """The pipeline folder checkpoints/NAME's parts as ComfyUI keeps them apart: its transformer in
    diffusion_models/, its VAE in vae/, each CLIP as one file and T5 as a transformers folder (with its tokenizer)
    in text_encoders/. Returns part -> the name a loader takes."""
    folder, names = root / "checkpoints" / name, {}
    for part, kind in (("transformer", "diffusion_models"), ("vae", "vae")):
        names[part] = f"{name}-{part}"
        shutil.copytree(folder / part, root / kind / names[part])
    # The VAE also as one file in the original (LDM) layout, as Flux's ae.safetensors.
    names["vae_file"] = f"{name}-ae.safetensors"
    save_file(single_file.vae_to_ldm(pipe.vae.state_dict(), dict(pipe.vae.config)),
              str(root / "vae" / names["vae_file"]))
    (root / "text_encoders").mkdir(exist_ok=True)
    t5_role = "text_encoder_3" if (folder / "text_encoder_3").is_dir() else "text_encoder_2"
    for role in ("text_encoder", "text_encoder_2", "text_encoder_3"):
        if not (folder / role).is_dir():
            continue
        names[role] = f"{name}-{role}" + ("" if role == t5_role else ".safetensors")
        if role == t5_role:
            shutil.copytree(folder / role, root / "text_encoders" / names[role])
            shutil.copytree(folder / role.replace("text_encoder", "tokenizer"),
                            root / "text_encoders" / names[role] / "tokenizer")
        else:
            save_clip(getattr(pipe, role), root / "text_encoders" / names[role])
    return names


def _swap(weight):
    """diffusers keeps (scale, shift) where the original layout keeps (shift, scale): its own inverse."""
    shift, scale = weight.chunk(2, dim=0)
    return torch.cat([scale, shift], dim=0)


def sd3_original(transformer) -> dict:
    """An SD3Transformer2DModel's weights in the original MMDiT layout (as ComfyUI's SD3 files), the inverse of
    diffusers' convert_sd3_transformer_checkpoint_to_diffusers; every diffusers weight is used exactly once."""
    theirs = {k: v.clone() for k, v in transformer.state_dict().items()}
    out = {}

    def take(original: str, *names: str, swap: bool = False) -> None:
        for suffix in ("weight", "bias"):
            if f"{names[0]}.{suffix}" in theirs:
                parts = [theirs.pop(f"{name}.{suffix}") for name in names]
                joined = torch.cat(parts) if len(parts) > 1 else parts[0]
                out[f"{original}.{suffix}"] = _swap(joined) if swap else joined

    out["pos_embed"] = theirs.pop("pos_embed.pos_embed")
    for original, name in (("x_embedder.proj", "pos_embed.proj"), ("context_embedder", "context_embedder"),
                           ("t_embedder.mlp.0", "time_text_embed.timestep_embedder.linear_1"),
                           ("t_embedder.mlp.2", "time_text_embed.timestep_embedder.linear_2"),
                           ("y_embedder.mlp.0", "time_text_embed.text_embedder.linear_1"),
                           ("y_embedder.mlp.2", "time_text_embed.text_embedder.linear_2"),
                           ("final_layer.linear", "proj_out")):
        take(original, name)
    take("final_layer.adaLN_modulation.1", "norm_out.linear", swap=True)
    layers = transformer.config.num_layers
    for i in range(layers):
        x, c, d = f"joint_blocks.{i}.x_block", f"joint_blocks.{i}.context_block", f"transformer_blocks.{i}"
        take(f"{x}.attn.qkv", f"{d}.attn.to_q", f"{d}.attn.to_k", f"{d}.attn.to_v")
        take(f"{c}.attn.qkv", f"{d}.attn.add_q_proj", f"{d}.attn.add_k_proj", f"{d}.attn.add_v_proj")
        take(f"{x}.attn.proj", f"{d}.attn.to_out.0")
        take(f"{c}.attn.proj", f"{d}.attn.to_add_out")
        take(f"{x}.adaLN_modulation.1", f"{d}.norm1.linear")
        take(f"{c}.adaLN_modulation.1", f"{d}.norm1_context.linear", swap=i == layers - 1)
        take(f"{x}.mlp.fc1", f"{d}.ff.net.0.proj")
        take(f"{x}.mlp.fc2", f"{d}.ff.net.2")
        take(f"{c}.mlp.fc1", f"{d}.ff_context.net.0.proj")
        take(f"{c}.mlp.fc2", f"{d}.ff_context.net.2")
    assert not theirs, f"weights left unconverted: {sorted(theirs)[:5]}"
    return {k: v.contiguous() for k, v in out.items()}


def save_sd3_single_file(path: Path, pipe, with_t5: bool = False) -> None:
    """The pipeline as one checkpoint in ComfyUI's SD3 layout: the transformer under model.diffusion_model., the
    VAE under first_stage_model., CLIP-L / CLIP-G under text_encoders.clip_l/clip_g.transformer., and with_t5
    T5 under text_encoders.t5xxl.transformer.."""
    weights = {"model.diffusion_model." + k: v for k, v in sd3_original(pipe.transformer).items()}
    weights.update(single_file.vae_to_ldm(pipe.vae.state_dict(), dict(pipe.vae.config)))
    for name, module in (("clip_l", pipe.text_encoder), ("clip_g", pipe.text_encoder_2)):
        weights.update({f"text_encoders.{name}.transformer.{k}": v for k, v in clip_state(module).items()})
    if with_t5:
        weights.update({f"text_encoders.t5xxl.transformer.{k}": v.clone().contiguous()
                        for k, v in pipe.text_encoder_3.state_dict().items()})
    save_file(weights, str(path))
