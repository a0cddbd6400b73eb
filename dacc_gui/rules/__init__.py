"""The rulebook: how Ecolyo's nightly service turns usage events into DACC indicators."""

from dacc_gui.rules.accumulate import Skipped
from dacc_gui.rules.nightly import Cancelled, NightlyRun, RunResult, monthly_due, simulate

__all__ = ["Cancelled", "NightlyRun", "RunResult", "Skipped", "monthly_due", "simulate"]
