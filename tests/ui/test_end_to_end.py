"""End to end, as a tester would do it before a release: open the events, use
the app "today", move today's events to yesterday (the Ecolyo page's recipe),
preview tonight's run, run the (stand-in) service on the edited events against
the app's receiver, and see in the Compare tab that everything matched."""

from __future__ import annotations

import shlex
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from dacc_gui.events.saver import save_file
from tests import standin_service
from tests.ui.compare_support import attach_receiver
from tests.ui.conftest import GOLDEN, TODAY, open_golden

STANDIN = Path(standin_service.__file__)


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

        # Tonight's preview.
        indicators = window.indicators_view
        assert indicators.first_night() == TODAY and indicators.last_night() is None
        indicators.recompute()
        expected = [row.indicator.payload() for row in indicators.preview.rows]
        assert any(p["startDate"] == yesterday.isoformat() and p["measureName"] == "navigation-count-daily"
                   for p in expected)

        # The service runs on the edited events.
        edited = tmp_path / "edited-events.json"
        save_file(window.document.snapshot(), edited)
        panel = window.service.open().panel
        panel.folder_edit.setText(str(tmp_path))
        flags = " --ignore-monthly-date-protection" if indicators.ignore_monthly.isChecked() else ""
        panel.command_edit.setText(
            f"{shlex.quote(sys.executable)} {shlex.quote(str(STANDIN))} {shlex.quote(str(edited))} "
            f"--run-date {TODAY.isoformat()}{flags}")
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
        assert sorted(map(repr, (r.received.payload for r in comparison.rows))) == sorted(map(repr, expected))
    finally:
        controller.stop()
