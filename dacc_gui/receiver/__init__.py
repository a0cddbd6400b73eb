"""The built-in DACC receiver: a mock of Cozy's DACC that records what it gets.

It validates like the real DACC (through ``dacc_gui.dacc.validation``), says what
production would have answered where that differs, keeps every request in
SQLite, computes the DACC's aggregates, and offers a control API and fault
injection for scripts. Qt-free: the app drives it through :class:`Receiver`.
"""

from dacc_gui.dacc.aggregate import AggregateQueryError
from dacc_gui.receiver.faults import FaultError, Faults
from dacc_gui.receiver.guard import is_loopback
from dacc_gui.receiver.records import Kind, Record, Shape
from dacc_gui.receiver.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    PortInUseError,
    Receiver,
    ReceiverError,
    default_db_path,
)
from dacc_gui.receiver.store import DEFAULT_CAP, Store, StoreError

__all__ = [
    "AggregateQueryError",
    "DEFAULT_CAP",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "FaultError",
    "Faults",
    "Kind",
    "PortInUseError",
    "Receiver",
    "ReceiverError",
    "Record",
    "Shape",
    "Store",
    "StoreError",
    "default_db_path",
    "is_loopback",
]
