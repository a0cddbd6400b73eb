"""The population demo: many generated users' nightly runs sent to a receiver, then its aggregates.

What a stakeholder wants to see before Ecolyo ships a new indicator: "with a
few dozen users, what would Metabase show?" This module answers it without
a Cozy: K users over N days come from the generator (each user's events and
context), each user's nightly service runs over the range (the night after
the first day to the night after the last one, so every day is sent once)
with ``dacc_gui.rules.simulate``, every indicator is posted to a receiver as
Ecolyo's service posts it (``{"data": "<measure JSON>"}`` on ``/``), and the
receiver's aggregates are read back, the groups under the privacy threshold
included and marked hidden.

Qt-free and synchronous, with ``progress(done, total)``, ``phase(text)`` and
``cancelled()`` callbacks, so the app runs it in a worker thread.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import httpx

from dacc_gui.common.cancel import Cancelled
from dacc_gui.dacc.sending import SendResult, post_measures
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.rules import simulate

Progress = Callable[[int, int], None]
Phase = Callable[[str], None]

DEFAULT_USERS = 12
DEFAULT_DAYS = 14
DEFAULT_START = date(2021, 11, 1)
DEFAULT_SEED = 0
MAX_USERS = 500
MAX_DAYS = 366
SENDERS = 4  # parallel connections to the receiver: users' services run side by side too


log = logging.getLogger(__name__)


class DemoError(ValueError):
    """The demo cannot run as asked (bad numbers, no receiver); the message says why."""


class AggregateSource(Protocol):
    """The in-process receiver (``dacc_gui.receiver.server.Receiver``): what the demo reads back."""

    def aggregate(self, measure: str, start: str, end: str, created_by: str | None = None,
                  include_hidden: bool = False) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class DemoConfig:
    users: int = DEFAULT_USERS
    days: int = DEFAULT_DAYS
    start: date = DEFAULT_START
    seed: int = DEFAULT_SEED

    def check(self) -> None:
        if not 1 <= self.users <= MAX_USERS:
            raise DemoError(f"users must be between 1 and {MAX_USERS}, not {self.users}")
        if not 1 <= self.days <= MAX_DAYS:
            raise DemoError(f"days must be between 1 and {MAX_DAYS}, not {self.days}")

    @property
    def first_night(self) -> date:
        """The first nightly run: it sends the first day."""
        return self.start + timedelta(days=1)

    @property
    def last_night(self) -> date:
        """The night after the last day: every generated day is sent once."""
        return self.start + timedelta(days=self.days)


@dataclass
class UserRuns:
    """One generated user and what their nightly runs would send."""

    user_id: str
    events: int
    payloads: list[dict[str, Any]]
    consent: bool = True


@dataclass
class SendReport:
    """How the receiver answered the posts."""

    sent: int = 0
    statuses: Counter = field(default_factory=Counter)  # HTTP status (or "failed") -> how many
    errors: list[str] = field(default_factory=list)  # the first few messages of refusals and failures

    @property
    def accepted(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def refused(self) -> int:
        return self.sent - self.accepted


@dataclass
class DemoResult:
    """Everything the DACC view and the report show of one population run."""

    config: DemoConfig
    receiver_url: str
    users: list[UserRuns]
    send: SendReport
    aggregates: dict[str, list[dict[str, Any]]]  # measure -> rows, hidden ones marked "hidden": True
    start: str = ""  # the aggregate query's range (startDate inclusive, endDate exclusive)
    end: str = ""
    threshold: int = 5
    hidden_known: bool = True  # False when read over HTTP: the hidden groups are not there

    @property
    def indicators(self) -> int:
        return sum(len(u.payloads) for u in self.users)

    def measures_sent(self) -> Counter:
        return Counter(p["measureName"] for u in self.users for p in u.payloads)

    def counts(self) -> tuple[int, int]:
        """(published groups, hidden groups) over every measure."""
        rows = [r for rows in self.aggregates.values() for r in rows]
        hidden = sum(1 for r in rows if r.get("hidden"))
        return len(rows) - hidden, hidden

    def summary(self) -> str:
        c = self.config
        shown, hidden = self.counts()
        return (f"{c.users} users × {c.days} days from {c.start.isoformat()} (seed {c.seed}): "
                f"{self.indicators:,} indicators sent to {self.receiver_url}, {self.send.accepted:,} accepted; "
                f"{shown:,} aggregate groups published, {hidden:,} hidden under the threshold of {self.threshold}")

    def to_json(self) -> dict[str, Any]:
        c = self.config
        return {
            "users": c.users, "days": c.days, "start": c.start.isoformat(), "seed": c.seed,
            "receiver": self.receiver_url, "indicators": self.indicators,
            "statuses": {str(k): v for k, v in self.send.statuses.items()},
            "aggregateRange": {"startDate": self.start, "endDate": self.end},
            "threshold": self.threshold, "aggregates": self.aggregates,
        }


# --- the steps ---------------------------------------------------------------------

def simulate_users(
    config: DemoConfig,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[UserRuns]:
    """Each user's events from the generator and the payloads of their nightly runs."""
    config.check()
    try:
        from dacc_gui.simulation.generator import generate_user
    except ImportError as exc:  # the generator is a separate piece of the project
        raise DemoError(f"the event generator is not available ({exc})") from None
    out = []
    for index in range(config.users):
        if cancelled is not None and cancelled():
            raise Cancelled()
        user = generate_user(config.days, config.start, config.seed, index, config.users)
        event_set = user.event_set()
        results = simulate(event_set.events, event_set.context, config.first_night, config.last_night,
                           cancelled=cancelled)
        payloads = [p for r in results for p in r.payloads()]
        consent = event_set.context is None or bool(event_set.context.daccConsent)
        out.append(UserRuns(user.user_id, len(event_set.events), payloads, consent))
        if progress is not None:
            progress(index + 1, config.users)
    return out


def send_payloads(
    url: str,
    payloads: Sequence[dict[str, Any]],
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    senders: int = SENDERS,
    transport: httpx.BaseTransport | None = None,
) -> SendReport:
    """Post each payload to ``url`` + ``/``; every answer counted, none retried
    (a measure posted twice would be counted twice)."""
    report = SendReport()

    def count(result: SendResult) -> None:
        payload = result.payload
        if result.status is None:
            _count(report, "failed", f"{payload.get('measureName')}: {result.error}")
        elif result.status != 201:
            _count(report, result.status, f"{payload.get('measureName')} {payload.get('startDate')}: "
                                          f"{result.status} {result.answer[:200]}")
        else:
            _count(report, result.status, "")

    post_measures(url, payloads, count, progress, cancelled, senders, transport)
    if cancelled is not None and cancelled():
        raise Cancelled()
    if report.sent and report.statuses.get("failed", 0) == report.sent:
        raise DemoError(f"the receiver at {url} did not answer: {report.errors[0] if report.errors else ''}")
    return report




def _count(report: SendReport, status: Any, message: str) -> None:
    report.statuses[status] += 1
    report.sent += 1
    if message and len(report.errors) < 20:
        report.errors.append(message)


def aggregate_range(payloads: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """The smallest ``startDate``..``endDate`` (exclusive) query range holding every payload."""
    days = sorted(str(p.get("startDate", ""))[:10] for p in payloads if p.get("startDate"))
    if not days:
        return "", ""
    last = date.fromisoformat(days[-1]) + timedelta(days=1)
    return days[0], last.isoformat()


def fetch_aggregates(
    source: AggregateSource | str,
    measures: Sequence[str],
    start: str,
    end: str,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], bool]:
    """Each measure's aggregates, and whether the hidden groups are among them.

    ``source``: the receiver object (in process: the groups under the
    threshold come too, marked hidden), or a receiver's URL (its live view,
    published groups only, as the DACC would publish them: its own
    ``/aggregate`` refuses apps every Ecolyo measure, accessApp being false).
    """
    out: dict[str, list[dict[str, Any]]] = {}
    in_process = not isinstance(source, str)
    with httpx.Client(timeout=30.0) as http:
        for n, measure in enumerate(measures):
            if cancelled is not None and cancelled():
                raise Cancelled()
            if in_process:
                rows = source.aggregate(measure, start, end, include_hidden=True)  # type: ignore[union-attr]
            else:
                answer = http.get(source.rstrip("/") + "/_receiver/aggregates",
                                  params={"view": "live", "measureName": measure, "startDate": start, "endDate": end})
                if answer.status_code != 200:
                    raise DemoError(f"the aggregates of {measure} answered {answer.status_code}: {answer.text[:200]}")
                rows = [r for r in answer.json()["rows"] if not r["hidden"]]
            if rows:
                out[measure] = rows
            if progress is not None:
                progress(n + 1, len(measures))
    return out, in_process


def run_demo(
    config: DemoConfig,
    receiver_url: str,
    aggregates_from: AggregateSource | str | None = None,
    progress: Progress | None = None,
    phase: Phase | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> DemoResult:
    """The whole demo: simulate, send, read the aggregates back."""
    config.check()
    if not receiver_url:
        raise DemoError("no receiver to send to: start the receiver first")

    def say(text: str) -> None:
        if phase is not None:
            phase(text)

    say(f"Simulating {config.users} users over {config.days} days")
    users = simulate_users(config, progress, cancelled)
    payloads = [p for u in users for p in u.payloads]
    say(f"Sending {len(payloads):,} indicators to {receiver_url}")
    log.info("demo: sending %d indicators of %d users to %s", len(payloads), config.users, receiver_url)
    send = send_payloads(receiver_url, payloads, progress, cancelled)
    catalog = load_catalog()
    names = sorted({p["measureName"] for p in payloads if catalog.get(p.get("measureName"))})
    start, end = aggregate_range(payloads)
    aggregates: dict[str, list[dict[str, Any]]] = {}
    hidden_known = True
    if names:
        say(f"Reading the aggregates of {len(names)} measures")
        aggregates, hidden_known = fetch_aggregates(aggregates_from or receiver_url, names, start, end,
                                                    progress, cancelled)
    return DemoResult(config, receiver_url, users, send, aggregates, start, end,
                      catalog.aggregationThreshold, hidden_known)


__all__ = [
    "AggregateSource", "DemoConfig", "DemoError", "DemoResult", "SendReport", "UserRuns",
    "aggregate_range", "fetch_aggregates", "run_demo", "send_payloads", "simulate_users",
]
