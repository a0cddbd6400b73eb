"""The "as the DACC would show it" view and the Ecolyo how-to."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from dacc_gui.ui.common.chart_style import HIDDEN_GREY
from dacc_gui.ui.receiver.howto import BUILD_AND_RUN, DATE_PROTECTION_SNIPPET
from tests.receiver_support import measure, wrapped

WAIT = 15_000
HIDDEN = "hidden: fewer than 5 contributions"


def send(qtbot, window, *measures) -> None:
    """Post measures and wait until the Receiver tab lists them."""
    panel = window.receiver.panel
    before = panel.model.total
    with httpx.Client(base_url=window.receiver.controller.url, timeout=30) as client:
        for m in measures:
            assert client.post("/", json=wrapped(m)).status_code == 201
    qtbot.waitUntil(lambda: panel.model.total == before + len(measures), timeout=WAIT)


def contributions(n: int, day: str, device: str, value: float = 1) -> list[dict]:
    return [measure(startDate=day, group1={"device": device}, value=value + k) for k in range(n)]


@pytest.fixture
def dacc(qtbot, receiving_window):
    send(qtbot, receiving_window,
         *contributions(5, "2021-12-07", "mobile"),
         *contributions(5, "2021-12-08", "mobile"),
         *contributions(2, "2021-12-08", "desktop", value=10))
    return receiving_window.receiver.dacc_view


def table(view) -> list[dict[str, str]]:
    m = view.model
    return [{m.columns[c]: m.index(r, c).data() for c in range(m.columnCount())} for r in range(m.rowCount())]


def test_aggregates_with_hidden_groups_greyed_and_labelled(qtbot, qtmodeltester, dacc):
    dacc.select_measure("connection-count-daily")
    assert dacc.period() == (date(2021, 12, 7), date(2021, 12, 8))  # fitted to what was received
    qtmodeltester.check(dacc.model)
    rows = table(dacc)
    assert [(r["startDate"], r["group1"], r["count"], r["published"]) for r in rows] == [
        ("2021-12-07", "device=mobile", "5", "published"),
        ("2021-12-08", "device=desktop", "2", HIDDEN),
        ("2021-12-08", "device=mobile", "5", "published"),
    ]
    assert rows[0]["avg"] == "3" and rows[0]["sum"] == "15"  # 1+2+3+4+5
    hidden_index = dacc.model.index(1, 0)
    assert hidden_index.data(Qt.ItemDataRole.ForegroundRole).color().name().upper() == HIDDEN_GREY
    assert hidden_index.data(Qt.ItemDataRole.FontRole).italic()
    assert dacc.model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    # The chart draws the same, the hidden group greyed under its label.
    assert set(dacc.chart.items) == {"device=mobile", HIDDEN}
    assert [(b.period, b.label) for b, _ in dacc.chart.drawn if b.hidden] == [("2021-12-08", "device=desktop")]
    assert "publish 2 groups; 1 more is kept but hidden (fewer than 5 contributions)" in dacc.caption.text()
    # What the DACC itself answers: the published groups only.
    published = dacc.controller.core.aggregate("connection-count-daily", "2021-12-07", "2021-12-09")
    assert len(published) == 2 and all(not r.get("hidden") for r in rows if r["published"] == "published")


def test_period_narrows_and_empty_period_says_so(dacc):
    dacc.select_measure("connection-count-daily")
    dacc.set_period(date(2021, 12, 8), date(2021, 12, 8))
    assert [r["startDate"] for r in table(dacc)] == ["2021-12-08", "2021-12-08"]
    dacc.set_period(date(2021, 11, 1), date(2021, 11, 30))
    assert table(dacc) == [] and "/aggregate would answer an empty list" in dacc.caption.text()
    assert dacc.chart.is_empty()
    dacc.set_period(date(2021, 12, 8), date(2021, 12, 1))
    assert "ends (2021-12-01) before it starts" in dacc.caption.text()


def test_follows_new_contributions(qtbot, dacc):
    window = dacc.window()
    window.show()
    window.show_tab("dacc")
    dacc.select_measure("connection-count-daily")
    assert [r["published"] for r in table(dacc) if r["group1"] == "device=desktop"] == [HIDDEN]
    send(qtbot, window, *contributions(3, "2021-12-08", "desktop", value=20))  # 5 in all: published now
    qtbot.waitUntil(lambda: [r["published"] for r in table(dacc) if r["group1"] == "device=desktop"]
                    == ["published"], timeout=WAIT)
    assert set(dacc.chart.items) == {"device=desktop", "device=mobile"}


def test_opens_on_the_measure_received_most(qtbot, receiving_window):
    window = receiving_window
    send(qtbot, window, measure(measureName="navigation-count-daily", group1={"page": "home"}, value=2),
         measure(measureName="navigation-count-daily", group1={"page": "home"}, value=3),
         measure())
    window.show()
    window.show_tab("dacc")
    assert window.receiver.dacc_view.measure == "navigation-count-daily"
    assert [r["published"] for r in table(window.receiver.dacc_view)] == [HIDDEN]


def test_howto_follows_the_receiver(qtbot, window):
    howto = window.receiver.howto
    ctl = window.receiver.controller
    window.settings.receiver_port = 8081
    howto.refresh()
    assert howto.url() == "http://127.0.0.1:8081" == howto.url_label.text()
    assert "not running" in howto.step_texts()[0]
    assert "'http://127.0.0.1:8081'" in howto.code_boxes["step2"].toPlainText()
    window.settings.receiver_port = 0
    assert ctl.start()
    url = ctl.url
    assert howto.url() == url and howto.url_label.text() == url
    assert f"It is listening on <b>{url}</b>" in howto.step_texts()[0]
    texts = howto.texts()
    assert f"      : '{url}'," in texts["step2"]
    assert "data: JSON.stringify(indicator)" in texts["step2"]
    assert texts["step3"] == DATE_PROTECTION_SNIPPET
    assert texts["step5"] == BUILD_AND_RUN
    assert set(howto.copy_buttons) == {"url", "step2", "step3", "step5"}
    howto.copy_buttons["url"].click()
    assert QGuiApplication.clipboard().text() == url
    howto.copy_buttons["step2"].click()
    assert QGuiApplication.clipboard().text() == texts["step2"]
    assert howto.code_boxes["step2"].toPlainText() == texts["step2"]
    ctl.close()


def test_live_and_production_views_and_an_aggregation_pass(qtbot, dacc):
    dacc.select_measure("connection-count-daily")
    assert dacc.view == "live"
    assert dacc.caption.text().startswith("Live, over every measure production would store")
    assert "answers 403 for connection-count-daily (accessApp false)" in dacc.caption.text()
    live = table(dacc)
    dacc.set_view("production")
    assert table(dacc) == []  # production aggregates only in its passes
    assert "nothing aggregated by a pass yet" in dacc.caption.text()
    assert dacc.pass_label.text().startswith("No aggregation pass yet")
    dacc.run_pass()
    assert dacc.view == "production"
    rows = table(dacc)
    assert [(r["startDate"], r["group1"], r["count"], r["published"]) for r in rows] == \
        [(r["startDate"], r["group1"], r["count"], r["published"]) for r in live]
    # 1+2+3+4+5 over 5 users: sample std sqrt(2.5) = 1.58, rounded as production stores it
    assert rows[0]["avg"] == "3" and rows[0]["std"] == "1.58"
    assert dacc.pass_label.text().startswith("Last pass: ")
    assert dacc.caption.text().startswith("As production's aggregation passes saved it")


def test_what_production_does_not_store_is_said_and_left_out(qtbot, dacc):
    dacc.select_measure("connection-count-daily")
    before = table(dacc)
    send(qtbot, dacc.window(), *[measure(startDate="2021-12-08", group1={"device": "desktop"}, value=True)] * 3)
    dacc.refresh()
    assert table(dacc) == before  # three more for desktop, none stored: still hidden, count 2
    assert "Left out everywhere: 3 measures production answers 201 but does not store " \
           "(value is a boolean: 3)" in dacc.caption.text()
