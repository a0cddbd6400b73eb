"""The Events tab: the events table, its filter bar, and the edits on a selection.

Every edit goes through ``dacc_gui.events.edits`` (a command on the undo stack).
Commands over many rows are built off the UI thread, then applied at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QDate, QDateTime, QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
    QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox, QStyledItemDelegate,
    QTableView, QToolBar, QVBoxLayout, QWidget,
)

from dacc_gui.events import edits
from dacc_gui.events.edits import Command
from dacc_gui.events.model import EventType, parse_event_date
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.common.date_edit import DateEdit, DateTimeEdit
from dacc_gui.ui.common.document import EventsDocument
from dacc_gui.ui.events.model import EventTableModel, to_qdatetime
from dacc_gui.events.query import COLUMNS, EventFilter
from dacc_gui.ui.common.tasks import TaskRunner

BACKGROUND_ROWS = 20_000  # selections larger than this are edited off the UI thread
ALL_TYPES, FLAGGED = "All types", "Flagged (used by no rule)"


class DateTimeDelegate(QStyledItemDelegate):
    """Edits ``eventDate`` with a date-time editor."""

    def createEditor(self, parent, option, index):  # noqa: N802, ANN001
        editor = DateTimeEdit(parent=parent)
        editor.setDisplayFormat("yyyy-MM-dd HH:mm:ss.zzz")
        editor.setCalendarPopup(True)
        return editor

    def setEditorData(self, editor, index):  # noqa: N802, ANN001
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(value, QDateTime):
            editor.setDateTime(value)

    def setModelData(self, editor, model, index):  # noqa: N802, ANN001
        model.setData(index, editor.dateTime().toPython(), Qt.ItemDataRole.EditRole)


class EventsView(QWidget):
    """The Events tab."""

    selection_changed = Signal(int)  # number of selected events
    status = Signal(str)  # a short message for the status bar

    def __init__(self, document: EventsDocument, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.runner = runner
        self.model = EventTableModel(document, runner, self)
        self.today: Callable[[], date] = date.today
        self._build_filter_bar()
        self._build_actions()
        self._build_table()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.message.setStyleSheet("QLabel { background: #fff3c4; padding: 4px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.filter_bar)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.model.counts_changed.connect(self._show_counts)
        self.model.refused.connect(self._refused)
        document.reloaded.connect(self._on_reloaded)
        document.changed.connect(lambda _c: self._update_actions())
        self._show_counts(self.model.shown, len(document.events))
        self._update_actions()

    # --- building ---------------------------------------------------------------
    def _build_filter_bar(self) -> None:
        bar = self.filter_bar = QVBoxLayout()
        self.type_filter = QComboBox()
        self.type_filter.addItems([ALL_TYPES, FLAGGED, *(t.value for t in EventType)])
        self.type_filter.setToolTip("Show only events of this type")
        compact_combo(self.type_filter, 14)
        self.type_filter.setMaximumWidth(210)
        self.from_check, self.from_date = QCheckBox("From"), DateEdit()
        self.to_check, self.to_date = QCheckBox("to"), DateEdit()
        for check, edit in ((self.from_check, self.from_date), (self.to_check, self.to_date)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate.currentDate())
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
        self.aggregated_filter = QComboBox()
        self.aggregated_filter.addItems(["Aggregated or not", "Not aggregated", "Aggregated"])
        compact_combo(self.aggregated_filter, 12)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Find in id, type, date, target, context, result (Ctrl+F)")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setMinimumWidth(220)
        self.clear_filter_button = QPushButton("Show all")
        self.clear_filter_button.setToolTip("Clear the filter")
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(110)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Two rows, so that the window still fits a laptop screen.
        first, second = QHBoxLayout(), QHBoxLayout()
        for w in (self.type_filter, self.aggregated_filter, self.from_check, self.from_date, self.to_check,
                  self.to_date):
            first.addWidget(w)
        first.addStretch(1)
        second.addWidget(self.text_filter, 1)
        second.addWidget(self.clear_filter_button)
        second.addWidget(self.count_label)
        bar.addLayout(first)
        bar.addLayout(second)
        # Typing waits for a pause before filtering a million rows.
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.apply_filter)
        for signal in (self.type_filter.currentIndexChanged, self.from_check.toggled, self.to_check.toggled,
                       self.from_date.dateChanged, self.to_date.dateChanged,
                       self.aggregated_filter.currentIndexChanged, self.text_filter.textChanged):
            signal.connect(self._filter_timer.start)
        self.clear_filter_button.clicked.connect(self.clear_filter)

    def _action(self, text: str, slot: Callable[[], None], shortcut: str | QKeySequence | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.shift_action = self._action("Shift…", self.ask_shift, "Ctrl+Shift+D",
                                         "Shift the selected events by some days, hours or minutes")
        self.earlier_action = self._action("−1 day", lambda: self.shift_selected(-1, "days"), "Alt+Left",
                                           "Shift the selected events one day earlier")
        self.later_action = self._action("+1 day", lambda: self.shift_selected(1, "days"), "Alt+Right",
                                         "Shift the selected events one day later")
        self.move_action = self._action("Move to day…", self.ask_move_to_day, "Ctrl+M",
                                        "Move the selected events to a given day, keeping their time")
        self.yesterday_action = self._action(
            "Move to yesterday", self.move_selected_to_yesterday, "Ctrl+Y",
            "Today's clicks become yesterday's, so that tonight's run takes them")
        self.toggle_action = self._action("Toggle aggregated", self.toggle_selected, "Ctrl+T",
                                          "Flip the aggregated flag of the selected events")
        self.add_action = self._action("Add…", self.ask_add_event, "Ctrl+Shift+N", "Add an event")
        self.duplicate_action = self._action("Duplicate", self.duplicate_selected, "Ctrl+D",
                                             "Copy the selected events (new ids)")
        self.delete_action = self._action("Delete", self.delete_selected, QKeySequence.StandardKey.Delete,
                                          "Delete the selected events")
        self.selection_actions = [self.shift_action, self.earlier_action, self.later_action, self.move_action,
                                  self.yesterday_action, self.toggle_action, self.duplicate_action,
                                  self.delete_action]
        self.edit_actions = [*self.selection_actions[:-2], self.add_action, self.duplicate_action, self.delete_action]
        toolbar = self.toolbar = QToolBar("Event edits")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in self.edit_actions:
            toolbar.addAction(action)

    def _build_table(self) -> None:
        table = self.table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                              | QAbstractItemView.EditTrigger.SelectedClicked)
        table.setItemDelegateForColumn(COLUMNS.index("eventDate"), DateTimeDelegate(table))
        table.setSortingEnabled(False)
        table.horizontalHeader().setSortIndicatorShown(True)
        table.horizontalHeader().setSectionsClickable(True)
        table.horizontalHeader().sectionClicked.connect(self._header_clicked)
        vertical = table.verticalHeader()
        # Fixed row heights: the header never measures a million rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 8)
        vertical.setVisible(False)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        # Painting a header section asks the selection model whether its
        # whole column is selected: Qt then checks the flags of every selected
        # row (seconds with 100,000 rows selected). The header gets a selection
        # model of its own, always empty; rows are still selected in the table.
        header.setHighlightSections(False)
        self._header_selection = QItemSelectionModel(self.model, self)
        header.setSelectionModel(self._header_selection)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        for name, width in (("type", 175), ("eventDate", 190), ("target", 110), ("context", 140), ("result", 95),
                            ("startDate", 180), ("aggregated", 80)):
            table.setColumnWidth(COLUMNS.index(name), width)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.modelReset.connect(self._on_selection)

    # --- filter and sort ------------------------------------------------------------
    def current_filter(self) -> EventFilter:
        kind = self.type_filter.currentText()
        agg = {0: None, 1: False, 2: True}[self.aggregated_filter.currentIndex()]
        return EventFilter(
            types=frozenset() if kind in (ALL_TYPES, FLAGGED) else frozenset({kind}),
            flagged_only=kind == FLAGGED,
            date_from=self.from_date.date().toPython() if self.from_check.isChecked() else None,
            date_to=self.to_date.date().toPython() if self.to_check.isChecked() else None,
            aggregated=agg,
            text=self.text_filter.text(),
        )

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.current_filter())

    def clear_filter(self) -> None:
        for w in (self.type_filter, self.aggregated_filter):
            w.blockSignals(True)
            w.setCurrentIndex(0)
            w.blockSignals(False)
        for w in (self.from_check, self.to_check):
            w.blockSignals(True)
            w.setChecked(False)
            w.blockSignals(False)
        self.from_date.setEnabled(False)
        self.to_date.setEnabled(False)
        self.text_filter.blockSignals(True)
        self.text_filter.clear()
        self.text_filter.blockSignals(False)
        self.apply_filter()

    def _header_clicked(self, section: int) -> None:
        name = COLUMNS[section]
        descending = self.model.sort_column == name and not self.model.descending
        self.sort_by(name, descending)

    def sort_by(self, column: str | None, descending: bool = False) -> None:
        header = self.table.horizontalHeader()
        if column is None:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            header.setSortIndicator(COLUMNS.index(column),
                                    Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
        self.model.set_query(column, descending, self.model.filter)

    def focus_find(self) -> None:
        self.text_filter.setFocus()
        self.text_filter.selectAll()

    def _show_counts(self, shown: int, total: int) -> None:
        noun = "event" if total == 1 else "events"
        self.count_label.setText(f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,}")

    def _on_reloaded(self) -> None:
        self.message.setVisible(False)
        self._update_actions()

    # --- selection ------------------------------------------------------------------
    def selected_ranges(self) -> list[tuple[int, int]]:
        return [(r.top(), r.bottom()) for r in self.table.selectionModel().selection()]

    def selected_source_rows(self) -> list[int]:
        """Store indices of the selected events."""
        return self.model.source_rows_of_ranges(self.selected_ranges())

    def selected_count(self) -> int:
        return sum(b - t + 1 for t, b in self.selected_ranges())

    def select_source_rows(self, rows: list[int], scroll: bool = True) -> int:
        """Select the events with these store indices; returns how many are visible."""
        view_rows = self.model.view_rows_of(rows)
        view_rows = np.sort(view_rows[view_rows >= 0])
        selection = QItemSelection()
        last_col = len(COLUMNS) - 1
        if len(view_rows):
            # Contiguous runs become one range each.
            breaks = np.flatnonzero(np.diff(view_rows) != 1)
            starts = np.concatenate([[0], breaks + 1])
            ends = np.concatenate([breaks, [len(view_rows) - 1]])
            for s, e in zip(starts.tolist(), ends.tolist()):
                selection.select(self.model.index(int(view_rows[s]), 0), self.model.index(int(view_rows[e]), last_col))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)
        if len(view_rows):
            first = self.model.index(int(view_rows[0]), 0)
            self.table.selectionModel().setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            if scroll:
                self.table.scrollTo(first, QAbstractItemView.ScrollHint.PositionAtCenter)
        hidden = len(rows) - len(view_rows)
        if hidden:
            self.show_message(f"{hidden:,} of the {len(rows):,} events are hidden by the filter. "
                              "Press “Show all” to see them.")
        else:
            self.message.setVisible(False)
        return len(view_rows)

    def select_event_ids(self, ids: list[str]) -> int:
        return self.select_source_rows(self.document.store.index_of_ids(ids))

    def _refused(self, text: str) -> None:
        self.status.emit(text)
        self.show_message(text)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)

    def _on_selection(self, *_args) -> None:
        self._update_actions()
        self.selection_changed.emit(self.selected_count())

    def _update_actions(self) -> None:
        has = self.table.selectionModel().hasSelection() if hasattr(self, "table") else False
        for action in self.selection_actions:
            action.setEnabled(has)

    # --- edits --------------------------------------------------------------------------
    def _apply(self, label: str, build: Callable[[list, list[int]], Command | None], rows: list[int] | None = None,
               tries: int = 3, day: date | None = None) -> None:
        """Build a command over the selected rows (off the UI thread if many) and push it.

        ``day``: the day a move goes to, to say why nothing moved."""
        rows = self.selected_source_rows() if rows is None else rows
        if not rows:
            self.status.emit("Select some events first.")
            return
        store = self.document.store
        version, structure = store.version, store.structure_version

        def push(command: Command | None) -> None:
            if self.document.store is not store or store.structure_version != structure:
                # Other rows now (a reload, an added or deleted event): the selection meant other events.
                self.status.emit(f"{label}: the events changed meanwhile; nothing done, please try again.")
                return
            if store.version != version:
                # A value changed meanwhile (an undo, a redo, a save that took the server's values):
                # what was prepared is out of date, so prepare again from the events as they are.
                if tries > 1:
                    self._apply(label, build, rows, tries - 1)
                else:
                    self.status.emit(f"{label}: the events kept changing; nothing done, please try again.")
                return
            if command is None:
                on_day = self._already_on(rows, day)
                self.status.emit(f"{label}: nothing to change" + (f": {on_day}." if on_day else "."))
                return
            self.document.push(command)
            self.status.emit(command.label)
            if command.note:
                self.show_message(command.note)

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, edits.EditRefused):
                errors.show_exception(self, f"{label}: the edit could not be prepared", exc,
                                      "Nothing was changed.")
                return
            # The edit says which dates it cannot read; a move also says which were on the day already.
            on_day = self._already_on(rows, day)
            self._refused(f"{exc} {on_day[0].upper()}{on_day[1:]}." if on_day else str(exc))

        if len(rows) <= BACKGROUND_ROWS:
            try:
                command = build(self.document.events, rows)
            except edits.EditRefused as exc:
                refused(exc)
                return
            push(command)
            return
        events = list(self.document.events)
        # What the worker reads: these events as they were when asked, never the live list.
        snapshot = SimpleNamespace(events=events, version=version)

        def work(_progress, _cancelled):
            command = build(events, rows)
            if hasattr(command, "prepare"):
                command.prepare(snapshot)  # the UI thread then only writes the values
            return command

        self.runner.run(label, work, on_done=push, on_error=refused, cancellable=False)

    def _already_on(self, rows: list[int], day: date | None) -> str:
        """``1 is already on 2021-12-08``: why a move changed these events' readable dates not at all."""
        if day is None:
            return ""
        events = self.document.events
        on_day = sum(1 for row in rows if (m := parse_event_date(events[row].eventDate)) and m.date() == day)
        return f"{on_day:,} {'is' if on_day == 1 else 'are'} already on {day.isoformat()}" if on_day else ""

    def shift_selected(self, amount: int, unit: str) -> None:
        self._apply("Shift", lambda ev, rows: edits.shift_dates(ev, rows, amount, unit))

    def move_selected_to_day(self, day: date) -> None:
        self._apply("Move", lambda ev, rows: edits.move_to_day(ev, rows, day), day=day)

    def move_selected_to_yesterday(self) -> None:
        today = self.today()
        self._apply("Move to yesterday", lambda ev, rows: edits.move_to_yesterday(ev, rows, today),
                    day=today - timedelta(days=1))

    def toggle_selected(self) -> None:
        self._apply("Toggle aggregated", edits.toggle_aggregated)

    def duplicate_selected(self) -> None:
        self._apply("Duplicate", edits.duplicate_events)

    def delete_selected(self) -> None:
        self._apply("Delete", lambda _ev, rows: edits.delete_events(rows))

    def add_event(self, moment: datetime, type: str = "NavigationEvent", **fields) -> None:
        if self.document.push(edits.new_event(moment, type, **fields)):
            last = len(self.document.events) - 1
            self.select_source_rows([last])

    # --- dialogs ------------------------------------------------------------------------
    def ask_shift(self) -> None:
        dialog = ShiftDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.amount():
            self.shift_selected(dialog.amount(), dialog.unit())

    def ask_move_to_day(self) -> None:
        dialog = DayDialog(self, self.today() - timedelta(days=1))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.move_selected_to_day(dialog.day())

    def ask_add_event(self) -> None:
        dialog = AddEventDialog(self, datetime.combine(self.today(), datetime.now().time().replace(microsecond=0)))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_event(dialog.moment(), dialog.type(), **dialog.fields())


def _add_ok_cancel(dialog: QDialog, form: QFormLayout) -> None:
    """OK and Cancel under a dialog's form."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)


class ShiftDialog(QDialog):
    """How far to shift the selected events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Shift events")
        self.amount_box = QSpinBox()
        self.amount_box.setRange(-100_000, 100_000)
        self.amount_box.setValue(-1)
        self.unit_box = QComboBox()
        self.unit_box.addItems(list(edits.UNITS))
        form = QFormLayout(self)
        form.addRow("Shift by", self.amount_box)
        form.addRow("Unit", self.unit_box)
        form.addRow(QLabel("Negative moves the events earlier. The time zone as written is kept."))
        _add_ok_cancel(self, form)

    def amount(self) -> int:
        return self.amount_box.value()

    def unit(self) -> str:
        return self.unit_box.currentText()


class DayDialog(QDialog):
    """The day to move the selected events to."""

    def __init__(self, parent: QWidget | None, default: date) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move events to a day")
        self.edit = DateEdit(QDate(default.year, default.month, default.day))
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd")
        form = QFormLayout(self)
        form.addRow("Day", self.edit)
        form.addRow(QLabel("Each event keeps its time of day."))
        _add_ok_cancel(self, form)

    def day(self) -> date:
        return self.edit.date().toPython()


class AddEventDialog(QDialog):
    """A new event's fields."""

    def __init__(self, parent: QWidget | None, default: datetime) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add an event")
        self.type_box = QComboBox()
        self.type_box.setEditable(True)
        self.type_box.addItems([t.value for t in EventType])
        self.type_box.setCurrentText(EventType.NAVIGATION.value)
        self.date_edit = DateTimeEdit(to_qdatetime(default))
        self.date_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.date_edit.setCalendarPopup(True)
        self.edits = {name: QLineEdit() for name in ("target", "context", "result", "startDate")}
        self.edits["target"].setText("consumption")
        self.edits["startDate"].setPlaceholderText("YYYY-MM-DDTHH:MM:SS.000Z (optional)")
        form = QFormLayout(self)
        form.addRow("type", self.type_box)
        form.addRow("eventDate", self.date_edit)
        for name, edit in self.edits.items():
            form.addRow(name, edit)
        _add_ok_cancel(self, form)

    def type(self) -> str:
        return self.type_box.currentText().strip() or EventType.NAVIGATION.value

    def moment(self) -> datetime:
        return self.date_edit.dateTime().toPython()

    def fields(self) -> dict[str, str]:
        return {name: edit.text().strip() for name, edit in self.edits.items()}
