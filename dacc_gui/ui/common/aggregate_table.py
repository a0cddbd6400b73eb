"""Aggregate rows of one measure as a table: published ones plain, hidden ones greyed and labelled.

One model for "As the DACC would show it" (every column the DACC keeps) and
the population demo (a short set: period, groups, the main statistics).
Columns are named by the aggregate's keys; ``groups`` is all groups in one
cell, ``published`` says whether the DACC publishes the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QBrush, QColor

from dacc_gui.dacc.groups import group_text
from dacc_gui.dacc.measures import MeasureDefinition
from dacc_gui.rules.series import aggregate_groups, group_label, hidden_label
from dacc_gui.ui.common.chart_style import HIDDEN_GREY
from dacc_gui.ui.common.table_model import RIGHT, RowTableModel, italic

STATISTICS = ("count", "countNotZero", "sum", "min", "max", "avg", "std")
QUARTILES = ("median", "firstQuartile", "thirdQuartile")
SHORT = ("startDate", "groups", "count", "sum", "avg", "min", "max", "published")
TITLES = {"startDate": "Period", "groups": "Group", "count": "Count", "sum": "Sum", "avg": "Average",
          "min": "Min", "max": "Max", "published": "Published"}


def number_text(value: Any) -> str:
    """Whole numbers as such, others to the 2 decimals the DACC keeps."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}" if isinstance(value, (int, float)) else str(value)


def full_columns(rows: Sequence[dict[str, Any]], definition: MeasureDefinition | None) -> list[str]:
    """Every column the DACC keeps for this measure: its groups, statistics and quartiles."""
    groups = [f"group{n}" for n in (1, 2, 3) if any(f"group{n}" in r for r in rows)
              or (definition and getattr(definition, f"group{n}Key"))]
    stats = list(STATISTICS) + (list(QUARTILES) if definition and definition.withQuartiles else [])
    return ["startDate", *groups, *stats, "published"]


class AggregateTableModel(RowTableModel):
    """Aggregate rows (``include_hidden``) under the given columns, in period and group order."""

    def __init__(self, parent=None, titles: dict[str, str] | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.columns: list[str] = []
        self.titles = titles or {}  # header text per column key; the key itself otherwise
        self.hidden_text = hidden_label()

    def set_rows(self, rows: list[dict[str, Any]], definition: MeasureDefinition | None = None,
                 columns: Sequence[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=lambda r: (str(r.get("startDate", "")), group_label(aggregate_groups(r))))
        self.columns = list(columns) if columns is not None else full_columns(rows, definition)
        self.hidden_text = hidden_label(definition.aggregationThreshold if definition else None)
        self.endResetModel()

    def headerData(self, section, orientation, role=0):  # noqa: N802, ANN001, ANN201
        value = super().headerData(section, orientation, role)
        return self.titles.get(value, value) if isinstance(value, str) else value

    def display(self, row: dict[str, Any], col: int) -> Any:
        column = self.columns[col]
        if column == "published":
            return self.hidden_text if row.get("hidden") else "published"
        if column == "startDate":
            return str(row.get("startDate", "")).removesuffix("T00:00:00")[:10]
        if column == "groups":
            return group_label(aggregate_groups(row))
        if column.startswith("group"):
            return group_text(row.get(column))
        return number_text(row.get(column))

    def foreground(self, row: dict[str, Any], col: int) -> Any:
        return QBrush(QColor(HIDDEN_GREY)) if row.get("hidden") else None

    def font(self, row: dict[str, Any], col: int) -> Any:
        return italic() if row.get("hidden") else None

    def alignment(self, row: dict[str, Any], col: int) -> Any:
        return RIGHT if self.columns[col] in STATISTICS + QUARTILES else None

    def tooltip(self, row: dict[str, Any], col: int) -> Any:
        if not row.get("hidden"):
            return None
        return (f"{self.hidden_text}: the DACC keeps this group but does not publish it until "
                "enough users contribute to it")
