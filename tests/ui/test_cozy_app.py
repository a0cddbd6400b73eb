"""The app's Cozy mode against the fake Cozy stack: connect, sign in, open, save, conflicts, server down."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from dacc_gui.events import edits
from dacc_gui.cozy.client import RetryPolicy
from dacc_gui.cozy.oauth import DEFAULT_SCOPES
from dacc_gui.cozy.sync import Outcome
from dacc_gui.cozy.tokens import CozyTokens, MemoryTokenStore
from dacc_gui.ui.cozy.results import SaveResultsModel
from tests.fake_cozy import FakeCozy, FakeCozyServer, generate_events

TODAY_DOCS = 30


@pytest.fixture(autouse=True)
def memory_tokens(monkeypatch):
    monkeypatch.setenv("DACC_GUI_TOKEN_STORE", "memory")  # never the machine's keyring


@pytest.fixture
def cozy():
    """A fake Cozy with usage events, served on an ephemeral port."""
    fake = FakeCozy()
    fake.put_docs(generate_events(TODAY_DOCS, seed=5))
    with FakeCozyServer(fake) as server:
        yield server


@pytest.fixture
def app(window, tmp_path):
    """The window with a memory token store, quick retries and backups in tmp_path."""
    controller = window.cozy.controller
    controller._store = MemoryTokenStore()
    controller.retry = RetryPolicy(attempts=2, backoff=0.01)
    controller.timeout = 5.0
    controller.backup_dir = tmp_path / "backups"
    return window


def connect(app, cozy, token=None):
    dialog = app.cozy.controller.show_dialog()
    dialog.url_edit.setText(cozy.url)
    dialog.token_edit.setText(token or cozy.fake.issue_token())
    dialog.connect_button.click()
    return dialog


def open_cozy(app, qtbot):
    seen = []
    app.runner.started.connect(lambda task: task.progressed.connect(lambda d, t: seen.append((d, t))))
    app.cozy.open_action.trigger()
    qtbot.waitUntil(lambda: app.document.cozy is not None, timeout=10_000)
    return seen


def server_doc(cozy, doc_id):
    return cozy.fake.doc(doc_id)


# --- connecting ------------------------------------------------------------------------

def test_connect_with_a_pasted_token_says_where_and_how_it_is_kept(app, cozy, settings, tmp_path):
    token = cozy.fake.issue_token()
    dialog = connect(app, cozy, token)
    assert dialog.error_label.text() == ""
    connection = app.cozy.controller.connection
    assert connection is not None and connection.url == cozy.url and connection.kind == "token"
    assert dialog.state_box.title() == f"Connected to {connection.host}"
    state = dialog.state_label.text()
    assert cozy.url in state and "pasted token" in state and "memory only" in state
    assert "expiry" in state.lower()  # the fake's tokens are no JWT: said so
    assert app.cozy.status.text() == f"Cozy: {connection.host}"
    assert dialog.token_edit.text() == ""
    # The instance is remembered, the token is not in the settings.
    settings.sync()
    assert settings.cozy_url == cozy.url
    assert token not in (tmp_path / "settings.ini").read_text()
    assert app.cozy.controller.token_store.load(cozy.url).access_token == token


def test_a_refused_token_is_said_in_the_dialog(app, cozy):
    dialog = connect(app, cozy, "not-a-token")
    assert app.cozy.controller.connection is None
    assert "refused the token" in dialog.error_label.text()
    assert dialog.state_box.title() == "Not connected"
    assert dialog.url_edit.text() == cozy.url  # what was typed stays


def test_a_bad_address_is_said_before_any_request(app, cozy):
    dialog = app.cozy.controller.show_dialog()
    dialog.url_edit.setText("cozy.localhost")
    dialog.token_edit.setText("x")
    before = len(cozy.fake.requests)
    dialog.connect_button.click()
    assert "not a Cozy address" in dialog.error_label.text()
    assert len(cozy.fake.requests) == before


def test_a_token_that_cannot_read_events_connects_with_a_note(app, cozy):
    dialog = connect(app, cozy, cozy.fake.issue_token(["cc.cozycloud.dacc.dev:POST"]))
    assert app.cozy.controller.connection is not None
    assert "cannot read" in app.cozy.controller.connection.note
    assert "cannot read" in dialog.state_label.text()


def test_the_connection_comes_back_at_the_next_start_without_network(app, cozy, qtbot, settings):
    connect(app, cozy)
    store = app.cozy.controller.token_store
    requests = len(cozy.fake.requests)
    from dacc_gui.ui.main_window import MainWindow
    from dacc_gui.ui.common.tasks import SyncTaskRunner

    again = MainWindow(settings, SyncTaskRunner())
    qtbot.addWidget(again)
    again.cozy.controller._store = store
    assert again.cozy.controller.restore()
    assert again.cozy.controller.connection.url == cozy.url
    assert len(cozy.fake.requests) == requests


def slow_token_store(monkeypatch, store, seconds=0.4):
    """``open_token_store`` as a keyring slow to wake; returns the threads it was called on."""
    threads = []

    def opening():
        threads.append(threading.current_thread())
        time.sleep(seconds)
        return store

    monkeypatch.setattr("dacc_gui.ui.cozy.controller.open_token_store", opening)
    return threads


def test_the_keyring_is_read_off_the_ui_thread_at_start(qtbot, settings, messages, monkeypatch):
    from dacc_gui.ui.main_window import MainWindow
    from dacc_gui.ui.common.tasks import TaskRunner

    url = "http://cozy.example.test:8080"
    store = MemoryTokenStore()
    store.save(url, CozyTokens("kept-token"))
    settings.cozy_url, settings.cozy_auth = url, "token"
    threads = slow_token_store(monkeypatch, store)
    began = time.monotonic()
    win = MainWindow(settings, TaskRunner())
    qtbot.addWidget(win)
    assert time.monotonic() - began < 2  # the window did not wait for the keyring
    assert win.cozy.status.text() == "Cozy: reading the saved sign-in for cozy.example.test:8080…"
    qtbot.waitUntil(lambda: win.cozy.controller.connection is not None, timeout=10_000)
    assert threads and threads[0] is not threading.main_thread()
    assert win.cozy.status.text() == "Cozy: cozy.example.test:8080"
    win.runner.wait(10_000)


def test_a_saved_sign_in_that_cannot_be_read_is_said(qtbot, settings, messages, monkeypatch):
    from dacc_gui.ui.main_window import MainWindow
    from dacc_gui.ui.common.tasks import SyncTaskRunner

    settings.cozy_url, settings.cozy_auth = "http://cozy.example.test:8080", "oauth"

    def broken():
        raise RuntimeError("secret service crashed")

    monkeypatch.setattr("dacc_gui.ui.cozy.controller.open_token_store", broken)
    win = MainWindow(settings, SyncTaskRunner())
    qtbot.addWidget(win)
    assert win.cozy.controller.connection is None
    assert win.cozy.status.text() == ("Cozy: not connected (the saved sign-in for cozy.example.test:8080 could not "
                                      "be read: RuntimeError: secret service crashed)")


def test_signing_out_when_the_keyring_cannot_forget_says_so(app, cozy):
    from dacc_gui.cozy.tokens import KeyringTokenStore

    class CannotForget:
        saved = {}

        def get_password(self, service, user):
            return self.saved.get(user)

        def set_password(self, service, user, value):
            self.saved[user] = value

        def delete_password(self, service, user):
            raise RuntimeError("locked")

    app.cozy.controller._store = KeyringTokenStore(CannotForget(), "test.Locked")
    dialog = connect(app, cozy)
    dialog.sign_out_button.click()
    assert app.cozy.controller.connection is None
    text = dialog.busy_label.text()
    assert text.startswith("Signed out") and "could not forget the token (RuntimeError: locked)" in text
    assert "from the keyring yourself" in text


def test_sign_out_of_a_pasted_token_forgets_it(app, cozy):
    dialog = connect(app, cozy)
    dialog.sign_out_button.click()
    assert app.cozy.controller.connection is None
    assert app.cozy.controller.token_store.load(cozy.url) is None
    assert "Signed out" in dialog.busy_label.text()
    assert app.cozy.status.text() == "Cozy: not connected"


def test_oauth_sign_in_with_a_stub_browser_then_sign_out(qtbot, settings, messages, cozy):
    """The real background runner: the browser is a stub that follows the authorize page."""
    from dacc_gui.ui.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.cozy.controller._store = MemoryTokenStore()
    opened = []

    def stub_browser(link: str) -> bool:
        opened.append(link)
        httpx.get(link, follow_redirects=True, timeout=10)  # the Cozy approves and redirects to our loopback
        return True

    window.cozy.controller.browser_opener = stub_browser
    dialog = window.cozy.controller.show_dialog()
    dialog.url_edit.setText(cozy.url)
    dialog.browser_button.click()
    qtbot.waitUntil(lambda: window.cozy.controller.connection is not None, timeout=20_000)
    connection = window.cozy.controller.connection
    assert connection.kind == "oauth"
    assert opened and opened[0].startswith(f"{cozy.url}/auth/authorize?")
    assert set(connection.current_tokens().scope.split()) == set(DEFAULT_SCOPES)
    assert len(cozy.fake.clients) == 1
    assert "browser (OAuth)" in dialog.state_label.text()
    assert "refresh token" in dialog.state_label.text()
    # The token works: a read through the connection.
    with connection.client() as client:
        assert client.json("GET", "/data/com.grandlyon.ecolyo.usageevent/_normal_docs",
                           params={"limit": 1})["total_rows"] == TODAY_DOCS
    dialog.sign_out_button.click()
    qtbot.waitUntil(lambda: window.cozy.controller.connection is None, timeout=10_000)
    assert cozy.fake.clients == {}  # unregistered: its tokens revoked
    assert window.cozy.controller.token_store.load(cozy.url) is None
    window.runner.wait(5000)


def test_oauth_refused_in_the_browser_is_said(app, cozy):
    cozy.fake.approve = False
    app.cozy.controller.browser_opener = lambda link: httpx.get(link, follow_redirects=True, timeout=10)
    dialog = app.cozy.controller.show_dialog()
    dialog.url_edit.setText(cozy.url)
    dialog.browser_button.click()
    assert app.cozy.controller.connection is None
    assert "refused the sign-in" in dialog.error_label.text()
    assert cozy.fake.clients == {}  # the client registered for it was removed


# --- opening and saving -----------------------------------------------------------------

def test_open_from_cozy_reads_every_page_with_progress(app, cozy, qtbot):
    cozy.fake.put_docs(generate_events(2100, seed=9))
    connect(app, cozy)
    seen = open_cozy(app, qtbot)
    assert len(app.document.events) == TODAY_DOCS + 2100
    assert app.document.cozy.url == cozy.url
    assert app.document.title.startswith(app.cozy.controller.connection.host)
    assert cozy.fake.count("GET", "_normal_docs") >= 4  # one check, three pages
    assert seen[-1] == (TODAY_DOCS + 2100, TODAY_DOCS + 2100)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert not app.document.is_dirty


def test_open_without_a_connection_asks_for_one_then_opens(app, cozy, qtbot):
    app.cozy.open_action.trigger()
    dialog = app.cozy.controller.dialog
    assert dialog.isVisible() and app.document.cozy is None
    dialog.url_edit.setText(cozy.url)
    dialog.token_edit.setText(cozy.fake.issue_token())
    dialog.connect_button.click()
    assert app.document.cozy is not None and len(app.document.events) == TODAY_DOCS


def test_edit_then_save_writes_only_the_edits_and_shows_each_event(app, cozy, qtbot, tmp_path):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    rows = [n for n, e in enumerate(doc.events) if not e.aggregated][:3]
    ids = [doc.events[n].id for n in rows]
    before = {i: server_doc(cozy, i) for i in ids}
    others = {i: d for i, d in cozy.fake.docs().items() if i not in ids}
    doc.push(edits.mark_aggregated(doc.events, rows, "test"))
    assert doc.is_dirty and doc.store.edited_count == 3

    app.save_action.trigger()  # Ctrl+S

    dialog = app.cozy.controller.results_dialog
    assert dialog is not None and dialog.isVisible()
    results = dialog.model.rows
    assert [r.doc_id for r in results] == ids
    assert all(r.outcome is Outcome.WRITTEN for r in results)
    assert [dialog.model.index(n, 1).data() for n in range(3)] == ["written"] * 3
    for i in ids:
        now = server_doc(cozy, i)
        assert now["aggregated"] is True
        assert {k: v for k, v in now.items() if k not in ("_rev", "aggregated")} == \
               {k: v for k, v in before[i].items() if k not in ("_rev", "aggregated")}
        assert doc.events[doc.store.index_of_ids([i])[0]].rev == now["_rev"]
    assert {i: d for i, d in cozy.fake.docs().items() if i not in ids} == others  # nothing else touched
    assert not doc.is_dirty and doc.store.edited_count == 0
    # The backup holds the documents as they were, and its path is shown.
    backup = dialog.report.backup_path
    assert backup is not None and str(backup) in dialog.summary_label.text()
    saved = json.loads(Path(backup).read_text())
    assert sorted(d["_id"] for d in saved["com.grandlyon.ecolyo.usageevent"]) == sorted(ids)
    # Saving again: nothing to write, no request.
    puts = cozy.fake.count("PUT")
    assert app.save() is None
    assert cozy.fake.count("PUT") == puts


def test_a_conflict_is_kept_then_reloaded_and_reapplied(app, cozy, qtbot):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    rows = [n for n, e in enumerate(doc.events) if not e.aggregated][:2]
    first, second = (doc.events[n].id for n in rows)
    doc.push(edits.mark_aggregated(doc.events, rows, "test"))
    cozy.fake.touch(first, target="changed-elsewhere")  # someone edits it meanwhile

    app.save()

    dialog = app.cozy.controller.results_dialog
    outcome = {r.doc_id: r.outcome for r in dialog.model.rows}
    assert outcome == {first: Outcome.CONFLICT, second: Outcome.WRITTEN}
    assert server_doc(cozy, first)["aggregated"] is False  # not overwritten
    assert "changed on the server" in dialog.model.index(0, 4).data()
    assert doc.is_dirty and doc.store.edited_count == 1
    assert dialog.reapply_all_button.isEnabled()

    dialog.reapply_all_button.click()

    now = server_doc(cozy, first)
    assert now["aggregated"] is True and now["target"] == "changed-elsewhere"
    assert {r.doc_id: r.outcome for r in dialog.model.rows} == {first: Outcome.WRITTEN, second: Outcome.WRITTEN}
    event = doc.events[doc.store.index_of_ids([first])[0]]
    assert event.rev == now["_rev"] and event.target == "changed-elsewhere"  # the other edit came in
    assert not doc.is_dirty and doc.store.edited_count == 0
    assert not dialog.reapply_all_button.isEnabled()


def test_changes_from_the_server_clear_the_undo_history_and_say_so(app, cozy, qtbot):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    rows = [n for n, e in enumerate(doc.events) if not e.aggregated][:2]
    first = doc.events[rows[0]].id
    doc.push(edits.mark_aggregated(doc.events, rows, "test"))
    cozy.fake.touch(first, target="changed-elsewhere")
    app.save()
    dialog = app.cozy.controller.results_dialog
    assert doc.undo_stack.count() == 1  # a plain save keeps the history
    dialog.reapply_all_button.click()

    event = doc.events[doc.store.index_of_ids([first])[0]]
    assert event.target == "changed-elsewhere"
    # Undo would have undone an edit made before the server's change came in.
    assert doc.undo_stack.count() == 0 and not app.undo_action.isEnabled()
    assert ("1 event took changes made on the Cozy meanwhile (target): the undo history was cleared"
            in dialog.notes_label.text())
    assert "the undo history was cleared" in app.statusBar().currentMessage()
    assert not doc.is_dirty


def test_edits_not_written_stay_unsaved_when_the_history_is_cleared(app, cozy, qtbot):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    rows = [n for n, e in enumerate(doc.events) if not e.aggregated][:2]
    first = doc.events[rows[0]].id
    doc.push(edits.set_field(doc.events, rows[1], "context", "not written to a Cozy"))
    doc.push(edits.mark_aggregated(doc.events, rows[:1], "test"))
    cozy.fake.touch(first, target="changed-elsewhere")
    app.save()
    app.cozy.controller.results_dialog.reapply_all_button.click()
    assert doc.undo_stack.count() == 0
    assert doc.is_dirty and doc.store.edited_count == 1  # the context edit is kept, still unsaved


def test_reapply_only_the_selected_conflict(app, cozy, qtbot):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    rows = [n for n, e in enumerate(doc.events) if not e.aggregated][:2]
    ids = [doc.events[n].id for n in rows]
    doc.push(edits.mark_aggregated(doc.events, rows, "test"))
    for i in ids:
        cozy.fake.touch(i, result="elsewhere")
    app.save()
    dialog = app.cozy.controller.results_dialog
    assert not dialog.reapply_button.isEnabled()
    dialog.table.selectRow(1)
    assert dialog.reapply_button.isEnabled()
    dialog.reapply_button.click()
    assert {r.doc_id: r.outcome for r in dialog.model.rows} == {ids[0]: Outcome.CONFLICT, ids[1]: Outcome.WRITTEN}
    assert server_doc(cozy, ids[0])["aggregated"] is False
    assert doc.is_dirty and doc.store.edited_count == 1


def test_server_down_loses_nothing_and_saving_again_writes(app, qtbot, tmp_path):
    fake = FakeCozy()
    fake.put_docs(generate_events(10, seed=2))
    server = FakeCozyServer(fake).start()
    port = int(server.url.rsplit(":", 1)[1])
    try:
        token = fake.issue_token()
        connect(app, server, token)
        open_cozy(app, qtbot)
        doc = app.document
        rows = [n for n, e in enumerate(doc.events) if not e.aggregated][:2]
        ids = [doc.events[n].id for n in rows]
        doc.push(edits.mark_aggregated(doc.events, rows, "test"))
    finally:
        server.stop()

    app.save()  # the Cozy is down

    dialog = app.cozy.controller.results_dialog
    assert [r.outcome for r in dialog.model.rows] == [Outcome.FAILED] * 2
    assert "not written" in dialog.model.rows[0].message
    assert doc.is_dirty and doc.store.edited_count == 2
    assert all(doc.events[n].aggregated for n in rows)  # the edits are still here
    assert dialog.retry_button.isEnabled()

    with FakeCozyServer(fake, port=port):  # back up
        dialog.retry_button.click()
        assert [r.outcome for r in dialog.model.rows] == [Outcome.WRITTEN] * 2
        assert all(fake.doc(i)["aggregated"] is True for i in ids)
    assert not doc.is_dirty


def test_saving_when_not_connected_writes_nothing_and_says_so(app, cozy, qtbot, messages):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    doc.push(edits.mark_aggregated(doc.events, [n for n, e in enumerate(doc.events) if not e.aggregated][:1], "t"))
    app.cozy.controller.sign_out()
    puts = cozy.fake.count("PUT")
    assert app.save() is None
    assert cozy.fake.count("PUT") == puts
    assert messages and "connect to it" in messages[-1][1]
    assert doc.is_dirty


def test_save_as_a_file_makes_the_file_the_source(app, cozy, qtbot, tmp_path):
    connect(app, cozy)
    open_cozy(app, qtbot)
    app.write(tmp_path / "copy.json", app.document.source.shape, as_source=True)
    assert app.document.cozy is None and app.document.path == tmp_path / "copy.json"


def test_results_model(qtmodeltester, app, cozy, qtbot):
    connect(app, cozy)
    open_cozy(app, qtbot)
    doc = app.document
    doc.push(edits.mark_aggregated(doc.events, [n for n, e in enumerate(doc.events) if not e.aggregated][:3], "t"))
    app.save()
    model = SaveResultsModel()
    model.set_rows(app.cozy.controller.results_dialog.report.results)
    qtmodeltester.check(model)
    assert model.rowCount() == 3


def test_tokens_never_show_in_a_repr(app, cozy):
    token = cozy.fake.issue_token()
    connect(app, cozy, token)
    connection = app.cozy.controller.connection
    assert token not in repr(connection) and token not in repr(connection.source)
    assert token not in repr(CozyTokens(token))


def test_the_expiry_a_jwt_states_is_shown():
    import base64
    from datetime import datetime, timedelta, timezone

    from dacc_gui.cozy.session import CozyConnection, token_expiry

    def jwt(claims):
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJIUzUxMiJ9.{body}.c2lnbmF0dXJl"

    now = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    soon = now + timedelta(days=3, hours=2)
    assert token_expiry(jwt({"exp": soon.timestamp()})) == soon
    assert token_expiry(jwt({"iat": 1})) is None and token_expiry("opaque") is None
    pasted = CozyConnection("http://cozy.localhost:8080", "token", CozyTokens(jwt({"exp": soon.timestamp()})),
                            MemoryTokenStore())
    assert "in 3 days" in pasted.expiry_text(now)
    assert "expired" in pasted.expiry_text(soon + timedelta(seconds=1))
    assert "paste a new one" in pasted.expiry_text(soon + timedelta(seconds=1))
