"""Writing what the input held to a terminal or a pipe, whatever its strings.

A JSON ``"\\ud800"`` escape reads as a lone surrogate, which no encoding can
write: printed as is, it raises ``UnicodeEncodeError`` halfway through the
output. JSON output escapes it again (``\\ud800``, the same JSON value);
text output shows it as that same escape.
"""

from __future__ import annotations

import codecs
import json
import sys
from typing import Any, TextIO

from dacc_gui.common import jsontext


def show_any_string(*streams: TextIO) -> None:
    """Text a stream cannot encode is written as a backslash escape instead of failing."""
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def json_text(value: Any, stream: TextIO | None = None) -> str:
    """``value`` as indented JSON that ``stream`` (default stdout) can always write."""
    stream = stream or sys.stdout
    try:
        utf8 = codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "utf-8"
    except LookupError:
        utf8 = False
    if not utf8:
        return json.dumps(value, indent=2)  # \u escapes only: any encoding can write them
    return jsontext.dumps(value, indent=2)


def write_json(value: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(json_text(value, stream) + "\n")
