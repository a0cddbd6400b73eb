"""Refuses Qt in this interpreter: scripts/test runs the core's tests with this on PYTHONPATH.

The core (everything outside dacc_gui.ui) must work where PySide6 cannot be
imported; any import of Qt from a core module or its tests fails loudly.
"""

import importlib.abc
import sys

REFUSED = ("PySide6", "shiboken6", "pyqtgraph", "pytestqt")


class _RefuseQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201
        if name.split(".")[0] in REFUSED:
            raise ImportError(f"{name} may not be imported here: the core runs without Qt")
        return None


sys.meta_path.insert(0, _RefuseQt())
