"""The API of each ComfyUI module the compatibility layer provides, on an engine of its own folders."""

from __future__ import annotations

import inspect
import os

import pytest
import torch

import nodegraph
from nodegraph.core.errors import Interrupted
from nodegraph.core.object_info import object_info
from nodegraph.runtime.files import UnsafePath


@pytest.fixture(scope="module")
def module(packs):
    return packs.engine.comfy.module


def test_folder_paths_model_folders_by_comfyuis_names(packs, module, tmp_path):
    fp = module("folder_paths")
    models = tmp_path / "models"
    (models / "loras" / "styles").mkdir(parents=True)
    (models / "loras" / "styles" / "ink.safetensors").write_bytes(b"x")
    (models / "loras" / "notes.txt").write_text("not a model")
    (models / "unet").mkdir()
    (models / "unet" / "u.safetensors").write_bytes(b"x")
    fp.add_model_folder_path("loras", str(models / "loras"))
    fp.add_model_folder_path("unet", str(models / "unet"))  # ComfyUI's legacy name of diffusion_models
    assert fp.get_filename_list("loras") == ["styles/ink.safetensors"]
    assert fp.get_full_path("loras", "styles/ink.safetensors") == str(models / "loras" / "styles" / "ink.safetensors")
    assert fp.get_full_path("loras", "../unet/u.safetensors") is None  # never outside the folder
    assert fp.get_filename_list("diffusion_models") == ["u.safetensors"]
    with pytest.raises(FileNotFoundError):
        fp.get_full_path_or_raise("loras", "missing.safetensors")
    shipped = packs.engine.config.models_dirs[0]
    assert str(shipped / "checkpoints") in fp.get_folder_paths("checkpoints")
    assert {str(shipped / "clip"), str(shipped / "text_encoders")} <= set(fp.get_folder_paths("text_encoders"))
    assert fp.folder_names_and_paths["loras"][0][-1] == str(models / "loras")


def test_a_pack_combo_of_model_files_is_read_again_when_it_is_rendered(packs, module, tmp_path):
    folder = tmp_path / "more_loras"
    folder.mkdir()
    module("folder_paths").add_model_folder_path("loras", str(folder))
    prompt = {"pick": {"class_type": "PickLora", "inputs": {"lora_name": "fresh.safetensors"}},
              "show": {"class_type": "ShowValue", "inputs": {"value": ["pick", 0]}}}
    assert "fresh.safetensors" in packs.errors(prompt)["pick"][0]  # not in the list (yet)
    (folder / "fresh.safetensors").write_bytes(b"x")
    assert "fresh.safetensors" in object_info(packs.engine.registry["PickLora"])["input"]["required"]["lora_name"][0]
    assert packs.run(prompt).ui["show"]["value"] == [str(folder / "fresh.safetensors")]


def test_folder_paths_input_output_temp_and_annotated_names(packs, module):
    fp, config = module("folder_paths"), packs.engine.config
    assert fp.get_output_directory() == str(config.output_dir) == fp.get_directory_by_type("output")
    assert (fp.get_input_directory(), fp.get_temp_directory()) == (str(config.input_dir), str(config.temp_dir))
    assert os.path.dirname(fp.__file__) == str(config.base_dir)  # packs find ComfyUI's base folder this way
    assert fp.get_annotated_filepath("a.png [output]") == str(config.output_dir.resolve() / "a.png")
    assert fp.get_annotated_filepath("sub/a.png") == str(config.input_dir.resolve() / "sub" / "a.png")
    for unsafe in ("/etc/passwd", "../secret.png", "x/../../secret.png [temp]"):
        with pytest.raises(UnsafePath):
            fp.get_annotated_filepath(unsafe)
    assert not fp.exists_annotated_filepath("../x.png")


def test_folder_paths_save_image_path(packs, module):
    fp = module("folder_paths")
    output = packs.engine.config.output_dir
    (output / "run").mkdir(parents=True, exist_ok=True)
    (output / "run" / "pic_00007_.png").write_bytes(b"")
    folder, name, counter, subfolder, prefix = fp.get_save_image_path("run/pic", str(output), 64, 32)
    assert (folder, name, counter, subfolder) == (str(output.resolve() / "run"), "pic", 8, "run")
    assert fp.get_save_image_path("size_%width%x%height%", str(output), 64, 32)[1] == "size_64x32"
    with pytest.raises(UnsafePath):
        fp.get_save_image_path("../escape", str(output))


def test_comfy_utils(module, tmp_path):
    utils = module("comfy.utils")
    weights = {"model.diffusion_model.w": torch.ones(2, 3), "b": torch.zeros(4)}
    path = tmp_path / "w.safetensors"
    utils.save_torch_file(weights, path, metadata={"k": "v"})
    loaded, metadata = utils.load_torch_file(str(path), return_metadata=True)
    assert torch.equal(loaded["model.diffusion_model.w"], weights["model.diffusion_model.w"]) and metadata == {"k": "v"}
    assert b'"shape":[2,3]' in utils.safetensors_header(path)
    (tmp_path / "w.ckpt").write_bytes(b"pickle")
    with pytest.raises(ValueError, match="safetensors files only"):
        utils.load_torch_file(str(tmp_path / "w.ckpt"))
    assert utils.calculate_parameters(weights, "model.") == 6
    assert set(utils.state_dict_prefix_replace(dict(weights), {"model.diffusion_model.": ""})) == {"w", "b"}
    images = torch.rand(2, 3, 8, 12)
    assert utils.common_upscale(images, 6, 4, "bilinear", "center").shape == (2, 3, 4, 6)
    assert utils.lanczos(images, 24, 16).shape == (2, 3, 16, 24)
    with pytest.raises(ValueError, match="bislerp"):
        utils.common_upscale(images, 6, 4, "bislerp", "disabled")
    assert utils.repeat_to_batch_size(torch.arange(2), 5).tolist() == [0, 1, 0, 1, 0]
    utils.ProgressBar(3).update(1)  # outside a node: nowhere to report, no error


def test_comfy_model_management(packs, module):
    mm = module("comfy.model_management")
    assert mm.get_torch_device() == packs.engine.services.models.device
    assert str(mm.intermediate_device()) == "cpu" and mm.get_free_memory() > 0 and mm.get_total_memory() > 0
    assert mm.vram_state in (mm.VRAMState.DISABLED, mm.VRAMState.NORMAL_VRAM)
    assert issubclass(mm.InterruptProcessingException, Interrupted)  # reported as an interrupt, not an error
    mm.interrupt_current_processing()
    with pytest.raises(mm.InterruptProcessingException):
        mm.throw_exception_if_processing_interrupted()
    mm.interrupt_current_processing(False)
    assert not mm.processing_interrupted()
    assert not hasattr(mm, "load_checkpoint_guess_config")  # feature tests with hasattr keep working
    with pytest.raises(AttributeError, match="does not provide comfy.model_management.archive_model_dtypes"):
        mm.archive_model_dtypes  # noqa: B018


def test_comfy_types_and_samplers(packs, module):
    types = module("comfy.comfy_types")
    assert not (types.IO.ANY != "MODEL")  # noqa: SIM202 - ComfyUI's wildcard is unequal to nothing
    assert not (types.IO.NUMBER != "INT") and types.IO.IMAGE != "MASK" and types.IO.IMAGE == "IMAGE"
    assert inspect.isabstract(types.ComfyNodeABC)
    assert types.CheckLazyMixin().check_lazy_status(a=None, b=1) == ["a"]
    assert module("comfy.comfy_types.node_typing").IO is types.IO
    samplers = module("comfy.samplers")
    ksampler = packs.engine.registry["KSampler"].inputs
    assert samplers.KSampler.SAMPLERS == ksampler["sampler_name"].options_list() and "euler" in samplers.SAMPLER_NAMES
    assert samplers.KSampler.SCHEDULERS == ksampler["scheduler"].options_list()


def test_comfy_execution(module):
    graph_utils, graph = module("comfy_execution.graph_utils"), module("comfy_execution.graph")
    assert graph_utils.ExecutionBlocker is graph.ExecutionBlocker is nodegraph.ExecutionBlocker
    builder = graph_utils.GraphBuilder(prefix="p.")
    first = builder.node("PrimitiveInt", value=1)
    second = builder.node("Variadic", "named", first=first.out(0))
    second.set_override_display_id("7")
    second.set_input("gone", 1)
    second.set_input("gone", None)
    assert builder.lookup_node("named") is second
    assert builder.finalize() == {"p.1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}},
                                  "p.named": {"class_type": "Variadic", "inputs": {"first": ["p.1", 0]},
                                              "override_display_id": "7"}}
    assert graph_utils.is_link(["3", 0]) and not graph_utils.is_link([3, 0])
    renamed, outputs = graph_utils.add_graph_prefix({"a": {"class_type": "X", "inputs": {"v": ["a", 0]}}},
                                                    [["a", 0]], "q.")
    assert renamed == {"q.a": {"class_type": "X", "inputs": {"v": ["q.a", 0]}}} and outputs == [["q.a", 0]]
    declared = {"required": {"x": ("INT", {"min": 1})}, "hidden": {"uid": "UNIQUE_ID"}}
    assert graph.get_input_info(None, "x", declared) == ("INT", "required", {"min": 1})
    assert graph.get_input_info(None, "uid", declared) == ("UNIQUE_ID", "hidden", None)


def test_comfy_api_versions_share_the_v3_schema(module):
    latest, v2 = module("comfy_api.latest"), module("comfy_api.v0_0_2")
    io = latest.io
    assert v2.io is io and v2.ui is latest.ui and v2.ComfyExtension is latest.ComfyExtension
    assert io.MultiType.Input("m", types=[io.Image, io.Mask]).get_io_type() == "IMAGE,MASK"
    assert io.Custom("MY_TYPE").Input("x").get_io_type() == "MY_TYPE"
    assert io.Image.Output().get_io_type() == "IMAGE" and io.Latent.Input("l").entry() == ("LATENT", {})
    schema = io.Schema(node_id="Dup", inputs=[io.Int.Input("a"), io.Float.Input("a")])
    with pytest.raises(ValueError, match="repeated: a"):
        schema.validate()
    with pytest.raises(AttributeError, match="does not provide comfy_api.latest._io.Autogrow"):
        io.Autogrow  # noqa: B018


def test_server_prompt_server_and_binary_types(packs, module):
    server = module("server")
    instance = server.PromptServer.instance
    assert instance is packs.engine.comfy.prompt_server and server.BinaryEventTypes.PREVIEW_IMAGE == 1
    assert instance.client_id is None  # nothing runs, and no web server is attached
    instance.send_sync("anything", {"x": 1})  # dropped without a web server, as a CLI run has none
    with pytest.raises(AttributeError, match="PromptServer.instance.prompt_queue"):
        instance.prompt_queue  # noqa: B018


def test_nodes_maps_every_engine_node_to_a_callable_class(packs, module):
    nodes = module("nodes")
    assert nodes.MAX_RESOLUTION == 16384 and len(nodes.NODE_CLASS_MAPPINGS) == len(packs.engine.registry)
    assert nodes.NODE_DISPLAY_NAME_MAPPINGS["ImageScale"] == "Upscale Image"
    invert = nodes.NODE_CLASS_MAPPINGS["ImageInvert"]
    assert invert.RETURN_TYPES == ("IMAGE",) and invert.FUNCTION == "invert"
    assert "image" in invert.INPUT_TYPES()["required"]
    (out,) = invert().invert(image=torch.zeros(1, 2, 2, 3))
    assert torch.equal(out, torch.ones(1, 2, 2, 3))
    from_module = nodes.EmptyImage  # `from nodes import EmptyImage`
    (image,) = from_module().generate(width=4, height=2, batch_size=1, color=0xFF0000)
    assert image.shape == (1, 2, 4, 3) and image[0, 0, 0].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(AttributeError, match="nodes.common_ksampler"):
        nodes.common_ksampler  # noqa: B018
