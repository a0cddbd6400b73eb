"""Work-arounds for defects of the Qt binding that would crash the app.

PySide6 6.12.0 on Python 3.11 returns ``True`` from ``SignalInstance.emit``
without taking a reference to it, so each signal emitted from Python drops one
reference to ``True``. pyqtgraph emits from Python on every mouse move, zoom
and redraw; after a few thousand emits the interpreter aborts with
"bool_dealloc: deallocating True or False". (6.11.3 does not have the defect;
Python 3.12+ is immune because ``True`` is immortal there.)

:func:`install` probes the binding once and, only when the defect shows,
wraps ``emit`` to give the missing reference back. It is idempotent and cheap.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6 import QtCore

_installed = False


class _Probe(QtCore.QObject):
    fired = QtCore.Signal()


def emit_drops_true_reference() -> bool:
    """True when emitting a signal from Python loses a reference to ``True``."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:  # give back what the probe itself took
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost >= 8


def install() -> bool:
    """Guard against the dropped reference if this binding has the defect.

    Returns True when the guard is (now or already) in place.
    """
    global _installed
    if _installed:
        return True
    if not emit_drops_true_reference():
        return False
    signal_instance = type(_Probe().fired)
    original_emit = signal_instance.emit
    incref = ctypes.pythonapi.Py_IncRef
    py_object = ctypes.py_object

    def emit(self, *args):
        result = original_emit(self, *args)
        if result is True or result is False:
            incref(py_object(result))  # the reference the binding forgot to take
        return result

    emit.__doc__ = original_emit.__doc__
    signal_instance.emit = emit
    _installed = True
    return True
