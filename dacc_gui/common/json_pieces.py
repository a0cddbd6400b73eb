"""``json.loads`` a piece at a time, so that a long parse can be cancelled and lets other threads run.

``json.loads`` is one call into C that holds Python's lock for the whole
text: 15 s for a million events, during which the app's window cannot
repaint or take a click, and Cancel cannot be seen. ``loads`` gives the same
value (and raises the same errors, at the same positions) but parses the
big arrays of an export about a megabyte at a time, asking ``cancelled()``
between pieces.

How: an array of objects is cut where one element ends and the next
begins (``}``, a comma, ``{``), and each piece is parsed by ``json.loads``
as an array of its own. A cut that falls inside a string or a nested value
makes that piece invalid JSON (a string or bracket left open), so a piece
that parses is exactly a run of whole elements; when a piece does not parse,
the elements are read one by one up to the next cut, which also finds the
error, if there is one, where ``json.loads`` would.

``loads_utf8`` does the same from the file's bytes, each piece decoded as it
is parsed: decoding a big file in one call held the app too. It handles a
top-level array or object of arrays of objects, which is what exports are;
for anything else (or a piece that does not parse: an error, most likely)
it raises ``NotInPieces`` and the caller decodes the text and uses ``loads``,
which says where the error is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.decoder import JSONDecodeError, scanstring
from typing import Any

from dacc_gui.common.cancel import Cancelled, release

PIECE = 1 << 18  # characters per piece: a millisecond or two of parsing
_WS = re.compile(r"[ \t\n\r]*")
_CUT = re.compile(r"\}[ \t\n\r]*,[ \t\n\r]*\{")  # the end of an object element and the start of the next
_DECODER = json.JSONDecoder()
# The same, in UTF-8 bytes: ASCII never occurs inside a multibyte character, so bytes are cut safely.
_WS_B = re.compile(rb"[ \t\n\r]*")
_CUT_B = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")
_STRING_B = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BOM = b"\xef\xbb\xbf"
VALUE_WINDOW = 1 << 16  # bytes decoded at first to read a small value of a top-level object


class NotInPieces(Exception):
    """``loads_utf8`` cannot read these bytes by pieces (another shape, or not valid): decode, then ``loads``."""


def loads(text: str, cancelled: Callable[[], bool] | None = None, piece: int = PIECE,
          decoder: json.JSONDecoder = _DECODER) -> Any:
    """``decoder.decode(text)`` (``json.loads`` by default), ``cancelled()`` asked between pieces
    (``Cancelled`` when it says so); the decoder's hooks (``parse_float``...) apply to every piece."""
    return _Reader(text, cancelled, piece, decoder).document()


def loads_utf8(data: bytes | bytearray, cancelled: Callable[[], bool] | None = None, piece: int = PIECE,
               decoder: json.JSONDecoder = _DECODER) -> Any:
    """The same from UTF-8 bytes (a BOM allowed), decoded piece by piece; ``NotInPieces`` when it cannot."""
    return _BytesReader(data, cancelled, piece, decoder).document()


class _Reader:
    def __init__(self, text: str, cancelled: Callable[[], bool] | None, piece: int,
                 decoder: json.JSONDecoder = _DECODER) -> None:
        self.text = text
        self.cancelled = cancelled
        self.piece = max(1, piece)
        self.decode = decoder.decode
        self.scan = decoder.scan_once
        self.ws = _WS.match
        self.building: list[list[Any]] = []  # the arrays read so far, emptied gradually on Cancel

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            release(*self.building)
            raise Cancelled()

    def value(self, idx: int) -> tuple[Any, int]:
        """One value at ``idx`` (already past whitespace): the end of it."""
        try:
            return self.scan(self.text, idx)
        except StopIteration as err:
            raise JSONDecodeError("Expecting value", self.text, err.value) from None

    def document(self) -> Any:
        text = self.text
        idx = self.ws(text, 0).end()
        first = text[idx:idx + 1]
        if first == "[" and len(text) - idx > self.piece:
            value, idx = self.array(idx)
        elif first == "{" and len(text) - idx > self.piece:
            value, idx = self.object(idx)
        else:
            value, idx = self.value(idx)
        idx = self.ws(text, idx).end()
        if idx != len(text):
            raise JSONDecodeError("Extra data", text, idx)
        return value

    def object(self, idx: int) -> tuple[dict[str, Any], int]:
        """The top-level object: its big arrays by pieces, its other values whole."""
        text, ws = self.text, self.ws
        out: dict[str, Any] = {}
        idx = ws(text, idx + 1).end()
        if text[idx:idx + 1] == "}":
            return out, idx + 1
        while True:
            if text[idx:idx + 1] != '"':
                raise JSONDecodeError("Expecting property name enclosed in double quotes", text, idx)
            key, idx = scanstring(text, idx + 1, True)
            idx = ws(text, idx).end()
            if text[idx:idx + 1] != ":":
                raise JSONDecodeError("Expecting ':' delimiter", text, idx)
            idx = ws(text, idx + 1).end()
            if text[idx:idx + 1] == "[":
                out[key], idx = self.array(idx)
            else:
                out[key], idx = self.value(idx)
            idx = ws(text, idx).end()
            nextchar = text[idx:idx + 1]
            if nextchar == "}":
                return out, idx + 1
            if nextchar != ",":
                raise JSONDecodeError("Expecting ',' delimiter", text, idx)
            idx = ws(text, idx + 1).end()

    def array(self, idx: int) -> tuple[list[Any], int]:
        """An array at ``idx`` (its "["), by pieces of whole elements."""
        text, ws = self.text, self.ws
        out: list[Any] = []
        self.building.append(out)
        idx = ws(text, idx + 1).end()
        if text[idx:idx + 1] == "]":
            return out, idx + 1
        while True:
            self.check()
            cut = _CUT.search(text, idx + self.piece)
            if cut is not None:
                end = cut.start() + 1  # just after the "}" that ends an element
                try:
                    out += self.decode("[" + text[idx:end] + "]")
                except (JSONDecodeError, RecursionError, ValueError):
                    end = self.elements(out, idx, end)  # not whole elements after all: one by one
                    if text[end:end + 1] == "]":
                        return out, end + 1
                idx = ws(text, ws(text, end).end() + 1).end()  # past the comma
                continue
            # The last piece: its end is the array's, wherever that is; one by one.
            end = self.elements(out, idx, len(text))
            return out, end + 1

    def elements(self, out: list[Any], idx: int, until: int) -> int:
        """Elements one by one from ``idx`` until past ``until`` or the array's end:
        the position of the "," after the last one read, or of the closing "]"."""
        text, ws = self.text, self.ws
        count = 0
        while True:
            value, idx = self.value(idx)
            out.append(value)
            idx = ws(text, idx).end()
            nextchar = text[idx:idx + 1]
            if nextchar == "]":
                return idx
            if nextchar != ",":
                raise JSONDecodeError("Expecting ',' delimiter", text, idx)
            if idx >= until:
                return idx
            count += 1
            if count % 1000 == 0:
                self.check()
            idx = ws(text, idx + 1).end()


class _BytesReader:
    """``_Reader``'s pieces straight from UTF-8 bytes; anything unusual is ``NotInPieces``."""

    def __init__(self, data: bytes | bytearray, cancelled: Callable[[], bool] | None, piece: int,
                 decoder: json.JSONDecoder = _DECODER) -> None:
        self.data = data
        self.cancelled = cancelled
        self.piece = max(1, piece)
        self.decoder = decoder
        self.ws = _WS_B.match
        self.building: list[list[Any]] = []  # the arrays read so far, emptied gradually on Cancel

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            release(*self.building)
            raise Cancelled()

    def document(self) -> Any:
        data = self.data
        start = len(_BOM) if data[:len(_BOM)] == _BOM else 0
        idx = self.ws(data, start).end()
        first = data[idx:idx + 1]
        if first == b"[":
            value, idx = self.array(idx)
        elif first == b"{":
            value, idx = self.object(idx)
        else:
            raise NotInPieces()
        if self.ws(data, idx).end() != len(data):
            raise NotInPieces()  # JSON Lines, or extra data: ``loads`` says which
        return value

    def parse(self, chunk: bytes | bytearray) -> Any:
        try:
            return self.decoder.decode(bytes(chunk).decode("utf-8"))
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise NotInPieces() from None

    def object(self, idx: int) -> tuple[dict[str, Any], int]:
        data, ws = self.data, self.ws
        out: dict[str, Any] = {}
        idx = ws(data, idx + 1).end()
        if data[idx:idx + 1] == b"}":
            return out, idx + 1
        while True:
            key = _STRING_B.match(data, idx)
            if key is None:
                raise NotInPieces()
            name = self.parse(key.group())
            idx = ws(data, key.end()).end()
            if data[idx:idx + 1] != b":":
                raise NotInPieces()
            idx = ws(data, idx + 1).end()
            if data[idx:idx + 1] == b"[":
                out[name], idx = self.array(idx)
            else:
                out[name], idx = self.small_value(idx)
            idx = ws(data, idx).end()
            nextchar = data[idx:idx + 1]
            if nextchar == b"}":
                return out, idx + 1
            if nextchar != b",":
                raise NotInPieces()
            idx = ws(data, idx + 1).end()

    def small_value(self, idx: int) -> tuple[Any, int]:
        """A value that is not an array (a context, a count): decoded a window at a time until it ends."""
        window = VALUE_WINDOW
        while True:
            text = bytes(self.data[idx:idx + window]).decode("utf-8", errors="ignore")  # a cut character drops
            try:
                value, end = self.decoder.raw_decode(text)
            except (ValueError, RecursionError):
                if idx + window >= len(self.data):
                    raise NotInPieces() from None
                window *= 4
                continue
            if end == len(text) and idx + window < len(self.data):
                window *= 4  # a number or literal may go on past the window
                continue
            return value, idx + len(text[:end].encode("utf-8"))

    def array(self, idx: int) -> tuple[list[Any], int]:
        data, ws = self.data, self.ws
        out: list[Any] = []
        self.building.append(out)
        idx = ws(data, idx + 1).end()
        if data[idx:idx + 1] == b"]":
            return out, idx + 1
        while True:
            self.check()
            cut = _CUT_B.search(data, idx + self.piece)
            if cut is None:
                # Near the end: whole elements up to the last cut there is, then the last ones alone.
                cuts = list(_CUT_B.finditer(data, idx, min(len(data), idx + self.piece + 1)))
                if cuts:
                    end = cuts[-1].start() + 1
                    out += self.parse(b"[" + data[idx:end] + b"]")
                    idx = ws(data, ws(data, end).end() + 1).end()
                rest, end = self.last_elements(idx)
                out += rest
                return out, end
            end = cut.start() + 1
            out += self.parse(b"[" + data[idx:end] + b"]")
            idx = ws(data, ws(data, end).end() + 1).end()

    def last_elements(self, idx: int) -> tuple[list[Any], int]:
        """The elements after the last cut (one, usually), and the end of the array."""
        data, ws = self.data, self.ws
        out: list[Any] = []
        while len(out) < 1000:  # many elements but no cut: not an array of objects, not for pieces
            value, idx = self.small_value(idx)
            out.append(value)
            idx = ws(data, idx).end()
            nextchar = data[idx:idx + 1]
            if nextchar == b"]":
                return out, idx + 1
            if nextchar != b",":
                raise NotInPieces()
            idx = ws(data, idx + 1).end()
        raise NotInPieces()
