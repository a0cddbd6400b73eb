"""Helpers for the Compare and service-runner tests: a receiver controller and payloads.

``StandinController`` follows the interface of ``window.receiver.controller``
(``.receiver``, ``.url``, ``.running``, ``start``, ``stop``, ``state_changed``,
``record_received`` delivered on the UI thread) over the core ``Receiver`` on an
ephemeral port with an in-memory store. ``attach_receiver(window)`` uses the
app's own controller when the window has one, else attaches the stand-in.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

from dacc_gui.receiver import Receiver


class StandinController(QObject):
    state_changed = Signal(str)
    record_received = Signal(object)
    _from_writer = Signal(object)  # emitted on the store's writer thread, queued to this object's

    def __init__(self) -> None:
        super().__init__()
        self.receiver: Receiver | None = None
        self._from_writer.connect(self.record_received.emit)

    @property
    def url(self) -> str | None:
        return self.receiver.url if self.receiver is not None else None

    @property
    def running(self) -> bool:
        return self.receiver is not None and self.receiver.running

    def start(self, port: int | None = None) -> None:
        self.receiver = Receiver(None, port=port or 0).start()
        self.receiver.add_listener(self._from_writer.emit)
        self.state_changed.emit(f"Receiver on {self.receiver.url}")

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.close()
            self.receiver = None
            self.state_changed.emit("Receiver stopped")

    close = stop  # as the window does once it closed


def attach_receiver(window: Any) -> Any:
    """The window's receiver controller, started on an ephemeral port."""
    controller = window.receiver.controller
    if controller is None:
        controller = StandinController()
        window.receiver.controller = controller
    if controller.running:
        controller.stop()
    if hasattr(window.settings, "receiver_database") and not getattr(controller, "is_open", True):
        window.settings.receiver_database = ":memory:"  # a throwaway store, never the user's records
    controller.start(0)
    assert controller.running, "the receiver did not start"
    return controller


def post(url: str, *payloads: dict) -> list[int]:
    """POST each payload as Ecolyo does: ``{"data": "<json>"}`` on ``/``."""
    with httpx.Client(base_url=url, timeout=10) as client:
        return [client.post("/", json={"data": json.dumps(p, separators=(",", ":"))}).status_code
                for p in payloads]
