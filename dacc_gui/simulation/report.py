"""The population demo as one standalone HTML file a stakeholder opens in any browser.

Everything is inside the file: the CSS inline, the charts as base64 PNGs
(drawn by the app and passed in: this module imports no Qt), and per measure
a table of the DACC's aggregates, the groups under the privacy threshold
greyed and labelled the way the app labels them ("hidden: fewer than 5
contributions"), since Metabase would not show them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dacc_gui.simulation.demo import DemoResult
from dacc_gui.common.atomic import write_atomic
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.rules.series import group_label, aggregate_groups, hidden_label

STATISTICS = ("count", "sum", "avg", "min", "max", "median")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #1d2330; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.8em; margin-bottom: .2em; }
h2 { font-size: 1.35em; margin-top: 2em; border-bottom: 2px solid #0072B2; padding-bottom: .2em; }
.lead { color: #4a5368; }
.facts { display: flex; flex-wrap: wrap; gap: .8em; margin: 1.2em 0; }
.fact { background: #f1f5fa; border-radius: 6px; padding: .6em 1em; min-width: 9em; }
.fact b { display: block; font-size: 1.5em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #dde3ec; border-radius: 4px; }
figcaption { color: #4a5368; font-size: .9em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.4em; font-size: .92em; }
th, td { border-bottom: 1px solid #dde3ec; padding: .3em .6em; text-align: left; }
th { background: #f1f5fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.hidden td { color: #8a8f99; background: #f4f4f4; font-style: italic; }
.tag { font-size: .8em; background: #e2e2e2; color: #555; border-radius: 3px; padding: 0 .4em; }
.note { background: #fff3c4; border: 1px solid #e0c060; padding: .6em 1em; border-radius: 4px; }
footer { margin-top: 3em; color: #8a8f99; font-size: .85em; }
"""


@dataclass
class ChartImage:
    """A chart drawn by the app: its caption and PNG bytes."""

    caption: str
    png: bytes
    measure: str | None = None  # shown beside that measure's table when given


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return _e(value)


def _image(chart: ChartImage) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (f'<figure><img alt="{_e(chart.caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(chart.caption)}</figcaption></figure>")


def _period_words(definition: Any) -> str:
    """" · day" for a measure aggregated per day; the measures the DACC keeps per value have
    no aggregation period: say how often they are sent instead of printing None."""
    if definition is None:
        return ""
    if definition.aggregationPeriod:
        return f" · {definition.aggregationPeriod}"
    if definition.executionFrequency:
        return f" · sent each {definition.executionFrequency}"
    return ""


def aggregate_table(rows: Sequence[dict[str, Any]], threshold: int) -> str:
    """One measure's aggregates as an HTML table; hidden groups greyed and labelled."""
    stats = [s for s in STATISTICS if any(s in r for r in rows)]
    label = hidden_label(threshold)
    head = "".join(f"<th>{_e(s)}</th>" for s in ("period", "group", *stats, "published"))
    body = []
    for row in sorted(rows, key=lambda r: (str(r.get("startDate", "")), group_label(aggregate_groups(r)))):
        hidden = bool(row.get("hidden"))
        cells = [f"<td>{_e(str(row.get('startDate', ''))[:10])}</td>",
                 f"<td>{_e(group_label(aggregate_groups(row)))}</td>"]
        cells += [f'<td class="num">{_number(row.get(s))}</td>' for s in stats]
        cells.append(f'<td><span class="tag">{_e(label)}</span></td>' if hidden else "<td>yes</td>")
        body.append(f'<tr class="{"hidden" if hidden else "shown"}">' + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_report(
    result: DemoResult,
    charts: Sequence[ChartImage] = (),
    title: str = "What the DACC would show: a simulated population",
    generated: datetime | None = None,
) -> str:
    """The report as HTML text."""
    c = result.config
    generated = generated or datetime.now()
    shown, hidden = result.counts()
    catalog = load_catalog()
    facts = [
        (f"{c.users:,}", "users"), (f"{c.days:,}", "days"),
        (f"{result.indicators:,}", "indicators sent"), (f"{result.send.accepted:,}", "accepted (201)"),
        (f"{shown:,}", "aggregate groups published"), (f"{hidden:,}", "groups hidden"),
    ]
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="lead">{c.users} generated Ecolyo users over {c.days} days from {c.start.isoformat()} '
        f"(seed {c.seed}); each user's nightly service ran from {c.first_night.isoformat()} to "
        f"{c.last_night.isoformat()} and sent its indicators to a stand-in DACC. The tables are the DACC's "
        f"aggregates per measure, period and group, as Metabase would read them. A group with fewer than "
        f"{result.threshold} contributions is not published by the DACC: it is shown here greyed, labelled "
        f"“{_e(hidden_label(result.threshold))}”.</p>",
        '<div class="facts">' + "".join(f'<div class="fact"><b>{v}</b>{_e(k)}</div>' for v, k in facts) + "</div>",
    ]
    if result.send.refused:
        parts.append(f'<p class="note">{result.send.refused:,} indicator(s) were not accepted: '
                     + _e("; ".join(result.send.errors[:5])) + "</p>")
    if not result.hidden_known:
        parts.append('<p class="note">The aggregates were read over HTTP, as the DACC serves them: the hidden '
                     "groups are not known and not listed.</p>")
    by_measure: dict[str | None, list[ChartImage]] = {}
    for chart in charts:
        by_measure.setdefault(chart.measure if chart.measure in result.aggregates else None, []).append(chart)
    for chart in by_measure.get(None, []):
        parts.append(_image(chart))
    if not result.aggregates:
        parts.append('<p class="note">No aggregates: the runs sent nothing the DACC could aggregate.</p>')
    names = [n for n in catalog.names() if n in result.aggregates] + sorted(
        set(result.aggregates) - set(catalog.names()))
    for name in names:
        rows = result.aggregates[name]
        definition = catalog.get(name)
        period = _period_words(definition)
        n_hidden = sum(1 for r in rows if r.get("hidden"))
        parts.append(f'<h2 id="{_e(name)}">{_e(name)}<span class="lead" style="font-size:.6em">{_e(period)} · '
                     f"{len(rows) - n_hidden} published, {n_hidden} hidden</span></h2>")
        for chart in by_measure.get(name, []):
            parts.append(_image(chart))
        parts.append(aggregate_table(rows, definition.aggregationThreshold if definition else result.threshold))
    parts.append(f"<footer>DACC Inspector · generated {generated:%Y-%m-%d %H:%M} · aggregates from "
                 f"{_e(result.start)} to {_e(result.end)} (end excluded) · receiver {_e(result.receiver_url)}"
                 "</footer></body></html>")
    return "\n".join(parts) + "\n"


def write_report(path: str | Path, result: DemoResult, charts: Sequence[ChartImage] = (), **kwargs: Any) -> Path:
    """Write the report atomically (a half-written file never replaces a good one)."""
    return write_atomic(path, render_report(result, charts, **kwargs))


__all__ = ["ChartImage", "aggregate_table", "render_report", "write_report"]
