"""The core (everything but dacc_gui.ui) must import with Qt unavailable."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import dacc_gui

SCRIPT = r"""
import importlib, importlib.abc, sys, pkgutil

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "pytestqt"):
            raise ImportError(f"{name} is not allowed in the core")
        return None

sys.meta_path.insert(0, NoQt())
import dacc_gui
for mod in sys.argv[1:]:
    importlib.import_module(mod)
print("ok", len(sys.argv) - 1)
"""


def core_modules() -> list[str]:
    root = Path(dacc_gui.__file__).parent
    names = []
    for info in pkgutil.walk_packages([str(root)], prefix="dacc_gui."):
        if info.name.startswith("dacc_gui.ui") or info.name.endswith("app_cmd"):
            continue
        names.append(info.name)
    return names


def test_core_imports_without_qt():
    modules = core_modules()
    assert "dacc_gui.rules.nightly" in modules and "dacc_gui.cli.compute_cmd" in modules
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *modules], capture_output=True, text=True,
                          cwd=Path(dacc_gui.__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ok {len(modules)}"


def test_the_guard_itself_catches_qt():
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "PySide6.QtCore"], capture_output=True, text=True)
    assert proc.returncode != 0 and "not allowed in the core" in proc.stderr
