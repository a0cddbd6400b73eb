"""End to end, as a tester would do it before a release: open the events, use
the app "today", move today's events to yesterday (the Ecolyo page's recipe),
preview tonight's run, run the (stand-in) service against the app's receiver,
and see in the Compare tab that everything matched.

The service posts what the night must give, worked out by hand
(tests/data/expected/): the preview is judged against payloads the rulebook's
code did not compute, so a wrong rule shows as missing or different."""

from __future__ import annotations

import shlex
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from tests import standin_service
from tests.helpers import EXPECTED, expected_payloads, payload_multiset
from tests.ui.compare_support import attach_receiver
from tests.ui.conftest import GOLDEN, TODAY, open_golden

STANDIN = Path(standin_service.__file__)
FIXTURES = {"sample": "sample-2021-12-09", "golden case": "01-one-day-todays-clicks-moved"}


def open_events(window, source: str) -> None:
    if source == "sample":
        window.open_sample()
        assert window.document.events and "sample" in window.document.title
    else:
        open_golden(window, GOLDEN / "01-one-day.json")


@pytest.mark.parametrize("source", ["sample", "golden case"])
def test_moved_events_previewed_sent_and_all_matched(window, qtbot, tmp_path, source):
    controller = attach_receiver(window)
    try:
        open_events(window, source)
        events_view = window.events_view
        # Use the app today: a session of three clicks.
        morning = datetime.combine(TODAY, time(9, 30))
        events_view.add_event(morning, "ConnectionEvent", result="connection")
        events_view.add_event(morning + timedelta(minutes=1), "NavigationEvent", target="consumption")
        events_view.add_event(morning + timedelta(minutes=3), "NavigationEvent", target="ecogesture")
        today_rows = [n for n, e in enumerate(window.document.events) if e.day == TODAY]
        assert len(today_rows) >= 3
        events_view.select_source_rows(today_rows)
        events_view.yesterday_action.trigger()
        yesterday = TODAY - timedelta(days=1)
        assert all(window.document.events[r].day == yesterday for r in today_rows)

        # Tonight's preview: what the night must give, worked out by hand.
        indicators = window.indicators_view
        assert indicators.first_night() == TODAY and indicators.last_night() is None
        assert not indicators.ignore_monthly.isChecked()  # the fixtures hold no monthly part
        indicators.recompute()
        expected = [row.indicator.payload() for row in indicators.preview.rows]
        by_hand = expected_payloads(FIXTURES[source])
        assert payload_multiset(expected) == payload_multiset(by_hand)

        # The service posts that night.
        panel = window.service.open().panel
        panel.folder_edit.setText(str(tmp_path))
        fixture = EXPECTED / f"{FIXTURES[source]}.json"
        panel.command_edit.setText(f"{shlex.quote(sys.executable)} {shlex.quote(str(STANDIN))} "
                                   f"--payloads {shlex.quote(str(fixture))} --run-date {TODAY.isoformat()}")
        with qtbot.waitSignal(panel.finished, timeout=60_000) as ended:
            assert panel.run()
        assert ended.args[0] == 0, panel.log.toPlainText()

        # Compare: everything matched, nothing missing, unexpected or different.
        view = window.compare.view
        assert window.tabs.currentWidget() is view
        comparison = view.comparison
        assert comparison.counts() == {"matched": len(expected), "missing": 0, "unexpected": 0, "different": 0}
        assert comparison.ok and len(expected) >= 5
        verdict = view.verdict_label.text()
        assert verdict.startswith(f"Yes: the service sent exactly the {len(expected)} expected indicators")
        assert view.comparison.received_from.startswith("received since")
        assert payload_multiset([r.received.payload for r in comparison.rows]) == payload_multiset(by_hand)
    finally:
        controller.stop()
