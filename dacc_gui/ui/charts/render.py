"""The charts of nightly runs as PNG bytes, drawn off screen, for reports."""

from __future__ import annotations

from collections.abc import Sequence

from dacc_gui.rules.series import HasIndicators, daily_counts, measure_names, series_for
from dacc_gui.ui.common.png import ensure_app, widget_png


def render_chart_png(
    results: Sequence[HasIndicators],
    *,
    view: str = "measure",
    measure: str | None = None,
    size: tuple[int, int] = (1200, 700),
    light: bool = True,
    style: str = "lines",
    daily: str | None = None,
    layout: str = "stacked",
) -> bytes:
    """One chart of these nightly runs as PNG bytes of exactly ``size`` pixels.

    ``view`` is ``"measure"`` (``measure`` defaults to the first one present;
    ``style`` lines or bars, ``daily`` None/sum/mean) or ``"summary"``
    (``layout`` stacked or grouped).
    """
    ensure_app()
    # imported here so that importing this module does not pull pyqtgraph in
    from dacc_gui.ui.charts.plots import MeasurePlot, SummaryPlot

    names = measure_names(results)
    if not names:
        raise ValueError("no indicators to chart: the runs sent nothing")
    if view == "summary":
        chart = SummaryPlot(light=light)
        chart.resize(*size)
        chart.show_counts(daily_counts(results), layout)  # type: ignore[arg-type]
    elif view == "measure":
        measure = measure or names[0]
        if measure not in names:
            raise ValueError(f"no indicators of measure {measure!r} in these runs")
        chart = MeasurePlot(light=light)
        chart.resize(*size)
        shaped = series_for(results, measure)
        chart.show_measure(shaped, style, daily if shaped.many_per_day else None)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown chart view {view!r} (measure or summary)")
    try:
        return widget_png(chart, size)
    finally:
        chart.deleteLater()
