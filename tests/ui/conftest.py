"""Fixtures of the desktop app's tests: headless Qt, synchronous background work,
settings in a temporary file, and error dialogs collected instead of shown."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import json
from datetime import date
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
TODAY = date(2021, 12, 9)  # the first golden case's run date


@pytest.fixture
def golden_path() -> Path:
    return GOLDEN / "01-one-day.json"


@pytest.fixture
def golden(request) -> dict:
    return json.loads((GOLDEN / "01-one-day.json").read_text())


@pytest.fixture
def settings(tmp_path):
    from dacc_gui.ui.common.settings import Settings

    settings = Settings.at(tmp_path / "settings.ini")
    settings.receiver_database = ":memory:"  # a receiver a test starts keeps nothing on disk
    settings.receiver_port = 0  # ... and listens on a free port, never the user's 8081
    return settings


@pytest.fixture
def messages():
    """Error messages the app would show, as (title, text, details)."""
    from dacc_gui.ui.common import errors

    seen: list[tuple[str, str, str]] = []
    errors.set_sink(lambda *m: seen.append(m))
    yield seen
    errors.set_sink(None)


@pytest.fixture
def window(qtbot, settings, messages):
    """The main window, background work (the preview too) run synchronously, today = 2021-12-09."""
    from dacc_gui.rules.preview_process import InlinePreviewer
    from dacc_gui.ui.main_window import MainWindow
    from dacc_gui.ui.common.tasks import SyncTaskRunner

    settings.recompute_delay_ms = 0
    # The preview computed in the test's thread too (tests/ui/test_preview_worker.py
    # drives the real worker process).
    win = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY, previewer=InlinePreviewer())
    qtbot.addWidget(win)
    win.ask_unsaved = lambda: "discard"  # tests that care replace it
    yield win
    win.document.undo_stack.setClean()
    controller = win.receiver.controller
    if controller is not None and hasattr(controller, "close"):
        controller.close()


@pytest.fixture
def receiving_window(window):
    """The main window with its receiver listening on a free port (in memory)."""
    assert window.receiver.controller.start(0), window.receiver.controller.state
    yield window
    window.receiver.controller.close()


def open_golden(window, path: Path) -> None:
    window.open_file(path, confirm=False)
    assert window.document.path == path
