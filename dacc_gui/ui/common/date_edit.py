"""Date fields the user can type into.

In a ``QDateEdit`` whose section is full ("2026" in yyyy), a digit typed
with the cursor inside the section would make it too long and Qt drops it:
a click into the run date, then "2021", did nothing. Here the first digit
typed into a section replaces it, as date fields usually do; the next ones
go on filling it.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit


class _TypeOver:
    """Mixed into QDateEdit / QDateTimeEdit (see the module doc)."""

    _typing_in = None  # the section the last digit went into

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        digit = event.text().isdigit()
        section = self.currentSection()
        if digit and section != self._typing_in and not self.lineEdit().hasSelectedText():
            self.setSelectedSection(section)
        super().keyPressEvent(event)
        self._typing_in = section if digit else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._typing_in = None
        super().mousePressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        self._typing_in = None
        super().focusInEvent(event)


class DateEdit(_TypeOver, QDateEdit):
    """A ``yyyy-MM-dd`` date field with a calendar, that takes typed digits."""

    def __init__(self, day: QDate | None = None, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        if day is not None:
            self.setDate(day)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")


class DateTimeEdit(_TypeOver, QDateTimeEdit):
    """A date-time field with a calendar, that takes typed digits."""

    def __init__(self, moment: QDateTime | None = None, parent=None, display: str = "yyyy-MM-dd HH:mm:ss") -> None:  # noqa: ANN001
        super().__init__(parent)
        if moment is not None:
            self.setDateTime(moment)
        self.setCalendarPopup(True)
        self.setDisplayFormat(display)
