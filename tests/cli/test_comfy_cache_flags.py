"""ComfyUI's cache flags are accepted, each mapped onto nodegraph's one bounded cache."""

from __future__ import annotations

import pytest

from nodegraph.cli import _config, build_parser
from nodegraph.config import Config


@pytest.mark.parametrize(("flags", "entries"), [
    (["--cache-lru", "7"], 7),  # at most N node results, as ComfyUI's LRU cache
    (["--cache-none"], 0),  # nothing kept between runs
    (["--cache-classic"], Config().cache_entries),  # ComfyUI's default cache: nodegraph's default
    (["--cache-lru", "0"], Config().cache_entries),  # ComfyUI's "not LRU"
    ([], Config().cache_entries),
])
def test_comfyui_cache_flags_set_the_cache_bound(flags, entries, tmp_path):
    for command in ("serve", "run"):
        extra = ["workflow.json"] if command == "run" else []
        args = build_parser().parse_args([command, *extra, "--base-dir", str(tmp_path), *flags])
        config = _config(args, cache_entries=0 if getattr(args, "no_cache", False) else None)
        assert config.cache_entries == entries


def test_comfyui_cache_flags_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--cache-lru", "3", "--cache-none"])
    assert "not allowed with argument" in capsys.readouterr().err
