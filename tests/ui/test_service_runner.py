"""“Run Ecolyo's service…”: the stand-in service posts to a real receiver and the
Compare tab opens on what arrived; a missing folder, a program not found, Stop,
remembered settings."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from dacc_gui.ui.service.runner import ENV_VAR, STOP_GRACE_MS, CommandError, ServiceRunner, plan_command
from dacc_gui.ui.common.settings import DEFAULT_SERVICE_COMMAND
from tests import standin_service, standin_spawner
from tests.helpers import golden_payloads
from tests.test_service_process import alive
from tests.ui.compare_support import attach_receiver
from tests.ui.conftest import GOLDEN, TODAY, open_golden

STANDIN = Path(standin_service.__file__)
SPAWNER = Path(standin_spawner.__file__)
PYTHON = shlex.quote(sys.executable)


@pytest.fixture
def receiver(window):
    controller = attach_receiver(window)
    yield controller
    controller.stop()


def test_defaults_and_remembered_settings(settings, tmp_path, qtbot):
    panel = ServiceRunner(settings)
    qtbot.addWidget(panel)
    assert panel.command_edit.text() == DEFAULT_SERVICE_COMMAND
    assert "yarn run cozy-konnector-dev -m ./manifest.webapp ./build/services/aggregatorUsageEvents/ecolyo.js" \
        == DEFAULT_SERVICE_COMMAND
    panel.folder_edit.setText(str(tmp_path))
    panel.command_edit.setText("echo hello")
    panel.remember()
    again = ServiceRunner(settings)
    qtbot.addWidget(again)
    assert again.folder_edit.text() == str(tmp_path) and again.command_edit.text() == "echo hello"
    again.default_button.click()
    assert again.command_edit.text() == DEFAULT_SERVICE_COMMAND
    assert "receiver is not running" in again.hint_label.text()
    assert not again.copy_button.isEnabled()


def test_plan_command_says_what_is_wrong(tmp_path):
    with pytest.raises(CommandError, match="Choose the Ecolyo folder"):
        plan_command("yarn run x", "")
    with pytest.raises(CommandError, match=r"does not exist"):
        plan_command("yarn run x", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match=r"“yarn” was not found on the PATH\. Install Yarn"):
        plan_command(DEFAULT_SERVICE_COMMAND, str(tmp_path), path_env=str(tmp_path))
    with pytest.raises(CommandError, match="check its quotes"):
        plan_command('echo "open', str(tmp_path))
    with pytest.raises(CommandError, match="empty"):
        plan_command("  ", str(tmp_path))
    with pytest.raises(CommandError, match=r"\./run\.sh was not found"):
        plan_command("./run.sh", str(tmp_path))
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    assert plan_command("./run.sh --x 'a b'", str(tmp_path)) == (str(tmp_path / "run.sh"), ["--x", "a b"])


def test_missing_folder_and_program_not_found_are_said_in_the_panel(window, tmp_path, qtbot):
    dialog = window.service.open()
    panel = dialog.panel
    panel.folder_edit.setText(str(tmp_path / "no-ecolyo-here"))
    assert panel.run() is False
    assert "does not exist" in panel.status_label.text() and "color" in panel.status_label.styleSheet()
    assert panel.process is None and panel.run_button.isEnabled()
    panel.folder_edit.setText(str(tmp_path))
    panel.command_edit.setText("no-such-program-dacc-test run it")
    assert panel.run() is False
    assert "“no-such-program-dacc-test” was not found on the PATH" in panel.status_label.text()
    # Found, but it cannot start (not executable): Qt says so, the panel too.
    (tmp_path / "service.sh").write_text("#!/bin/sh\necho hi\n")
    panel.command_edit.setText("./service.sh")
    panel.run()
    qtbot.waitUntil(lambda: "could not start" in panel.status_label.text(), timeout=30_000)
    assert panel.run_button.isEnabled() and not panel.running


def test_standin_posts_to_the_receiver_and_compare_opens_on_it(window, receiver, qtbot, tmp_path):
    open_golden(window, GOLDEN / "01-one-day.json")
    window.indicators_view.recompute()
    # What the service posts: the golden case's hand-computed night, not the preview's.
    expected = golden_payloads("01-one-day")
    # Something received before the run: not part of the comparison.
    from tests.ui.compare_support import post
    post(receiver.url, expected[0])

    dialog = window.service.open()
    panel = dialog.panel
    assert receiver.url in panel.hint_label.text() and f"{ENV_VAR}={receiver.url}" in panel.hint_label.text()
    panel.folder_edit.setText(str(tmp_path))
    # The stand-in reads the URL from the environment the panel sets.
    panel.command_edit.setText(f"{PYTHON} {shlex.quote(str(STANDIN))} "
                               f"--payloads {shlex.quote(str(GOLDEN / '01-one-day.json'))} --run-date {TODAY} --drop 1")
    with qtbot.waitSignal(panel.finished, timeout=60_000) as ended:
        assert panel.run()
    code, line, started = ended.args
    assert code == 0 and line == "Finished: exit code 0."
    log = panel.log.toPlainText()
    assert f"sending {len(expected) - 1} to {receiver.url}" in log and "[Finished: exit code 0.]" in log
    assert f"({ENV_VAR}={receiver.url})" in log
    posted = [json.loads(json.loads(r.body)["data"]) for r in receiver.receiver.store.records()]
    assert posted == [expected[0], expected[0], *expected[2:]]
    # The Compare tab shows what arrived since the run started.
    view = window.compare.view
    assert window.tabs.currentWidget() is view
    assert view.since == started and view.received_mode.currentText() == "Received since"
    assert view.comparison.counts() == {"matched": len(expected) - 1, "missing": 1, "unexpected": 0,
                                        "different": 0}
    assert [r.expected.payload for r in view.comparison.rows if r.category.value == "missing"] == [expected[1]]
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()


def test_a_failing_command_shows_its_exit_code_and_stderr(window, qtbot, tmp_path):
    panel = window.service.open().panel
    panel.folder_edit.setText(str(tmp_path))
    panel.command_edit.setText(f"{PYTHON} -c \"import sys; sys.stderr.write('boom on stderr\\n'); sys.exit(3)\"")
    with qtbot.waitSignal(panel.finished, timeout=30_000) as ended:
        assert panel.run()
    assert ended.args[0] == 3
    assert panel.status_label.text() == "Failed: exit code 3."
    assert "boom on stderr" in panel.log.toPlainText()


def test_stop(window, qtbot, tmp_path):
    panel = window.service.open().panel
    panel.folder_edit.setText(str(tmp_path))
    panel.command_edit.setText(f"{PYTHON} -c \"import time; print('ready', flush=True); time.sleep(120)\"")
    with qtbot.waitSignal(panel.started, timeout=30_000):
        assert panel.run()
    assert panel.running and panel.stop_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: "ready" in panel.log.toPlainText(), timeout=30_000)
    with qtbot.waitSignal(panel.finished, timeout=30_000) as ended:
        panel.stop_button.click()
    assert ended.args[1] == "Stopped."
    assert not panel.running and panel.run_button.isEnabled()


def test_stop_ends_the_children_of_the_command_too(window, qtbot, tmp_path):
    # yarn starts node: Stop must not leave the child running.
    panel = window.service.open().panel
    panel.folder_edit.setText(str(tmp_path))
    panel.command_edit.setText(f"{PYTHON} {shlex.quote(str(SPAWNER))} --child-ignores-term")
    with qtbot.waitSignal(panel.started, timeout=30_000):
        assert panel.run()
    qtbot.waitUntil(lambda: "child " in panel.log.toPlainText(), timeout=30_000)
    child = int(panel.log.toPlainText().split("child ")[1].split()[0])
    assert alive(child)
    with qtbot.waitSignal(panel.finished, timeout=30_000) as ended:
        panel.stop_button.click()
    assert ended.args[1] == "Stopped."
    # The child ignores SIGTERM: the kill after the grace ends it.
    qtbot.waitUntil(lambda: not alive(child), timeout=STOP_GRACE_MS + 10_000)


def test_tools_menu_and_compare_button_open_the_same_dialog(window):
    assert window.service.action.text() == "Run Ecolyo's &service…"
    window.service.action.trigger()
    dialog = window.service.dialog
    assert dialog.isVisible()
    window.compare.view.run_service_button.click()
    assert window.service.dialog is dialog
    dialog.close()
