"""JSON text from and to users: one error, with where, for all that can go wrong
in reading; writing that never fails on a string that was read.

``json.loads`` fails in three ways: a ``JSONDecodeError`` (with a position),
a ``RecursionError`` on deep nesting, and a plain ``ValueError`` for an
integer longer than Python's int-string limit (4,300 digits by default), which
says neither where nor that it is the input's fault. ``loads`` turns all
three into ``JSONTextError``, whose message names the line and column.
With ``finite=True`` it also refuses what Python reads beyond JSON: ``NaN``,
``Infinity``, and numbers too large for a float (``1e999``), which a Cozy
document cannot hold and which writing it back would fail on.

A ``"\\ud800"`` escape reads as a lone surrogate, which has no UTF-8 form:
``dumps`` writes it back as that escape (the same JSON value), so that the
text can always be encoded.

Reading goes through msgspec first, two to three times faster than ``json``
on large exports: it reads standard JSON only (no ``NaN``, ``Infinity``,
float overflow or lone surrogate escapes) and gives the same values as
``json.loads`` where it succeeds. Whatever it refuses is read again by the
standard library, so the values and the messages are those of ``json``. (It
also reaches two or three levels deeper before Python's recursion limit:
text nested within a few levels of that limit loads rather than being refused.)
``read_outline`` and ``read_part`` read a large text a part at a time, the
way the loader reads its documents.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any, Union

import msgspec

_SURROGATE = re.compile("[\ud800-\udfff]")
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
# A value not read yet: its bytes, found (and their JSON structure checked, not
# their numbers or UTF-8) by skipping over them.
Part = msgspec.Raw
_outline = msgspec.json.Decoder(Union[list[Part], dict[str, Part]]).decode
_parts = msgspec.json.Decoder(list[Part]).decode
# A JSON string (skipped whole, so that digits inside it are not taken for a
# number); a number: its integer part, and a fraction or an exponent, which
# make it a float (read whatever its length); or a constant Python adds.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?\d+)(\.\d+)?([eE][-+]?\d+)?|(NaN|-?Infinity)')


class JSONTextError(ValueError):
    """Text that is not JSON this program can read; ``str()`` says why and where."""

    def __init__(self, reason: str, lineno: int | None = None, colno: int | None = None) -> None:
        self.reason, self.lineno, self.colno = reason, lineno, colno
        where = f" at line {lineno}, column {colno}" if lineno is not None else ""
        super().__init__(f"invalid JSON{where}: {reason}")


class _NotFinite(Exception):
    pass


def _constant(token: str) -> Any:
    raise _NotFinite()


def _finite_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _NotFinite()
    return value


UNREAD = object()  # what ``read_standard`` gives for text it cannot read


def read_standard(text: str | bytes | memoryview) -> Any:
    """The value of standard JSON text (a str, or UTF-8 bytes), or ``UNREAD``
    when it is not that: ``loads`` then says why, or reads what Python adds
    to JSON. Every number read is finite."""
    try:
        return _decode(text)
    except (msgspec.DecodeError, ValueError, RecursionError):
        # ValueError: a str holding a lone surrogate has no UTF-8 form to read.
        return UNREAD


def read_outline(text: str | bytes | memoryview) -> Any:
    """Standard JSON text whose top is an array or an object, one level read:
    a list of ``Part``, or a dict of them; ``UNREAD`` otherwise. Each part
    is then read by ``read_part``, which checks what the outline did not:
    text read this way is standard JSON once every part has been read."""
    try:
        return _outline(text)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return UNREAD


def read_part(part: Part, *, parts: bool = False) -> Any:
    """The value of a part (with ``parts``: a list of parts, for an array), or
    ``UNREAD``, also for a part nested half as deep as Python's recursion
    limit allows: read alone, it could reach levels deeper than the whole
    text read at once does, where the standard library stops."""
    try:
        value = _parts(part) if parts else _decode(part)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return UNREAD
    # Each level opens with a bracket and takes two bytes at least: most
    # parts are not even counted. (An array read as parts is one level.)
    if not parts and len(part) >= 2 * _DEEP and _brackets(part) >= _DEEP and _depth(value) >= _DEEP:
        return UNREAD
    return value


_DEEP = sys.getrecursionlimit() // 2


def _brackets(part: Part) -> int:
    data = bytes(part)
    return data.count(b"[") + data.count(b"{")


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in a value (iteratively: it may be deep)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        todo.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return deepest


def loads(text: str | bytes, *, finite: bool = False) -> Any:
    """``json.loads(text)``, raising only ``JSONTextError``; bytes must be UTF-8."""
    value = read_standard(text)
    if value is not UNREAD:
        return value
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONTextError(f"not UTF-8 text (byte {exc.start})") from None
    hooks = {"parse_constant": _constant, "parse_float": _finite_float} if finite else {}
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as exc:
        raise JSONTextError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JSONTextError("nested too deeply") from None
    except _NotFinite:
        found = _first(text, _is_not_finite)
        if found is None:  # the decoder met one, so the scan does too; this is a guard
            raise JSONTextError("a number that is not finite") from None
        raise JSONTextError(f"{_short(found[1])} is not a finite number", *_position(text, found[0])) from None
    except ValueError:
        # Only the int-string limit raises a plain ValueError here.
        found = _first(text, _is_long_integer)
        if found is None:
            raise JSONTextError("a number this program cannot read") from None
        digits = len(found[1].lstrip("-"))
        raise JSONTextError(f"an integer of {digits} digits (at most {sys.get_int_max_str_digits()} are read)",
                            *_position(text, found[0])) from None


def _is_long_integer(match: re.Match[str]) -> bool:
    number, fraction, exponent, _ = match.groups()
    limit = sys.get_int_max_str_digits()
    return number is not None and fraction is None and exponent is None and 0 < limit < len(number.lstrip("-"))


def _is_not_finite(match: re.Match[str]) -> bool:
    number, fraction, exponent, constant = match.groups()
    return constant is not None or (
        number is not None and (fraction or exponent) is not None and math.isinf(float(match.group())))


def _first(text: str, wanted: Callable[[re.Match[str]], bool]) -> tuple[int, str] | None:
    """(offset, text) of the first token outside strings that ``wanted`` picks."""
    return next(((m.start(), m.group()) for m in _TOKEN.finditer(text) if wanted(m)), None)


def _position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _short(token: str) -> str:
    return token if len(token) <= 20 else f"{token[:8]}...{token[-8:]}"


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **kwargs)`` with lone surrogates escaped: valid UTF-8 once encoded."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    # Lone surrogates only occur inside JSON strings, where the escape means the same.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def encode(value: Any, *, indent: int = 2) -> bytes:
    """UTF-8 JSON text of a JSON value as ``json.dumps(value, ensure_ascii=False,
    indent=indent)`` writes it (``indent=0``: on one line, as ``json.dumps``
    without ``indent``), written by msgspec: ten times as fast as ``json``,
    whose indented writing is pure Python. Floats come out in their shortest
    form (``1e16`` for ``1e+16``: the same number); NaN and Infinity, which
    no text this module reads with ``finite=True`` holds, as null. Raises
    UnicodeEncodeError on a lone surrogate (no UTF-8 form): see ``dumps``."""
    return msgspec.json.format(_encode(value), indent=indent)


def json_type(value: Any) -> str:
    """The JSON type of a value; JSON has one number type, so 1 and 1.0 are both "number"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
