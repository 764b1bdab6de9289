"""Plugin discovery: folders, native and classic classes, failures, entry points, object_info."""

from __future__ import annotations

import sys
import textwrap

from nodegraph.core.object_info import object_info
from nodegraph.plugins import build_registry


def test_builtin_and_fixture_nodes_load(registry):
    assert "PrimitiveInt" in registry and "Switch" in registry
    assert "TestLazyMix" in registry and "NativeDouble" in registry
    assert registry["TestInt"].display_name == "Test Int"


def test_failing_plugin_is_reported_and_skipped(registry):
    failures = [f for f in registry.failures if "broken_pack" in f.source]
    assert failures and "definitely_missing_pkg" in failures[0].error


def test_object_info_shape_for_classic_and_native(registry):
    info = object_info(registry["TestLazyMix"])
    assert info["input"]["required"]["a"] == ["INT", {"lazy": True}]
    assert info["input_order"] == {"required": ["a", "b", "weight"]}
    assert info["output"] == ["INT"] and info["output_is_list"] == [False]
    assert info["category"] == "testing" and info["output_node"] is False
    native = object_info(registry["MathInt"])
    assert native["input"]["required"]["operation"][0][:2] == ["add", "subtract"]
    assert native["input"]["required"]["a"][1]["default"] == 0
    assert object_info(registry["TestMakeList"])["output_is_list"] == [True]


def test_native_schema_must_match_run_signature(tmp_path):
    (tmp_path / "bad.py").write_text(textwrap.dedent('''
        from nodegraph import In, Node, Out
        class Mismatch(Node):
            inputs = {"x": In.int(1)}
            outputs = {"y": Out("INT")}
            def run(self, ctx, y):
                return y
        NODES = [Mismatch]
    '''))
    registry = build_registry([tmp_path], builtin=False, use_entry_points=False)
    assert "Mismatch" not in registry
    assert any("does not accept declared inputs ['x']" in f.error for f in registry.failures)


def test_later_plugin_cannot_take_over_a_name(tmp_path):
    (tmp_path / "clash.py").write_text(textwrap.dedent('''
        class PrimitiveInt:
            @classmethod
            def INPUT_TYPES(cls):
                return {"required": {}}
            RETURN_TYPES = ("INT",)
            FUNCTION = "f"
            def f(self):
                return (666,)
        NODE_CLASS_MAPPINGS = {"PrimitiveInt": PrimitiveInt}
    '''))
    registry = build_registry([tmp_path], use_entry_points=False)
    assert registry["PrimitiveInt"].python_module == "nodes"
    assert any("already registered" in f.error for f in registry.failures)


def test_entry_point_plugins_are_loaded(tmp_path, monkeypatch):
    package = tmp_path / "ep_pack_mod.py"
    package.write_text(textwrap.dedent('''
        from nodegraph import In, Node, Out
        class FromEntryPoint(Node):
            inputs = {}
            outputs = {"INT": Out("INT")}
            def run(self, ctx):
                return 7
        NODES = [FromEntryPoint]
    '''))
    dist = tmp_path / "ep_pack-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-pack\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[nodegraph.nodes]\nep = ep_pack_mod\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = build_registry(builtin=False)
    assert "FromEntryPoint" in registry
    sys.modules.pop("ep_pack_mod", None)


def test_missing_nodes_dir_is_reported_not_fatal(tmp_path):
    registry = build_registry([tmp_path / "nope"], use_entry_points=False)
    assert "PrimitiveInt" in registry
    assert any("does not exist" in f.error for f in registry.failures)
