"""The Compare tab on hand-made cases: the preview of a golden case against
what is posted to a live receiver; the verdict, the category filter, the
payloads side by side, "since", live updates, and the exported report."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone

import pytest

from dacc_gui.compare.comparison import Category, compare, expected_from_payloads, received_from_payloads
from dacc_gui.ui.compare.model import CategoryFilter, CompareTableModel
from dacc_gui.ui.common.table_model import ROW_ROLE
from tests.helpers import golden_payloads
from tests.ui.compare_support import attach_receiver, post
from tests.ui.conftest import GOLDEN, TODAY, open_golden


@pytest.fixture
def receiver(window):
    controller = attach_receiver(window)
    yield controller
    controller.stop()


@pytest.fixture
def view(window, receiver):
    open_golden(window, GOLDEN / "01-one-day.json")
    window.indicators_view.recompute()
    assert window.indicators_view.preview.results[0].run_date == TODAY
    return window.compare.view


def preview_payloads(window) -> list[dict]:
    return [row.indicator.payload() for row in window.indicators_view.preview.rows]


def by_hand() -> list[dict]:
    """What a correct service posts for the golden case's night: its hand-computed
    indicators, so that each test also judges the preview, never compares it with itself."""
    return golden_payloads("01-one-day")


def shown(view) -> list[tuple[str, str]]:
    """(category label, measure) of every row the table shows."""
    return [(view.proxy.index(r, 0).data(), view.proxy.index(r, 1).data()) for r in range(view.proxy.rowCount())]


def test_model_passes_the_model_tester(qtmodeltester):
    a, b = {"measureName": "x", "startDate": "2021-12-08", "value": 1}, {"measureName": "y", "value": 2}
    comparison = compare(expected_from_payloads([a, b]), received_from_payloads([dict(a, value=3), "junk", b]))
    model = CompareTableModel()
    model.set_comparison(comparison)
    qtmodeltester.check(model)
    proxy = CategoryFilter()
    proxy.setSourceModel(model)
    proxy.set_category(Category.UNEXPECTED)
    assert proxy.rowCount() == 1
    qtmodeltester.check(proxy)


def test_all_matched(window, view, receiver):
    payloads = by_hand()
    assert post(receiver.url, *reversed(payloads)) == [201] * len(payloads)
    view.refresh()
    assert view.comparison.ok
    assert view.verdict_label.text() == f"Yes: the service sent exactly the {len(payloads)} expected indicators."
    assert view.category_combo.itemText(0) == f"All ({len(payloads)})"
    assert {label for label, _ in shown(view)} == {"Matched"}


def test_four_categories_filter_and_side_by_side(window, view, receiver):
    payloads = by_hand()
    missing, different = payloads[0], payloads[1]
    unexpected = dict(payloads[2], startDate="2021-11-30")
    sent = [dict(different, value=different["value"] + 5), unexpected, *payloads[2:]]
    post(receiver.url, *sent)
    view.refresh()
    counts = view.comparison.counts()
    assert counts == {"matched": len(payloads) - 2, "missing": 1, "unexpected": 1, "different": 1}
    assert view.verdict_label.text().startswith("No: 1 missing, 1 unexpected, 1 with a different value")

    view.show_category(Category.MISSING)
    assert shown(view) == [("Missing", missing["measureName"])]
    assert view.category_combo.currentText() == "Missing (1)"
    view.show_category(Category.DIFFERENT)
    assert shown(view) == [("Different value", different["measureName"])]
    # The selected row's payloads side by side, the value highlighted on both sides.
    row = view.current_row()
    assert row.category is Category.DIFFERENT and row.received.record_id is not None
    for side, value in ((view.expected_text, different["value"]), (view.received_text, different["value"] + 5)):
        html = side.toHtml()
        assert "#ffe08a" in html and f"&quot;value&quot;: {value}" in html
        assert json.loads(side.toPlainText()) == (different if side is view.expected_text else row.received.payload)
    assert "Differs in: <b>value</b>" in view.notes_label.text()
    assert "answered 201" in view.received_title.text()
    view.show_category(Category.UNEXPECTED)
    assert view.current_row().received.payload == unexpected
    assert view.expected_text.toPlainText() == "(not expected)"
    view.show_category(None)
    assert len(shown(view)) == len(payloads) + 1
    # Problems first.
    assert [label for label, _ in shown(view)[:4]] == ["Missing", "Unexpected", "Different value", "Matched"]


def test_since_leaves_out_what_came_before(window, view, receiver):
    payloads = by_hand()
    post(receiver.url, *payloads)  # an earlier run
    receiver.receiver.store.flush()
    time.sleep(0.002)  # records keep milliseconds: "since" must not fall in the last one's
    since = datetime.now(timezone.utc)
    post(receiver.url, *payloads[1:])
    view.set_since(since)
    assert view.received_mode.currentText() == "Received since"
    assert view.comparison.counts() == {"matched": len(payloads) - 1, "missing": 1, "unexpected": 0,
                                        "different": 0}
    assert view.comparison.received_from.startswith("received since ")
    view.set_since(None)
    assert view.comparison.counts()["unexpected"] == len(payloads) - 1


def test_follows_the_indicators_run_date(window, view, receiver):
    iv = window.indicators_view
    view.run_date.setDate(date(2021, 12, 10))
    assert iv.run_date.date().toPython() == date(2021, 12, 10)
    iv.recompute()
    iv.run_date.setDate(date(2021, 12, 9))
    assert view.run_date.date().toPython() == date(2021, 12, 9)
    view.range_check.setChecked(True)
    assert iv.range_check.isChecked() and view.range_end.isEnabled()
    iv.range_end.setDate(date(2021, 12, 11))
    iv.recompute()
    view.refresh()
    assert view.comparison.expected_from == "the preview for nights 2021-12-09 to 2021-12-11"


def test_live_records_refresh_the_comparison(window, view, receiver, qtbot):
    window.show()
    window.show_tab("compare")
    payloads = by_hand()
    qtbot.waitUntil(lambda: view.comparison is not None and view.comparison.counts()["missing"] == len(payloads),
                    timeout=10_000)
    post(receiver.url, *payloads)
    qtbot.waitUntil(lambda: view.comparison.ok and view.comparison.counts()["matched"] == len(payloads),
                    timeout=10_000)


def test_receiver_not_running(window, view, receiver):
    receiver.stop()
    view.refresh()
    assert view.receiver_label.text().startswith("The receiver is not running")
    n = len(by_hand())
    assert view.verdict_label.text() == f"No: {n} missing (0 of {n} expected matched)."


@pytest.mark.parametrize("name", ["report.html", "report.md"])
def test_export_writes_the_report_and_the_json(window, view, receiver, tmp_path, name):
    payloads = by_hand()
    post(receiver.url, *payloads[1:])
    view.refresh()
    view.export(tmp_path / name)
    text = (tmp_path / name).read_text("utf-8")
    data = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert view.comparison.verdict in text[:800]
    assert data["counts"] == {"matched": len(payloads) - 1, "missing": 1, "unexpected": 0, "different": 0}
    assert [e["payload"] for e in data["expected"]] == preview_payloads(window)  # the expected side: the preview
    assert "Comparison report written to" in window.statusBar().currentMessage()


def test_export_failure_is_a_message(window, view, receiver, tmp_path, messages):
    view.refresh()
    view.export(tmp_path / "no-such-folder" / "report.html")
    assert messages and messages[0][0] == "The report could not be written"
    assert "Nothing was written" in messages[0][1]


def test_row_identity_survives_a_refresh(window, view, receiver):
    payloads = by_hand()
    post(receiver.url, *payloads)
    view.refresh()
    view.table.selectRow(2)
    chosen = view.current_row()
    view.refresh()
    again = view.current_row()
    assert again is not chosen and again.expected.index == chosen.expected.index
    assert view.proxy.index(view.table.currentIndex().row(), 0).data(ROW_ROLE) is again


def test_refreshes_in_a_burst_read_one_at_a_time(qtbot, settings, messages):
    """With the real background runner: never two reads at once, and the last one sees everything."""
    from dacc_gui.ui.main_window import MainWindow
    from dacc_gui.ui.common.tasks import TaskRunner

    settings.recompute_delay_ms = 0
    win = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(win)
    controller = attach_receiver(win)
    try:
        win.show()
        win.show_tab("compare")
        view = win.compare.view
        most = [0]

        def started(task):
            most[0] = max(most[0], sum(t.label.startswith("Comparing") for t in win.runner.running))

        win.runner.started.connect(started)
        post(controller.url, *[{"createdBy": "ecolyo", "measureName": "quiz-stars", "startDate": "2021-12-08",
                                "value": n % 5, "group1": {"question_id": f"q{n}"}} for n in range(40)])
        for _ in range(5):  # as a burst of new records, or impatient clicks on Refresh, would
            view.refresh()
        qtbot.waitUntil(lambda: view.comparison is not None and len(view.comparison.received) == 40
                        and not win.runner.running, timeout=30_000)
        assert most[0] == 1
        assert view.comparison.counts()["unexpected"] == 40
    finally:
        controller.stop()
        win.runner.wait(10_000)
