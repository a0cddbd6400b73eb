"""Reading indicator payloads from a file: one payload, a list, or a ``compute`` output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dacc_gui.common import jsontext
from dacc_gui.common.jsontext import JSONTextError


class PayloadError(ValueError):
    """A file that holds no indicator payloads; the message says where."""


def payloads_from_json(value: Any, name: str = "input") -> list[Any]:
    """The payloads of a value: ``{"runs": [{"indicators": [...]}]}``, a list, or one object."""
    if isinstance(value, dict) and isinstance(value.get("runs"), list):
        out: list[Any] = []
        for n, run in enumerate(value["runs"]):
            if not isinstance(run, dict) or not isinstance(run.get("indicators"), list):
                raise PayloadError(f"{name}: runs[{n}] has no 'indicators' list")
            out.extend(_unwrap(i) for i in run["indicators"])
        return out
    if isinstance(value, dict) and isinstance(value.get("indicators"), list):
        return [_unwrap(i) for i in value["indicators"]]
    if isinstance(value, dict) and "measureName" in value:
        return [value]
    if isinstance(value, list):
        return [_unwrap(i) for i in value]
    raise PayloadError(
        f"{name}: expected a list of indicators, one indicator (an object with measureName), "
        "or a compute output (an object with 'runs')"
    )


def _unwrap(item: Any) -> Any:
    # An export may list indicators with their provenance around the payload.
    if isinstance(item, dict) and isinstance(item.get("payload"), dict) and "measureName" not in item:
        return item["payload"]
    return item


def read_payloads(path: str | Path) -> list[Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{path}: cannot read the file ({exc})") from None
    try:
        value = jsontext.loads(text)
    except JSONTextError as exc:
        raise PayloadError(f"{path}: {exc}") from None
    return payloads_from_json(value, str(path))
