"""The main window of DACC Inspector: one document of usage events and the features around it.

The window itself holds the events, their preview as indicators and its
charts (Events, Indicators, Charts tabs), the data source and user context
in a dock on the left, and the status bar (source, events loaded, edits not
saved, the running task with Cancel). The features (the receiver, Compare,
Ecolyo's service, the Cozy connection, the population demo) are built here
and declare what they bring (tabs, menus, actions, status widgets, see
``dacc_gui.ui.common.feature``); this file places them, so it is the one
that shows what the window is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar, QPushButton,
    QScrollArea, QTabWidget, QVBoxLayout, QWidget,
)

from dacc_gui import __version__
from dacc_gui.common.logs import log_file
from dacc_gui.events.edits import EventStore
from dacc_gui.events.eventset import EventSet, Shape
from dacc_gui.events.loader import load_file
from dacc_gui.events.saver import save_file
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.compact import ElidedLabel
from dacc_gui.ui.common.feature import Feature, Tab
from dacc_gui.ui.compare.feature import CompareFeature
from dacc_gui.ui.events.context_editor import ContextEditor
from dacc_gui.ui.cozy.feature import CozyFeature
from dacc_gui.ui.demo.feature import DemoFeature
from dacc_gui.ui.common.document import EventsDocument
from dacc_gui.ui.events.view import EventsView
from dacc_gui.ui.indicators.view import IndicatorsView
from dacc_gui.ui.receiver.feature import ReceiverFeature
from dacc_gui.ui.service.feature import ServiceFeature
from dacc_gui.events.sample import load_sample
from dacc_gui.rules.preview_process import InlinePreviewer, PreviewWorker
from dacc_gui.ui.common.settings import Settings
from dacc_gui.ui.common.tasks import Task, TaskRunner
from dacc_gui.ui.common.undo_keys import UndoKeys

APP_NAME = "DACC Inspector"
FILE_FILTERS = "JSON exports (*.json *.jsonl *.ndjson);;All files (*)"
SHAPE_NAMES = {Shape.OWN: "DACC Inspector format", Shape.ACH: "ACH format", Shape.ARRAY: "JSON array",
               Shape.ALL_DOCS: "CouchDB _all_docs", Shape.FIND: "CouchDB _find", Shape.JSONL: "JSON Lines",
               Shape.NORMAL_DOCS: "Cozy _normal_docs"}


class TaskIndicator(QWidget):
    """The running task in the status bar: what, how far, and Cancel."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ElidedLabel(min_chars=14)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMinimumWidth(60)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.task: Task | None = None
        self.cancel_button.clicked.connect(self.cancel)
        runner.started.connect(self._started)
        runner.ended.connect(self._ended)
        self.runner = runner
        self.setVisible(False)

    def _started(self, task: Task) -> None:
        if task.quiet:
            return
        self.task = task
        self.label.setText(task.label + "…")
        self.bar.setRange(0, 0)  # busy until the first progress report
        # Work that cannot stop halfway (a save) shows no Cancel rather than a greyed one.
        self.cancel_button.setVisible(task.cancellable)
        task.progressed.connect(self._progress)
        self.setVisible(True)

    def _progress(self, done: int, total: int) -> None:
        if self.sender() is self.task and total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)

    def _ended(self, task: Task) -> None:
        if task is self.task:
            self.task = None
            others = [t for t in self.runner.running if not t.quiet]
            if others:
                self._started(others[-1])
            else:
                self.setVisible(False)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


CHECK_DELAY_MS = 300  # from a file's loading to the check of its events


class MainWindow(QMainWindow):
    """Events, Indicators and Charts over one document."""

    def __init__(self, settings: Settings | None = None, runner: TaskRunner | None = None,
                 today: Callable[[], date] = date.today, previewer: PreviewWorker | InlinePreviewer | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.runner = runner or TaskRunner()
        self.today = today
        self.document = EventsDocument(self)
        self.views: dict[str, QWidget] = {}
        self._after_save: Callable[[], object] | None = None  # a close or an open waiting for a save
        self._loading: Task | None = None
        self._closed = False
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 800)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.events_view = EventsView(self.document, self.runner)
        self.events_view.today = today
        self.indicators_view = IndicatorsView(self.document, self.runner, self.settings, today, previewer=previewer)
        self.add_tab(Tab("events", "Events", self.events_view))
        self.add_tab(Tab("indicators", "Indicators", self.indicators_view))
        self.add_tab(Tab("charts", "Charts", self._make_charts()))

        # The features, and how they meet: Compare and the demo read the
        # receiver; a run of Ecolyo's service ends in Compare.
        self.receiver = ReceiverFeature(self, self.indicators_view)
        self.compare = CompareFeature(self, self.indicators_view, lambda: self.receiver.controller)
        self.service = ServiceFeature(self, self.receiver.url_if_running, self.compare.service_ended)
        self.compare.view.run_service_requested.connect(self.service.open)
        self.cozy = CozyFeature(self, self.indicators_view)
        self.demo = DemoFeature(self, lambda: self.receiver.controller)
        self.features: tuple[Feature, ...] = (self.receiver, self.compare, self.service, self.cozy, self.demo)

        self._build_source_dock()
        self._build_menus()
        self._build_status_bar()
        for feature in self.features:
            self._place(feature)
        self._connect()
        self._restore_state()
        self._update_title()
        for feature in self.features:
            feature.start()

    # --- what features may use (see dacc_gui.ui.common.feature.Host) --------------------
    def add_tab(self, tab: Tab) -> None:
        self.views[tab.key] = tab.widget
        self.tabs.addTab(tab.widget, tab.title)
        if hasattr(self, "view_menu"):
            self._add_view_action(tab.key, tab.title)

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentWidget(self.views[key])

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def _place(self, feature: Feature) -> None:
        for tab in feature.tabs():
            self.add_tab(tab)
        for menu in feature.menus():
            self.menuBar().insertMenu(self.tools_menu.menuAction(), menu)
        for action in reversed(feature.file_actions()):
            self.file_menu.insertAction(self.sample_action, action)
        for action in feature.tool_actions():
            self.tools_menu.addAction(action)
        for button in feature.indicator_buttons():
            self.indicators_view.add_action_button(button)
        for widget in feature.status_widgets():
            self.statusBar().addPermanentWidget(widget)

    def _make_charts(self) -> QWidget:
        try:
            from dacc_gui.ui.charts.panel import ChartsPanel
        except ImportError:
            placeholder = QLabel("Charts of the previewed indicators come here.")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.charts = None
            return placeholder
        self.charts = ChartsPanel()
        return self.charts

    # --- building ---------------------------------------------------------------------
    def _build_source_dock(self) -> None:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("QLabel { color: #a61b1b; }")
        self.context_editor = ContextEditor(self.document)
        layout.addWidget(QLabel("<b>Data source</b>"))
        layout.addWidget(self.source_label)
        layout.addWidget(self.problems_label)
        layout.addWidget(QLabel("<b>User context</b>"))
        layout.addWidget(self.context_editor)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(270)
        self.source_dock = QDockWidget("Source and user context", self)
        self.source_dock.setObjectName("dock-source")
        self.source_dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.source_dock)

    def _menu_action(self, menu: QMenu, text: str, slot: Callable, shortcut=None, enabled: bool = True) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        action.setEnabled(enabled)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = self.file_menu = bar.addMenu("&File")
        self.open_action = self._menu_action(file_menu, "&Open…", self.ask_open, QKeySequence.StandardKey.Open)
        self.sample_action = self._menu_action(file_menu, "Open the bundled &sample", self.open_sample)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.reopen_action = file_menu.addAction("Reopen last file on start")
        self.reopen_action.setCheckable(True)
        self.reopen_action.setChecked(self.settings.reopen_last_file)
        self.reopen_action.toggled.connect(lambda on: setattr(self.settings, "reopen_last_file", on))
        file_menu.addSeparator()
        self.save_action = self._menu_action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._menu_action(file_menu, "Save &as…", self.ask_save_as, "Ctrl+Shift+S")
        export_menu = file_menu.addMenu("&Export events as")
        self._menu_action(export_menu, "DACC Inspector format (events and context)…",
                          lambda: self.ask_export(Shape.OWN), "Ctrl+E")
        self._menu_action(export_menu, "ACH format (to import into a Cozy)…", lambda: self.ask_export(Shape.ACH))
        indicators_menu = file_menu.addMenu("Export &indicators as")
        self._menu_action(indicators_menu, "JSON (compute output)…", lambda: self.indicators_view._ask_export("json"))
        self._menu_action(indicators_menu, "CSV…", lambda: self.indicators_view._ask_export("csv"))
        self.export_chart_action = self._menu_action(file_menu, "Export the &chart as PNG…", self.ask_export_chart,
                                                     enabled=self.charts is not None)
        file_menu.addSeparator()
        self._menu_action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.document.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.document.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        self.undo_keys = UndoKeys(self)  # the keys reach them from date fields and spin boxes too
        edit_menu.addSeparator()
        for action in self.events_view.edit_actions:
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        self._menu_action(edit_menu, "&Find…", self.find, QKeySequence.StandardKey.Find)
        self._menu_action(edit_menu, "Apply the run's aggregated flags to the events",
                          self.indicators_view.apply_aggregated_flags)

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.source_dock.toggleViewAction())
        self.view_menu.addSeparator()
        for key, widget in self.views.items():
            self._add_view_action(key, self.tabs.tabText(self.tabs.indexOf(widget)))

        self.tools_menu = bar.addMenu("&Tools")
        help_menu = bar.addMenu("&Help")
        self._menu_action(help_menu, "Open the &log file", self.open_log)
        self._menu_action(help_menu, "&About", self.about)
        self._refresh_recent()

    def _add_view_action(self, key: str, title: str) -> None:
        action = self.view_menu.addAction(title)
        action.triggered.connect(lambda: self.show_tab(key))
        position = list(self.views).index(key) + 1
        if position <= 9:
            action.setShortcut(QKeySequence(f"Ctrl+{position}"))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        # Cut with "…" rather than widen the window (a long file name).
        self.source_status = ElidedLabel(min_chars=16)
        self.count_status = ElidedLabel(min_chars=14)
        self.dirty_status = ElidedLabel(min_chars=14)
        self.task_indicator = TaskIndicator(self.runner)
        bar.addWidget(self.source_status)
        bar.addWidget(self.count_status)
        bar.addWidget(self.dirty_status)
        bar.addPermanentWidget(self.task_indicator)
        # Qt draws a temporary message over the normal widgets without hiding
        # them: hide them while one shows, so the two texts never overlap.
        labels = (self.source_status, self.count_status, self.dirty_status)
        bar.messageChanged.connect(lambda text: [label.setVisible(not text) for label in labels])

    def _connect(self) -> None:
        doc = self.document
        doc.reloaded.connect(self._update_source)
        doc.changed.connect(lambda _c: self._update_status())
        doc.dirty_changed.connect(lambda _d: self._update_title())
        self.events_view.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.indicators_view.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.indicators_view.events_selected.connect(lambda rows: self.events_view.select_source_rows(rows))
        self.indicators_view.show_events.connect(lambda: self.show_tab("events"))
        self.events_view.model.counts_changed.connect(lambda *_: self._update_status())
        if self.charts is not None:
            self.indicators_view.preview_changed.connect(lambda p: self.charts.set_results(p.results, p.by_measure))
        self._update_source()

    # --- state -------------------------------------------------------------------------
    def _restore_state(self) -> None:
        if self.settings.geometry:
            self.restoreGeometry(QByteArray(self.settings.geometry))
        if self.settings.window_state:
            self.restoreState(QByteArray(self.settings.window_state))
        if self.settings.events_header:
            self.events_view.table.horizontalHeader().restoreState(QByteArray(self.settings.events_header))

    def save_state(self) -> None:
        self.settings.geometry = bytes(self.saveGeometry().data())
        self.settings.window_state = bytes(self.saveState().data())
        self.settings.events_header = bytes(self.events_view.table.horizontalHeader().saveState().data())
        self.settings.sync()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_dirty)
        self._update_status()

    def _update_source(self) -> None:
        doc, src = self.document, self.document.source
        if doc.empty and not src.source:
            self.source_label.setText("No events loaded. Open a JSON export (Ctrl+O) or the bundled sample.")
            self.problems_label.setVisible(False)
        else:
            where = str(doc.path) if doc.path else (src.source or "not saved yet")
            self.source_label.setText(
                f"{where}\n{SHAPE_NAMES.get(src.shape, src.shape)} · doctype {src.doctype}\n"
                f"{len(doc.events):,} events" + ("" if doc.source.context is not None else " · no context in the file (defaults)"))
            self.problems_label.setVisible(False)
            self._check_events(doc.store, list(src.rejected))
        self._update_title()

    def _check_events(self, store: EventStore, rejected: list) -> None:
        """Say which documents no rule can use, checked in the background on the
        live list (a copy of a million is tens of ms on the UI thread), again
        if rows came or went meanwhile."""
        structure = store.structure_version
        checked = EventSet(events=store.events, rejected=rejected)

        def show(problems: list[str]) -> None:
            if self._closed or self.document.store is not store:
                return  # closed, or another file since: its own check is on its way
            if store.structure_version != structure:
                self._check_events(store, rejected)
                return
            self._show_problems(problems)

        def check() -> None:
            if self.document.store is store and not self._closed:
                self.runner.run("Checking the events", lambda _p, _c: checked.problems(), on_done=show, quiet=True)

        # After the first paint of the rows: running alongside it, the check
        # made each of the paint's calls into Python wait for the lock.
        QTimer.singleShot(CHECK_DELAY_MS, self, check)  # never after the window is gone

    def _show_problems(self, problems: list[str]) -> None:
        if problems:
            shown = problems[:8]
            more = f"\n… and {len(problems) - 8:,} more" if len(problems) > 8 else ""
            self.problems_label.setText(f"{len(problems):,} document(s) no rule can use:\n" + "\n".join(shown) + more)
        self.problems_label.setVisible(bool(problems))

    def _update_status(self) -> None:
        doc = self.document
        self.source_status.setText(doc.title if not doc.empty else "No events")
        shown = self.events_view.model.shown
        total = len(doc.events)
        self.count_status.setText(f"{total:,} events loaded" + (f" ({shown:,} shown)" if shown != total else ""))
        edited = doc.store.edited_count
        if doc.is_dirty:
            self.dirty_status.setText(f"Edits not saved ({edited:,} event{'s' if edited != 1 else ''} changed)"
                                      if edited else "Edits not saved")
        else:
            self.dirty_status.setText("No unsaved edits")

    # --- files ---------------------------------------------------------------------------
    def ask_open(self) -> None:
        if not self.confirm_discard(then=self.ask_open):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open usage events", self.settings.last_directory, FILE_FILTERS)
        if path:
            self.open_file(path, confirm=False)

    def open_file(self, path: str | Path, confirm: bool = True) -> Task | None:
        """Load a file in the background; the window keeps working meanwhile."""
        if confirm and not self.confirm_discard(then=lambda: self.open_file(path, confirm=False)):
            return None
        path = Path(path)
        if self._loading is not None:
            self._loading.cancel()

        def done(event_set: EventSet) -> None:
            self._loading = None
            self.document.load(event_set, path)
            self.settings.add_recent_file(path)
            self._refresh_recent()
            self.statusBar().showMessage(f"Opened {path.name}: {len(event_set.events):,} events", 5000)

        def failed(exc: BaseException) -> None:
            self._loading = None
            errors.show_exception(self, "The file could not be opened", exc,
                                  "Nothing was changed. Check that it is a JSON export of usage events.")

        def cancelled() -> None:
            self._loading = None
            self.statusBar().showMessage(f"Opening {path.name} cancelled", 5000)

        # A cancelled load keeps nothing: the window goes on while it frees what it had read.
        self._loading = self.runner.run(
            f"Opening {path.name}", lambda progress, cancelled_: load_file(path, progress=progress, cancelled=cancelled_),
            on_done=done, on_error=failed, on_cancel=cancelled, quick_cancel=True)
        return self._loading

    def open_sample(self) -> None:
        if not self.confirm_discard(then=self.open_sample):
            return
        today = self.today()

        def failed(exc: BaseException) -> None:
            errors.show_exception(self, "The sample could not be opened", exc)

        self.runner.run("Opening the bundled sample", lambda p, c: load_sample(today, p, c),
                        on_done=lambda es: self.document.load(es, None, "sample (rebased to end yesterday)"),
                        on_error=failed)

    def open_event_set(self, event_set: EventSet, title: str, path: Path | None = None) -> None:
        """Show events read elsewhere (the sample, a Cozy instance)."""
        self.document.load(event_set, path, title)

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files
        for n, f in enumerate(files):
            action = self.recent_menu.addAction(f"&{n + 1} {f}" if n < 9 else f)
            action.triggered.connect(lambda _=False, f=f: self.open_recent(f))
        self.recent_menu.setEnabled(bool(files))

    def reopen_last(self) -> Task | None:
        """On start: open the most recent file when "Reopen last file on start" is on."""
        files = self.settings.recent_files
        if not self.settings.reopen_last_file or not files:
            return None
        if not Path(files[0]).exists():
            self.statusBar().showMessage(f"The last file, {files[0]}, does not exist any more", 8000)
            return None
        return self.open_file(files[0], confirm=False)

    def open_recent(self, path: str) -> None:
        if not Path(path).exists():
            self.settings.remove_recent_file(path)
            self._refresh_recent()
            errors.show_error(self, "File not found", f"{path} does not exist any more; it was removed from the "
                                                      "recent files.")
            return
        self.open_file(path)

    def save(self) -> Task | None:
        """Save back to the source file, in its own shape."""
        if self.document.cozy is not None:  # read from a Cozy: the edits go back there
            return self.cozy.controller.save()
        if self.document.path is None:
            return self.ask_save_as()
        return self.write(self.document.path, self.document.source.shape, as_source=True)

    def ask_save_as(self) -> Task | None:
        start = str(Path(self.settings.last_directory or Path.home()) / (self.document.title.split(" ")[0] or "events.json"))
        path, _ = QFileDialog.getSaveFileName(self, "Save the events", start, FILE_FILTERS)
        if not path:
            self._after_save = None
            return None
        shape = self.document.source.shape if self.document.path else Shape.OWN
        return self.write(Path(path), shape, as_source=True)

    def ask_export(self, shape: Shape) -> Task | None:
        name = "events.json" if shape is Shape.OWN else "usageevents-ach.json"
        start = str(Path(self.settings.last_directory or Path.home()) / name)
        path, _ = QFileDialog.getSaveFileName(self, f"Export as {SHAPE_NAMES[shape]}", start, FILE_FILTERS)
        if path:
            return self.write(Path(path), shape, as_source=False)
        return None

    def write(self, path: Path, shape: Shape, as_source: bool) -> Task:
        """Write the events off the UI thread; edits wait until it is done."""
        snapshot = self.document.snapshot()
        version = self.document.store.version
        self.document.busy = True

        def done(_path) -> None:
            self.document.busy = False
            if as_source:
                if self.document.store.version == version:
                    self.document.saved(path, shape)
                self.settings.add_recent_file(path)
                self._refresh_recent()
                self._update_source()
            note = "" if shape in (Shape.OWN,) or snapshot.context is None else " (this format has no user context)"
            self.statusBar().showMessage(f"Saved {len(snapshot.events):,} events to {path}{note}", 8000)
            if as_source:
                self.source_saved(not self.document.is_dirty)

        def failed(exc: BaseException) -> None:
            self.document.busy = False
            self.source_saved(False)
            errors.show_exception(self, "The events could not be saved", exc,
                                  f"{path} was left as it was; your edits are still here. Try another place.")

        return self.runner.run(f"Saving {path.name}", lambda p, c: save_file(snapshot, path, shape),
                               on_done=done, on_error=failed, cancellable=False)

    def ask_export_chart(self) -> None:
        if self.charts is None:
            return
        start = str(Path(self.settings.last_directory or Path.home()) / "chart.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export the chart", start, "PNG images (*.png)")
        if path:
            try:
                self.charts.export_png(path)
            except OSError as exc:
                errors.show_exception(self, "The chart could not be exported", exc, "Choose another place.")
            else:
                self.statusBar().showMessage(f"Chart exported to {path}", 5000)

    # --- quitting --------------------------------------------------------------------------
    def ask_unsaved(self) -> str:
        """'save', 'discard' or 'cancel' (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved edits",
                          f"{self.document.title} has edits that are not saved. Save them?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def confirm_discard(self, then: Callable[[], object] | None = None) -> bool:
        """True when the current edits may go (none, or discarded).

        With "Save", the save starts and False is returned: ``then`` (the open
        that asked) runs once the events are saved.
        """
        if not self.document.is_dirty:
            return True
        answer = self.ask_unsaved()
        if answer == "discard":
            return True
        if answer == "save":
            self._after_save = then
            self.save()
        return False

    def source_saved(self, ok: bool) -> bool:
        """A save of the events to their source ended: go on with what waited for it, if it went well."""
        pending, self._after_save = self._after_save, None
        if ok and pending is not None:
            QTimer.singleShot(0, pending)
            return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.document.busy:  # a save is running: close once it is done
            self._after_save = self.close
            event.ignore()
            return
        if self.document.is_dirty:
            answer = self.ask_unsaved()
            if answer == "cancel":
                event.ignore()
                return
            if answer == "save":
                self._after_save = self.close
                self.save()
                if self.document.is_dirty:
                    event.ignore()
                    return
                self._after_save = None
        self.save_state()
        self._closed = True  # background work that ends now shows nothing
        self.runner.cancel_all()
        self.runner.wait(5000)
        self.indicators_view.shutdown()
        event.accept()
        for feature in self.features:
            feature.window_closed()

    # --- misc ----------------------------------------------------------------------------------
    def find(self) -> None:
        self.show_tab("events")
        self.events_view.focus_find()

    def open_log(self) -> None:
        """The app's log (errors with their details, what was loaded and saved) in the system's viewer."""
        path = log_file()
        if not path.exists():
            errors.show_error(self, "No log yet", f"The log file {path} has not been written yet: the app writes it "
                                                  "once started from dacc-gui app or scripts/run.")
            return
        if not self.open_url(QUrl.fromLocalFile(str(path))):
            errors.show_error(self, "The log could not be opened", f"No program opened {path}; open it by hand.")

    def open_url(self, url: QUrl) -> bool:
        """Replaceable in tests."""
        return QDesktopServices.openUrl(url)

    def about(self) -> None:
        QMessageBox.about(self, APP_NAME, f"{APP_NAME} {__version__}\n\nPreview, receive and compare the usage "
                                          "indicators Ecolyo sends to Cozy's DACC.")
