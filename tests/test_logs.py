"""The app's log file: rotating, in the log directory, and never holding a token."""

from __future__ import annotations

import logging

import pytest

from dacc_gui.common import logs


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DACC_GUI_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger("dacc_gui")
    before = list(root.handlers)
    path = logs.log_to_file()
    yield path
    for handler in root.handlers[:]:
        if handler not in before:
            handler.close()
            root.removeHandler(handler)


@pytest.mark.parametrize("line, secret", [
    ("GET /data/x Authorization: Bearer eyJhbGciOi.abc-def", "eyJhbGciOi.abc-def"),
    ('answer {"access_token": "s3cr3t-value", "token_type": "bearer"}', "s3cr3t-value"),
    ("redirect to https://x.mycozy.cloud/?token=abcd1234&state=1", "abcd1234"),
    ("refresh_token=zz99 client_secret=qq77", "zz99"),
])
def test_secrets_are_blanked(line, secret):
    assert secret not in logs.redact(line)
    assert "[redacted]" in logs.redact(line)


def test_the_file_is_in_the_log_directory_and_never_holds_a_token(log_file, tmp_path):
    assert log_file == tmp_path / "logs" / "dacc-gui.log"
    log = logging.getLogger("dacc_gui.cozy.client")
    log.info("connected with %s", "Bearer tok-123456")
    try:
        raise ValueError("refused token=tok-654321")
    except ValueError:
        log.exception("save failed")
    for handler in logging.getLogger("dacc_gui").handlers:
        handler.flush()
    text = log_file.read_text()
    assert "connected with Bearer [redacted]" in text
    assert "save failed" in text and "ValueError" in text  # the traceback is kept for bug reports
    assert "tok-123456" not in text and "tok-654321" not in text


def test_a_second_call_adds_no_second_handler(log_file):
    root = logging.getLogger("dacc_gui")
    count = len(root.handlers)
    assert logs.log_to_file() == log_file
    assert len(root.handlers) == count


def test_an_unwritable_directory_gives_no_file_and_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DACC_GUI_LOG_DIR", str(blocker / "logs"))  # a file where a folder should be
    assert logs.log_to_file() is None
