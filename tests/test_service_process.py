"""Stopping a command ends its whole process group: a stand-in that starts a
child, as yarn starts node, leaves no child behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dacc_gui.service import process
from tests import standin_spawner

SPAWNER = Path(standin_spawner.__file__)


def alive(pid: int) -> bool:
    """Running: present and not a zombie (``/proc/<pid>/stat`` state)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def start(*args: str) -> tuple[subprocess.Popen, int]:
    leader = subprocess.Popen([sys.executable, str(SPAWNER), *args], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    line = leader.stdout.readline()
    assert line.startswith("child "), line
    return leader, int(line.split()[1])


@pytest.fixture
def cleanup():
    groups = []
    yield groups
    for pgid in groups:
        process.kill_group(pgid)


def test_signalling_the_leader_alone_leaves_its_child_running(cleanup):
    # Why the group matters: what QProcess.terminate() did.
    leader, child = start()
    cleanup.append(leader.pid)
    leader.terminate()
    leader.wait(10)
    assert alive(child) and process.group_alive(leader.pid)


def test_terminating_the_group_ends_the_child_too(cleanup):
    leader, child = start()
    cleanup.append(leader.pid)
    assert process.group_alive(leader.pid)
    assert process.terminate_group(leader.pid)
    leader.wait(10)
    assert wait_gone(child)
    assert not process.group_alive(leader.pid)
    assert not process.terminate_group(leader.pid)  # nothing left to signal


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(cleanup):
    leader, child = start("--child-ignores-term")
    cleanup.append(leader.pid)
    started = time.monotonic()
    assert process.stop_group(leader.pid, grace=0.5) is False  # SIGTERM was not enough
    assert time.monotonic() - started >= 0.5
    leader.wait(10)
    assert wait_gone(child)


def test_a_gone_group_is_stopped_at_once():
    leader = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    leader.wait(10)
    assert process.stop_group(leader.pid) is True
    assert not process.group_alive(leader.pid)
    assert not process.signal_group(0, 0) and not process.signal_group(1, 0)  # never ours, never init's
