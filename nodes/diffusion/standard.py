"""The standard configurations of the Stable Diffusion families, shipped with the project so single files load
offline: the diffusers configs of SD 1.5 (`sd1`), SD 2.1 768-v (`sd2`), SDXL base 1.0 (`sdxl`) and the SDXL 1.0
refiner (`sdxl_refiner`) under configs/, and CLIP's BPE tokenizer, built from OpenAI CLIP's merges (MIT licence;
`clip_merges.txt.gz`, the 48,894 merges every Stable Diffusion tokenizer uses)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

FAMILIES = {"sd1": "SD 1.x", "sd2": "SD 2.x", "sdxl": "SDXL", "sdxl_refiner": "SDXL refiner"}
_BOS, _EOS = "<|startoftext|>", "<|endoftext|>"


def configs_dir() -> Path:
    return Path(__file__).resolve().parent / "configs"


def read(family: str, name: str) -> dict[str, Any]:
    """One shipped config file, e.g. read("sdxl", "unet/config.json")."""
    return json.loads((configs_dir() / family / name).read_text())


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table, which CLIP's BPE vocabulary is written in: printable
    bytes stand for themselves, the others for characters from 256 on; printable ones first."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [byte for byte in range(256) if byte not in printable]
    return {**{byte: chr(byte) for byte in printable}, **{byte: chr(256 + i) for i, byte in enumerate(others)}}


def write_clip_tokenizer(folder: Path, tokenizer_config: dict[str, Any]) -> None:
    """vocab.json and merges.txt of CLIP's tokenizer (ids: 256 byte characters, the same with </w>, one per merge,
    then <|startoftext|> 49406 and <|endoftext|> 49407), with the given tokenizer_config.json."""
    merges = gzip.decompress((configs_dir() / "clip_merges.txt.gz").read_bytes()).decode("utf-8").splitlines()
    characters = list(_bytes_to_unicode().values())
    vocab = [*characters, *(c + "</w>" for c in characters), *(m.replace(" ", "") for m in merges), _BOS, _EOS]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(vocab)}, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    special = {k: tokenizer_config[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token")}
    (folder / "special_tokens_map.json").write_text(json.dumps(special))


def materialise(family: str, folder: Path, overrides: dict[str, dict[str, Any]] | None = None) -> None:
    """Write a family's diffusers config folder (no weights) into `folder`: its configs, `overrides` (relative
    path -> config replacing the shipped one) and its tokenizers."""
    source = configs_dir() / family
    for path in source.rglob("*.json"):
        relative = path.relative_to(source).as_posix()
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if overrides and relative in overrides:
            target.write_text(json.dumps(overrides[relative]))
        elif relative.startswith("tokenizer"):
            write_clip_tokenizer(target.parent, json.loads(path.read_text()))
        else:
            shutil.copyfile(path, target)
