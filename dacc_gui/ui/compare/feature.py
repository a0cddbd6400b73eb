"""Compare as a feature of the window: the Compare tab, fed by the preview and the receiver."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from dacc_gui.ui.common.feature import Feature, Host, Tab
from dacc_gui.ui.compare.view import CompareView, utc_text


class CompareFeature(Feature):
    """Expected (the Indicators tab's preview) against received (the receiver's records)."""

    def __init__(self, host: Host, indicators_view, receiver_controller: Callable[[], Any]) -> None:  # noqa: ANN001
        self.host = host
        self.view = CompareView(indicators_view, host.runner, host.settings, receiver_controller)
        self.view.status.connect(lambda text: host.show_message(text))

    def tabs(self) -> Sequence[Tab]:
        return (Tab("compare", "Compare", self.view),)

    def service_ended(self, started: datetime | None) -> None:
        """Show what arrived since Ecolyo's service started."""
        self.view.set_since(started)
        self.host.show_tab("compare")
        if started is not None:
            self.host.show_message(f"Compare: what the receiver got since {utc_text(started)}")
