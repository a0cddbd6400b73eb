"""Ending a command and everything it started, Qt-free.

``yarn run …`` starts node, which may start more: signalling yarn alone
leaves its children running. The command is started as the leader of a
session of its own (``start_new_session=True``, or Qt's ``CreateNewSession``)
so that its process group holds it and all its descendants; Stop signals the
whole group. POSIX only: elsewhere ``SUPPORTED`` is false and callers fall
back to signalling the one process.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

SUPPORTED = hasattr(os, "killpg")
STOP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to every process of the group; False when the group is gone (or not supported)."""
    if not SUPPORTED or pgid <= 1:  # 0 and 1 would be our own group or init's
        return False
    if sig != 0 and not group_alive(pgid):
        return False  # only zombies left (nobody reaped them yet): nothing to end
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone's there, but not ours to signal
    return True


def terminate_group(pgid: int) -> bool:
    return signal_group(pgid, signal.SIGTERM)


def kill_group(pgid: int) -> bool:
    return signal_group(pgid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (zombies, dead but not yet reaped, do not count)."""
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            # "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
                return True
        return False
    return signal_group(pgid, 0)


def stop_group(pgid: int, grace: float = STOP_GRACE, poll: float = 0.05,
               sleep: Callable[[float], None] = time.sleep,
               clock: Callable[[], float] = time.monotonic) -> bool:
    """SIGTERM to the group, then SIGKILL to what is left after ``grace`` seconds.

    Blocks until the group is gone; True when SIGTERM was enough.
    """
    if not terminate_group(pgid):
        return True
    deadline = clock() + grace
    while clock() < deadline:
        if not group_alive(pgid):
            return True
        sleep(poll)
    kill_group(pgid)
    while group_alive(pgid):
        sleep(poll)
    return False
