"""Hypothesis strategies shared by the property tests, shaped so that each
property runs on the data it is about most of the time (a valid event, a
loadable export, a readable date), with odd values mixed in."""

from __future__ import annotations

from datetime import datetime

from hypothesis import strategies as st

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
