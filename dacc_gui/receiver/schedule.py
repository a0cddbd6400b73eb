"""Production's cron for the receiver: aggregation passes on each definition's executionFrequency.

Every ``check_every`` seconds a thread runs an unforced pass: a definition
whose executionFrequency (day, week, month = 30 days) has passed since its last
pass, and that has new measures, is aggregated; the others are left alone.
"""

from __future__ import annotations

import logging
import threading

from dacc_gui.receiver.passes import ProductionAggregation

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0


class AggregationSchedule:
    def __init__(self, aggregation: ProductionAggregation, check_every: float = CHECK_EVERY):
        self.aggregation = aggregation
        self.check_every = check_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="dacc-receiver-aggregation", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.aggregation.run(force=False)
            except Exception:  # a pass that breaks is logged; the schedule goes on
                log.exception("receiver: the scheduled aggregation pass failed")
            self._stop.wait(self.check_every)
