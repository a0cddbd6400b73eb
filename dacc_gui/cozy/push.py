"""Pushing indicators to the dev DACC through the Cozy's remote doctype.

One request per indicator, as Ecolyo sends them: ``POST /remote/cc.cozycloud.dacc.dev``
with ``{"data": "<measure JSON>"}`` (``…dev_v2``: ``{"path": "measure", "data": …}``).
The DACC's answer is kept per indicator. The production doctypes are refused:
this tool feeds the dev DACC only. Indicators the DACC would reject are not
sent unless the caller insists (``force``).

A POST that timed out after being sent is not sent again: the DACC may have
counted it, and a measure counted twice skews its aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from dacc_gui.dacc.sending import ecolyo_body
from dacc_gui.cozy.client import CozyAuthError, CozyClient, CozyUnreachable, error_text
from dacc_gui.rules.indicators import Indicator
from dacc_gui.common.cancel import Cancelled
from dacc_gui.dacc.validation import Validation, validate_all

DEV_DOCTYPES = ("cc.cozycloud.dacc.dev", "cc.cozycloud.dacc.dev_v2")
PRODUCTION_DOCTYPES = ("cc.cozycloud.dacc", "cc.cozycloud.dacc_v2")
DEFAULT_DOCTYPE = DEV_DOCTYPES[0]
CONTENT_TYPE_502 = "the content-type for the response is not authorized"
BAD_GATEWAY_NOTE = (
    "the DACC's answer was not JSON (502 \"the content-type for the response is not authorized\"): "
    "probably a missing or wrong DACC token on this Cozy instance"
)
NO_SECRET = "a variable is used in the template, but no value was given"

Progress = Callable[[int, int], None]


class PushRefused(ValueError):
    """The push cannot go there (a production or unknown doctype)."""


class PushOutcome(StrEnum):
    ACCEPTED = "accepted"  # 201
    REJECTED = "rejected"  # 400 with the DACC's error
    BAD_GATEWAY = "bad-gateway"  # 502: the DACC did not answer JSON
    NOT_SENT = "not-sent"  # invalid, held back
    FAILED = "failed"  # network, permissions, anything else
    CANCELLED = "cancelled"


@dataclass
class PushResult:
    """What happened to one indicator; data, never an exception."""

    index: int
    payload: Any
    outcome: PushOutcome
    status: int | None = None  # the HTTP status the stack answered
    body: Any = None  # its body, parsed when JSON
    message: str = ""
    validation: Validation | None = None

    def describe(self) -> str:
        name = self.payload.get("measureName") if isinstance(self.payload, dict) else None
        head = f"#{self.index} {name or '?'} {self.payload.get('startDate', '') if isinstance(self.payload, dict) else ''}"
        status = f" {self.status}" if self.status is not None else ""
        return f"{head.strip()}: {self.outcome.value}{status}" + (f" ({self.message})" if self.message else "")


@dataclass
class PushReport:
    doctype: str
    results: list[PushResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.outcome.value] = out.get(r.outcome.value, 0) + 1
        return out

    @property
    def all_good(self) -> bool:
        return all(r.outcome is PushOutcome.ACCEPTED for r in self.results)

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{n} {o}" for o, n in counts.items()] or ["nothing to send"]
        return f"{len(self.results)} indicators to {self.doctype}: " + ", ".join(parts)


def check_doctype(doctype: str) -> str:
    if doctype in PRODUCTION_DOCTYPES:
        raise PushRefused(
            f"{doctype} is the production DACC: this tool feeds the dev DACC only "
            f"({' or '.join(DEV_DOCTYPES)})"
        )
    if doctype not in DEV_DOCTYPES:
        raise PushRefused(f"{doctype!r} is not a dev DACC doctype (expected {' or '.join(DEV_DOCTYPES)})")
    return doctype


def request_body(doctype: str, payload: Any) -> dict[str, str]:
    """The body Ecolyo posts for this remote doctype (``_v2`` ones name the path)."""
    return ecolyo_body(payload, v2=doctype.endswith("_v2"))


def _is_content_type_502(response: httpx.Response) -> bool:
    return response.status_code == 502 and CONTENT_TYPE_502 in response.text


def push_indicators(
    client: CozyClient,
    indicators: list[Any],
    doctype: str = DEFAULT_DOCTYPE,
    *,
    force: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PushReport:
    """Send each indicator (a payload dict or an ``Indicator``); one result each, in order.

    Raises ``PushRefused`` for a production or unknown doctype, before sending anything.
    """
    check_doctype(doctype)
    payloads = [i.payload() if isinstance(i, Indicator) else i for i in indicators]
    validations = validate_all(payloads)
    report = PushReport(doctype)
    stop: tuple[PushOutcome, str] | None = None
    total = len(payloads)
    for n, (payload, validation) in enumerate(zip(payloads, validations)):
        if stop is None and cancelled is not None and cancelled():
            stop = (PushOutcome.CANCELLED, "not sent: cancelled")
        if stop is not None:
            result = PushResult(n, payload, stop[0], message=stop[1], validation=validation)
        elif not validation.ok and not force:
            result = PushResult(n, payload, PushOutcome.NOT_SENT,
                                message=f"not sent: the DACC would reject it ({validation.error})",
                                validation=validation)
        else:
            try:
                result = _send(client, doctype, n, payload, cancelled)
            except Cancelled:
                stop = (PushOutcome.CANCELLED, "not sent: cancelled")
                result = PushResult(n, payload, stop[0], message=stop[1])
            except (CozyAuthError, CozyUnreachable) as exc:
                timed_out = getattr(exc, "maybe_sent", False)
                message = (f"timed out: the DACC may have received it; not sent again so that it is "
                           f"not counted twice ({exc})") if timed_out else f"not sent: {exc}"
                result = PushResult(n, payload, PushOutcome.FAILED, message=message)
                if not timed_out:
                    stop = (PushOutcome.FAILED, f"not sent: {exc}")  # the rest would fare no better
            result.validation = validation
        report.results.append(result)
        if progress is not None:
            progress(n + 1, total)
    return report


def _send(client: CozyClient, doctype: str, index: int, payload: Any,
          cancelled: Callable[[], bool] | None) -> PushResult:
    response = client.request(
        "POST", f"/remote/{doctype}", json=request_body(doctype, payload),
        retry_timeouts=False,
        should_retry=lambda r: not _is_content_type_502(r),  # a missing token stays missing
        cancelled=cancelled,
    )
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if status == 201:
        return PushResult(index, payload, PushOutcome.ACCEPTED, status, body)
    if _is_content_type_502(response):
        return PushResult(index, payload, PushOutcome.BAD_GATEWAY, status, body, BAD_GATEWAY_NOTE)
    if status == 400 and isinstance(body, dict) and "error" in body:
        return PushResult(index, payload, PushOutcome.REJECTED, status, body, f"the DACC says: {body['error']}")
    detail = error_text(response)
    if NO_SECRET in detail:
        detail += " (the instance has no DACC token configured for this doctype)"
    elif status == 403:
        detail = f"the token has no POST permission on {doctype} ({detail})"
    return PushResult(index, payload, PushOutcome.FAILED, status, body, detail)
