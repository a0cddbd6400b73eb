"""The DACC's checks of a preview made beside the rules, a piece at a time
(``compute_preview``'s ``checker``): the same checks as made at the end,
whether the checker works, breaks, or the preview is cancelled meanwhile;
and a checker process that outlives its worker goes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from dacc_gui.common.cancel import Cancelled
from dacc_gui.events.context import UserContext
from dacc_gui.events.loader import load_file
from dacc_gui.rules import preview as P
from dacc_gui.dacc.validation import validate_all
from dacc_gui.rules.checker_process import CheckerStopped, start_checker, usable
from tests.conftest import GOLDEN

from tests.helpers import payload_multiset

ROOT = Path(__file__).resolve().parents[1]
ONE_DAY = next(p for p in GOLDEN if p.stem == "01-one-day")


def case_preview(path: Path, **kwargs):
    case = json.loads(path.read_text())
    event_set = load_file(path)
    preview = P.compute_preview(event_set.events, event_set.context or UserContext(), date.fromisoformat(case["runDate"]),
                                None, case["ignoreMonthlyDateProtection"], **kwargs)
    return case, preview


def assert_checked_as_at_the_end(case, preview) -> None:
    (night,) = preview.results
    assert payload_multiset(night.payloads()) == payload_multiset(case["expected"]["indicators"])
    checks = validate_all(night.payloads())
    assert [(r.validation.status, r.validation.messages()) for r in preview.rows] == [
        (c.status, c.messages()) for c in checks]


class Recording(ThreadPoolExecutor):
    """A checker that notes the size of each piece it is given."""

    def __init__(self) -> None:
        super().__init__(1)
        self.sizes: list[int] = []

    def submit(self, fn, *args):
        self.sizes.append(len(args[0]))
        return super().submit(fn, *args)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_checks_made_meanwhile_in_small_pieces_are_those_made_at_the_end(path, monkeypatch, caplog):
    monkeypatch.setattr(P, "CHECK_PIECE", 2)
    with Recording() as checker:
        case, preview = case_preview(path, checker=checker)
    assert_checked_as_at_the_end(case, preview)
    # Every indicator went to the checker, in pieces of two or more as they came
    # (a night's last piece may be smaller), and none came back failed.
    assert sum(checker.sizes) == len(preview.rows)
    assert all(size >= 2 for size in checker.sizes[:-1])
    assert "checker process" not in caplog.text


def test_a_duplicate_across_two_pieces_is_flagged(monkeypatch):
    monkeypatch.setattr(P, "CHECK_PIECE", 1)
    checks = P._Checks(ThreadPoolExecutor(1))
    rule = None
    one = P.Indicator("navigation-count-daily", "2021-12-08", 1, (("page", "faq"), None, None), rule, ["a"])
    twin = P.Indicator("navigation-count-daily", "2021-12-08", 2, (("page", "faq"), None, None), rule, ["b"])
    checks.feed(0, [one])
    checks.feed(0, [twin])
    result = P.RunResult(date(2021, 12, 9), indicators=[one, twin])
    got = checks.of(0, result, None)
    assert [any(w.startswith("duplicate") for w in c.warnings) for c in got] == [False, True]
    assert len(checks.pieces[0]) == 2


class Broken:
    """A checker that died: it takes nothing, or what it took fails."""

    def __init__(self, refuses: bool) -> None:
        self.refuses = refuses

    def submit(self, fn, *args):
        if self.refuses:
            raise RuntimeError("A process in the process pool was terminated abruptly")
        future: Future = Future()
        future.set_exception(RuntimeError("A process in the process pool was terminated abruptly"))
        return future


@pytest.mark.parametrize("refuses", [True, False], ids=["refuses", "fails"])
def test_a_broken_checker_costs_no_check(refuses, monkeypatch, caplog):
    monkeypatch.setattr(P, "CHECK_PIECE", 3)
    case, preview = case_preview(ONE_DAY, checker=Broken(refuses))
    assert_checked_as_at_the_end(case, preview)
    assert "checker process" in caplog.text


def test_waiting_for_the_checker_stops_when_the_preview_is_cancelled(monkeypatch):
    monkeypatch.setattr(P, "CHECK_PIECE", 1)

    class Stuck:
        def __init__(self) -> None:
            self.futures: list[Future] = []

        def submit(self, fn, *args):
            self.futures.append(Future())  # never done
            return self.futures[-1]

    stuck = Stuck()
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3

    event_set = load_file(ONE_DAY)
    with pytest.raises(Cancelled):
        P.compute_preview(event_set.events, UserContext(), date(2021, 12, 9), cancelled=cancelled, checker=stuck)
    assert stuck.futures and all(f.cancelled() for f in stuck.futures)


def test_the_checker_process_checks_and_goes_when_its_worker_is_killed(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(
        "import os, sys, time\n"
        "from dacc_gui.rules.checker_process import start_checker\n"
        "from dacc_gui.dacc.validation import check_all\n"
        "if __name__ == '__main__':\n"
        "    checker = start_checker()\n"
        "    m = {'createdBy': 'ecolyo', 'measureName': 'no-such-measure', 'startDate': '2021-12-08', 'value': 1}\n"
        "    print(checker.submit(os.getpid).result(), checker.submit(check_all, [m]).result()[0].status, flush=True)\n"
        "    time.sleep(60)\n")
    worker = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        pid, status = worker.stdout.readline().split()
        assert status == "400" and int(pid) != worker.pid
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(int(pid)):
            time.sleep(0.1)
        assert not _alive(int(pid)), "the checker outlived its worker"
        assert worker.stderr.read() == ""  # nothing left behind to warn about (a process pool's semaphores)
    finally:
        worker.kill()


def test_a_killed_checker_fails_what_it_was_given_and_another_is_started():
    checker = start_checker()
    try:
        assert checker.submit(sum, [1, 2]).result(30) == 3
        waiting = checker.submit(time.sleep, 30)
        os.kill(checker.pid, signal.SIGKILL)
        with pytest.raises(CheckerStopped):
            waiting.result(10)
        assert checker.stopped
        with pytest.raises(CheckerStopped):
            checker.submit(sum, [1])
        again = usable(checker)
        assert again is not checker and again.submit(sum, [4, 5]).result(30) == 9
        assert usable(again) is again
        again.shutdown()
        assert not again._process.is_alive()
    finally:
        checker.shutdown()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
