"""JSON text from and to users: one error, with where, for all that can go wrong
in reading; writing that never fails on a string that was read.

``json.loads`` fails in three ways: a ``JSONDecodeError`` (with a position),
a ``RecursionError`` on deep nesting, and a plain ``ValueError`` for an
integer longer than Python's int-string limit (4,300 digits by default), which
says neither where nor that it is the input's fault. ``loads`` turns all
three into ``JSONTextError``, whose message names the line and column.

A ``"\\ud800"`` escape reads as a lone surrogate, which has no UTF-8 form:
``dumps`` writes it back as that escape (the same JSON value), so that the
text can always be encoded.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

# A JSON string (skipped whole, so that digits inside it are not taken for a
# number), or a number: its integer part, and a fraction or an exponent, which
# make it a float (read whatever its length).
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?\d+)(\.\d+)?([eE][-+]?\d+)?')


class JSONTextError(ValueError):
    """Text that is not JSON this program can read; ``str()`` says why and where."""

    def __init__(self, reason: str, lineno: int | None = None, colno: int | None = None) -> None:
        self.reason, self.lineno, self.colno = reason, lineno, colno
        where = f" at line {lineno}, column {colno}" if lineno is not None else ""
        super().__init__(f"invalid JSON{where}: {reason}")


def loads(text: str) -> Any:
    """``json.loads(text)``, raising only ``JSONTextError``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONTextError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JSONTextError("nested too deeply") from None
    except ValueError:
        # Only the int-string limit raises a plain ValueError here.
        found = _long_integer(text)
        if found is None:
            raise JSONTextError("a number this program cannot read") from None
        offset, digits = found
        lineno = text.count("\n", 0, offset) + 1
        colno = offset - text.rfind("\n", 0, offset)
        raise JSONTextError(
            f"an integer of {digits} digits (at most {sys.get_int_max_str_digits()} are read)", lineno, colno
        ) from None


def _long_integer(text: str) -> tuple[int, int] | None:
    """(offset, digit count) of the first integer over the int-string limit, outside strings."""
    limit = sys.get_int_max_str_digits()
    for match in _TOKEN.finditer(text):
        number, fraction, exponent = match.groups()
        if number is not None and fraction is None and exponent is None:
            digits = len(number.lstrip("-"))
            if limit and digits > limit:
                return match.start(), digits
    return None


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **kwargs)`` with lone surrogates escaped: valid UTF-8 once encoded."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    # Lone surrogates only occur inside JSON strings, where the escape means the same.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
