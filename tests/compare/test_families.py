"""The family table in nodegraph/compare/families.py against the shipped workflow files: drift fails here."""

from __future__ import annotations

import pytest

from nodegraph.compare import families
from nodegraph.train.dataset import Attributes, Shape
from nodegraph.train.eval_prompts import EvalPrompt
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


def test_the_ar_edit_caption_names_the_kept_shape_and_the_diffusion_one_only_the_new_shape():
    new = Shape("circle", "red", "small", families.EDIT_POSITION)
    edit = EvalPrompt("a small red circle at the bottom right on a white background",
                      Attributes(families.EDIT_BACKGROUND, (new,)))
    assert families.editing("diffusion").edit_text(edit, 3) == edit.prompt
    text = families.editing("ar").edit_text(edit, 3)
    kept = families.EDIT_KEPT
    for word in (kept.color, kept.kind, new.color, new.kind, families.EDIT_BACKGROUND):
        assert word in text, (word, text)
    assert families.editing("ar").edit_text(edit, 3) == text  # seeded: one caption per edit


@pytest.mark.parametrize("family", families.EDITING, ids=[f.name for f in families.EDITING])
def test_edit_kept_is_the_shape_each_edit_workflow_draws_first(family, registry):
    if families.missing_reason(family, {spec.name for spec in registry}):
        pytest.skip(f"{family.name}: workflow or nodes missing")
    prompt = load_workflow(family.path, registry).prompt
    texts = [value for node in prompt.values() for value in node["inputs"].values() if isinstance(value, str)]
    kept = families.EDIT_KEPT
    phrase = f"a {kept.size} {kept.color} {kept.kind} at the {kept.position} on a {families.EDIT_BACKGROUND} background"
    assert phrase in texts, texts
