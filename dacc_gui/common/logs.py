"""The app's log: one rotating file in the user's log directory, tokens never written.

Every module logs through ``logging.getLogger(__name__)``; nothing is
configured on import, so the CLI and the tests stay quiet. The desktop app
calls :func:`log_to_file` at start; Help ▸ Open the log file shows it. A
filter on the handler blanks anything shaped like a credential (a bearer
token, an ``access_token``, ``token=`` in a URL) before it reaches the file,
whatever the module logged.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

import platformdirs

LOG_NAME = "dacc-gui.log"
MAX_BYTES = 1_000_000
BACKUPS = 4  # five files of 1 MB at most
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRETS = re.compile(
    r"(?i)(bearer\s+|\b(?:access_token|refresh_token|client_secret|registration_access_token|token)\b"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)")


def redact(text: str) -> str:
    """``Bearer abc`` / ``"access_token": "abc"`` / ``token=abc`` with the secret blanked."""
    return _SECRETS.sub(lambda m: m.group(1) + "[redacted]", text)


class RedactSecrets(logging.Filter):
    """Formats the record's message once, with secrets blanked (exception text included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def log_dir() -> Path:
    """``DACC_GUI_LOG_DIR``, else the platform's log directory for the app."""
    override = os.environ.get("DACC_GUI_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path("dacc-gui")


def log_file() -> Path:
    return log_dir() / LOG_NAME


def log_to_file(level: int = logging.INFO) -> Path | None:
    """Send the app's logs to the rotating file; None (and a stderr line) when it cannot be written."""
    path = log_file()
    root = logging.getLogger("dacc_gui")
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("no log file at %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path


def active_log_file() -> Path | None:
    """The file the app's log goes to now, or None (the CLI, a test that set none up)."""
    for handler in logging.getLogger("dacc_gui").handlers:
        name = getattr(handler, "baseFilename", None)
        if name:
            return Path(name)
    return None


def close_log_file() -> None:
    """Stop writing the log file (a test is done with it)."""
    root = logging.getLogger("dacc_gui")
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None):
            root.removeHandler(handler)
            handler.close()
