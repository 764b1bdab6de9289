"""JSON in and out without surprises: reading refuses what strict JSON or the engine cannot carry (NaN and
Infinity, nesting past the depth limit, huge integers, lone surrogates), and writing never emits a bare
NaN or Infinity that a strict parser such as the browser's JSON.parse would reject.

Every walk here is a loop over an explicit stack, so no input can exhaust Python's recursion limit.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .limits import InputRefused, Limits

# Seeds reach 2**64; nothing a node takes needs more, and huge integers are costly to print and store.
MAX_INT_BITS = 128
PATH_SHOWN = 8  # path elements named in a message; a 100-deep path would bury the point


def loads(data: bytes | str, limits: Limits, label: str = "the JSON") -> Any:
    """Parse `data` and check the result with `check`; raises InputRefused naming what is wrong and where."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise InputRefused("json_too_deep", f"{label} is nested deeper than {limits.max_json_depth} levels "
                           "(setting max_json_depth)", setting="max_json_depth") from None
    except UnicodeDecodeError as exc:
        raise InputRefused("invalid_json", f"{label} is not UTF-8 text: {exc.reason} at byte {exc.start}") \
            from None
    except json.JSONDecodeError as exc:
        raise InputRefused("invalid_json", f"{label} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
    except ValueError as exc:  # NaN/Infinity (our hook) or an integer past Python's digit limit
        reason = str(exc) if "integer string conversion" not in str(exc) else \
            f"an integer has thousands of digits (inputs take at most {MAX_INT_BITS} bits)"
        raise InputRefused("invalid_json", f"{label} is not valid JSON: {reason}") from None
    check(value, limits, label)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (numbers must be finite)")


def check(value: Any, limits: Limits, label: str = "the value", *, depth_only: bool = False) -> None:
    """Raise InputRefused for the first part of `value` that is too deep, not finite, a huge integer or a
    string that cannot be encoded (with `depth_only`, only for nesting past the limit); a parsed JSON value
    or a structure handed in from Python alike."""
    if _problem(value, limits.max_json_depth, None, depth_only) is None:
        return
    paths: list[tuple[Any, ...]] = []
    type_, message = _problem(value, limits.max_json_depth, paths, depth_only)  # type: ignore[misc]
    path = paths[0] if paths else ()
    where = f"{label} at {format_path(path)}" if path else label
    raise InputRefused(type_, f"{where}: {message}", setting="max_json_depth" if type_ == "json_too_deep"
                       else None, path=path)


def format_path(path: tuple[Any, ...]) -> str:
    shown = [f"[{p}]" if isinstance(p, int) else f"[{json.dumps(str(p))}]" for p in path[:PATH_SHOWN]]
    return "".join(shown) + ("..." if len(path) > PATH_SHOWN else "")


def _scalar_problem(item: Any) -> tuple[str, str] | None:
    kind = type(item)
    if kind is str:
        if not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "invalid_string", "a string holds a lone surrogate (\\ud800-\\udfff), which is not text"
    elif kind is float:
        if not math.isfinite(item):
            return "number_not_finite", f"{item} is not a finite number"
    elif kind is int and item.bit_length() > MAX_INT_BITS:
        return "integer_too_large", f"an integer of {item.bit_length():,} bits is larger than any input takes " \
                                    f"(at most {MAX_INT_BITS} bits)"
    return None


def _problem(value: Any, max_depth: int, paths: list[tuple[Any, ...]] | None,
             depth_only: bool = False) -> tuple[str, str] | None:
    """The first problem in `value`; with `paths`, its location is appended there (a slower walk, taken
    only once something was found, so the common case builds no path tuples)."""
    if not isinstance(value, (dict, list, tuple)):
        return None if depth_only else _scalar_problem(value)
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    while stack:
        item, depth, path = stack.pop()
        for key, child in item.items() if type(item) is dict else enumerate(item):
            kind = type(child)
            if kind is dict or kind is list or kind is tuple:
                if depth >= max_depth:
                    found: tuple[str, str] | None = (
                        "json_too_deep", f"nested deeper than {max_depth} levels (setting max_json_depth)")
                elif child:
                    stack.append((child, depth + 1, (*path, key) if paths is not None else ()))
                    continue
                else:
                    continue
            elif depth_only or (kind is str and child.isascii()):
                continue
            else:
                found = _scalar_problem(child)
            if found is not None:
                if paths is not None:
                    paths.append((*path, key))
                return found
    return None


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None (copying only what it must)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if not isinstance(value, (dict, list, tuple)) or _problem_free_numbers(value):
        return value
    root: Any = dict(value) if isinstance(value, dict) else list(value)
    stack, seen = [root], {id(value)}
    while stack:
        item = stack.pop()
        for key in list(item.keys()) if isinstance(item, dict) else range(len(item)):
            child = item[key]
            if type(child) is float and not math.isfinite(child):
                item[key] = None
            elif isinstance(child, (dict, list, tuple)) and id(child) not in seen:  # a cycle is left as it is
                seen.add(id(child))
                copied = dict(child) if isinstance(child, dict) else list(child)
                item[key] = copied
                stack.append(copied)
    return root


def _problem_free_numbers(value: Any) -> bool:
    stack, seen = [value], {id(value)}
    while stack:
        item = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if type(child) is float and not math.isfinite(child):
                return False
            if isinstance(child, (dict, list, tuple)) and child and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return True


def dumps(value: Any, **options: Any) -> str:
    """json.dumps that never writes NaN or Infinity (they become null)."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        return json.dumps(finite(value), allow_nan=False, **options)
