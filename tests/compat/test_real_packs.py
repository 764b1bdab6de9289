"""Two real ComfyUI custom node packs from PyPI (pinned in the dev extra, installed with pip, found through their
`comfyui_legacy.custom_nodes` entry points), exercised through their nodes in real prompts on a real server:
comfyui-tooling-nodes (base64 image loading, images sent over the websocket, its /etn/model_info route that
describes checkpoints through comfy.supported_models and comfy.model_detection) and comfyui-ib-customnodes
(LoadImageFromPath through folder_paths, PIL images between nodes)."""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
import torch
from PIL import Image
from safetensors.torch import save_file
from server_helpers import Live, serving

from nodegraph.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="module")


def unet_checkpoint(path: Path, in_channels: int) -> None:
    """A real single-file UNet with Stable Diffusion 1.x's interface (320 channels, 768-wide text embeddings,
    convolutional projections), one level deep so it stays small; 9 input channels make it an inpainting UNet."""
    from diffusers import UNet2DConditionModel

    from nodegraph_nodes.diffusion.single_file import unet_to_ldm

    unet = UNet2DConditionModel(sample_size=8, in_channels=in_channels, block_out_channels=(320,), layers_per_block=1,
                                down_block_types=("CrossAttnDownBlock2D",), up_block_types=("UpBlock2D",),
                                cross_attention_dim=768, attention_head_dim=8, mid_block_type=None)
    weights = unet_to_ldm({k: v.half() for k, v in unet.state_dict().items()}, dict(unet.config))
    save_file(weights, str(path))


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    root = tmp_path_factory.mktemp("real_packs")
    checkpoints = root / "models" / "checkpoints"
    checkpoints.mkdir(parents=True)
    unet_checkpoint(checkpoints / "tiny-sd15.safetensors", 4)
    unet_checkpoint(checkpoints / "tiny-sd15-inpainting.safetensors", 9)
    config = Config(base_dir=root / "base", models_dirs=(root / "models",))
    async with serving(config, None, root) as server:  # None: the engine finds the installed packs itself
        yield server


async def test_the_installed_packs_are_loaded_through_their_entry_points(live):
    _, info = await live.get("/object_info")
    assert info["ETN_LoadImageBase64"]["display_name"] == "Load Image (Base64)"
    assert info["ETN_LoadImageBase64"]["python_module"] == "custom_nodes.comfyui_tooling_nodes"
    assert info["LoadImageFromPath"]["input"]["required"]["image"][0] == "STRING"
    assert info["ImageToPIL"]["output"] == ["PIL_IMAGE"]


async def test_tooling_nodes_model_info_route_describes_the_checkpoints(live):
    for path in ("/etn/model_info", "/api/etn/model_info"):
        status, info = await live.get(path)
        assert status == 200, info
        assert info == {"tiny-sd15.safetensors": {"base_model": "sd15", "is_inpaint": False, "is_refiner": False},
                        "tiny-sd15-inpainting.safetensors": {"base_model": "sd15", "is_inpaint": True,
                                                             "is_refiner": False}}


async def test_tooling_nodes_load_base64_images_and_send_them_over_the_websocket(live):
    rgba = np.zeros((6, 8, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = np.arange(8, dtype=np.uint8)[None, :] * 30, 255
    rgba[:, 4:, 3] = 0  # the right half is transparent
    mask = np.full((6, 8), 255, dtype=np.uint8)
    mask[:3] = 0
    prompt = {
        "load": {"class_type": "ETN_LoadImageBase64", "inputs": {"image": base64.b64encode(png(rgba)).decode()}},
        "crop": {"class_type": "ETN_CropImage", "inputs": {"image": ["load", 0], "x": 2, "y": 1, "width": 4,
                                                           "height": 3}},
        "send": {"class_type": "ETN_SendImageWebSocket", "inputs": {"images": ["crop", 0]}},
        "mask": {"class_type": "ETN_LoadMaskBase64", "inputs": {"mask": base64.b64encode(png(mask)).decode()}},
        "apply": {"class_type": "ETN_ApplyMaskToImage", "inputs": {"image": ["load", 0], "mask": ["mask", 0]}},
        "save": {"class_type": "SaveImage", "inputs": {"images": ["apply", 0], "filename_prefix": "etn"}},
    }
    socket = await live.socket()
    prompt_id = await live.submit(prompt, socket)
    await socket.done(prompt_id)
    frames = [m for m in socket.messages if isinstance(m, bytes)]
    assert len(frames) == 1
    event, image_format = struct.unpack(">II", frames[0][:8])
    assert (event, image_format) == (1, 2)  # PREVIEW_IMAGE, PNG: what ComfyUI sends for the pack
    sent = np.asarray(Image.open(io.BytesIO(frames[0][8:])))
    assert sent.shape == (3, 4, 3) and sent[0, :, 0].tolist() == [60, 90, 120, 150]
    # the frame arrives while the sending node runs: after its `executing`, before its `executed`
    order = [m["type"] if isinstance(m, dict) else "frame" for m in socket.messages
             if isinstance(m, bytes) or m["type"] in ("executing", "executed") and m["data"].get("node") == "send"]
    assert order == ["executing", "frame", "executed"]
    _, history = await live.get(f"/history/{prompt_id}")
    outputs = history[prompt_id]["outputs"]
    assert outputs["send"] == {"images": [{"source": "websocket", "content-type": "image/png", "type": "output"}]}
    saved = Image.open(live.config.output_dir / outputs["save"]["images"][0]["filename"])
    assert saved.mode == "RGBA" and saved.getpixel((0, 0))[3] == 0 and saved.getpixel((7, 5))[3] == 255


async def test_ib_nodes_load_an_image_by_path_and_pass_pil_images(live):
    picture = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    live.config.input_dir.mkdir(parents=True, exist_ok=True)
    (live.config.input_dir / "photo.png").write_bytes(png(picture))
    prompt = {"load": {"class_type": "LoadImageFromPath", "inputs": {"image": "photo.png"}},
              "pil": {"class_type": "ImageToPIL", "inputs": {"images": ["load", 0]}},
              "back": {"class_type": "PILToImage", "inputs": {"images": ["pil", 0]}},
              "save": {"class_type": "SaveImage", "inputs": {"images": ["back", 0], "filename_prefix": "ib"}}}
    entry = await live.finished(prompt)
    assert entry["status"]["status_str"] == "success", entry
    (saved,) = entry["outputs"]["save"]["images"]
    status, data = await live.get(f"/view?filename={saved['filename']}&type=output")
    assert status == 200 and np.array_equal(np.asarray(Image.open(io.BytesIO(data))), picture)
    # IS_CHANGED hashes the file: a new picture under the same name re-runs the loader
    (live.config.input_dir / "photo.png").write_bytes(png(255 - picture))
    assert (await live.finished(prompt))["nodes"]["load"]["cached"] is False


async def test_ib_nodes_refuse_paths_outside_the_folders_and_missing_files(live):
    for name, expected in (("missing.png", "Invalid image path"), ("../../etc/passwd", "leaves the input folder"),
                           ("/etc/passwd", "absolute paths are not allowed")):
        prompt = {"load": {"class_type": "LoadImageFromPath", "inputs": {"image": name}},
                  "save": {"class_type": "SaveImage", "inputs": {"images": ["load", 0], "filename_prefix": "x"}}}
        status, body = await live.post("/prompt", {"prompt": prompt})
        assert status == 400, body
        (error,) = body["node_errors"]["load"]["errors"]
        assert expected in error["details"], error


async def test_saved_images_match_comfyuis_truncation(live):
    """SaveImage writes clip(255 * x) truncated, as ComfyUI: 1 - 0.8 in float32 is 0.19999999, level 50."""
    prompt = {"img": {"class_type": "EmptyImage", "inputs": {"width": 2, "height": 2, "batch_size": 1,
                                                             "color": 0xCCCCCC}},
              "inv": {"class_type": "ImageInvert", "inputs": {"image": ["img", 0]}},
              "save": {"class_type": "SaveImage", "inputs": {"images": ["inv", 0], "filename_prefix": "trunc"}}}
    saved = (await live.finished(prompt))["outputs"]["save"]["images"][0]["filename"]
    expected = np.clip(255.0 * (1.0 - torch.full((1,), 0xCC / 255).numpy()), 0, 255).astype(np.uint8)[0]
    assert Image.open(live.config.output_dir / saved).getpixel((0, 0)) == (int(expected),) * 3 == (50, 50, 50)
