"""Hypothesis strategies shared by the property tests, shaped so that each
property runs on the data it is about most of the time (a valid event, a
loadable export, a readable date), with odd values mixed in."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import strategies as st

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.events.model import EventType

BLANKS = st.sampled_from(["", "", "", " ", "\t", "  "])
ZONES = st.sampled_from(["", "Z", "Z", "z", "+02:00", "-05:30", "+0100", "-03"])


@st.composite
def written_dates(draw, min_year: int = 1900, max_year: int = 2100) -> tuple[str, datetime]:
    """An ``eventDate`` in one of the styles the rules read, and the moment it says.

    Styles: a bare date, or a date and a time to the minute, the second or a
    fraction of 1 to 9 digits (``.`` or ``,``), ``T`` or a space, a zone or
    none, blanks around the value or none.
    """
    moment = draw(st.datetimes(datetime(min_year, 1, 1), datetime(max_year, 12, 31, 23, 59, 59)))
    lead, trail = draw(BLANKS), draw(BLANKS)
    precision = draw(st.sampled_from(["date", "minutes", "seconds", "fraction", "fraction"]))
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if precision == "date":
        return lead + text + trail, moment.replace(hour=0, minute=0, second=0, microsecond=0)
    text += draw(st.sampled_from(["T", "T", " "])) + f"{moment.hour:02d}:{moment.minute:02d}"
    if precision == "minutes":
        moment = moment.replace(second=0, microsecond=0)
    else:
        text += f":{moment.second:02d}"
        if precision == "seconds":
            moment = moment.replace(microsecond=0)
        else:
            digits = draw(st.text("0123456789", min_size=1, max_size=9))
            text += draw(st.sampled_from([".", ".", ","])) + digits
            moment = moment.replace(microsecond=int(digits[:6].ljust(6, "0")))
    return lead + text + draw(ZONES) + trail, moment


# --- JSON and odd documents ---------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)
# Strings the loader gives meaning to, so that the fuzzing reaches past shape detection.
KEYS = ["_id", "_rev", "id", "rev", "type", "eventDate", "startDate", "target", "context", "result",
        "aggregated", "cozyMetadata", "doc", "events", "rows", "docs", DEFAULT_DOCTYPE, "value", "key"]
meaningful = st.sampled_from(["NavigationEvent", "QuizEndEvent", "2021-12-08T09:00:00.000Z", "2021-12-08",
                              "2021-02-30", "_design/x", "0", "seven", ""])
# Anything shaped like a document: mostly not an event.
event_like = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), meaningful | json_values, max_size=8)


# --- usage events as Ecolyo writes them, odd values mixed in --------------------------

TYPES = [t.value for t in EventType]
ODD_DATES = st.sampled_from(["2021-12-08T25:99:00.000Z", "2021-12-11T13h57", "soon", "", "2021-02-30",
                             "2021-W49-3T09:00:00.000Z"]) | st.none() | st.integers() | st.text(max_size=12)
FIELD_VALUES = {
    "target": st.sampled_from(["consumption", "faq", "enedis", "CHALLENGE0001", "QUIZ001", "month"]),
    "context": st.sampled_from(["mobile", "desktop", "electricity", "CHALLENGE0001",
                                "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) Mobile/15E148"]),
    "result": st.sampled_from(["success", "error", "firstConnection", "win", "3", "seven"]) | st.integers(0, 6),
}


def _mostly(draw, usual, odd, in_ten: int = 9):  # noqa: ANN001, ANN202
    """``usual`` nine times in ten (or ``in_ten``), else ``odd``."""
    return draw(usual if draw(st.integers(0, 9)) < in_ten else odd)


@st.composite
def event_documents(draw) -> dict:
    """A usage-event document: most of the time one the model reads as it is
    (a known type, a readable eventDate, a boolean ``aggregated``), else with
    an odd value (an unknown or non-string type, an unreadable date, a null or
    non-boolean flag, a non-string id) or unknown fields; keys in any order."""
    doc: dict = {}
    if draw(st.integers(0, 9)):
        doc["_id"] = draw(st.text("abcdef0123456789", min_size=1, max_size=12).map(lambda s: "ev-" + s)
                          if draw(st.integers(0, 19)) else st.integers() | st.none())
    if draw(st.booleans()):
        doc["_rev"] = draw(st.integers(1, 9).map(lambda n: f"{n}-abc"))
    doc["type"] = _mostly(draw, st.sampled_from(TYPES), st.text(max_size=12) | scalars)
    if draw(st.integers(0, 19)):
        doc["eventDate"] = _mostly(draw, written_dates(2000, 2030).map(lambda d: d[0]), ODD_DATES, 8)
    for name, values in FIELD_VALUES.items():
        if draw(st.booleans()):
            doc[name] = _mostly(draw, values, scalars)
    if draw(st.integers(0, 3)) == 0:
        doc["startDate"] = _mostly(draw, written_dates(2000, 2030).map(lambda d: d[0]), ODD_DATES | st.none(), 8)
    if draw(st.integers(0, 9)):
        doc["aggregated"] = _mostly(draw, st.booleans(), st.none() | st.sampled_from([0, 1, "true", "false"]), 9)
    if draw(st.integers(0, 2)) == 0:
        doc["cozyMetadata"] = {"createdAt": "2021-12-08T09:00:00.000Z", "createdByApp": "ecolyo"}
    for key in draw(st.lists(st.text(min_size=1, max_size=6), max_size=2)):
        doc.setdefault(key, draw(json_values))
    order = draw(st.permutations(list(doc)))
    return {key: doc[key] for key in order}


contexts = st.none() | st.fixed_dictionaries({}, optional={
    "connectedFluids": st.lists(st.sampled_from(["electricity", "water", "gas"]), max_size=3, unique=True),
    "monthlyAnalysisDay": st.integers(1, 28),
    "firstConnectionDate": st.none() | st.just("2021-11-15T16:54:49.943Z"),
    "daccConsent": st.booleans(),
})
odd_contexts = st.fixed_dictionaries({}, optional={
    "connectedFluids": st.lists(st.sampled_from(["electricity", "water", "gas", "fuel"]), max_size=3),
    "monthlyAnalysisDay": st.integers(-2, 40) | st.text(max_size=3),
    "firstConnectionDate": st.none() | meaningful,
    "daccConsent": st.booleans() | st.none(),
}) | json_values

SHAPES = ("array", "own", "all_docs", "find", "ach", "ach plural")


@st.composite
def exports(draw, shape: str | None = None) -> object:
    """A JSON export in one of the shapes the loader reads, holding at least
    one usage event nineteen times in twenty (documents that are not events
    mixed in now and then); with ``shape``, that one."""
    n = draw(st.integers(1, 8) if draw(st.integers(0, 19)) else st.just(0))
    docs = [_mostly(draw, event_documents(), event_like | json_values, 8) for _ in range(n)]
    shape = shape or draw(st.sampled_from(SHAPES))
    if shape == "array":
        return docs
    if shape == "own":
        out = {"events": docs}
        if draw(st.booleans()):
            out["context"] = _mostly(draw, contexts, odd_contexts, 9)
        return out
    if shape == "all_docs":
        return {"total_rows": n, "rows": [{"id": d.get("_id", "x") if isinstance(d, dict) else "x", "doc": d}
                                          if draw(st.integers(0, 9)) else d for d in docs]}
    if shape == "find":
        return {"docs": docs, "bookmark": "b"}
    return {DEFAULT_DOCTYPE if shape == "ach" else DEFAULT_DOCTYPE + "s": docs}


# --- a user's history for ranges of nights ----------------------------------------------

HISTORY_START = datetime(2022, 1, 25)  # three days before the nights the range tests run (from 2022-01-28)


@st.composite
def event_lists(draw) -> list[dict]:
    """Up to 40 events of every type (and an unknown one) over the 2 weeks
    around the nights simulated, a quarter already aggregated: most ranges
    have several nights that take events, each seeing the flags the one
    before left."""
    types = [t.value for t in EventType] + ["UnknownEvent"]
    out = []
    for i in range(draw(st.integers(0, 40))):
        when = HISTORY_START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 14)))
        doc = {"_id": f"e{i}", "type": draw(st.sampled_from(types)),
               "eventDate": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "aggregated": draw(st.integers(0, 3)) == 0}
        if draw(st.booleans()):
            doc["target"] = draw(st.sampled_from(["faq", "C1", "enedis", "Q1"]))
        if draw(st.booleans()):
            doc["context"] = draw(st.sampled_from(["mobile", "desktop", "C1", "gas"]))
        if draw(st.booleans()):
            doc["result"] = draw(st.sampled_from(["success", "error", "firstConnection", "3", "win"]))
        if draw(st.booleans()):
            start = when - timedelta(minutes=draw(st.integers(-5, 300)))
            doc["startDate"] = start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out.append(doc)
    return out
