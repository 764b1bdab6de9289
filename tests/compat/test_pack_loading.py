"""ComfyUI packs load as ComfyUI loads them: a package per custom_nodes folder entry, NODE_CLASS_MAPPINGS or a V3
comfy_entrypoint, WEB_DIRECTORY; ComfyUI's modules are served to them while they load and run, and only then."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from compat_helpers import PACKS, packs_engine

from nodegraph import Engine
from nodegraph.config import Config

COMFY_NAMES = ("nodes", "folder_paths", "server", "comfy", "comfy.utils", "comfy_api", "comfy_execution")


def test_v1_and_v3_packs_register_their_nodes(packs):
    registry = packs.engine.registry
    assert registry["UnionInput"].display_name == "Union Input (V1 pack)"
    assert registry["UnionInput"].python_module == "custom_nodes.v1_pack"
    scale = registry["V3Scale"]
    assert (scale.display_name, scale.category, scale.description) == ("Scale (V3)", "v3_pack", "value * factor")
    assert registry["V3Gradient"].output_node and registry["V3Twice"].outputs[0].type == "FLOAT"


def test_the_packs_saw_comfyuis_modules_and_their_own_nodes_module(packs):
    pack = packs.engine.registry["UnionInput"].source.go.__globals__  # this engine's copy of the package
    assert pack["nodes"].__name__ == "nodegraph_plugins.v1_pack.nodes"  # `from .nodes import` is the pack's file
    comfy_nodes = pack["SEEN"]["comfy_nodes"]  # ...whose own `import nodes` is ComfyUI's
    assert comfy_nodes is packs.engine.comfy.module("nodes") and pack["SEEN"]["max_resolution"] == 16384
    assert comfy_nodes.NODE_CLASS_MAPPINGS["UnionInput"] is pack["UnionInput"]


def test_comfyui_names_are_served_only_while_packs_load_or_run(packs):
    assert not [name for name in COMFY_NAMES if name in sys.modules]
    assert not any(type(finder).__name__ == "ComfyFinder" for finder in sys.meta_path)


def test_a_pack_needing_what_nodegraph_lacks_is_reported_with_its_traceback(packs):
    failures = {f.source.rsplit("/", 1)[-1]: f for f in packs.engine.registry.failures}
    module = failures["missing_module_pack"]
    assert "does not provide the module 'comfy.sd'" in module.error and "docs/compat.md" in module.error
    assert "Traceback" in module.traceback and "missing_module_pack/__init__.py" in module.traceback
    function = failures["missing_function_pack.py"]
    assert "tiled_scale" in function.error and "compatibility layer" in function.error
    assert "UnionInput" in packs.engine.registry  # the other packs are unaffected


def test_an_unrelated_package_named_like_a_comfyui_module_keeps_working(tmp_path, monkeypatch):
    (tmp_path / "server.py").write_text("WHO = 'an unrelated installed package'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import server as unrelated

    (tmp_path / "base").mkdir()
    engine = packs_engine(tmp_path / "base")
    import nodegraph_plugins.v1_pack as pack

    assert pack.PromptServer.instance is engine.comfy.prompt_server  # the pack got ComfyUI's
    assert sys.modules["server"] is unrelated and unrelated.WHO == "an unrelated installed package"
    sys.modules.pop("server")


def test_two_engines_each_serve_their_own_folders_and_server(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = packs_engine(tmp_path / "a"), packs_engine(tmp_path / "b")
    assert first.comfy.prompt_server is not second.comfy.prompt_server
    assert first.comfy.module("folder_paths").get_output_directory() == str(tmp_path / "a" / "output")
    assert second.comfy.module("folder_paths").get_output_directory() == str(tmp_path / "b" / "output")
    # the pack was loaded for each engine: its module-level route went to each engine's server
    assert [str(r.path) for r in first.comfy.prompt_server.route_table()].count("/v1pack/info") == 1
    assert [str(r.path) for r in second.comfy.prompt_server.route_table()].count("/v1pack/info") == 1


def test_nodes_dir_loads_packs_too(tmp_path):
    engine = Engine(Config(base_dir=tmp_path, nodes_dirs=(PACKS,)))
    assert "V3Scale" in engine.registry and "UnionInput" in engine.registry


def test_the_cli_lists_a_failed_pack_with_its_traceback(tmp_path):
    command = [str(Path(sys.executable).with_name("nodegraph")), "nodes", "--nodes-dir", str(PACKS)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "V3Scale" in done.stdout and "UnionInput" in done.stdout
    assert "missing_module_pack skipped" in done.stderr and "does not provide the module 'comfy.sd'" in done.stderr
    assert "Traceback (most recent call last)" in done.stderr


def test_a_pack_may_register_into_node_class_mappings(tmp_path):
    (tmp_path / "custom_nodes").mkdir()
    (tmp_path / "custom_nodes" / "registers.py").write_text(textwrap.dedent('''
        import nodes

        class Late:
            @classmethod
            def INPUT_TYPES(cls):
                return {"required": {}}
            RETURN_TYPES = ("INT",)
            FUNCTION = "go"
            def go(self):
                return (5,)

        nodes.NODE_CLASS_MAPPINGS["LateRegistered"] = Late
        NODE_CLASS_MAPPINGS = {}
    '''))
    engine = Engine(Config(base_dir=tmp_path))
    assert "LateRegistered" in engine.registry


def test_disable_all_custom_nodes_leaves_installed_packs_and_custom_nodes_out(tmp_path):
    """ComfyUI's --disable-all-custom-nodes: neither the base folder's custom_nodes nor the packs pip installed
    (comfyui-tooling-nodes, from the dev extra) load; a folder named with --nodes-dir still does."""
    (tmp_path / "custom_nodes").mkdir()
    (tmp_path / "custom_nodes" / "local_pack.py").write_text(textwrap.dedent('''
        class LocalNode:
            @classmethod
            def INPUT_TYPES(cls):
                return {"required": {}}
            RETURN_TYPES = ("INT",)
            FUNCTION = "go"
            def go(self):
                return (1,)

        NODE_CLASS_MAPPINGS = {"LocalNode": LocalNode}
    '''))
    nodegraph = str(Path(sys.executable).with_name("nodegraph"))
    env = {**os.environ, "NODEGRAPH_CUSTOM_NODES": "1"}
    listed = subprocess.run([nodegraph, "nodes", "--base-dir", str(tmp_path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "LocalNode" in listed.stdout and "ETN_LoadImageBase64" in listed.stdout
    assert "Ib Custom Nodes" not in listed.stdout  # what a pack prints while loading goes to stderr
    bare = subprocess.run([nodegraph, "nodes", "--base-dir", str(tmp_path), "--disable-all-custom-nodes",
                           "--nodes-dir", str(PACKS)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert bare.returncode == 0, bare.stderr
    assert "LocalNode" not in bare.stdout and "ETN_LoadImageBase64" not in bare.stdout
    assert "V3Scale" in bare.stdout and "KSampler" in bare.stdout
    assert not Engine(Config(base_dir=tmp_path, custom_nodes=False)).registry.failures
