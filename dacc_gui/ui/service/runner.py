"""“Run Ecolyo's service…”: run the aggregation service (or a stand-in) against the receiver.

A panel with the Ecolyo folder and the command (both remembered; the
command defaults to the Ecolyo page's ``yarn run cozy-konnector-dev ...``),
the receiver URL to point the service at (also given to the command as
``DACC_RECEIVER_URL``, which stand-ins read), Run and Stop, the output
streamed into a log pane, and the exit status. The command runs in a
``QProcess``, so the UI never waits on it; Stop ends its whole process group
(``dacc_gui.service.process``), yarn's children included. When it ends,
``finished`` says when it started, so that the Compare tab can show what
arrived since.
"""

from __future__ import annotations

import codecs
import os
import shlex
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from dacc_gui.service import process as process_group
from dacc_gui.ui.common.settings import DEFAULT_SERVICE_COMMAND, Settings

ENV_VAR = "DACC_RECEIVER_URL"
STOP_GRACE_MS = 3000  # after terminate(), kill() if it is still there
LOG_LIMIT = 20_000  # lines kept in the log pane
ERROR_STYLE = "QLabel { color: #a61b1b; }"


class CommandError(ValueError):
    """The command cannot be started; the message says why and what to do."""


def plan_command(command: str, folder: str, path_env: str | None = None) -> tuple[str, list[str]]:
    """(program, arguments) of a command line run in ``folder``, or CommandError saying why not."""
    if not folder.strip():
        raise CommandError("Choose the Ecolyo folder (your checkout of Ecolyo, where its package.json is).")
    where = Path(folder).expanduser()
    if not where.is_dir():
        raise CommandError(f"The Ecolyo folder {where} does not exist (or is not a folder). Choose your checkout "
                           "of Ecolyo.")
    try:
        parts = shlex.split(command, posix=os.name != "nt")
    except ValueError as exc:
        raise CommandError(f"The command cannot be read: {exc} (check its quotes).") from None
    if not parts:
        raise CommandError("The command is empty: give the command that runs the service, e.g. "
                           f"{DEFAULT_SERVICE_COMMAND}")
    program, args = parts[0], parts[1:]
    if os.sep in program or (os.altsep and os.altsep in program):
        resolved = (where / program).expanduser()
        if not resolved.is_file():
            raise CommandError(f"The program {program} was not found (looked for {resolved}).")
        return str(resolved), args
    found = shutil.which(program, path=path_env if path_env is not None else os.environ.get("PATH"))
    if found is None:
        hint = " Install Yarn (https://yarnpkg.com) or " if program == "yarn" else " Install it or "
        raise CommandError(f"The program “{program}” was not found on the PATH.{hint}change the command.")
    return found, args


class ServiceRunner(QWidget):
    """The panel: folder, command, receiver URL, Run/Stop, log, exit status."""

    started = Signal(object)  # the start time (aware datetime, UTC)
    finished = Signal(int, str, object)  # exit code, status line, start time
    message = Signal(str)

    def __init__(self, settings: Settings, receiver_url: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.receiver_url = receiver_url
        self.process: QProcess | None = None
        self.started_at: datetime | None = None
        self._stopping = False
        self._group: int | None = None  # the process group Stop ends (yarn and its children)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(STOP_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill)
        self._build()
        self.update_hints()

    # --- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.folder_edit = QLineEdit(self.settings.ecolyo_folder)
        self.folder_edit.setPlaceholderText("Your Ecolyo checkout (where package.json and manifest.webapp are)")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.ask_folder)
        self.command_edit = QLineEdit(self.settings.service_command)
        self.command_edit.setToolTip("Run in the Ecolyo folder. Build first if the service changed: "
                                     "yarn build-dev:browser")
        self.default_button = QPushButton("Default")
        self.default_button.setToolTip(DEFAULT_SERVICE_COMMAND)
        self.default_button.clicked.connect(lambda: self.command_edit.setText(DEFAULT_SERVICE_COMMAND))

        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.clicked.connect(self.copy_url)

        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.status_label = QLabel("Not run yet.")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LIMIT)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("The service's output (stdout and stderr) comes here.")

        grid = QGridLayout()
        grid.addWidget(QLabel("Ecolyo folder"), 0, 0)
        grid.addWidget(self.folder_edit, 0, 1)
        grid.addWidget(self.browse_button, 0, 2)
        grid.addWidget(QLabel("Command"), 1, 0)
        grid.addWidget(self.command_edit, 1, 1)
        grid.addWidget(self.default_button, 1, 2)
        grid.addWidget(self.hint_label, 2, 1)
        grid.addWidget(self.copy_button, 2, 2, Qt.AlignmentFlag.AlignTop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.log, 1)

    def update_hints(self) -> None:
        """Say where to point the service: the receiver's URL (or that it is not running)."""
        url = self.receiver_url()
        if url:
            self.hint_label.setText(
                f"Point the service at <b>{url}</b>: in Ecolyo's aggregatorUsageEvents service, send to "
                f"'{url}' instead of the remote doctype (the Ecolyo page's local-test recipe), and remove the "
                f"monthly date protection to get monthly indicators. The command gets "
                f"<code>{ENV_VAR}={url}</code> in its environment, for stand-ins.")
        else:
            self.hint_label.setText(
                "<span style='color:#a61b1b'>The receiver is not running</span>: start it first, or the service "
                f"has nowhere to send. Its URL is given to the command as <code>{ENV_VAR}</code>.")
        self.copy_button.setEnabled(bool(url))

    def copy_url(self) -> None:
        url = self.receiver_url()
        if url:
            QGuiApplication.clipboard().setText(url)
            self.message.emit(f"Copied {url}")

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "The Ecolyo folder", self.folder_edit.text()
                                                  or str(Path.home()))
        if folder:
            self.folder_edit.setText(folder)
            self.remember()

    def remember(self) -> None:
        self.settings.ecolyo_folder = self.folder_edit.text().strip()
        self.settings.service_command = self.command_edit.text().strip() or DEFAULT_SERVICE_COMMAND

    # --- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def environment(self) -> QProcessEnvironment:
        env = QProcessEnvironment.systemEnvironment()
        url = self.receiver_url()
        if url:
            env.insert(ENV_VAR, url)
        return env

    def run(self) -> bool:
        """Start the command; False (and a message in the panel) when it cannot start.

        ``started`` follows once the process runs; a program that still fails to
        start is said in the panel.
        """
        if self.running:
            return False
        self.remember()
        self.update_hints()
        folder, command = self.folder_edit.text().strip(), self.command_edit.text().strip()
        env = self.environment()
        try:
            program, args = plan_command(command, folder, env.value("PATH") or None)
        except CommandError as exc:
            self._say(str(exc), error=True)
            return False
        self.log.clear()
        self._decoder.reset()
        self._append(f"$ cd {folder}\n$ {command}\n")
        if env.contains(ENV_VAR):
            self._append(f"({ENV_VAR}={env.value(ENV_VAR)})\n")
        process = QProcess(self)
        process.setWorkingDirectory(str(Path(folder).expanduser()))
        process.setProcessEnvironment(env)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        if process_group.SUPPORTED:
            # Its own session, so its own process group: Stop reaches yarn's children too.
            process.setUnixProcessParameters(QProcess.UnixProcessFlag.CreateNewSession)
        process.readyReadStandardOutput.connect(self._read)
        process.errorOccurred.connect(self._error)
        process.started.connect(self._started)
        process.finished.connect(self._finished)
        self.process = process
        self._stopping = False
        # Floor to the millisecond: the receiver stamps records in milliseconds.
        now = datetime.now(timezone.utc)
        self.started_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.run_button.setEnabled(False)
        self._say("Starting…")
        process.start(program, args)  # then started, or errorOccurred(FailedToStart)
        return True

    def _started(self) -> None:
        self.stop_button.setEnabled(True)
        self._say(f"Running (pid {self.process.processId()})…")
        self.started.emit(self.started_at)

    def stop(self) -> None:
        """Ask the command to end; kill it if it is still there a few seconds later."""
        if not self.running:
            return
        self._stopping = True
        self._say("Stopping…")
        self._group = self.process.processId() if process_group.SUPPORTED else None
        if self._group is None or not process_group.terminate_group(self._group):
            self.process.terminate()
        self._kill_timer.start()

    def _kill(self) -> None:
        # Also after the command itself ended: a child that ignored SIGTERM is still in its group.
        if self._group is not None:
            process_group.kill_group(self._group)
            self._group = None
        if self.running and self._stopping:  # not a run started since
            self.process.kill()

    def _read(self) -> None:
        if self.process is not None:
            self._append(self._decoder.decode(bytes(self.process.readAllStandardOutput().data())))

    def _append(self, text: str) -> None:
        if text:
            cursor = self.log.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text)
            self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            program = self.process.program() if self.process else "the program"
            self._say(f"The command could not start: {self.process.errorString() if self.process else ''} "
                      f"({program}). Check the command and the folder.", error=True)
            self._reset_buttons()
            self.process = None

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._group is None or not process_group.group_alive(self._group):
            self._kill_timer.stop()
        self._read()
        self._append(self._decoder.decode(b"", final=True))
        if self._stopping:
            line = "Stopped."
        elif status == QProcess.ExitStatus.CrashExit:
            line = "The service crashed."
        elif code == 0:
            line = "Finished: exit code 0."
        else:
            line = f"Failed: exit code {code}."
        crashed = status == QProcess.ExitStatus.CrashExit
        self._say(line, error=not self._stopping and (code != 0 or crashed))
        self._append(f"\n[{line}]\n")
        self._reset_buttons()
        started = self.started_at
        self.finished.emit(code, line, started)

    def _reset_buttons(self) -> None:
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _say(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")
        self.message.emit(text)


class ServiceRunnerDialog(QDialog):
    """The panel in a window of its own (non-modal: the app keeps working meanwhile)."""

    def __init__(self, settings: Settings, receiver_url: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run Ecolyo's service")
        self.resize(900, 560)
        self.panel = ServiceRunner(settings, receiver_url, self)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(close)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        self.panel.update_hints()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        self.panel.remember()  # what was typed, even if never run
        super().hideEvent(event)
