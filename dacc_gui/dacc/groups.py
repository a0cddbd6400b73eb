"""How a measure's groups read in tables, reports and messages: ``device=mobile, fluid=elec``.

One writing for every view (preview, compare, receiver, push): a string
value as it is, any other value as its JSON (``null``, ``true``, ``[1]``), so
that a malformed group shows what it holds instead of vanishing.
"""

from __future__ import annotations

import json
from typing import Any


def value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def group_text(group: Any) -> str:
    """One group: ``{"device": "mobile"}`` as ``device=mobile``; a group that is no object as its JSON."""
    if group is None:
        return ""
    if isinstance(group, dict):
        return ", ".join(f"{k}={value_text(v)}" for k, v in group.items())
    return value_text(group)


def groups_text(measure: Any) -> str:
    """``group1``..``group3`` of a measure (or payload) together; a malformed one named (``group2=[1]``)."""
    if not isinstance(measure, dict):
        return ""
    parts = []
    for n in (1, 2, 3):
        group = measure.get(f"group{n}")
        if isinstance(group, dict):
            parts.append(group_text(group))
        elif group is not None:
            parts.append(f"group{n}={value_text(group)}")
    return ", ".join(p for p in parts if p)
