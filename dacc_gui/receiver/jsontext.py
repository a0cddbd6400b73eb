"""JSON text for the receiver's records: whatever a body held, in and out.

A parsed body can hold what Python's parser takes but JSON has not (NaN,
Infinity), lone surrogates (``"\\ud800"``: UTF-8 cannot encode them, so SQLite
and the HTTP answer would refuse the text), or nesting deep enough that a
recursive walk overflows Python's stack. Records must still be stored, listed
and exported, so these helpers never recurse past the C parser's own limit and
always give text that encodes to UTF-8. The common case stays the C encoder.
"""

from __future__ import annotations

import json
import math
import re
from json.decoder import scanstring
from typing import Any

_NON_FINITE_TOKENS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def dumps(value: Any, *, keep_nan: bool = False) -> str:
    """``json.dumps`` that never fails on a parsed body.

    ``keep_nan``: write NaN/Infinity as Python writes them (for storage, read
    back by :func:`loads`); otherwise as the strings ``"nan"``, ``"inf"``, so
    that the text is valid JSON. Lone surrogates become ``\\udXXX`` escapes,
    which read back as the same string.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=keep_nan)
    except RecursionError:  # nested too deeply for the C encoder
        text = _dumps_flat(value, keep_nan)
    except ValueError as exc:
        if "ircular" in str(exc):  # no JSON for it at all (never a parsed body)
            raise
        text = _dumps_flat(value, keep_nan)  # NaN or Infinity, written as text
    return encodable(text)


def encodable(text: str) -> str:
    """The text, with lone surrogates written as ``\\udXXX`` so UTF-8 can encode it."""
    if text.isascii():  # constant time in CPython: the common case costs nothing
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def loads(text: str) -> Any:
    """``json.loads``, also for text nested deeper than Python's recursion allows."""
    try:
        return json.loads(text)
    except RecursionError:
        return _loads_flat(text)


def _scalar(value: Any, keep_nan: bool) -> str:
    if isinstance(value, float) and not math.isfinite(value) and not keep_nan:
        return json.dumps(repr(value))
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def _key(key: Any) -> str:
    # The conversions json.dumps makes of non-string keys (a parsed body has none).
    if not isinstance(key, str):
        key = "true" if key is True else "false" if key is False else "null" if key is None else json.dumps(key)
    return json.dumps(key, ensure_ascii=False)


def _dumps_flat(value: Any, keep_nan: bool) -> str:
    """The same text as ``json.dumps`` (default separators), with an explicit stack."""
    parts: list[str] = []
    todo: list[tuple[bool, Any]] = [(False, value)]  # (is literal text, item)
    while todo:
        literal, item = todo.pop()
        if literal:
            parts.append(item)
        elif isinstance(item, dict):
            if not item:
                parts.append("{}")
                continue
            parts.append("{")
            todo.append((True, "}"))
            entries = list(item.items())
            for i in range(len(entries) - 1, -1, -1):
                key, inner = entries[i]
                todo.append((False, inner))
                todo.append((True, ("" if i == 0 else ", ") + _key(key) + ": "))
        elif isinstance(item, (list, tuple)):
            if not item:
                parts.append("[]")
                continue
            parts.append("[")
            todo.append((True, "]"))
            for i in range(len(item) - 1, -1, -1):
                todo.append((False, item[i]))
                if i:
                    todo.append((True, ", "))
        else:
            parts.append(_scalar(item, keep_nan))
    return "".join(parts)


_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")


def _loads_flat(text: str) -> Any:
    """A JSON parser with an explicit stack (also reads NaN and Infinity, as Python's does)."""
    stack: list[Any] = []  # open containers; a dict is followed by its pending key
    pos = _SPACE.match(text, 0).end()
    result: Any = None
    done = False

    def fail(what: str) -> ValueError:
        return ValueError(f"{what} at character {pos}")

    while True:
        # one value
        ch = text[pos:pos + 1]
        if ch == "{" or ch == "[":
            pos = _SPACE.match(text, pos + 1).end()
            close = "}" if ch == "{" else "]"
            if text[pos:pos + 1] == close:
                value: Any = {} if ch == "{" else []
                pos += 1
            else:
                container: Any = {} if ch == "{" else []
                stack.append(container)
                if ch == "{":
                    if text[pos:pos + 1] != '"':
                        raise fail("expected a key")
                    key, pos = scanstring(text, pos + 1)
                    pos = _SPACE.match(text, pos).end()
                    if text[pos:pos + 1] != ":":
                        raise fail("expected ':'")
                    pos = _SPACE.match(text, pos + 1).end()
                    stack.append(key)
                continue
        elif ch == '"':
            value, pos = scanstring(text, pos + 1)
        else:
            for token, literal in (("true", True), ("false", False), ("null", None), *_NON_FINITE_TOKENS.items()):
                if text.startswith(token, pos):
                    value, pos = literal, pos + len(token)
                    break
            else:
                number = _NUMBER.match(text, pos)
                if number is None or number.end() == pos:
                    raise fail("expected a value")
                integer, fraction, exponent = number.groups()
                value = float(integer + (fraction or "") + (exponent or "")) if fraction or exponent else int(integer)
                pos = number.end()
        # the value goes into the innermost open container; close what is complete
        while True:
            if not stack:
                result, done = value, True
                break
            pos = _SPACE.match(text, pos).end()
            if isinstance(stack[-1], str):  # a dict and its pending key
                key = stack.pop()
                stack[-1][key] = value
                close = "}"
            else:
                stack[-1].append(value)
                close = "]"
            ch = text[pos:pos + 1]
            if ch == ",":
                pos = _SPACE.match(text, pos + 1).end()
                if close == "}":
                    if text[pos:pos + 1] != '"':
                        raise fail("expected a key")
                    key, pos = scanstring(text, pos + 1)
                    pos = _SPACE.match(text, pos).end()
                    if text[pos:pos + 1] != ":":
                        raise fail("expected ':'")
                    pos = _SPACE.match(text, pos + 1).end()
                    stack.append(key)
                break
            if ch != close:
                raise fail(f"expected ',' or '{close}'")
            pos += 1
            value = stack.pop()
        if done:
            break
    if _SPACE.match(text, pos).end() != len(text):
        raise fail("extra data")
    return result
