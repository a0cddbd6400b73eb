"""What the dialogs that run one long task share: its progress bar, Cancel, and cancel on close.

A dialog mixes ``TaskDialog`` in before ``QDialog`` and has ``self.progress``
(a ``QProgressBar``), ``self.cancel_button`` and ``self.task``; it hands the
task ``TaskRunner.run`` returned to ``follow``.
"""

from __future__ import annotations

from typing import Any

from dacc_gui.ui.common.tasks import Task


class TaskDialog:
    """Follows ``self.task`` on ``self.progress``; Cancel (or closing the dialog) cancels it."""

    task: Task | None

    def follow(self, task: Task) -> bool:
        """Keep ``task`` while it runs and show its progress; False if it is already over
        (a synchronous runner: its callbacks have run)."""
        if not task.running:
            self.task = None
            return False
        self.task = task
        task.progressed.connect(self._progressed)
        return True

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.cancel()
        super().closeEvent(event)  # type: ignore[misc]
