"""The Receiver tab: live list, filters, detail pane, clear, export, faults, summary."""

from __future__ import annotations

import json

import httpx
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from dacc_gui.receiver import Record
from dacc_gui.receiver.records import now_iso
from dacc_gui.ui.receiver.controller import ReceiverController
from dacc_gui.ui.receiver.models import RecordListModel, matches
from tests.receiver_support import measure, wrapped

WAIT = 15_000


@pytest.fixture
def panel(receiving_window):
    return receiving_window.receiver.panel


@pytest.fixture
def client(receiving_window):
    with httpx.Client(base_url=receiving_window.receiver.controller.url, timeout=30) as c:
        yield c


def post_all(client, bodies) -> list[int]:
    return [client.post("/", json=body).status_code for body in bodies]


def wait_rows(qtbot, panel, n: int) -> None:
    qtbot.waitUntil(lambda: panel.model.total == n, timeout=WAIT)


MIXED = [
    wrapped(measure(startDate="2021-12-07")),
    wrapped(measure(value=None)),  # production's 500: float() on null
    wrapped(measure(measureName="navigation-count-daily", group1={"page": "home"}, value=3)),
    wrapped(measure(startDate="2021-12-07")),  # accepted, with a duplicate warning
]


def test_requests_posted_appear_live(qtbot, qtmodeltester, panel, client):
    assert panel.model.rowCount() == 0
    assert post_all(client, MIXED) == [201, 500, 201, 201]
    wait_rows(qtbot, panel, 4)
    qtmodeltester.check(panel.model)
    texts = [[panel.model.index(r, c).data() for c in range(8)] for r in range(4)]
    assert [t[1] for t in texts] == ["POST /"] * 4
    assert [t[2].split()[0] for t in texts] == ["201", "500", "201", "201"]
    assert texts[0][3:7] == ["connection-count-daily", "2021-12-07", "1", "device=mobile"]
    assert texts[2][3:7] == ["navigation-count-daily", "2021-12-08", "3", "page=home"]
    assert texts[3][7] == "1 warning" and texts[0][7] == ""
    # More keep coming.
    post_all(client, [wrapped(measure(startDate="2021-12-01"))])
    wait_rows(qtbot, panel, 5)
    assert panel.model.index(4, 4).data() == "2021-12-01"


def test_arrivals_are_inserted_in_bursts(qtbot, qtmodeltester):
    model = RecordListModel()
    qtmodeltester.check(model)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    for n in range(3):
        model.add([_record(n * 10 + k) for k in range(10)])
    assert model.rowCount() == 0  # not yet: they wait for the burst to end
    qtbot.waitUntil(lambda: model.rowCount() == 30, timeout=WAIT)
    assert inserts == [(0, 29)]  # one insertion for the three arrivals
    model.add([_record(5)])  # already shown: not twice
    model.flush()
    assert model.rowCount() == 30


def _record(n: int, **changes) -> Record:
    m = measure(startDate=f"2021-11-{1 + n % 28:02d}", value=n)
    record = Record(received_at=now_iso(), method="POST", path="/", body=json.dumps(wrapped(m)).encode(),
                    measure=m, has_measure=True, status=201, response='{"ok": true}', id=n + 1)
    for key, value in changes.items():
        setattr(record, key, value)
    return record


def test_filters(qtbot, qtmodeltester, panel, client):
    post_all(client, MIXED)
    client.post("/", content=b"{not json", headers={"content-type": "application/json"})
    wait_rows(qtbot, panel, 5)

    def shown() -> list[tuple[int, str | None]]:
        return [(r.status, r.measure_name) for r in panel.shown_records()]

    panel.status_filter.setCurrentIndex(panel.status_filter.findData("rejected"))
    assert [s for s, _ in shown()] == [500, 400]
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("warning"))
    assert shown() == [(201, "connection-count-daily")]
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("accepted"))
    assert [s for s, _ in shown()] == [201, 201, 201]
    panel.measure_filter.setCurrentIndex(panel.measure_filter.findData("navigation-count-daily"))
    assert shown() == [(201, "navigation-count-daily")]
    assert panel.shown_label.text() == "1 of 5 shown"
    qtmodeltester.check(panel.model)
    panel.status_filter.setCurrentIndex(0)
    panel.measure_filter.setCurrentIndex(0)
    panel.text_filter.setText("NUMBER")  # case-insensitive, in the error text
    qtbot.waitUntil(lambda: shown() == [(500, "connection-count-daily")], timeout=WAIT)  # after typing stops
    panel.text_filter.setText("2021-12-07")  # in the body
    qtbot.waitUntil(lambda: len(shown()) == 2, timeout=WAIT)
    panel.text_filter.setText("")
    qtbot.waitUntil(lambda: len(shown()) == 5, timeout=WAIT)
    # A new arrival that does not match a filter stays out of view.
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("rejected"))
    post_all(client, [wrapped(measure(startDate="2021-12-02")), wrapped(measure(value="x"))])
    wait_rows(qtbot, panel, 7)
    assert [s for s, _ in shown()] == [500, 400, 400]
    assert panel.model.rowCount() == 3 and panel.shown_label.text() == "3 of 7 shown"


def test_status_filters_agree_with_the_store(qtbot, panel, client):
    from dacc_gui.receiver.filters import FILTERS

    post_all(client, MIXED + [wrapped(measure(value=True))])  # production: 201, stores nothing
    client.get("/status")
    wait_rows(qtbot, panel, 6)
    store = panel.controller.store
    for status in [f.name for f in FILTERS] + ["500"]:
        shown = [r.id for r in panel.model.records if matches(r, status, None, "")]
        assert shown == [r.id for r in store.records(status=status)], status
        assert shown, f"{status}: the records here should reach every filter"


def test_detail_pane(qtbot, panel, client):
    post_all(client, MIXED[:2])
    wait_rows(qtbot, panel, 2)
    panel.select_row(1)
    detail = panel.detail
    assert detail.record.status == 500
    verdict = detail.verdict_text()
    assert "500: refused — float() argument must be a string or a number, not 'NoneType'." in verdict
    assert "Value is null: production's float(value)" in verdict  # why production answers so
    assert "Value is null: production&#x27;s float(value)" in detail.verdict.text()  # shown (HTML), not only computed
    assert "content-type: application/json" in detail.headers.toPlainText()
    assert json.loads(detail.raw.toPlainText()) == MIXED[1]
    pretty = detail.pretty.toPlainText()
    assert '"data":' in pretty and '"value": null' in pretty  # the measure unwrapped
    assert "HTTP 500" in detail.response.toPlainText()
    panel.select_row(0)
    assert detail.verdict_text().startswith("201: accepted")
    assert "Production" not in detail.verdict_text()


def test_clear_asks_first(qtbot, panel, client, monkeypatch):
    post_all(client, MIXED)
    wait_rows(qtbot, panel, 4)
    asked: list[str] = []

    def answer(reply):
        def question(_parent, _title, text, *_a, **_k):
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    assert panel.ask_clear() is False
    assert panel.model.rowCount() == 4 and len(panel.controller.store.records()) == 4
    assert "Remove the 4 received requests" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    panel.window().receiver.menu.clear_action.trigger()  # the menu does the same
    assert panel.model.rowCount() == 0 and panel.controller.store.records() == []
    assert panel.summary_label.text().startswith("0 measures received")
    post_all(client, MIXED[:1])  # it keeps receiving
    wait_rows(qtbot, panel, 1)


def test_export_json(qtbot, panel, client, tmp_path, monkeypatch):
    post_all(client, MIXED)
    wait_rows(qtbot, panel, 4)
    target = tmp_path / "out" / "export.json"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "JSON (*.json)"))
    panel.ask_export()
    exported = json.loads(target.read_text())
    assert exported["summary"]["total"] == 4 and exported["summary"]["accepted"] == 3
    assert [r["status"] for r in exported["records"]] == [201, 500, 201, 201]
    assert exported["records"][1]["productionStatus"] == 500
    assert list(target.parent.iterdir()) == [target]  # no temporary file left


def test_export_to_a_bad_place_says_so(panel, tmp_path, messages):
    panel.export_to(tmp_path / "missing-folder" / "export.json")
    assert messages and messages[-1][0] == "The received requests could not be exported"
    assert "Nothing was written" in messages[-1][1]


def test_fault_injection(qtbot, panel, client):
    faults = panel.faults
    faults.kind.setCurrentIndex(faults.kind.findData("500"))
    faults.count.setValue(2)
    faults.delay.setValue(0)
    assert faults.inject()
    assert faults.pending_label.text() == "Pending: 500 × 2"
    assert post_all(client, MIXED[:3]) == [500, 500, 201]  # the third is answered normally
    wait_rows(qtbot, panel, 3)
    assert [r.fault for r in panel.model.records] == ["500", "500", None]
    assert faults.pending_label.text() == "No fault pending"
    faults.kind.setCurrentIndex(faults.kind.findData("401"))
    faults.count.setValue(1)
    faults.inject()
    faults.clear()
    assert faults.pending_label.text() == "No fault pending"
    assert post_all(client, MIXED[:1]) == [201]


def test_summary_counts(qtbot, panel, client):
    post_all(client, MIXED)
    client.get("/status")
    wait_rows(qtbot, panel, 5)
    expected = panel.controller.store.summary()
    text = panel.summary_label.text()
    assert text == (f"{expected['total']} measures received: {expected['accepted']} accepted "
                    f"({expected['warnings']} with warnings), {expected['rejected']} rejected · "
                    f"{expected['requests']} requests in all")
    assert (expected["total"], expected["accepted"], expected["warnings"]) == (4, 3, 1)


def test_records_kept_in_a_file_come_back(qtbot, window, tmp_path):
    db = tmp_path / "receiver.sqlite3"
    first = ReceiverController(window.settings, db_path=db)
    first.start(0)
    httpx.post(f"{first.url}/", json=wrapped(measure()))
    first.close()
    window.settings.receiver_database = str(db)
    window.receiver.controller.close()
    window.settings.receiver_port = 0
    assert window.receiver.controller.start()
    panel = window.receiver.panel
    panel.loaded = False
    panel.reload()
    wait_rows(qtbot, panel, 1)
    assert panel.model.records[0].measure_name == "connection-count-daily"
    assert panel.summary_label.text().startswith("1 measure received: 1 accepted")


def test_start_stop_and_port_from_the_tab(qtbot, window):
    panel = window.receiver.panel
    ctl = window.receiver.controller
    free = __import__("dacc_gui.ui.receiver.controller", fromlist=["x"]).free_port_near(20000)
    panel.port_spin.setValue(free)
    panel.toggle()
    assert ctl.running and ctl.port == free and window.settings.receiver_port == free
    assert panel.start_button.text() == "Stop" and str(free) in panel.state_label.text()
    panel.toggle()
    assert not ctl.running and panel.start_button.text() == "Start"


def test_answering_as_production_or_with_clear_errors(qtbot, panel, client):
    window = panel.window()
    controller = window.receiver.controller
    action = window.receiver.menu.clear_errors_action
    assert not action.isChecked() and panel.mode_label.text().startswith("Answering as production does")
    assert post_all(client, [wrapped(measure(value=None)), wrapped(measure(value=True))]) == [500, 201]
    action.trigger()
    assert controller.clear_errors and window.settings.receiver_clear_errors  # remembered
    assert panel.mode_label.text().startswith("Answering with clear errors")
    assert post_all(client, [wrapped(measure(value=None)), wrapped(measure(value=True))]) == [400, 422]
    wait_rows(qtbot, panel, 4)
    action.trigger()
    assert post_all(client, [wrapped(measure(value=True))]) == [201]
    wait_rows(qtbot, panel, 5)
    # What production stores: the three boolean values (one answered 422 in clear mode) in no aggregate.
    summary = panel.summary_label.text()
    assert "3 that production answers 201 but does not store, so counted in no aggregate" in summary
    assert "(value is a boolean: 3)" in summary


def test_the_panel_can_show_a_shared_receiver_instead(qtbot, panel, settings):
    """A team's receiver (dacc-gui serve elsewhere): its list, summary, aggregates and faults, through
    its control API; the built-in one is back on request."""
    from tests.receiver_support import live_receiver

    window = panel.window()
    controller = window.receiver.controller
    controller.poll_seconds = 0.05
    with live_receiver(None, token="team-token") as (team, team_client):
        auth = {"Authorization": "Bearer team-token"}
        assert team_client.post("/measure", json=measure(), headers=auth).status_code == 201
        team.store.flush()
        window.receiver.menu.refresh()
        assert controller.use_shared(team.url, "team-token") is not None
        qtbot.waitUntil(lambda: controller.running, timeout=WAIT)
        assert controller.shared and window.receiver.status.text() == f"Shared receiver at {team.url}"
        assert settings.receiver_shared_url == team.url
        wait_rows(qtbot, panel, 1)  # what it held already
        assert team_client.post("/measure", json=measure(value=None), headers=auth).status_code == 500
        wait_rows(qtbot, panel, 2)  # and what it gets meanwhile
        assert [r.status for r in panel.model.records] == [201, 500]
        panel.faults.kind.setCurrentIndex(panel.faults.kind.findData("500"))
        panel.faults.count.setValue(1)
        assert panel.faults.inject()
        assert [(f.kind, f.remaining) for f in team.faults.pending()] == [("500", 1)]  # injected over there
        window.receiver.menu.built_in_action.trigger()
        qtbot.waitUntil(lambda: controller.running and not controller.shared, timeout=WAIT)
        assert settings.receiver_shared_url == ""
        assert team.running  # the team's receiver keeps serving for the others


def test_what_the_http_layer_refused_is_counted_in_the_summary(qtbot, panel):
    import socket

    controller = panel.window().receiver.controller
    host, port = controller.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"NOT A REQUEST LINE\r\n\r\n")  # refused by the HTTP parser: no record at all
        sock.recv(1024)
    qtbot.waitUntil(lambda: controller.store.summary().get("httpRefused") == 1, timeout=WAIT)
    panel.reload()
    assert "1 refused by the HTTP layer before any record (not listed)" in panel.summary_label.text()
