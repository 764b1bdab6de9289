"""Path-safe access to the input, output, temp and user folders: nothing resolves, lists or is written
outside them.

* `resolve` refuses names that leave the folder (.., absolute paths, symlinks out, encoded separators)
  and names no file can have (a part over 255 bytes, a lone surrogate);
* `walk` lists files without following a link out of the folder (or into a loop);
* `write_atomic` creates its temporary file exclusively and without following a symlink, in the folder
  opened without following one, and renames it within that folder, so a link planted under the
  temporary or the final name cannot redirect the write.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..config import Config
from ..resources import example_inputs_dir

FOLDER_TYPES = ("input", "output", "temp", "user")
MAX_PART_BYTES = 255  # one path component: what Linux, macOS and Windows filesystems allow
MAX_NAME_BYTES = 1024  # a whole relative name (subfolder and file name)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafePath(ValueError):
    """A name that would leave its folder (.., absolute paths, symlinks out, encoded separators)."""


class InvalidName(UnsafePath):
    """A name no file can have: a part longer than 255 bytes, or text that cannot be encoded."""


def _check_name(part: str) -> None:
    try:
        encoded = part.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidName(f"{part[:40]!r}... is not valid text (a lone surrogate)") from None
    if len(encoded) > MAX_NAME_BYTES:
        raise InvalidName(f"a name of {len(encoded):,} bytes is longer than {MAX_NAME_BYTES}")
    for piece in part.split("/"):
        if len(piece.encode("utf-8")) > MAX_PART_BYTES:
            raise InvalidName(f"the name part {piece[:40]!r}... is longer than {MAX_PART_BYTES} bytes")


def walk(root: Path, suffixes: tuple[str, ...] = (), recursive: bool = True) -> Iterator[Path]:
    """Files under `root` (sorted per folder), never following a link that leads out of it: a symlink to
    a file inside is listed, one to a folder is not entered (no loops), one to anything outside is skipped."""
    real_root = root.resolve()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue
                if real_root not in target.parents or not target.is_file():
                    continue
            elif entry.is_dir(follow_symlinks=False):
                folders.append(path)
                continue
            elif not entry.is_file(follow_symlinks=False):
                continue
            if not suffixes or path.suffix.lower() in suffixes:
                yield path
        if recursive:
            stack.extend(reversed(folders))


def write_atomic(path: Path, data: bytes | Callable[[Path], None]) -> None:
    """Write `path` whole or not at all, never through a link (see the module doc). `data` is the bytes,
    or a function that writes the (already created, empty) temporary file at the path it is given."""
    with _staged(path, data) as (directory, temp):
        os.replace(temp, path.name, src_dir_fd=directory, dst_dir_fd=directory)


_COUNTED = re.compile(r"^(?P<stem>.*_)(?P<number>\d+)(?P<rest>_?\.[^.]*)$")


def write_new(path: Path, data: bytes | Callable[[Path], None]) -> Path:
    """Write `data` (as for write_atomic) as a new file, whole or not at all: at `path`, or, when a file
    already has that name, under the next free counter (name_00002_.png after name_00001_.png, name_1.png
    after name.png). Never replaces a file, even one another process writes at the same moment (two Ray
    workers saving into one shared folder); returns where it went."""
    with _staged(path, data) as (directory, temp):
        name = path.name
        while True:
            try:  # a hard link fails where the name exists: claiming the name and writing are one step
                os.link(temp, name, src_dir_fd=directory, dst_dir_fd=directory, follow_symlinks=False)
                os.unlink(temp, dir_fd=directory)
                return path.with_name(name)
            except FileExistsError:
                name = _next_name(name)


def _next_name(name: str) -> str:
    counted = _COUNTED.match(name)
    if counted:
        digits = counted["number"]
        return f"{counted['stem']}{int(digits) + 1:0{len(digits)}d}{counted['rest']}"
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}_1.{suffix}" if dot else f"{name}_1"


@contextlib.contextmanager
def _staged(path: Path, data: bytes | Callable[[Path], None]) -> Iterator[tuple[int, str]]:
    """(folder fd, temporary name): the data written to a temporary file created exclusively, without
    following links, in `path`'s folder (opened without following one); removed if it is still there."""
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW)
    try:
        while True:
            temp = f".nodegraph-{secrets.token_hex(8)}.partial"
            try:
                handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o644, dir_fd=directory)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(handle, "wb") as stream:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    stream.write(data)
            if callable(data):
                data(path.parent / temp)
            yield directory, temp
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=directory)
    finally:
        os.close(directory)


class Folders:
    def __init__(self, config: Config) -> None:
        self.roots = {
            "input": config.input_dir,
            "output": config.output_dir,
            "temp": config.temp_dir,
            "user": config.user_dir,
        }

    def root(self, kind: str) -> Path:
        if kind not in self.roots:
            raise UnsafePath(f"unknown folder type {kind!r}; expected one of {', '.join(FOLDER_TYPES)}")
        path = self.roots[kind]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def resolve(self, kind: str, filename: str, subfolder: str = "") -> Path:
        """The real path of `subfolder/filename` inside the folder, or UnsafePath."""
        root = self.root(kind).resolve()
        for part in (subfolder, filename):
            if "\x00" in part or "\\" in part or re.search(r"%2f|%5c|%2e%2e", part, re.IGNORECASE):
                raise UnsafePath(f"invalid characters in {part[:80]!r}")
            _check_name(part)
        if os.path.isabs(filename) or os.path.isabs(subfolder):
            raise UnsafePath("absolute paths are not allowed")
        try:
            candidate = (root / subfolder / filename).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, or a path the system refuses
            raise UnsafePath(f"{subfolder}/{filename[:80]} cannot be resolved: {exc}") from None
        if candidate != root and root not in candidate.parents:
            raise UnsafePath(f"{subfolder}/{filename} leaves the {kind} folder")
        return candidate

    def provide_examples(self, names: Iterable[str]) -> list[str]:
        """Copy the shipped example inputs among `names` into the input folder where that name is free, so a
        shipped workflow that starts from a picture runs as shipped; a user's file of that name is never
        replaced. Returns the names copied."""
        examples = example_inputs_dir()
        # Only the shipped names are looked at: no file check per string of a prompt, and no input folder made
        # for a workflow that needs none. Names from the folder listing carry no path part.
        shipped = {path.name for path in examples.iterdir() if path.is_file()} if examples.is_dir() else set()
        copied = []
        for name in sorted(shipped.intersection(names)):
            source, target = examples / name, self.root("input") / name
            if target.exists() or target.is_symlink():
                continue
            placed = write_new(target, source.read_bytes())
            if placed != target:  # someone wrote that name meanwhile: theirs stays, ours goes
                placed.unlink()
                continue
            copied.append(name)
        return copied

    def list_files(self, kind: str, suffixes: tuple[str, ...] = ()) -> list[str]:
        root = self.root(kind)
        return sorted(path.relative_to(root).as_posix() for path in walk(root, suffixes))
