"""Usage events: the documents Ecolyo stores in ``com.grandlyon.ecolyo.usageevent``.

A ``UsageEvent`` keeps every field of its document, known or not, and the
order they came in, so that writing an edited event back never drops or
reorders data. Dates are kept as written: the rulebook reads the day of an
event from the text of ``eventDate`` itself (Ecolyo writes local wall-clock
time labelled as UTC), so parsing happens on demand, never on load.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class EventType(StrEnum):
    """The event types of the Ecolyo page's tables."""

    CONNECTION = "ConnectionEvent"
    NAVIGATION = "NavigationEvent"
    KONNECTOR_CONNECT = "KonnectorConnectEvent"
    KONNECTOR_REFRESH = "KonnectorRefreshEvent"
    KONNECTOR_ATTEMPT = "KonnectorAttemptEvent"
    CONSUMPTION_COMPARE = "ConsumptionCompareEvent"
    CONSUMPTION_CHANGE_TIMESTEP = "ConsumptionChangeTimeStepEvent"
    CHALLENGE_LAUNCH = "ChallengeLaunchEvent"
    CHALLENGE_END = "ChallengeEndEvent"
    DUEL_LAUNCH = "DuelLaunchEvent"
    DUEL_END = "DuelEndEvent"
    QUIZ_END = "QuizEndEvent"
    EXPLORATION_END = "ExplorationEndEvent"
    ACTION_CHANGE = "ActionChangeEvent"
    ACTION_END = "ActionEndEvent"
    PROFILE_SET = "ProfileSetEvent"
    REPORT_FROM = "ReportFromEvent"


KNOWN_TYPES = frozenset(t.value for t in EventType)

# Page names a NavigationEvent may carry (Ecolyo page, "Nom de la page").
NAVIGATION_PAGES = (
    "electricity", "gas", "eau", "multifluid", "faq", "legalNotice",
    "consumption", "challenges", "ecogestures", "analysis", "options",
)

# "must start with a valid YYYY-MM-DD date, optionally followed by T or a
# space and a time"; a trailing zone (Z or an offset) is read but ignored.
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def parse_event_date(text: Any) -> datetime | None:
    """The wall-clock time written in ``text``, or None when it does not parse.

    No timezone conversion: ``2021-12-08T23:30:00+02:00`` is 23:30 on the 8th.
    """
    if not isinstance(text, str):
        return None
    # Fast path for what Ecolyo writes (2021-12-08T09:00:00.000Z): the C parser.
    # The dashes are checked too: fromisoformat would also take a week date (2021-W49-3).
    if (len(text) == 24 and text[23] == "Z" and text[10] == "T" and text[19] == "." and text[4] == "-"
            and text[7] == "-" and text.isascii()):
        try:
            return datetime.fromisoformat(text[:23])
        except ValueError:
            pass
    m = _DATE_RE.match(text.strip())
    if m is None:
        return None
    y, mo, d, hh, mm, ss, frac = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), micro)
    except ValueError:
        return None


def format_event_date(moment: datetime) -> str:
    """Write a time the way Ecolyo does: ``2021-12-08T09:00:00.000Z``."""
    # No strftime: its %Y does not pad years before 1000 (which then no longer parse).
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z")


# The same grammar as _DATE_RE, on the text as written (surrounding blanks
# kept), each part in a group, so that an edit rewrites only what it changes.
_LAYOUT_RE = re.compile(
    r"(?P<lead>\s*)(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:(?P<sep>[T ])(?P<hh>\d{2}):(?P<mm>\d{2})(?::(?P<ss>\d{2})(?:(?P<dot>[.,])(?P<frac>\d{1,9}))?)?"
    r"(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?)?(?P<trail>\s*)\Z"
)


def date_unreadable_reason(text: Any) -> str | None:
    """Why ``text`` is not a date the rules can read, or None when it is one."""
    if text is None:
        return "it has no eventDate"
    if parse_event_date(text) is None:
        return f"its eventDate {text!r} is not a date (YYYY-MM-DD, optionally followed by a time)"
    return None


def replace_event_day(text: Any, day: date) -> str | None:
    """``text`` with its day replaced by ``day``, every other character kept
    (time, precision, zone, blanks); None when ``text`` is not a readable date."""
    if parse_event_date(text) is None:
        return None
    m = _LAYOUT_RE.match(text)
    if m is None:  # pragma: no cover - the two patterns read the same dates
        return None
    return text[:m.start("date")] + _iso_day(day) + text[m.end("date"):]


def _iso_day(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def rewrite_event_date(original: Any, moment: datetime) -> str:
    """``moment`` written in the style of ``original`` where that is possible.

    Keeps the blanks around the value, the separator (``T`` or a space), the
    precision (minutes, seconds, the digits of the fraction and their ``.``
    or ``,``) and the zone as written (``Z``, ``+02:00``), so that an edit
    changes the time and nothing else; digits beyond microseconds are kept
    when the moment's microseconds did not change. A date without a time
    gets one only when ``moment`` has one. An ``original`` that is not a
    readable date gives Ecolyo's own style (callers that must keep a format
    check the date first, see ``date_unreadable_reason``).
    """
    old = parse_event_date(original)
    m = _LAYOUT_RE.match(original) if old is not None else None
    if m is None:
        return format_event_date(moment)
    base = _iso_day(moment)
    if m.group("hh") is None:
        if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
            return m.group("lead") + base + m.group("trail")
        return m.group("lead") + format_event_date(moment) + m.group("trail")
    out = f"{base}{m.group('sep')}{moment.hour:02d}:{moment.minute:02d}"
    frac = m.group("frac")
    if m.group("ss") is not None or moment.second or moment.microsecond:
        out += f":{moment.second:02d}"
        if frac is not None and moment.microsecond == old.microsecond:
            out += m.group("dot") + frac  # unchanged: as written, nanoseconds included
        elif frac is not None or moment.microsecond:
            digits = len(frac) if frac else (3 if moment.microsecond % 1000 == 0 else 6)
            out += (m.group("dot") or ".") + f"{moment.microsecond:06d}".ljust(9, "0")[:digits]
    return m.group("lead") + out + (m.group("zone") or "") + m.group("trail")


class UsageEvent(BaseModel):
    """One usage event document.

    Unknown fields (``cozyMetadata``...) are kept as extra fields; the
    original key order is remembered so ``to_document`` gives back the same
    document, edits applied. ``model_fields_set`` holds the fields assigned
    since the document was read (empty on reading: a set per event of a
    million costs more than the event's own values).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_assignment=False)

    id: str | None = Field(default=None, alias="_id")
    rev: str | None = Field(default=None, alias="_rev")
    type: str
    eventDate: Any = None
    target: Any = None
    context: Any = None
    result: Any = None
    startDate: Any = None
    # Strict: "true" or 1 would be coerced to True and written back changed.
    # null is kept as written and, like an absent field, means not aggregated.
    aggregated: bool | None = Field(default=False, strict=True)

    # The document's own key order, shared between events of the same shape.
    _order: tuple[str, ...] = PrivateAttr(default=())

    # --- reading ---------------------------------------------------------
    @property
    def moment(self) -> datetime | None:
        """``eventDate`` as written (no zone conversion), or None."""
        return parse_event_date(self.eventDate)

    @property
    def day(self) -> date | None:
        m = self.moment
        return m.date() if m else None

    def problem(self) -> str | None:
        """Why no rule may use this event (unknown type, bad date), or None."""
        if self.type not in KNOWN_TYPES:
            return f"unknown type {self.type!r}"
        if self.eventDate is None:
            return "no eventDate"
        if parse_event_date(self.eventDate) is None:
            return f"eventDate {self.eventDate!r} is not a date (YYYY-MM-DD, optionally followed by a time)"
        return None

    @property
    def flagged(self) -> bool:
        return self.problem() is not None

    # --- writing ---------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The document as read, edits applied, key order kept."""
        values = dict(self.__dict__)
        extra = self.__pydantic_extra__ or {}
        out: dict[str, Any] = {}
        set_fields = self.model_fields_set
        for key in self._order:
            # Only a field's own key (``_id``, not ``id``) is the field; a
            # document may also hold a plain ``id`` key, kept as extra data.
            field = _ALIAS_TO_FIELD.get(key)
            if field is not None:
                out[key] = values[field]
            elif key in extra:
                out[key] = extra[key]
        # Fields added since reading (an edit that sets aggregated, a new rev).
        # pydantic counts extra keys in the fields set: a document's plain
        # "id" key must not make an unset _id appear.
        for field, alias in _FIELD_TO_ALIAS.items():
            if alias not in out and field in set_fields and not (field in extra and values[field] is None):
                out[alias] = values[field]
        for key, value in extra.items():
            if key not in out:
                out[key] = value
        return out

    def copy_with(self, **changes: Any) -> "UsageEvent":
        """A copy with some known fields changed, key order kept."""
        new = self.model_copy(update=changes, deep=False)
        new._order = self._order
        return new

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "UsageEvent":
        """The event of a document; raises pydantic's ValidationError when it is not one."""
        event = _plain_event(doc)
        if event is None:
            # By alias only: a document's "id"/"rev" keys are data, not _id/_rev.
            event = cls.model_validate(doc, by_alias=True, by_name=False)
            event._order = intern_order(doc)
            _set_attribute(event, "__pydantic_fields_set__", set())
        return event


_FIELD_TO_ALIAS = {
    name: (info.alias or name) for name, info in UsageEvent.model_fields.items()
}
_ALIAS_TO_FIELD = {alias: name for name, alias in _FIELD_TO_ALIAS.items()}

_DEFAULTS = {name: info.default for name, info in UsageEvent.model_fields.items()}
_set_attribute = object.__setattr__


def _plain_event(doc: dict[str, Any]) -> UsageEvent | None:
    """The event built without pydantic's validation when every known field
    already has its exact type (the common case: a third of the cost), else
    None. Builds what ``model_validate(doc, by_alias=True, by_name=False)``
    builds, as ``model_construct`` does."""
    values = dict(_DEFAULTS)
    extra: dict[str, Any] = {}
    for key, value in doc.items():
        field = _ALIAS_TO_FIELD.get(key)
        if field is None:
            extra[key] = value
        else:
            values[field] = value
    if (type(values["type"]) is not str or type(values["aggregated"]) is not bool
            or (values["id"] is not None and type(values["id"]) is not str)
            or (values["rev"] is not None and type(values["rev"]) is not str)):
        return None
    event = UsageEvent.__new__(UsageEvent)
    _set_attribute(event, "__dict__", values)
    _set_attribute(event, "__pydantic_extra__", extra)
    _set_attribute(event, "__pydantic_fields_set__", set())
    _set_attribute(event, "__pydantic_private__", _shared_private(doc))
    return event


_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}
_PRIVATES: dict[tuple[str, ...], dict[str, Any]] = {}


def _shared_private(doc: dict[str, Any]) -> dict[str, Any]:
    """One private-attributes dict per key order, shared by the events read
    with it (184 bytes an event otherwise). Nothing assigns ``_order`` on a
    read event; ``copy_with`` copies the dict before it does."""
    order = intern_order(doc)
    private = _PRIVATES.get(order)
    if private is None:
        private = _PRIVATES[order] = {"_order": order}
    return private


def intern_order(doc: dict[str, Any]) -> tuple[str, ...]:
    """One shared tuple per distinct key order: a million events of a few
    shapes cost a few tuples, not a million."""
    key = tuple(doc)
    return _ORDERS.setdefault(key, key)


def event_id(event: UsageEvent, index: int) -> str:
    """The event's ``_id``; an event without one is named by its position (``#12``)."""
    return event.id if event.id else f"#{index}"
