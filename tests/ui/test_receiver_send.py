"""Send to receiver: the previewed indicators posted as Ecolyo's service posts them,
a result per indicator, Cancel, faults, and a receiver that cannot start."""

from __future__ import annotations

import json
import socket

import pytest

from dacc_gui.ui.receiver.send import SendResult, send_indicators, summary_line
from tests.ui.conftest import GOLDEN, open_golden

WAIT = 15_000


@pytest.fixture
def previewed(receiving_window):
    """The window with the 02-missed-nights case previewed (15 indicators)."""
    case = json.loads((GOLDEN / "02-missed-nights.json").read_text())
    open_golden(receiving_window, GOLDEN / "02-missed-nights.json")
    view = receiving_window.indicators_view
    from datetime import date

    view.run_date.setDate(date.fromisoformat(case["runDate"]))
    view.ignore_monthly.setChecked(case["ignoreMonthlyDateProtection"])
    view.recompute()
    assert len(view.preview.rows) == len(case["expected"]["indicators"]) > 0
    return receiving_window


def test_send_posts_each_indicator_as_ecolyo_does(qtbot, previewed):
    window = previewed
    rows = window.indicators_view.preview.rows
    sender = window.receiver.send
    assert sender.button.isEnabled()
    assert sender.button.parentWidget() is window.indicators_view  # in the Indicators tab
    sender.button.click()
    dialog = sender.dialog
    assert dialog is not None and dialog.isVisible()
    expected = [201 if row.validation.ok else 400 for row in rows]
    assert dialog.statuses() == expected
    assert dialog.table.rowCount() == len(rows)
    assert dialog.summary.text().startswith(f"Sent {len(rows)} of {len(rows)} indicators to "
                                            f"{window.receiver.controller.url}: {expected.count(201)} accepted")
    assert window.tabs.currentWidget() is window.receiver.panel

    panel = window.receiver.panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == len(rows), timeout=WAIT)
    for row, record in zip(rows, panel.model.records):
        assert (record.method, record.path, record.shape) == ("POST", "/", "data")
        # Byte for byte what JSON.stringify({data: JSON.stringify(indicator)}) gives.
        assert record.body == json.dumps({"data": row.indicator.payload_json()}, separators=(",", ":"),
                                         ensure_ascii=False).encode()
        assert record.measure == row.indicator.payload()
        assert record.headers["content-type"] == "application/json"


def test_send_results_show_refusals_and_faults(qtbot, previewed):
    window = previewed
    window.receiver.controller.core.faults.inject("500", 1)
    window.receiver.send.send()
    dialog = window.receiver.send.dialog
    rows = window.indicators_view.preview.rows
    assert dialog.statuses()[0] == 500
    assert dialog.table.item(0, 5).text() == "Injected fault: internal server error"
    assert dialog.statuses()[1:] == [201 if r.validation.ok else 400 for r in rows[1:]]
    assert "1 refused" in dialog.summary.text()


def test_cancel_keeps_the_results_so_far(qtbot, previewed):
    window = previewed
    total = len(window.indicators_view.preview.rows)

    def cancel_after_three(task):
        task.progressed.connect(lambda done, _total: task.cancel() if done == 3 else None)

    window.runner.started.connect(cancel_after_three)
    window.receiver.send.send()
    dialog = window.receiver.send.dialog
    assert len(dialog.statuses()) == 3
    assert f"Sent 3 of {total} indicators" in dialog.summary.text()
    assert f"{total - 3} not sent (cancelled)" in dialog.summary.text()
    assert window.receiver.send.button.isEnabled()  # ready again
    window.receiver.controller.store.flush()
    assert len(window.receiver.controller.store.records()) == 3


def test_send_starts_the_receiver_or_says_why_not(qtbot, window, messages):
    open_golden(window, GOLDEN / "01-one-day.json")
    window.indicators_view.recompute()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        window.settings.receiver_port = busy.getsockname()[1]
        assert window.receiver.send.send() is None
        assert messages[-1][0] == "The receiver is not running"
        assert "is in use" in messages[-1][1] and "Nothing was sent" in messages[-1][1]
    finally:
        busy.close()
    window.settings.receiver_port = 0
    window.receiver.send.send()
    assert window.receiver.controller.running
    assert window.receiver.send.dialog.statuses().count(201) > 0


def test_nothing_to_send(window):
    window.indicators_view.recompute()
    assert not window.receiver.send.button.isEnabled()
    assert window.receiver.send.send() is None
    assert not window.receiver.controller.running


def test_send_indicators_without_a_receiver():
    """A dead URL: every indicator gets a result that says so, nothing raises."""
    from dacc_gui.rules.indicators import Indicator

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now
    indicator = Indicator(measureName="connection-count-daily", startDate="2021-12-08", value=1,
                          groups=(("device", "mobile"),))
    results: list[SendResult] = []
    send_indicators(f"http://127.0.0.1:{port}", [indicator, indicator], lambda *_: None, lambda: False, results)
    assert [r.status for r in results] == [None, None]
    assert all(r.outcome().startswith(f"no answer from http://127.0.0.1:{port}") for r in results)
    assert summary_line(results, 2, "x").endswith("0 accepted, 2 without an answer")
