"""Hover readout: find the drawn point or bar nearest the mouse and say what it is.

Each chart registers what it drew as targets (a data position, an optional
bar rectangle, and the text to show). The nearest target is measured in screen
pixels, not data units, because a day on the x axis and a unit on the y axis
have nothing in common.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

SNAP_PIXELS = 40  # farther than this from every target: nothing to read


@dataclass(frozen=True)
class HoverTarget:
    x: float
    y: float
    text: str
    # a bar's extent (x0, y0, x1, y1) in data units: hovering inside it picks it
    rect: tuple[float, float, float, float] | None = None


class HoverFinder:
    """The targets of one plot and the marker that shows the one picked."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.targets: list[HoverTarget] = []
        self._xy = np.empty((0, 2))
        self.marker = pg.ScatterPlotItem(size=16, pen=pg.mkPen("#000000", width=2), brush=None)
        self.marker.setZValue(1000)
        self.marker.setVisible(False)

    def set_targets(self, targets: list[HoverTarget]) -> None:
        self.targets = list(targets)
        self._xy = np.array([(t.x, t.y) for t in targets], dtype=float).reshape(-1, 2)
        self.marker.setVisible(False)
        if self.marker.scene() is None or self.marker.parentItem() is None:
            self.plot.addItem(self.marker, ignoreBounds=True)

    def set_marker_colour(self, colour: str) -> None:
        self.marker.setPen(pg.mkPen(colour, width=2))

    def nearest(self, x: float, y: float) -> HoverTarget | None:
        """The target under (x, y) in data units, else the nearest within SNAP_PIXELS."""
        if not self.targets:
            return None
        for target in self.targets:
            if target.rect is not None:
                x0, y0, x1, y1 = target.rect
                if min(x0, x1) <= x <= max(x0, x1) and min(y0, y1) <= y <= max(y0, y1):
                    return target
        px, py = self.plot.getViewBox().viewPixelSize()
        if not px or not py:
            return None
        dist = np.hypot((self._xy[:, 0] - x) / px, (self._xy[:, 1] - y) / py)
        best = int(np.nanargmin(dist))
        return self.targets[best] if dist[best] <= SNAP_PIXELS else None

    def pick_scene_pos(self, scene_pos: QtCore.QPointF) -> HoverTarget | None:
        """The target for a mouse position in scene coordinates; moves the marker to it."""
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            self.marker.setVisible(False)
            return None
        point = vb.mapSceneToView(scene_pos)
        target = self.nearest(point.x(), point.y())
        if target is None:
            self.marker.setVisible(False)
        else:
            self.marker.setData([target.x], [target.y])
            self.marker.setVisible(True)
        return target
