"""Usage events: the documents Ecolyo stores in ``com.grandlyon.ecolyo.usageevent``.

A ``UsageEvent`` keeps every field of its document, known or not, and the
order they came in, so that writing an edited event back never drops or
reorders data. Dates are kept as written: the rulebook reads the day of an
event from the text of ``eventDate`` itself (Ecolyo writes local wall-clock
time labelled as UTC), so parsing happens on demand, never on load.

An event is compact: its known fields in the slots of a ``msgspec.Struct``
(not tracked by the cyclic collector: an event refers to JSON values only),
its other fields in one dict, its key order a tuple shared by every event of
the same shape, and no set of edited fields until something is assigned. A
million events take less memory than ``json.loads``'s dicts of the same file
(see bench/bench_core.py). ``__dict__``, ``__pydantic_extra__``,
``__pydantic_fields_set__``, ``model_fields`` and ``model_validate`` are those
of the pydantic model the event was before, which the rest of the code reads.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from collections.abc import Iterator, MutableMapping
from operator import attrgetter, itemgetter
from typing import Any, ClassVar

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from dacc_gui.common import collector


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


class _Document(BaseModel):
    """The fields of a usage event document, as pydantic validates them (for
    the documents whose known fields are not all of their exact JSON type)."""

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


FIELDS = tuple(_Document.model_fields)  # id, rev, type, eventDate, target, context, result, startDate, aggregated
_FIELD_TO_ALIAS = {name: (info.alias or name) for name, info in _Document.model_fields.items()}
_ALIAS_TO_FIELD = {alias: name for name, alias in _FIELD_TO_ALIAS.items()}
_FIELD_SET = frozenset(FIELDS)


class UsageEvent(msgspec.Struct, gc=False):
    """One usage event document.

    Unknown fields (``cozyMetadata``...) are kept as extra fields; the
    original key order is remembered so ``to_document`` gives back the same
    document, edits applied. ``model_fields_set`` holds the fields assigned
    since the document was read (empty on reading). Built by
    ``from_document``; assigning a field marks it assigned, as pydantic did.
    """

    id: str | None = None
    rev: str | None = None
    type: str = ""
    eventDate: Any = None
    target: Any = None
    context: Any = None
    result: Any = None
    startDate: Any = None
    aggregated: bool | None = False
    # Other fields of the document, in its order (None: there are none).
    _extra: dict[str, Any] | None = None
    # The document's own key order, shared between events of the same shape.
    _order: tuple[str, ...] = ()
    # The fields assigned since reading; made on the first assignment.
    _set: set[str] | None = None

    model_fields: ClassVar[dict[str, Any]] = _Document.model_fields

    def __setattr__(self, name: str, value: Any) -> None:
        _raw_set(self, name, value)
        if name in _FIELD_SET:
            self.__pydantic_fields_set__.add(name)

    # --- what the pydantic model had ---------------------------------------
    @property
    def __dict__(self) -> "_Fields":  # type: ignore[override]
        """The known fields by name, in their order; writing one does not mark it assigned."""
        return _Fields(self)

    @property
    def __pydantic_extra__(self) -> dict[str, Any]:
        """The other fields of the document (a dict kept by the event: writing it writes them)."""
        extra = self._extra
        if extra is None:
            extra = {}
            _raw_set(self, "_extra", extra)
        return extra

    @property
    def __pydantic_fields_set__(self) -> set[str]:
        fields_set = self._set
        if fields_set is None:
            fields_set = set()
            _raw_set(self, "_set", fields_set)
        return fields_set

    @property
    def model_fields_set(self) -> set[str]:
        return self.__pydantic_fields_set__

    @property
    def model_extra(self) -> dict[str, Any]:
        return self.__pydantic_extra__

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> "UsageEvent":
        """What pydantic's ``model_validate`` built: no key order; the fields given count as assigned."""
        valid = _Document.model_validate(obj, **kwargs)
        event = _from_valid(valid, ())
        _raw_set(event, "_set", set(valid.model_fields_set))
        return event

    def __eq__(self, other: object) -> bool:
        # As pydantic compared: the same fields, extra fields and key order
        # (not the fields assigned).
        if type(other) is not type(self):
            return NotImplemented
        return (self._order == other._order and (self._extra or {}) == (other._extra or {})
                and all(getattr(self, f) == getattr(other, f) for f in FIELDS))

    __hash__ = None  # type: ignore[assignment]  # mutable, as the pydantic model was

    def __repr__(self) -> str:
        parts = [f"{name}={getattr(self, name)!r}" for name in FIELDS]
        parts += [f"{key}={value!r}" for key, value in (self._extra or {}).items()]
        return f"UsageEvent({', '.join(parts)})"

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
        if not self._set:
            # Nothing added since reading: the values in the document's order
            # in a few C calls (a million documents are written on a save).
            layout = _LAYOUTS.get(self._order) or _layout(self._order)
            extra = self._extra
            if layout is not None and (len(extra) if extra else 0) == layout.n_extra:
                try:
                    values = layout.fields(self) + (layout.extras(extra) if extra else ())
                except KeyError:  # extra fields changed since reading
                    pass
                else:
                    return dict(zip(self._order, layout.arrange(values)))
        extra = self._extra or {}
        out: dict[str, Any] = {}
        for key in self._order:
            # Only a field's own key (``_id``, not ``id``) is the field; a
            # document may also hold a plain ``id`` key, kept as extra data.
            field = _ALIAS_TO_FIELD.get(key)
            if field is not None:
                out[key] = getattr(self, field)
            elif key in extra:
                out[key] = extra[key]
        # Fields added since reading (an edit that sets aggregated, a new rev).
        # pydantic counted extra keys in the fields set: a document's plain
        # "id" key must not make an unset _id appear.
        set_fields = self._set
        if set_fields:
            for field, alias in _FIELD_TO_ALIAS.items():
                if alias not in out and field in set_fields and not (field in extra and getattr(self, field) is None):
                    out[alias] = getattr(self, field)
        for key, value in extra.items():
            if key not in out:
                out[key] = value
        return out

    def copy_with(self, **changes: Any) -> "UsageEvent":
        """A copy with some known fields changed, key order kept."""
        new = msgspec.structs.replace(self)
        _raw_set(new, "_extra", dict(self._extra) if self._extra else None)
        _raw_set(new, "_set", set(self._set or ()) | set(changes))
        for name, value in changes.items():
            if name in _FIELD_SET:
                _raw_set(new, name, value)
            else:
                new.__pydantic_extra__[name] = value
        return new

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "UsageEvent":
        """The event of a document; raises pydantic's ValidationError when it is not one."""
        event = _plain_event(doc)
        if event is None:
            # By alias only: a document's "id"/"rev" keys are data, not _id/_rev.
            event = _from_valid(_Document.model_validate(doc, by_alias=True, by_name=False), intern_order(doc))
        return event


# write_field(event, name, value): a known field written without marking it
# assigned, in one C-level call (``map`` it over a million events); whoever
# writes so marks the field, as SetField does.
_raw_set = write_field = msgspec.Struct.__setattr__


# Made this many fields sets at once, they are kept out of the cyclic
# collector (a collection walking 100,000 of them held the lock 30 ms).
KEEP_SETS = 10_000


def fields_sets_lacking(events: list[UsageEvent], name: str) -> list[set[str]]:
    """The fields sets of the events that lack ``name`` (made for events that have none yet)."""
    out = []
    made = 0
    with collector.paused():  # sets made by the hundred thousand: 10x
        for event in events:
            fields_set = event._set
            if fields_set is None:
                fields_set = set()
                _raw_set(event, "_set", fields_set)
                made += 1
            elif name in fields_set:
                continue
            out.append(fields_set)
        if made >= KEEP_SETS:
            collector.keep_all()  # they live as long as their events
    return out


class _Fields(MutableMapping):
    """An event's known fields as the dict pydantic kept them in (``vars(event)``)."""

    __slots__ = ("_event",)

    def __init__(self, event: UsageEvent) -> None:
        self._event = event

    def __getitem__(self, name: str) -> Any:
        if name not in _FIELD_SET:
            raise KeyError(name)
        return getattr(self._event, name)

    def __setitem__(self, name: str, value: Any) -> None:
        if name not in _FIELD_SET:
            raise KeyError(name)
        _raw_set(self._event, name, value)

    def __delitem__(self, name: str) -> None:
        raise TypeError("an event's fields cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(FIELDS)

    def __len__(self) -> int:
        return len(FIELDS)

    def __contains__(self, name: object) -> bool:
        return name in _FIELD_SET

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self._event, name) if name in _FIELD_SET else default

    def __repr__(self) -> str:
        return repr(dict(self))


def _from_valid(valid: _Document, order: tuple[str, ...]) -> UsageEvent:
    values = valid.__dict__
    return UsageEvent(*[values[name] for name in FIELDS], valid.__pydantic_extra__ or None, order)


_NO_VALUE = object()
_DEFAULTS = tuple(None if name == "type" else _Document.model_fields[name].default for name in FIELDS)


class _Shape:
    """How to build the events of documents with one key order: which keys are
    fields (taken in one C call), which are extra, and the shared order."""

    __slots__ = ("order", "take", "arrange", "extra_keys", "extras", "plain")

    def __init__(self, order: tuple[str, ...]) -> None:
        self.order = order
        present = [key for key in order if key in _ALIAS_TO_FIELD]
        self.extra_keys = tuple(key for key in order if key not in _ALIAS_TO_FIELD)
        # No "type": not an event; pydantic says why.
        self.plain = "type" in present
        # The values of the fields in FIELDS order, defaults for the absent
        # ones: itemgetter over the present values followed by the defaults.
        at = {_ALIAS_TO_FIELD[key]: n for n, key in enumerate(present)}
        pick = [at[name] if name in at else len(present) + n for n, name in enumerate(FIELDS)]
        self.take = itemgetter(*present) if len(present) > 1 else (
            (lambda doc, k=present[0]: (doc[k],)) if present else (lambda doc: ()))
        self.arrange = itemgetter(*pick)
        n_extra = len(self.extra_keys)
        self.extras = itemgetter(*self.extra_keys) if n_extra > 1 else (
            (lambda doc, k=self.extra_keys[0]: (doc[k],)) if n_extra else None)


class Reader:
    """Builds the events of many documents, faster than ``from_document`` one
    by one: the documents' shapes are learnt once, and the values that repeat
    between events (type, target, context, result) are kept once (a
    million ``"NavigationEvent"`` strings cost 70 MB; one costs nothing).
    One reader per load: what it keeps goes with it."""

    MAX_SHAPES = 10_000  # past that, a shape is learnt for its document only
    MAX_KEPT = 100_000  # values kept once; later new values are kept as read

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], _Shape] = {}
        self._kept: dict[str, str] = {}

    def event(self, doc: dict[str, Any], defaults: tuple = _DEFAULTS) -> UsageEvent:
        """The event of a document (a dict); raises pydantic's ValidationError when it is not one."""
        key = tuple(doc)
        shape = self._shapes.get(key)
        if shape is None:
            shape = _Shape(intern_order(doc))
            if len(self._shapes) < self.MAX_SHAPES:
                self._shapes[key] = shape
        if shape.plain:
            # Every field, in FIELDS order: the present ones, then defaults.
            id_, rev, type_, date_, target, context, result, start, aggregated = shape.arrange(shape.take(doc) + defaults)
            if (type(type_) is str and type(aggregated) is bool
                    and (id_ is None or type(id_) is str) and (rev is None or type(rev) is str)):
                kept = self._kept
                if len(kept) < self.MAX_KEPT:
                    keep = kept.setdefault
                    type_ = keep(type_, type_)
                    if type(target) is str:
                        target = keep(target, target)
                    if type(context) is str:
                        context = keep(context, context)
                    if type(result) is str:
                        result = keep(result, result)
                extras = shape.extras
                return UsageEvent(id_, rev, type_, date_, target, context, result, start, aggregated,
                                  dict(zip(shape.extra_keys, extras(doc))) if extras is not None else None,
                                  shape.order)
        return _from_valid(_Document.model_validate(doc, by_alias=True, by_name=False), shape.order)


def _plain_event(doc: dict[str, Any]) -> UsageEvent | None:
    """The event built without pydantic's validation when every known field
    already has its exact type (the common case), else None. Builds what
    ``model_validate(doc, by_alias=True, by_name=False)`` builds."""
    values = dict(zip(FIELDS, _DEFAULTS))
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
    return UsageEvent(*values.values(), extra or None, intern_order(doc))


class _Layout:
    """How the values of an event go back into a document of its key order:
    the fields and extra fields present, each taken in one C call, then put
    in the document's order."""

    __slots__ = ("fields", "extras", "n_extra", "arrange")

    def __init__(self, order: tuple[str, ...]) -> None:
        fields = [_ALIAS_TO_FIELD[key] for key in order if key in _ALIAS_TO_FIELD]
        extra_keys = [key for key in order if key not in _ALIAS_TO_FIELD]
        self.fields = _tuple_getter(attrgetter, fields)
        self.extras = _tuple_getter(itemgetter, extra_keys)
        self.n_extra = len(extra_keys)
        at_field, at_extra, positions = 0, len(fields), []
        for key in order:
            if key in _ALIAS_TO_FIELD:
                positions.append(at_field)
                at_field += 1
            else:
                positions.append(at_extra)
                at_extra += 1
        self.arrange = _tuple_getter(itemgetter, positions)


def _tuple_getter(make: Any, keys: list[Any]) -> Any:
    """``make(*keys)``, which gives a tuple whatever the number of keys."""
    if len(keys) > 1:
        return make(*keys)
    if keys:
        one = make(keys[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


_LAYOUTS: dict[tuple[str, ...], _Layout] = {}
MAX_LAYOUTS = 10_000  # past that, documents of new key orders are written field by field


def _layout(order: tuple[str, ...]) -> _Layout | None:
    if len(_LAYOUTS) >= MAX_LAYOUTS:
        return None
    layout = _LAYOUTS[order] = _Layout(order)
    return layout


_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}


def intern_order(doc: dict[str, Any]) -> tuple[str, ...]:
    """One shared tuple per distinct key order: a million events of a few
    shapes cost a few tuples, not a million."""
    key = tuple(doc)
    return _ORDERS.setdefault(key, key)


def event_id(event: UsageEvent, index: int) -> str:
    """The event's ``_id``; an event without one is named by its position (``#12``)."""
    return event.id if event.id else f"#{index}"
