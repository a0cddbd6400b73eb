"""resources/: the icon at every size desktops want, the desktop entry and the AppStream metadata agree."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtGui import QImage

from dacc_gui.ui.common.icon import NAME, SIZES, app_icon

RESOURCES = Path(__file__).parents[2] / "resources"


def test_the_icon_is_drawn_at_each_size_and_matches_the_package_svg(qapp, tmp_path):
    from dacc_gui.ui.common.icon import write_icons

    fresh = {p.relative_to(tmp_path): p for p in write_icons(tmp_path)}
    for size in SIZES:
        shipped = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        image = QImage(str(shipped))
        assert (image.width(), image.height()) == (size, size), shipped
        redrawn = QImage(str(fresh[shipped.relative_to(RESOURCES / "icons")]))
        assert image.convertToFormat(redrawn.format()) == redrawn, f"{shipped}: run scripts/icons"
    assert not app_icon().isNull()


def test_the_desktop_entry_launches_the_app_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(RESOURCES / "linux" / "dacc-gui.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].startswith("dacc-gui app")
    assert desktop["Icon"] == NAME
    assert desktop["Categories"].endswith(";")


def test_the_appstream_metadata_names_the_desktop_entry_and_the_licence():
    root = ET.parse(RESOURCES / "linux" / "org.grandlyon.DaccInspector.metainfo.xml").getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("launchable") == "dacc-gui.desktop"
    assert root.findtext("project_license") == "AGPL-3.0-or-later"
    assert root.findtext("provides/binary") == "dacc-gui"
