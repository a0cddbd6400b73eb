"""A stand-in for ``yarn run …``: it starts a child (as yarn starts node), says
``child <pid>`` and waits. ``--child-ignores-term``: the child ignores SIGTERM,
so that only SIGKILL ends it."""

from __future__ import annotations

import subprocess
import sys
import time

CHILD = "import signal, time\n{ignore}print('ready', flush=True)\ntime.sleep(600)\n"


def main(argv: list[str]) -> int:
    ignore = "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if "--child-ignores-term" in argv else ""
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(ignore=ignore)], stdout=subprocess.PIPE, text=True)
    child.stdout.readline()  # its signal handling is in place
    print(f"child {child.pid}", flush=True)
    time.sleep(600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
