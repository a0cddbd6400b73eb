"""Naming JSON values in messages, the way JSON (not Python) types them."""

from __future__ import annotations

from typing import Any


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
