"""Indicators as plain values, for a pickle between processes.

A dataclass pickles slower than a tuple of its fields, and a list of a
thousand event ids is a thousand objects each way; packed, the ids are one
text. The preview's worker sends its results so.
"""

from __future__ import annotations

import dataclasses
import operator

from dacc_gui.rules.indicators import Indicator

SEPARATOR = "\0"
_FIELDS = tuple(f.name for f in dataclasses.fields(Indicator))
_EVENT_IDS = _FIELDS.index("event_ids")
_values = operator.attrgetter(*_FIELDS)


def pack_ids(names: list[str]) -> str | list[str]:
    """Event ids as one text; as they are when one holds the separator, or when there are fewer than two."""
    if len(names) < 2:
        return names
    text = SEPARATOR.join(names)
    return text if text.count(SEPARATOR) == len(names) - 1 else names


def unpack_ids(packed: str | list[str]) -> list[str]:
    return packed if isinstance(packed, list) else packed.split(SEPARATOR)


def packed_indicator(indicator: Indicator) -> tuple:
    values = list(_values(indicator))
    values[_EVENT_IDS] = pack_ids(values[_EVENT_IDS])
    return tuple(values)


def unpacked_indicator(values: tuple) -> Indicator:
    values = list(values)
    values[_EVENT_IDS] = unpack_ids(values[_EVENT_IDS])
    return Indicator(*values)
