"""The window's Cozy connection and the Cozy as a document source.

``CozyController`` (brought by the Cozy feature) keeps the connection (restored at start from the remembered instance and the
token store; the token itself is never in the settings), connects with a
pasted token (checked with one small read) or signs in with the browser
(OAuth, off the UI thread), signs out, opens every usage event of the Cozy as
the document ("Open from Cozy…"), and writes the edited events back on Save,
then shows one result per event (written, unchanged, conflict, failed), with
"Reload and re-apply" for conflicts.

All network work goes through ``window.runner``, and so does reading the
keyring at start (it can take seconds to wake).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cozy.client import CozyClient, CozyHTTPError, CozyUnreachable, RetryPolicy, StaticToken, error_text
from dacc_gui.cozy.events import PullResult, pull_events
from dacc_gui.cozy.oauth import OAuthError, sign_in, unregister
from dacc_gui.cozy.sync import (
    Change, Outcome, SaveReport, SaveSession, WriteResult, changes_from_edits, reload_and_reapply, write_changes,
)
from dacc_gui.cozy.tokens import CozyTokens, TokenForgetError, TokenStore, open_token_store
from dacc_gui.events.edits import Change as EditChange
from dacc_gui.ui.common import errors
from dacc_gui.cozy.session import (
    OAUTH, TOKEN, CozyConnection, CozySource, apply_results, has_unsaved_marks, host_of, merged_note, writable,
)
from dacc_gui.ui.common.tasks import Task

NOT_STORED_NOTE = ("Only eventDate and aggregated are written back to the Cozy; edits of other fields and the "
                   "user context are not part of its usage events (Save as… keeps them in a file).")


class _BrowserBridge(QObject):
    """Opens a link in the desktop's browser on the UI thread, whoever asks."""

    open_url = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.open_url.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))


class CozyController(QObject):
    """The Cozy connection of one window, and reading and writing its usage events."""

    state_changed = Signal(str)  # a human line: "Cozy: connected to …" / "Cozy: not connected"
    connection_changed = Signal(object)  # the CozyConnection, or None
    sign_in_link = Signal(str)  # the authorize address, for "if no browser opens"
    save_finished = Signal(object)  # the SaveReport of each write (tests and the results dialog)

    def __init__(self, window: Any, token_store: TokenStore | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.runner = window.runner
        self.connection: CozyConnection | None = None
        self.retry = RetryPolicy(attempts=3, backoff=0.5)
        self.timeout = 30.0
        self.sign_in_timeout = 300.0
        self.doctype = DEFAULT_DOCTYPE
        self.backup_dir: Path | None = None  # None: the user's data directory
        self._store = token_store
        self._bridge = _BrowserBridge()
        # Replaceable (tests follow the link with httpx); called on a worker thread.
        self.browser_opener: Callable[[str], Any] = self._open_in_browser
        self._store_lock = threading.Lock()
        self.restoring: str | None = None  # the address whose saved sign-in is being read
        self.restore_error = ""  # why the saved sign-in could not be read, if it could not
        self.dialog = None  # the connect dialog, once shown
        self.results_dialog = None
        self._signing_in: Task | None = None

    # --- the connection -------------------------------------------------------------
    @property
    def token_store(self) -> TokenStore:
        if self._store is None:  # opened on first need: the keyring may be slow to wake
            with self._store_lock:  # the start-up restore opens it on a worker thread
                if self._store is None:
                    self._store = open_token_store()
        return self._store

    def state_text(self) -> str:
        c = self.connection
        if c is None and self.restoring is not None:
            return f"Cozy: reading the saved sign-in for {host_of(self.restoring)}…"
        if c is None and self.restore_error:
            return f"Cozy: not connected ({self.restore_error})"
        return f"Cozy: {c.host}" if c else "Cozy: not connected"

    def _set_connection(self, connection: CozyConnection | None) -> None:
        self.connection = connection
        self.restore_error = ""
        self.connection_changed.emit(connection)
        self.state_changed.emit(self.state_text())

    def restore(self) -> Task | None:
        """Reconnect to the remembered instance when its token is still kept (no network).

        The keyring is opened and read on the task runner (waking it can take
        seconds); meanwhile the state says so. None when nothing is remembered."""
        url, kind = self.settings.cozy_url, self.settings.cozy_auth
        if not url or kind not in (TOKEN, OAUTH):
            return None
        self.restoring, self.restore_error = url, ""
        self.state_changed.emit(self.state_text())

        def work(_progress, _cancelled) -> tuple[TokenStore, CozyTokens | None]:
            store = self.token_store
            return store, store.load(url)

        def done(result: tuple[TokenStore, CozyTokens | None]) -> None:
            self.restoring = None
            store, tokens = result
            if tokens is None or self.connection is not None:  # nothing kept, or connected meanwhile
                self.state_changed.emit(self.state_text())
                return
            self._set_connection(CozyConnection(url, kind, tokens, store))

        def failed(exc: BaseException) -> None:
            # The stores catch the keyring's own failures (and fall back to memory);
            # what comes here is unexpected: the app goes on, not connected, and says why.
            self.restoring = None
            self.restore_error = f"the saved sign-in for {host_of(url)} could not be read: {type(exc).__name__}: {exc}"
            self.state_changed.emit(self.state_text())

        return self.runner.run(f"Reading the saved sign-in for {host_of(url)}", work, on_done=done,
                               on_error=failed, cancellable=False, quiet=True)

    def _client(self, connection: CozyConnection | None = None) -> CozyClient:
        return (connection or self.connection).client(self.retry, self.timeout)

    def connect_with_token(self, url: str, token: str,
                           on_done: Callable[[CozyConnection], None] | None = None,
                           on_error: Callable[[BaseException], None] | None = None) -> Task:
        """Check the pasted token with one small read, then keep it (keyring or memory)."""
        from dacc_gui.cozy.client import normalize_url

        url = normalize_url(url)
        source = StaticToken(token)  # ValueError when empty: the dialog says so before
        retry, timeout, doctype = self.retry, self.timeout, self.doctype

        def work(_progress, cancelled) -> str:
            with CozyClient(url, source, retry=retry, timeout=timeout) as client:
                response = client.request("GET", f"/data/{doctype}/_normal_docs", params={"limit": 1},
                                          cancelled=cancelled)
            status = response.status_code
            if status in (200, 404):  # 404: no usage event yet, the database does not exist
                return ""
            if status == 403:
                return (f"this token cannot read {doctype} (403): Open from Cozy will be refused; "
                        "pushing may still work")
            if status >= 500:
                raise CozyUnreachable(f"{url} answered {status} ({error_text(response)})")
            raise CozyHTTPError(f"{url} answered {status}: {error_text(response)}", status)

        def done(note: str) -> None:
            tokens = CozyTokens(access_token=source.access_token())
            store = self.token_store
            store.save(url, tokens)
            self.settings.cozy_url, self.settings.cozy_auth = url, TOKEN
            self._set_connection(CozyConnection(url, TOKEN, tokens, store, note=note))
            if on_done is not None:
                on_done(self.connection)

        return self.runner.run(f"Connecting to {host_of(url)}", work, on_done=done, on_error=on_error)

    def sign_in_with_browser(self, url: str,
                             on_done: Callable[[CozyConnection], None] | None = None,
                             on_error: Callable[[BaseException], None] | None = None,
                             on_cancel: Callable[[], None] | None = None) -> Task:
        """OAuth with PKCE: the browser opens the Cozy's authorize page; we wait for it off the UI thread."""
        from dacc_gui.cozy.client import normalize_url

        url = normalize_url(url)
        opener, timeout = self.browser_opener, self.sign_in_timeout

        def open_browser(link: str) -> Any:
            self.sign_in_link.emit(link)
            return opener(link)

        def work(_progress, cancelled) -> CozyTokens:
            return sign_in(url, open_browser=open_browser, timeout=timeout, cancelled=cancelled)

        def done(tokens: CozyTokens) -> None:
            self._signing_in = None
            store = self.token_store
            store.save(url, tokens)
            self.settings.cozy_url, self.settings.cozy_auth = url, OAUTH
            self._set_connection(CozyConnection(url, OAUTH, tokens, store))
            if on_done is not None:
                on_done(self.connection)

        def failed(exc: BaseException) -> None:
            self._signing_in = None
            if on_error is not None:
                on_error(exc)

        def cancelled() -> None:
            self._signing_in = None
            if on_cancel is not None:
                on_cancel()

        self._signing_in = self.runner.run(f"Signing in to {host_of(url)} in the browser", work,
                                           on_done=done, on_error=failed, on_cancel=cancelled)
        return self._signing_in

    def cancel_sign_in(self) -> None:
        if self._signing_in is not None:
            self._signing_in.cancel()

    def _open_in_browser(self, link: str) -> bool:
        self._bridge.open_url.emit(link)  # queued to the UI thread
        return True

    def sign_out(self, on_done: Callable[[str], None] | None = None) -> Task | None:
        """Forget the token; for OAuth, unregister the client on the Cozy first (revokes its tokens)."""
        connection = self.connection
        if connection is None:
            return None

        def forget(message: str) -> None:
            try:
                self.token_store.delete(connection.url)
            except TokenForgetError as exc:  # the keyring may still hold it: the user must know
                message += f" But {exc}."
            self.settings.cozy_auth = ""
            self._set_connection(None)
            if on_done is not None:
                on_done(message)

        if connection.kind != OAUTH:
            forget(f"Signed out of {connection.host}: the token is forgotten.")
            return None

        def work(_progress, _cancelled) -> None:
            unregister(connection.url, connection.current_tokens())

        def failed(exc: BaseException) -> None:
            forget(f"Signed out of {connection.host} here, but the Cozy could not be told ({exc}). "
                   f"Revoke “DACC Inspector” in the Cozy's settings (connected devices) to be sure.")

        return self.runner.run(f"Signing out of {connection.host}", work, cancellable=False,
                               on_done=lambda _r: forget(f"Signed out of {connection.host}: the client is "
                                                         "unregistered and its tokens revoked."),
                               on_error=failed)

    # --- the dialog ----------------------------------------------------------------------
    def show_dialog(self, then: Callable[[], None] | None = None):
        """The connect dialog (one per window); ``then`` runs once a connection is made."""
        from dacc_gui.ui.cozy.connect import CozyConnectDialog

        if self.dialog is None:
            self.dialog = CozyConnectDialog(self, self.window)
        self.dialog.set_continuation(then)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def ensure_connection(self, then: Callable[[], None]) -> bool:
        """Run ``then`` now when connected, else once connected through the dialog."""
        if self.connection is not None:
            then()
            return True
        self.show_dialog(then)
        return False

    # --- opening -----------------------------------------------------------------------
    def open_from_cozy(self) -> Task | None:
        """Read every usage event of the Cozy (progress and Cancel in the status bar) as the document."""
        if self.connection is None:
            self.show_dialog(self.open_from_cozy)
            return None
        if not self.window.confirm_discard(then=self.open_from_cozy):
            return None
        connection, doctype, backup_dir = self.connection, self.doctype, self.backup_dir
        client_of = self._client

        def work(progress, cancelled) -> PullResult:
            with client_of(connection) as client:
                return pull_events(client, doctype, progress=progress, cancelled=cancelled)

        def done(result: PullResult) -> None:
            source = CozySource(connection.url, doctype, result.originals(), SaveSession(backup_dir),
                                result.database_missing)
            self.window.document.load(result.event_set, None, f"{connection.host} (Cozy)", cozy=source)
            what = ("no usage events yet (the Cozy has no such database)" if result.database_missing
                    else f"{len(result.event_set.events):,} usage events")
            self.window.statusBar().showMessage(f"Opened from {connection.host}: {what}", 8000)

        def failed(exc: BaseException) -> None:
            errors.show_exception(self.window, "The usage events could not be read from the Cozy", exc,
                                  "Nothing was changed. Check the connection (Cozy ▸ Connection…) and try again.")

        def cancelled() -> None:
            self.window.statusBar().showMessage(f"Reading from {connection.host} cancelled; nothing was changed",
                                                5000)

        return self.runner.run(f"Reading usage events from {connection.host}", work,
                               on_done=done, on_error=failed, on_cancel=cancelled)

    # --- saving ----------------------------------------------------------------------------
    def save(self) -> Task | None:
        """Write the edited events back to the Cozy they were read from."""
        window, document = self.window, self.window.document
        source: CozySource | None = document.cozy
        if source is None:
            return None
        connection = self.connection
        if connection is None or connection.url != source.url:
            window.source_saved(False)
            errors.show_error(window, "Not connected to this Cozy",
                              f"These events were read from {source.url}; connect to it to write the edits "
                              "back. Your edits are still here (Save as… keeps them in a file).")
            self.show_dialog()
            return None
        candidates, added = writable(list(document.events), source.originals)
        changes = changes_from_edits(candidates, source.originals)
        notes = []
        if added:
            notes.append(f"{added:,} event(s) added here are not on the Cozy: they are not written "
                         "(Save as… keeps them in a file).")
        if not changes:
            if not has_unsaved_marks(document.store):
                document.undo_stack.setClean()
            window.source_saved(False)
            window.statusBar().showMessage(f"Nothing to write to {source.host}: no eventDate or aggregated "
                                           "edit since it was read", 8000)
            return None
        return self._write(connection, source, changes, notes, f"Saving {len(changes):,} edited events to "
                                                                 f"{source.host}")

    def _write(self, connection: CozyConnection, source: CozySource, changes: list[Change], notes: list[str],
               label: str, merge_into: SaveReport | None = None) -> Task:
        window, document = self.window, self.window.document
        document.busy = True
        box: list[SaveReport] = []
        client_of = self._client

        def work(progress, cancelled) -> SaveReport:
            with client_of(connection) as client:
                report = write_changes(client, changes, source.doctype, session=source.session,
                                       progress=progress, cancelled=cancelled)
            box.append(report)  # kept even when the task ends as cancelled: some were written
            return report

        def finish() -> None:
            document.busy = False
            if not box:
                return
            report = box[0]
            report.notes = notes + report.notes
            self._after_write(report, source, merge_into)

        def failed(exc: BaseException) -> None:
            document.busy = False
            window.source_saved(False)
            errors.show_exception(window, "Nothing was written to the Cozy", exc,
                                  "Your edits are still here. Check the backup folder's permissions or the "
                                  "connection, and save again.")

        return self.runner.run(label, work, on_done=lambda _r: finish(), on_error=failed,
                               on_cancel=finish)

    def _after_write(self, report: SaveReport, source: CozySource, merge_into: SaveReport | None) -> None:
        window, document = self.window, self.window.document
        applied = apply_results(report, source, document.store)
        document.changed.emit(EditChange("fields"))
        if merge_into is not None:
            report = merge_reports(merge_into, report)
        clean = report.all_good and not has_unsaved_marks(document.store)
        merged = merged_note(applied)
        if merged:
            # Someone else's changes came into the events outside the undo history:
            # undoing an older edit would now put back values from before them.
            document.undo_stack.clear()
            report.notes.append(merged)
            if not clean:
                document.undo_stack.resetClean()  # the edits not written are still unsaved
        if clean:
            document.undo_stack.setClean()
        if has_unsaved_marks(document.store) and NOT_STORED_NOTE not in report.notes and report.all_good:
            report.notes.append(NOT_STORED_NOTE)
        backup = f"; backup: {report.backup_path}" if report.backup_path else ""
        history = "; the undo history was cleared (changes made on the Cozy came in)" if merged else ""
        window.statusBar().showMessage(f"{source.host}: {report.summary()}{backup}{history}", 10000)
        self.save_finished.emit(report)
        if not window.source_saved(clean):  # the window did not go on to close or open
            self.show_results(report, source)

    def show_results(self, report: SaveReport, source: CozySource):
        from dacc_gui.ui.cozy.results import SaveResultsDialog

        if self.results_dialog is None:
            self.results_dialog = SaveResultsDialog(self, self.window)
        self.results_dialog.show_report(report, source)
        self.results_dialog.show()
        self.results_dialog.raise_()
        return self.results_dialog

    def reapply(self, results: list[WriteResult], report: SaveReport) -> Task | None:
        """Reload the server's current document of each conflict, re-apply the edit on it, write it."""
        document = self.window.document
        source: CozySource | None = document.cozy
        connection = self.connection
        todo = [r for r in results if r.outcome in (Outcome.CONFLICT, Outcome.FAILED) and r.change is not None]
        if source is None or not todo:
            return None
        if connection is None or connection.url != source.url:
            self.show_dialog()
            return None
        document.busy = True
        box: list[SaveReport] = []
        client_of = self._client

        def work(progress, cancelled) -> SaveReport:
            out = SaveReport()
            with client_of(connection) as client:
                fresh: list[Change] = []
                for result in todo:
                    again = reload_and_reapply(client, result.change, source.doctype)
                    if isinstance(again, WriteResult):
                        out.results.append(again)
                    else:
                        fresh.append(again)
                written = write_changes(client, fresh, source.doctype, session=source.session,
                                        progress=progress, cancelled=cancelled)
            out.results += written.results
            out.backup_path = written.backup_path or report.backup_path
            box.append(out)
            return out

        def finish() -> None:
            document.busy = False
            if box:
                self._after_write(box[0], source, report)

        def failed(exc: BaseException) -> None:
            document.busy = False
            errors.show_exception(self.window, "The conflicts could not be re-applied", exc,
                                  "Nothing more was written; your edits are still here.")

        return self.runner.run(f"Re-applying {len(todo)} edit(s) on {source.host}", work,
                               on_done=lambda _r: finish(), on_error=failed, on_cancel=finish)


def merge_reports(previous: SaveReport, newer: SaveReport) -> SaveReport:
    """``previous`` with the results of ``newer`` in place of those of the same events."""
    by_id = {r.doc_id: r for r in newer.results}
    merged = SaveReport([by_id.pop(r.doc_id, r) for r in previous.results] + list(by_id.values()),
                        newer.backup_path or previous.backup_path, list(previous.notes))
    return merged


__all__ = ["CozyController", "NOT_STORED_NOTE", "OAuthError", "merge_reports"]
