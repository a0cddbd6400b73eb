"""The population demo in the app: the dialog's run, the DACC view, presentation keys, the report."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from PySide6.QtCore import Qt

from dacc_gui.simulation.demo import DemoConfig, DemoResult, SendReport, UserRuns
from dacc_gui.receiver.server import Receiver


class StandInReceiverController:
    """What the app offers as ``window.receiver.controller``, in its smallest form."""

    def __init__(self):
        self.receiver = None
        self.started = 0

    @property
    def running(self):
        return self.receiver is not None and self.receiver.running

    @property
    def url(self):
        return self.receiver.url if self.receiver else None

    def start(self, port=None):
        self.started += 1
        self.receiver = Receiver(None, host="127.0.0.1", port=0).start()

    def stop(self):
        if self.receiver:
            self.receiver.close()
            self.receiver = None

    close = stop


def _row(measure, day, device, count, hidden, avg=2.0):
    return {"measureName": measure, "createdBy": "ecolyo", "startDate": f"{day}T00:00:00",
            "group1": {"device": device}, "sum": avg * count, "count": count, "countNotZero": count,
            "min": 1.0, "max": 3.0, "avg": avg, "std": 0.5, "hidden": hidden}


def hand_made() -> DemoResult:
    aggregates = {
        "connection-count-daily": [_row("connection-count-daily", "2021-11-02", "mobile", 6, False),
                                   _row("connection-count-daily", "2021-11-02", "desktop", 2, True)],
        "navigation-count-daily": [_row("navigation-count-daily", "2021-11-02", "mobile", 9, False)],
        "session-time-daily": [_row("session-time-daily", "2021-11-03", "mobile", 3, True)],
    }
    users = [UserRuns(f"user-{n}", 5, [{"measureName": "connection-count-daily"}]) for n in range(8)]
    return DemoResult(DemoConfig(8, 2, date(2021, 11, 1)), "http://127.0.0.1:1", users,
                      SendReport(8, Counter({201: 8})), aggregates, "2021-11-02", "2021-11-04", 5)


@pytest.fixture
def controller(window):
    stand_in = window.receiver.controller = StandInReceiverController()
    yield stand_in
    stand_in.stop()


def test_simulate_dialog_runs_against_the_apps_receiver_and_shows_the_dacc_view(window, controller, qtbot,
                                                                                qtmodeltester):
    dialog = window.demo.ask_simulate()
    assert dialog.users_spin.value() == 12 and dialog.days_spin.value() == 14  # small defaults
    dialog.users_spin.setValue(5)
    dialog.days_spin.setValue(3)
    dialog.run_button.click()
    assert controller.started == 1  # the stopped receiver was started
    view = window.demo.view
    result = view.result
    assert result is not None and result.config.users == 5 and result.config.days == 3
    controller.receiver.store.flush()
    assert controller.receiver.store.count() == result.indicators > 0
    assert window.tabs.currentWidget() is view
    assert not dialog.isVisible()
    assert window.settings.demo_users == 5
    # The DACC view: the chart and the table of the current measure.
    measure = view.current_measure()
    assert measure in result.aggregates and not view.chart.is_empty()
    assert view.model.rowCount() == len(result.aggregates[measure])
    qtmodeltester.check(view.model)
    labels = {view.model.index(r, 7).data() for r in range(view.model.rowCount())}
    assert labels <= {"yes", "hidden: fewer than 5 contributions"}


def test_without_a_receiver_controller_a_private_receiver_is_used(window, qtbot):
    window.demo.receiver_controller = lambda: None  # as if the app had no receiver of its own
    dialog = window.demo.ask_simulate()
    dialog.users_spin.setValue(2)
    dialog.days_spin.setValue(2)
    dialog.run_button.click()
    receiver = window.demo.private_receiver
    try:
        assert window.demo.view.result.receiver_url == receiver.url
        receiver.store.flush()
        assert receiver.store.count() == window.demo.view.result.indicators
    finally:
        receiver.close()


def test_the_table_greys_and_labels_hidden_groups(window, qtmodeltester):
    view = window.demo.demo_view()
    view.set_result(hand_made())
    view.select_measure("connection-count-daily")
    model = view.model
    qtmodeltester.check(model)
    rows = {model.index(r, 1).data(): r for r in range(model.rowCount())}
    hidden, shown = rows["device=desktop"], rows["device=mobile"]
    assert model.index(hidden, 7).data() == "hidden: fewer than 5 contributions"
    assert model.index(shown, 7).data() == "published"  # the same words as "As the DACC would show it"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Period", "Group", "Count", "Sum", "Average", "Min", "Max", "Published"]
    assert model.index(hidden, 2).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(shown, 2).data(Qt.ItemDataRole.ForegroundRole) is None
    assert "1 groups published, 1 hidden" in view.table_title.text()


def test_presentation_mode_steps_through_measures_and_leaves_on_escape(window, qtbot):
    view = window.demo.demo_view()
    view.set_result(hand_made())
    view.select_measure("connection-count-daily")
    show = window.demo.present()
    qtbot.addWidget(show)
    assert show.isFullScreen()
    measures = show.measures
    assert len(measures) == 3 and show.measure == "connection-count-daily"
    assert show.heading.text() == "connection-count-daily"
    assert "hidden: fewer than 5 contributions" in show.caption.text()
    assert show.footer.text().startswith(f"1 / {len(measures)}")
    qtbot.keyClick(show, Qt.Key.Key_Right)
    assert show.measure == measures[1] and show.chart.measure_combo.currentData() == measures[1]
    qtbot.keyClick(show, Qt.Key.Key_Right)
    qtbot.keyClick(show, Qt.Key.Key_Right)  # past the end: stays on the last
    assert show.measure == measures[-1] and show.footer.text().startswith("3 / 3")
    qtbot.keyClick(show, Qt.Key.Key_Left)
    assert show.measure == measures[1]
    qtbot.keyClick(show, Qt.Key.Key_Home)
    assert show.measure == measures[0]
    qtbot.keyClick(show, Qt.Key.Key_End)
    assert show.measure == measures[-1]
    qtbot.keyClick(show, Qt.Key.Key_Escape)
    assert not show.isVisible()


def test_presentation_needs_a_result(window):
    assert window.demo.present() is None
    assert "Simulate a population first" in window.statusBar().currentMessage()


def test_export_report_embeds_a_chart_per_measure(window, tmp_path):
    view = window.demo.demo_view()
    view.set_result(hand_made())
    view.export_report(tmp_path / "demo")
    text = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 3
    assert text.count("hidden: fewer than 5 contributions") >= 2
    assert "Report written to" in window.statusBar().currentMessage()


def test_a_second_run_warns_of_earlier_records_and_can_clear_them(window, controller):
    dialog = window.demo.ask_simulate()
    assert not dialog.clear_check.isChecked()  # the receiver panel owns Clear: not by default
    dialog.users_spin.setValue(2)
    dialog.days_spin.setValue(2)
    dialog.run_button.click()
    first = window.demo.view.result.indicators
    dialog = window.demo.ask_simulate()
    assert f"already holds {first:,} records" in dialog.receiver_label.text()
    dialog.clear_check.setChecked(True)
    dialog.run_button.click()
    controller.receiver.store.flush()
    assert controller.receiver.store.count() == window.demo.view.result.indicators == first
