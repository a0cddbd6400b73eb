"""The main window: save and export round trips, the unsaved-edits prompt,
settings that survive a restart, the user context editor, background loading."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from dacc_gui.events.eventset import Shape
from dacc_gui.events.loader import load_file
from dacc_gui.ui.main_window import MainWindow
from dacc_gui.ui.common.settings import Settings
from dacc_gui.ui.common.tasks import SyncTaskRunner, TaskRunner
from tests.ui.conftest import GOLDEN, TODAY, open_golden


@pytest.fixture
def copy_of_golden(tmp_path, golden):
    path = tmp_path / "events.json"
    path.write_text(json.dumps(golden, indent=2))
    return path


def test_save_back_round_trip(window, copy_of_golden):
    open_golden(window, copy_of_golden)
    view = window.events_view
    view.table.selectAll()
    view.shift_selected(-1, "days")
    expected = [e.eventDate for e in window.document.events]
    window.save()
    assert not window.document.is_dirty
    assert window.dirty_status.text() == "No unsaved edits"
    saved = load_file(copy_of_golden)
    assert saved.shape == Shape.OWN
    assert [e.eventDate for e in saved.events] == expected
    original = json.loads(json.dumps(load_file(GOLDEN / "01-one-day.json").extra))
    assert set(saved.extra) == set(original)  # the case's other keys are kept
    # Nothing else changed in the documents.
    before = [e.to_document() for e in load_file(GOLDEN / "01-one-day.json").events]
    after = [e.to_document() for e in saved.events]
    assert [{k: v for k, v in d.items() if k != "eventDate"} for d in after] == \
           [{k: v for k, v in d.items() if k != "eventDate"} for d in before]
    # Marks go once saved.
    from PySide6.QtCore import Qt
    assert view.model.index(0, 1).data(Qt.ItemDataRole.FontRole) is None


def test_export_as_ach_keeps_the_document_unsaved(window, copy_of_golden, tmp_path):
    open_golden(window, copy_of_golden)
    window.events_view.table.selectRow(0)
    window.events_view.shift_selected(1, "days")
    out = tmp_path / "ach.json"
    window.write(out, Shape.ACH, as_source=False)
    exported = load_file(out)
    assert exported.shape == Shape.ACH
    assert [e.eventDate for e in exported.events] == [e.eventDate for e in window.document.events]
    assert all("_rev" not in e.to_document() for e in exported.events)
    assert window.document.is_dirty
    assert window.document.path == copy_of_golden


def test_context_is_edited_undone_and_saved(window, copy_of_golden):
    open_golden(window, copy_of_golden)
    editor = window.context_editor
    editor.consent.setChecked(False)
    editor.analysis_day.setValue(12)
    editor.fluids["gas"].setChecked(True)
    assert editor.apply()
    assert window.document.context.daccConsent is False
    assert window.document.context.connectedFluids == ["electricity", "gas"]
    assert window.undo_action.text() == "Undo Edit the user context"
    window.undo_action.trigger()
    assert window.document.context.daccConsent is True
    assert editor.consent.isChecked()
    window.redo_action.trigger()
    window.save()
    assert load_file(copy_of_golden).context.monthlyAnalysisDay == 12


def test_bad_context_value_is_named_inline(window, copy_of_golden):
    open_golden(window, copy_of_golden)
    editor = window.context_editor
    editor.first_connection.setText("last spring")
    assert not editor.apply()
    assert "firstConnectionDate" in editor.error.text()
    editor.first_connection.setText("")
    editor.monthly.setPlainText("{oops")
    assert not editor.apply()
    assert "monthly consumptions" in editor.error.text()
    assert not window.document.is_dirty


@pytest.mark.parametrize("answer, closes, saved", [("cancel", False, False), ("discard", True, False),
                                                    ("save", True, True)])
def test_unsaved_prompt_on_quit(window, copy_of_golden, answer, closes, saved):
    open_golden(window, copy_of_golden)
    window.show()
    window.events_view.table.selectRow(0)
    window.events_view.shift_selected(-1, "days")
    asked = []
    window.ask_unsaved = lambda: asked.append(1) or answer
    shifted = window.document.events[0].eventDate
    window.close()
    assert asked == [1]
    assert window.isVisible() is not closes
    assert (load_file(copy_of_golden).events[0].eventDate == shifted) is saved


def test_no_prompt_without_edits(window, copy_of_golden):
    open_golden(window, copy_of_golden)
    window.show()
    window.ask_unsaved = lambda: pytest.fail("asked with nothing to save")
    window.close()
    assert not window.isVisible()


def test_open_another_file_asks_first(window, copy_of_golden):
    open_golden(window, copy_of_golden)
    window.events_view.table.selectRow(0)
    window.events_view.shift_selected(-1, "days")
    window.ask_unsaved = lambda: "cancel"
    assert window.open_file(GOLDEN / "02-missed-nights.json") is None
    assert window.document.path == copy_of_golden


@pytest.mark.parametrize("then", ["file", "sample"])
def test_save_in_the_prompt_saves_then_opens(window, copy_of_golden, qtbot, then):
    open_golden(window, copy_of_golden)
    window.events_view.table.selectRow(0)
    window.events_view.shift_selected(-1, "days")
    shifted = window.document.events[0].eventDate
    window.ask_unsaved = lambda: "save"
    other = GOLDEN / "02-missed-nights.json"
    if then == "file":
        window.open_file(other)
        qtbot.waitUntil(lambda: window.document.path == other, timeout=10_000)
    else:
        window.open_sample()
        qtbot.waitUntil(lambda: "sample" in window.document.title, timeout=10_000)
    assert load_file(copy_of_golden).events[0].eventDate == shifted  # saved first
    assert not window.document.is_dirty


def test_settings_survive_a_restart(qtbot, tmp_path, copy_of_golden, messages):
    path = tmp_path / "settings.ini"
    first = MainWindow(Settings.at(path), SyncTaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(first)
    first.resize(1000, 600)
    first.open_file(copy_of_golden, confirm=False)
    first.indicators_view.ignore_monthly.setChecked(True)
    first.show()
    size = first.size()
    assert size.height() == 600  # not the default: what follows shows it was restored
    first.close()
    second = MainWindow(Settings.at(path), SyncTaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(second)
    assert second.settings.recent_files == [str(copy_of_golden.resolve())]
    assert second.recent_menu.actions()[0].text().endswith(str(copy_of_golden.resolve()))
    assert second.indicators_view.ignore_monthly.isChecked()
    assert second.size().height() == size.height()  # the width is clamped to the offscreen screen's 800


def test_settings_defaults_types_and_damage(tmp_path):
    settings = Settings.at(tmp_path / "s.ini")
    assert settings.receiver_port == 8081 and settings.recent_files == [] and settings.ignore_monthly_protection is False
    settings.receiver_port = 9000
    settings.geometry = b"\x01\x02"
    settings.add_recent_file(tmp_path / "a.json")
    settings.sync()
    again = Settings.at(tmp_path / "s.ini")
    assert again.receiver_port == 9000 and again.geometry == b"\x01\x02"
    assert again.recent_files == [str((tmp_path / "a.json").resolve())]
    again.q.setValue("receiver/port", "not a number")
    again.q.setValue("files/recent", "{broken")
    assert again.receiver_port == 8081 and again.recent_files == []
    assert int(again.q.value("version")) >= 1


def test_recent_file_that_vanished(window, tmp_path, messages):
    gone = tmp_path / "gone.json"
    window.settings.add_recent_file(gone)
    window.open_recent(str(gone.resolve()))
    assert messages and "does not exist" in messages[0][1]
    assert window.settings.recent_files == []


def test_find_focuses_the_text_filter(window, golden_path):
    open_golden(window, golden_path)
    window.show()
    window.tabs.setCurrentIndex(1)
    window.find()
    assert window.tabs.currentWidget() is window.events_view


def test_the_window_places_what_each_feature_declares(window):
    assert list(window.views)[:3] == ["events", "indicators", "charts"]
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    for feature in window.features:
        for tab in feature.tabs():
            assert window.views[tab.key] is tab.widget
            assert tab.title in tabs
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Receiver", "Cozy", "Demo", "Tools", "Help"]
    assert window.cozy.open_action in window.file_menu.actions()
    assert window.file_menu.actions().index(window.cozy.open_action) == 1  # just after Open…
    assert window.service.action in window.tools_menu.actions()
    assert window.receiver.send.button.parent() is window.indicators_view
    permanent = window.statusBar().findChildren(type(window.receiver.status))
    assert window.receiver.status in permanent and window.cozy.status.parent() is not None


def test_a_late_tab_gets_its_view_menu_entry(window):
    from PySide6.QtWidgets import QLabel

    from dacc_gui.ui.common.feature import Tab

    window.add_tab(Tab("later", "Later", QLabel("later")))
    assert window.tabs.tabText(window.tabs.count() - 1) == "Later"
    entry = next(a for a in window.view_menu.actions() if a.text() == "Later")
    window.show_tab("events")
    entry.trigger()
    assert window.tabs.currentWidget() is window.views["later"]


def test_loading_in_the_background(qtbot, settings, copy_of_golden, messages):
    """With the real thread pool: the load ends on the UI thread, progress shows."""
    win = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(win)
    task = win.open_file(copy_of_golden, confirm=False)
    with qtbot.waitSignal(win.document.reloaded, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not task.running, timeout=30_000)
    assert len(win.document.events) == 11
    qtbot.waitUntil(lambda: win.indicators_view.model.rowCount() > 0, timeout=30_000)
    win.runner.wait(30_000)


def test_cancel_a_long_task(qtbot, settings, messages):
    """Cancel reaches the work, which ends with no result and no message."""
    runner = TaskRunner()
    results, cancels = [], []

    def work(progress, cancelled):
        from dacc_gui.events.loader import Cancelled
        import threading
        progress(1, 100)
        while not cancelled():
            threading.Event().wait(0.01)
        raise Cancelled()

    task = runner.run("waiting", work, on_done=results.append, on_cancel=lambda: cancels.append(1))
    task.cancel()
    qtbot.waitUntil(lambda: not task.running, timeout=30_000)
    assert cancels == [1] and results == [] and messages == []
    runner.wait(10_000)


def test_charts_follow_the_preview(window, golden_path, tmp_path):
    assert window.charts is not None  # pyqtgraph is a dependency: no placeholder in place of the charts
    open_golden(window, golden_path)
    window.indicators_view.recompute()
    assert window.charts.results() == window.indicators_view.preview.results
    assert window.charts.results()[0].indicators
    out = window.charts.export_png(tmp_path / "chart.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_app_command_refuses_bad_arguments(tmp_path, capsys):
    from dacc_gui.cli.main import main

    assert main(["app", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["app", "--sample", str(GOLDEN / "01-one-day.json")]) == 2


def test_rebase_moves_the_last_day_to_the_given_day():
    from dacc_gui.events.rebase import rebase_event_set

    event_set = load_file(GOLDEN / "02-missed-nights.json")
    before = [e.moment for e in event_set.events]
    last = max(m.date() for m in before)
    rebased = rebase_event_set(event_set, date(2030, 1, 1))
    after = [e.moment for e in rebased.events]
    assert max(m.date() for m in after) == date(2030, 1, 1)
    shift = date(2030, 1, 1) - last
    assert after == [m + shift for m in before]  # times of day kept


def test_open_sample_ends_yesterday_or_says_it_is_missing(window, messages):
    from dacc_gui.events.sample import SAMPLE
    from importlib import resources

    window.open_sample()
    if resources.files("dacc_gui.events").joinpath(SAMPLE).is_file():
        days = [e.day for e in window.document.events if e.day]
        assert max(days) == date(2021, 12, 8)  # the day before the window's today
        assert window.document.path is None and not window.document.is_dirty
    else:
        assert messages and "sample" in messages[0][1]


def test_a_status_message_hides_the_status_labels_until_it_ends(window):
    window.show()
    window.statusBar().showMessage("Opened something")
    assert not window.count_status.isVisible()
    window.statusBar().clearMessage()
    assert window.count_status.isVisible()


def test_help_opens_the_log_file_and_says_when_there_is_none(window, messages, tmp_path, monkeypatch):
    monkeypatch.setenv("DACC_GUI_LOG_DIR", str(tmp_path))
    opened = []
    window.open_url = lambda url: opened.append(url.toLocalFile()) or True
    entry = next(a for a in window.menuBar().actions()[-1].menu().actions() if "log file" in a.text())
    entry.trigger()
    assert opened == [] and "has not been written yet" in messages[-1][1]
    (tmp_path / "dacc-gui.log").write_text("started\n")
    entry.trigger()
    assert opened == [str(tmp_path / "dacc-gui.log")]


class _HeldRunner(SyncTaskRunner):
    """Runs tasks at once, except the check of the events, held until released."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list = []

    def _start(self, task, work) -> None:
        if task.label == "Checking the events":
            self.held.append((task, work))
        else:
            super()._start(task, work)

    def release(self) -> None:
        held, self.held = self.held, []
        for task, work in held:
            task._run(work)


def test_the_check_of_the_events_sees_rows_added_while_it_ran(qtbot, settings, messages):
    """The background check reads the live list: an event added meanwhile gets it checked again."""
    from dacc_gui.events.eventset import EventSet
    from dacc_gui.events.model import UsageEvent
    from dacc_gui.rules.preview_process import InlinePreviewer

    runner = _HeldRunner()
    win = MainWindow(settings, runner, today=lambda: TODAY, previewer=InlinePreviewer())
    qtbot.addWidget(win)
    win.ask_unsaved = lambda: "discard"
    bad = {"_id": "b1", "type": "NavigationEvent", "eventDate": "someday", "target": "faq", "aggregated": False}
    win.document.load(EventSet(events=[UsageEvent.from_document(bad)]), None, "held")
    qtbot.waitUntil(lambda: bool(runner.held))  # the check starts once the rows are painted
    win.events_view.add_event(datetime(2021, 12, 8, 9, 0), "MadeUpEvent")  # an unknown type: a second problem
    runner.release()  # the first check is stale: the rows changed
    assert not win.problems_label.isVisibleTo(win)
    qtbot.waitUntil(lambda: bool(runner.held))
    runner.release()  # the check made again
    assert win.problems_label.text().startswith("2 document(s) no rule can use:")
    assert "b1" in win.problems_label.text()
    win.document.undo_stack.setClean()
