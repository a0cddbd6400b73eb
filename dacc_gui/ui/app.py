"""Starting the desktop app: the ``QApplication``, the main window, what to open first."""

from __future__ import annotations

import logging
import gc
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from dacc_gui import __version__
from dacc_gui.common.logs import log_to_file
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.icon import app_icon
from dacc_gui.ui.main_window import APP_NAME, MainWindow
from dacc_gui.ui.common.settings import APPLICATION, ORGANIZATION


log = logging.getLogger(__name__)


def application(argv: list[str] | None = None) -> QApplication:
    # Background work hands Python's lock back to the UI thread sooner
    # (0.2 ms instead of 5): painting a table calls into Python once a cell,
    # and each call waits for the lock while the preview computes.
    sys.setswitchinterval(0.0002)
    # The preview and big edits allocate hundreds of thousands of objects,
    # almost none in cycles (reference counting frees them): collecting for
    # cycles every 700 allocations made the UI wait 100 ms at a time.
    gc.set_threshold(100_000, 50, 100)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("dacc-gui")  # Wayland finds the icon through resources/linux/dacc-gui.desktop
    return app  # type: ignore[return-value]


def run(path: Path | None = None, sample: bool = False) -> int:
    """Open the window (on a file or the bundled sample) and run until it closes."""
    log_file = log_to_file()
    log.info("DACC Inspector %s starting (log: %s)", __version__, log_file)
    app = application()
    window = MainWindow()
    errors.install_excepthook(lambda: window)
    window.show()
    window.receiver.controller.start_with_app()  # honours "start the receiver with the app"
    if path is not None:
        window.open_file(path, confirm=False)
    elif sample:
        window.open_sample()
    else:
        window.reopen_last()
    return app.exec()
