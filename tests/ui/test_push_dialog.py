"""Push to Cozy dev DACC against the fake Cozy stack: 201, 400, 502, not sent, cancel."""

from __future__ import annotations

import json

import pytest

from dacc_gui.cozy.client import RetryPolicy
from dacc_gui.cozy.push import PRODUCTION_DOCTYPES, PushOutcome
from dacc_gui.cozy.tokens import MemoryTokenStore
from dacc_gui.ui.cozy.push_dialog import PushResultsModel
from tests.fake_cozy import FakeCozy, FakeCozyServer
from tests.receiver_support import measure
from tests.ui.conftest import open_golden


@pytest.fixture(autouse=True)
def memory_tokens(monkeypatch):
    monkeypatch.setenv("DACC_GUI_TOKEN_STORE", "memory")


@pytest.fixture
def cozy():
    with FakeCozyServer(FakeCozy()) as server:
        yield server


@pytest.fixture
def app(window):
    window.cozy.controller._store = MemoryTokenStore()
    window.cozy.controller.retry = RetryPolicy(attempts=2, backoff=0.01)
    return window


def connect(app, cozy):
    dialog = app.cozy.controller.show_dialog()
    dialog.url_edit.setText(cozy.url)
    dialog.token_edit.setText(cozy.fake.issue_token())
    dialog.connect_button.click()
    assert app.cozy.controller.connection is not None
    dialog.close()


def valid(n: int) -> list[dict]:
    return [measure(startDate=f"2021-12-{n + 1:02d}") for n in range(n)]


def push_dialog(app, payloads):
    dialog = app.cozy.show_push_dialog()
    dialog.set_payloads(payloads)
    return dialog


def outcomes(dialog):
    return [r.outcome for r in dialog.model.rows]


def test_only_dev_doctypes_are_offered(app, cozy):
    connect(app, cozy)
    dialog = push_dialog(app, valid(1))
    offered = [dialog.doctype_combo.itemData(i) for i in range(dialog.doctype_combo.count())]
    assert offered == ["cc.cozycloud.dacc.dev", "cc.cozycloud.dacc.dev_v2"]
    assert not set(offered) & set(PRODUCTION_DOCTYPES)


def test_accepted_indicators_reach_the_dacc_as_ecolyo_sends_them(app, cozy):
    connect(app, cozy)
    payloads = valid(3)
    dialog = push_dialog(app, payloads)
    text = dialog.confirm_label.text()
    assert "3 indicators" in text and "cc.cozycloud.dacc.dev" in text and app.cozy.controller.connection.host in text
    dialog.push_button.click()
    assert outcomes(dialog) == [PushOutcome.ACCEPTED] * 3
    assert [dialog.model.index(n, 5).data() for n in range(3)] == ["201 accepted"] * 3
    assert [r["measure"] for r in cozy.fake.dacc_received] == payloads
    assert cozy.fake.dacc_received[0]["raw"] == json.dumps(payloads[0], separators=(",", ":"))
    assert "3 accepted" in dialog.summary_label.text()


def test_the_v2_doctype_is_remembered_and_used(app, cozy, settings):
    connect(app, cozy)
    dialog = push_dialog(app, valid(1))
    dialog.doctype_combo.setCurrentIndex(1)
    assert settings.push_doctype == "cc.cozycloud.dacc.dev_v2"
    dialog.push_button.click()
    assert outcomes(dialog) == [PushOutcome.ACCEPTED]
    assert cozy.fake.count("POST", "/remote/cc.cozycloud.dacc.dev_v2") == 1


def test_invalid_ones_are_held_back_unless_sent_anyway_then_the_dacc_says_why(app, cozy):
    connect(app, cozy)
    bad = measure(measureName="no-such-measure")
    dialog = push_dialog(app, valid(2) + [bad])
    assert "2 indicators" in dialog.confirm_label.text() and "1 held back" in dialog.confirm_label.text()
    dialog.push_button.click()
    assert outcomes(dialog) == [PushOutcome.ACCEPTED, PushOutcome.ACCEPTED, PushOutcome.NOT_SENT]
    assert len(cozy.fake.dacc_received) == 2
    assert dialog.model.index(2, 5).data() == "not sent"

    dialog.force_check.setChecked(True)
    assert "3 indicators" in dialog.confirm_label.text()
    dialog.push_button.click()
    assert outcomes(dialog)[2] is PushOutcome.REJECTED
    assert dialog.model.index(2, 5).data() == "400 rejected"
    assert "no-such-measure" in dialog.model.index(2, 6).data()  # the DACC's own error


def test_a_502_is_explained_as_a_missing_dacc_token(app, cozy):
    connect(app, cozy)
    cozy.fake.dacc_accepts = "another-token"  # the DACC answers its HTML 401: the stack turns it into 502
    dialog = push_dialog(app, valid(2))
    dialog.push_button.click()
    assert outcomes(dialog) == [PushOutcome.BAD_GATEWAY] * 2
    assert dialog.model.index(0, 5).data() == "502 bad gateway"
    assert "DACC token" in dialog.model.index(0, 6).data()


def test_cancel_keeps_what_was_sent_and_says_what_was_not(app, cozy):
    connect(app, cozy)
    dialog = push_dialog(app, valid(6))

    def cancel_after_two(task):
        task.progressed.connect(lambda done, _total: task.cancel() if done >= 2 else None)

    app.runner.started.connect(cancel_after_two)
    dialog.push_button.click()
    got = outcomes(dialog)
    assert got[:2] == [PushOutcome.ACCEPTED] * 2
    assert got[2:] == [PushOutcome.CANCELLED] * 4
    assert len(cozy.fake.dacc_received) == 2
    assert dialog.model.index(5, 5).data() == "not sent (cancelled)"
    assert dialog.push_button.isEnabled()


def test_cancel_with_the_background_runner(qtbot, settings, messages, cozy):
    from dacc_gui.ui.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.cozy.controller._store = MemoryTokenStore()
    dialog = window.cozy.controller.show_dialog()
    dialog.url_edit.setText(cozy.url)
    dialog.token_edit.setText(cozy.fake.issue_token())
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: window.cozy.controller.connection is not None, timeout=10_000)
    cozy.fake.delay_next(100, 0.05, path="/remote")  # slow enough to cancel midway
    push = push_dialog(window, valid(40))
    push.push_button.click()
    assert push.cancel_button.isVisible()
    qtbot.waitUntil(lambda: push.progress.value() >= 1, timeout=10_000)
    push.cancel_button.click()
    qtbot.waitUntil(lambda: push.task is None, timeout=10_000)
    got = outcomes(push)
    assert len(got) == 40 and PushOutcome.CANCELLED in got and got[0] is PushOutcome.ACCEPTED
    assert len(cozy.fake.dacc_received) == got.count(PushOutcome.ACCEPTED)
    window.runner.wait(5000)


def test_pushing_without_a_connection_opens_the_connect_dialog(app, cozy):
    dialog = push_dialog(app, valid(1))
    assert app.cozy.controller.dialog is not None and app.cozy.controller.dialog.isVisible()
    assert "Not connected" in dialog.instance_label.text()
    dialog.push_button.click()  # still not connected: nothing sent
    assert cozy.fake.count("POST") == 0
    connect(app, cozy)
    assert app.cozy.controller.connection.url in dialog.instance_label.text()
    dialog.push_button.click()
    assert outcomes(dialog) == [PushOutcome.ACCEPTED]


def test_the_previewed_indicators_are_what_is_pushed(app, cozy, qtbot, golden_path):
    open_golden(app, golden_path)
    qtbot.waitUntil(lambda: bool(app.indicators_view.preview.rows), timeout=10_000)
    connect(app, cozy)
    app.cozy.push_action.trigger()
    dialog = app.cozy.push_dialog
    expected = [row.indicator.payload() for row in app.indicators_view.preview.rows]
    assert dialog.payloads == expected
    dialog.push_button.click()
    sent = [r["measure"] for r in cozy.fake.dacc_received]
    assert sent == [p for p, v in zip(expected, dialog.validations) if v.ok]


def test_no_preview_nothing_to_push(app, cozy):
    connect(app, cozy)
    dialog = push_dialog(app, [])
    assert "No indicators to push" in dialog.confirm_label.text()
    assert not dialog.push_button.isEnabled()


def test_results_model(qtmodeltester, app, cozy):
    connect(app, cozy)
    dialog = push_dialog(app, valid(2) + [measure(measureName="nope")])
    dialog.force_check.setChecked(True)
    dialog.push_button.click()
    model = PushResultsModel()
    model.set_rows(dialog.report.results)
    qtmodeltester.check(model)
    assert model.rowCount() == 3
