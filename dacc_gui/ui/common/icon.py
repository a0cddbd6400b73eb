"""The app's icon: one SVG in the package, drawn at the sizes desktops want.

``python -m dacc_gui.ui.common.icon DIR`` writes ``DIR/hicolor/<n>x<n>/apps/dacc-gui.png``
(``scripts/icons`` does it for ``resources/icons``).
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
NAME = "dacc-gui"


def _svg() -> bytes:
    return resources.files("dacc_gui.ui.common").joinpath("icon.svg").read_bytes()


def icon_image(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(QByteArray(_svg())).render(painter)
    painter.end()
    return image


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 64, 256):
        icon.addPixmap(QPixmap.fromImage(icon_image(size)))
    return icon


def write_icons(folder: Path) -> list[Path]:
    written = []
    for size in SIZES:
        path = folder / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not icon_image(size).save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


if __name__ == "__main__":
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    for p in write_icons(Path(sys.argv[1] if len(sys.argv) > 1 else "resources/icons")):
        print(p)
