"""Cancel while loading: asked every few thousand events built, and what was built let go of."""

from __future__ import annotations

import json

import pytest

from dacc_gui.common.cancel import Cancelled
from dacc_gui.events import loader


def export(n: int) -> bytes:
    return json.dumps({"events": [{"_id": f"e{i}", "type": "NavigationEvent", "target": "consumption",
                                   "eventDate": "2021-12-08T10:00:00.000Z"} for i in range(n)]}).encode()


def test_cancel_is_asked_while_the_events_are_built():
    data = export(12_000)
    asked = []
    result = loader.parse_events(data, cancelled=lambda: asked.append(1) or False)
    assert len(result.events) == 12_000
    assert len(asked) >= 6  # at least every 2,000 events (a few milliseconds), not once per 20,000


def test_a_cancelled_load_stops_at_the_next_look_and_lets_go(monkeypatch):
    released = []
    real_release = loader.release
    monkeypatch.setattr(loader, "release", lambda *lists: released.append([len(x) for x in lists])
                        or real_release(*lists))
    progress = []
    asked = []
    with pytest.raises(Cancelled):
        loader.parse_events(export(12_000), progress=lambda done, total: progress.append(done),
                            cancelled=lambda: asked.append(1) or len(progress) >= 2)
    assert progress == [loader.CHUNK, 2 * loader.CHUNK]  # two chunks built, then it stopped
    [(events, rejected, documents)] = released
    assert events == 2 * loader.CHUNK and documents == 12_000  # emptied bit by bit, not left to one free
