"""The demo's standalone HTML report: tables, hidden groups labelled, charts inside the file."""

from __future__ import annotations

import base64
import re
from collections import Counter
from datetime import date
from html.parser import HTMLParser

from dacc_gui.simulation.demo import DemoConfig, DemoResult, SendReport, UserRuns
from dacc_gui.simulation.report import ChartImage, render_report, write_report

PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _row(day, device, count, hidden, avg=1.0):
    return {"measureName": "connection-count-daily", "createdBy": "ecolyo", "startDate": f"{day}T00:00:00",
            "group1": {"device": device}, "sum": avg * count, "count": count, "countNotZero": count,
            "min": 1.0, "max": 1.0, "avg": avg, "std": 0.0, "hidden": hidden}


def result() -> DemoResult:
    aggregates = {"connection-count-daily": [
        _row("2021-11-02", "mobile", 7, False),
        _row("2021-11-02", "desktop", 2, True),
        _row("2021-11-03", "mobile", 4, True, avg=2.5),
    ]}
    send = SendReport(sent=13, statuses=Counter({201: 13}))
    users = [UserRuns(f"user-{n:03d}", 10, [{"measureName": "connection-count-daily"}]) for n in range(13)]
    return DemoResult(DemoConfig(13, 3, date(2021, 11, 1), 4), "http://127.0.0.1:8081", users, send,
                      aggregates, "2021-11-02", "2021-11-04", 5)


class Rows(HTMLParser):
    """The table rows of a page: their class and cell texts."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self._cells: list[str] | None = None
        self.sources: list[str] = []
        self.tags: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append((attrs.get("class", ""), []))
        elif tag == "td":
            self._cells = self.rows[-1][1]
            self._cells.append("")
        if tag in ("img", "script", "link", "iframe"):
            self.sources.append(attrs.get("src") or attrs.get("href") or "")

    def handle_endtag(self, tag):
        if tag == "td":
            self._cells = None

    def handle_data(self, data):
        if self._cells is not None:
            self._cells[-1] += data


def parse(text: str) -> Rows:
    p = Rows()
    p.feed(text)
    return p


def test_tables_hold_every_aggregate_with_hidden_groups_greyed_and_labelled():
    page = parse(render_report(result()))
    body = [(cls, cells) for cls, cells in page.rows if cells]
    assert len(body) == 3
    hidden = [cells for cls, cells in body if cls == "hidden"]
    shown = [cells for cls, cells in body if cls == "shown"]
    assert len(hidden) == 2 and len(shown) == 1
    assert all(cells[-1] == "hidden: fewer than 5 contributions" for cells in hidden)
    assert shown[0][:3] == ["2021-11-02", "device=mobile", "7"]
    assert ["2021-11-03", "device=mobile", "4", "10", "2.5"] == hidden[0][:5] or \
           ["2021-11-03", "device=mobile", "4", "10", "2.5"] == hidden[1][:5]


def test_the_page_needs_nothing_outside_it():
    charts = [ChartImage("Overview", PNG), ChartImage("Connections per day", PNG, "connection-count-daily")]
    text = render_report(result(), charts)
    page = parse(text)
    assert page.tags["script"] == 0 and page.tags["link"] == 0
    assert len(page.sources) == 2
    assert all(src.startswith("data:image/png;base64,") for src in page.sources)
    assert base64.b64decode(page.sources[0].split(",", 1)[1]) == PNG
    assert "<style>" in text
    # The measure's chart comes in its own section, after its heading.
    assert text.index('id="connection-count-daily"') < text.index("Connections per day")


def test_summary_figures_and_threshold_are_stated():
    text = render_report(result())
    facts = re.findall(r'<div class="fact"><b>([^<]+)</b>([^<]+)</div>', text)
    assert dict((k, v) for v, k in facts) == {
        "users": "13", "days": "3", "indicators sent": "13", "accepted (201)": "13",
        "aggregate groups published": "1", "groups hidden": "2"}
    assert "fewer than 5 contributions" in text


def test_no_aggregates_says_so(tmp_path):
    empty = result()
    empty.aggregates = {}
    path = write_report(tmp_path / "report.html", empty)
    assert "No aggregates" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_group_values_are_escaped():
    odd = result()
    odd.aggregates["connection-count-daily"][0]["group1"] = {"device": "<b>x</b>"}
    text = render_report(odd)
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
