"""The family table in nodegraph/compare/families.py against the shipped workflow files: drift fails here."""

from __future__ import annotations

import pytest

from nodegraph.compare import families
from nodegraph.compare.runner import result_node
from nodegraph.plugins import build_registry
from nodegraph.workflow import load_workflow
from nodegraph.workflow.overrides import find_node

ALL = [*families.TEXT_TO_IMAGE, *families.EDITING]


@pytest.fixture(scope="module")
def registry():
    return build_registry([], use_entry_points=False)


@pytest.mark.parametrize("family", ALL, ids=[f"{f.name}-{f.workflow}" for f in ALL])
def test_every_target_names_an_input_of_the_shipped_workflow(family, registry):
    reason = families.missing_reason(family, {spec.name for spec in registry})
    if reason is not None:
        pytest.skip(f"{family.name}: {reason}")
    prompt = load_workflow(family.path, registry).prompt
    for target in family.targets():
        ref, _, name = target.rpartition(".")
        node = prompt[find_node(prompt, ref)]
        assert name in registry[node["class_type"]].inputs, f"{family.workflow}: {target}"
    assert family.prompt and family.seed, "every family takes a prompt and a seed"
    result_node(prompt)  # exactly one SaveImage, fed by the family's picture
    for ref in (family.original, family.mask, *(family.original_tokens or ())):
        if ref is not None:
            find_node(prompt, ref)
    if family.edits:
        assert (family.original is None) != (family.original_tokens is None), "one source of the original"
    for class_type in family.nodes:
        assert any(node["class_type"] == class_type for node in prompt.values()), class_type


def test_prompt_text_reaches_the_sampler_and_steps_only_where_the_family_has_them(registry):
    family = families.text_to_image("diffusion")
    if families.missing_reason(family, {spec.name for spec in registry}):
        pytest.skip("the diffusion workflow or nodes are missing")
    overrides = family.overrides("a red circle", 7, steps=5, cfg=2.5, negative="blurry")
    assert overrides == {"6.text": "a red circle", "3.seed": 7, "7.text": "blurry", "3.steps": 5, "3.cfg": 2.5}
    ar = families.text_to_image("ar")
    assert not any(target.endswith(".steps") for target in ar.overrides("x", 1, steps=5))


def test_a_missing_workflow_or_node_is_named(tmp_path):
    family = families.Family("x", "no_such_workflow.json", ("1.text",), (), ("1.seed",), nodes=("Nope",))
    assert "workflows/no_such_workflow.json" in families.missing_reason(family, set())
    shipped = families.text_to_image("diffusion")
    assert "KSampler" in families.missing_reason(shipped, {"CheckpointLoaderSimple", "VAEDecode"})
