"""The Indicators tab: the preview matches the core, banners, skipped, links, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from dacc_gui.rules.indicators import canonical
from dacc_gui.events.loader import load_file
from dacc_gui.rules import simulate
from dacc_gui.ui.indicators.models import IndicatorTableModel, SkippedTableModel
from dacc_gui.dacc.validation import validate_all
from tests.ui.conftest import GOLDEN, open_golden


def preview_for(window, path: Path, run_date: date | None = None, ignore: bool | None = None, last: date | None = None):
    case = json.loads(path.read_text())
    open_golden(window, path)
    view = window.indicators_view
    view.run_date.setDate(run_date or date.fromisoformat(case["runDate"]))
    view.ignore_monthly.setChecked(case["ignoreMonthlyDateProtection"] if ignore is None else ignore)
    view.range_check.setChecked(last is not None)
    if last is not None:
        view.range_end.setDate(last)
    view.recompute()
    return view


def shown_payloads(view) -> list[str]:
    return [canonical(view.model.row_at(r).indicator.payload()) for r in range(view.model.rowCount())]


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_preview_matches_the_core_and_the_golden_case(window, path):
    case = json.loads(path.read_text())
    view = preview_for(window, path)
    run_date = date.fromisoformat(case["runDate"])
    event_set = load_file(path)
    core = simulate(event_set.events, event_set.context, run_date, run_date, case["ignoreMonthlyDateProtection"])[0]
    assert shown_payloads(view) == [canonical(p) for p in core.payloads()]
    assert sorted(shown_payloads(view)) == sorted(canonical(p) for p in case["expected"]["indicators"])
    skipped = [view.skipped_model.row_at(r)[1].event_id for r in range(view.skipped_model.rowCount())]
    assert sorted(skipped) == sorted(case["expected"]["skippedEventIds"])
    # The preview never changes the events' flags.
    assert [e.aggregated for e in window.document.events] == [e.aggregated for e in event_set.events]
    assert not window.document.is_dirty


def test_validation_column_matches_the_validator(window):
    view = preview_for(window, GOLDEN / "02-missed-nights.json")
    levels = [view.model.index(r, view.model.columns.index("validation")).data() for r in range(view.model.rowCount())]
    expected = [v.level for v in validate_all([view.model.row_at(r).indicator.payload()
                                               for r in range(view.model.rowCount())])]
    assert levels == expected


def test_models_pass_the_model_tester(window, qtmodeltester):
    view = preview_for(window, GOLDEN / "02-missed-nights.json")
    assert view.model.rowCount() and view.skipped_model.rowCount()
    qtmodeltester.check(view.model, force_py=True)
    qtmodeltester.check(view.skipped_model, force_py=True)
    qtmodeltester.check(IndicatorTableModel(), force_py=True)
    qtmodeltester.check(SkippedTableModel(), force_py=True)


def test_consent_banner(window):
    view = preview_for(window, GOLDEN / "05-no-consent.json")
    assert view.model.rowCount() == 0
    assert not view.consent_banner.isHidden()
    assert "Consent gate" in view.consent_banner.text()


def test_monthly_banner_says_which_day_and_the_switch_runs_it(window):
    path = GOLDEN / "06-no-monthly-off-day.json"
    view = preview_for(window, path)
    assert not view.monthly_banner.isHidden()
    text = view.monthly_banner.text()
    assert "day 3 of the month" in text and "2022-02-04" in text and "Ignore monthly date protection" in text
    without = view.model.rowCount()
    view.ignore_monthly.setChecked(True)
    view.recompute()
    assert view.monthly_banner.isHidden()
    assert view.model.rowCount() > without
    assert any(view.model.row_at(r).indicator.measureName.endswith("monthly") for r in range(view.model.rowCount()))


def test_selecting_an_indicator_selects_its_events(window):
    view = preview_for(window, GOLDEN / "01-one-day.json")
    events_view = window.events_view
    for r in range(view.model.rowCount()):
        ids = view.model.row_at(r).indicator.event_ids
        if len(ids) > 1:
            break
    else:
        pytest.fail("no indicator built from several events")
    view.table.selectRow(r)
    selected = [window.document.events[s].id for s in events_view.selected_source_rows()]
    assert sorted(selected) == sorted(ids)
    # And the detail pane shows the exact payload and the rule.
    row = view.model.row_at(r)
    assert json.loads(view.payload_text.toPlainText()) == row.indicator.payload()
    assert view.rule_label.text() == row.indicator.rule.text
    view.show_events_button.click()
    assert window.tabs.currentWidget() is events_view


def test_selection_says_when_the_filter_hides_events(window):
    view = preview_for(window, GOLDEN / "01-one-day.json")
    events_view = window.events_view
    events_view.type_filter.setCurrentText("ConnectionEvent")
    events_view.apply_filter()
    for r in range(view.model.rowCount()):
        ind = view.model.row_at(r).indicator
        types = {e.type for e in window.document.events if e.id in ind.event_ids}
        if types and "ConnectionEvent" not in types:
            break
    view.table.selectRow(r)
    assert not events_view.message.isHidden()
    assert "hidden by the filter" in events_view.message.text()


def test_recomputes_after_an_edit(window, qtbot):
    view = preview_for(window, GOLDEN / "01-one-day.json")
    before = shown_payloads(view)
    events_view = window.events_view
    today_rows = [n for n, e in enumerate(window.document.events) if e.day == date(2021, 12, 9)]
    events_view.select_source_rows(today_rows)
    events_view.move_selected_to_yesterday()
    qtbot.waitUntil(lambda: shown_payloads(view) != before, timeout=10_000)
    core = simulate(list(window.document.events), window.document.context, date(2021, 12, 9), date(2021, 12, 9))[0]
    assert shown_payloads(view) == [canonical(p) for p in core.payloads()]


def test_range_of_nights_and_apply_flags(window):
    path = GOLDEN / "02-missed-nights.json"
    case = json.loads(path.read_text())
    first = date.fromisoformat(case["runDate"])
    view = preview_for(window, path, run_date=first, last=date(2022, 3, 12))
    assert [r.run_date for r in view.preview.results] == [first, date(2022, 3, 11), date(2022, 3, 12)]
    nights = {view.model.index(r, 0).data() for r in range(view.model.rowCount())}
    assert "2022-03-10" in nights
    before = [e.aggregated for e in window.document.events]
    taken = set(view.preview.aggregated_indices())  # the edit recomputes the preview at once
    assert view.apply_aggregated_flags()
    after = [e.aggregated for e in window.document.events]
    assert after == [b or n in taken for n, b in enumerate(before)]
    assert window.undo_action.text().startswith("Undo Mark")
    window.undo_action.trigger()
    assert [e.aggregated for e in window.document.events] == before


def test_range_ending_before_the_run_date_is_said_inline(window):
    view = preview_for(window, GOLDEN / "01-one-day.json")
    view.range_check.setChecked(True)
    view.range_end.setDate(date(2021, 12, 1))
    view.recompute()
    assert not view.range_error.isHidden()
    assert "before the run date" in view.range_error.text()


def test_export_json_and_csv(window, tmp_path):
    view = preview_for(window, GOLDEN / "02-missed-nights.json")
    view.export(tmp_path / "out.json", "json")
    view.export(tmp_path / "out.csv", "csv")
    data = json.loads((tmp_path / "out.json").read_text())
    assert data == {"runs": [r.to_json() for r in view.preview.results]}
    assert [canonical(p) for p in data["runs"][0]["indicators"]] == shown_payloads(view)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert len(rows) == view.model.rowCount()
    assert [(r["measureName"], r["startDate"], r["value"]) for r in rows] == [
        (p["measureName"], p["startDate"], str(p["value"])) for p in data["runs"][0]["indicators"]]


def test_export_to_an_impossible_place_is_a_message(window, tmp_path, messages):
    view = preview_for(window, GOLDEN / "01-one-day.json")
    view.export(tmp_path / "missing-dir" / "out.json", "json")
    assert messages and "could not be exported" in messages[0][0]
    assert "Traceback" not in messages[0][1]


def test_copy_payload(window):
    from PySide6.QtGui import QGuiApplication

    view = preview_for(window, GOLDEN / "01-one-day.json")
    view.table.selectRow(0)
    view.copy_payload()
    assert json.loads(QGuiApplication.clipboard().text()) == view.model.row_at(0).indicator.payload()


def test_an_edit_recomputes_at_once_and_a_burst_once_more_at_its_end(window, qtbot):
    view = preview_for(window, GOLDEN / "01-one-day.json")
    asked = []
    request = view.previewer.request
    view.previewer.request = lambda *a, **k: asked.append(len(window.document.events)) or request(*a, **k)
    qtbot.waitUntil(lambda: not view._timer.isActive())  # the moment after opening is over
    view._timer.setInterval(300)
    events_view = window.events_view
    events_view.select_source_rows([0])
    events_view.shift_selected(-1, "days")
    assert asked == [len(window.document.events)]  # no wait for a single edit
    assert not view.computing
    # Two more edits within the moment after it: they wait, then one recompute for both.
    events_view.shift_selected(-1, "days")
    events_view.shift_selected(-1, "days")
    assert len(asked) == 1 and view.computing
    qtbot.waitUntil(lambda: not view.computing, timeout=5_000)
    assert len(asked) == 2
    core = simulate(list(window.document.events), window.document.context, date(2021, 12, 9), date(2021, 12, 9))[0]
    assert shown_payloads(view) == [canonical(p) for p in core.payloads()]


def test_opening_a_file_waits_a_moment_before_the_preview(window, qtbot):
    asked = []
    request = window.indicators_view.previewer.request
    window.indicators_view.previewer.request = lambda *a, **k: asked.append(1) or request(*a, **k)
    window.indicators_view._timer.setInterval(300)
    open_golden(window, GOLDEN / "01-one-day.json")
    assert asked == [] and window.indicators_view.computing  # the first paint comes first
    qtbot.waitUntil(lambda: not window.indicators_view.computing, timeout=5_000)
    assert asked == [1]
