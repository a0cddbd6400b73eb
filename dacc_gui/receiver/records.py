"""One request the receiver got, and what it answered: the unit the store keeps.

A record says what arrived (time, method, path, headers with the
``Authorization`` value redacted, raw body, the measure once unwrapped and
parsed), what the receiver answered (status, body, error, warnings), and
production's answer: its status and body, why it answers so in plain words,
and whether it would have stored the measure (and if not, why).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any


class Kind:
    """What a request was for; the summary counts only ``MEASURE`` requests."""

    MEASURE = "measure"  # a POST on /measure, / or /remote/<doctype>
    QUERY = "query"  # /aggregate, /status
    OTHER = "other"  # unknown path, wrong method


class Shape:
    """How the measure was carried in the body."""

    RAW = "raw"  # POST /measure: the measure itself
    DATA = "data"  # {"data": "<json string>"}
    PATH_DATA = "path+data"  # {"path": "measure", "data": "<json string>"}


REDACTED = "<redacted>"
BODY_KEEP_LIMIT = 64 * 1024  # what is kept of a body refused as too large


_second: tuple[int, str] = (-1, "")  # the current second, formatted once (thousands of requests a second)


def now_iso() -> str:
    """Reception time: UTC, ISO 8601 with milliseconds (sorts as text)."""
    global _second
    now = time.time()
    second = int(now)
    cached = _second
    if cached[0] != second:
        cached = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((now - second) * 1000):03d}Z"


def redact_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict (repeated names joined), the Authorization value redacted."""
    out: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        if name in ("authorization", "cookie", "proxy-authorization"):
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {REDACTED}".strip()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


@dataclass
class Record:
    """A received request and the receiver's answer to it."""

    received_at: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    kind: str = Kind.MEASURE
    shape: str | None = None
    measure: Any = None  # the parsed measure (any JSON) or None
    has_measure: bool = False  # distinguishes a parsed JSON null from nothing parsed
    status: int = 0
    response: str = ""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    production_status: int | None = None  # what the real DACC answers (measure requests)
    production_note: str | None = None  # plain words: what was wrong, why production answers so
    production_response: str | None = None  # the body the real DACC sends
    stored: bool | None = None  # would production have stored the measure (None: no measure request)
    not_stored_reason: str | None = None  # why not, short (for counting), on a 201 that stores nothing
    mode: str | None = None  # "production" or "clear-errors": how the receiver answered
    fault: str | None = None
    duplicate_key: str | None = None  # of an accepted measure, as the validator computed it
    row: Any = None  # production's stored row (dacc.production.StoredRow), for the aggregates
    id: int | None = None  # set once stored

    # Derived for filtering and aggregation (filled by the app from the measure).
    @property
    def measure_name(self) -> str | None:
        if isinstance(self.measure, dict) and isinstance(self.measure.get("measureName"), str):
            return self.measure["measureName"]
        return None

    @property
    def accepted(self) -> bool:
        return self.kind == Kind.MEASURE and self.status == 201

    @property
    def dropped(self) -> bool:
        """Production answers 201 to it but stores nothing."""
        return self.kind == Kind.MEASURE and self.production_status == 201 and self.stored is False

    @property
    def level(self) -> str:
        """``ok``, ``warning`` or ``error``: one word for tables."""
        if self.status >= 400 or (self.kind == Kind.MEASURE and self.status != 201) or self.dropped:
            return "error"
        return "warning" if self.warnings else "ok"

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def log_line(self) -> str:
        """One line per request: ``201 name date group=value value=n`` or ``400 <error>``."""
        if self.status == 201 and isinstance(self.measure, dict):
            m = self.measure
            parts = [str(self.status), str(m.get("measureName")), str(m.get("startDate"))]
            for n in (1, 2, 3):
                group = m.get(f"group{n}")
                if isinstance(group, dict):
                    parts += [f"{k}={_short(v)}" for k, v in group.items()]
            parts.append(f"value={_short(m.get('value'))}")
            line = " ".join(parts)
            if self.warnings:
                line += f"  [{len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}: " + "; ".join(self.warnings) + "]"
            if self.dropped:
                line += f"  (NOT STORED by production: {self.not_stored_reason})"
            return line
        what = self.error or self.response[:120]
        line = f"{self.status} {self.method} {self.path}" if self.kind != Kind.MEASURE else str(self.status)
        line = f"{line} {what}" if what else line
        if self.production_note:
            line += f"  ({self.production_note})"
        return line

    def to_json(self) -> dict[str, Any]:
        """The record as the control API and the export give it."""
        return {
            "id": self.id,
            "receivedAt": self.received_at,
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "shape": self.shape,
            "headers": self.headers,
            "body": self.body_text,
            "measure": self.measure if self.has_measure else None,
            "measureName": self.measure_name,
            "status": self.status,
            "level": self.level,
            "response": self.response,
            "error": self.error,
            "warnings": list(self.warnings),
            "mode": self.mode,
            "productionStatus": self.production_status,
            "productionResponse": self.production_response,
            "productionNote": self.production_note,
            "stored": self.stored,
            "notStoredReason": self.not_stored_reason,
            "fault": self.fault,
        }


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
