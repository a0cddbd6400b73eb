"""The app's tables look alike: no row numbers, columns the user can widen, the last one stretched."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def table_view(model: QAbstractItemModel, widths: Sequence[int], *, select_rows: bool = True,
               single: bool = False) -> QTableView:
    """A table of ``model`` with its first columns ``widths`` wide; clicks select whole rows
    (``select_rows``), one at a time if ``single``."""
    table = QTableView()
    table.setModel(model)
    if select_rows:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for col, width in enumerate(widths):
        table.setColumnWidth(col, width)
    return table
