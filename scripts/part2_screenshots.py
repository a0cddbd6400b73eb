"""Screenshots of the Cozy connection, the dev-DACC push and the population demo, for docs/.

Runs the app against the fake Cozy stack (tests/fake_cozy.py) and an in-memory
receiver, nothing else. Under a display (or Xvfb):
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/part2_screenshots.py [docs]
writes cozy-connect.png, push.png, demo.png and presentation.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DACC_GUI_TOKEN_STORE", "memory")

from PySide6 import QtWidgets  # noqa: E402

from dacc_gui.ui.main_window import MainWindow  # noqa: E402
from dacc_gui.ui.common.settings import Settings  # noqa: E402
from dacc_gui.ui.common.tasks import SyncTaskRunner  # noqa: E402
from screenshot_inputs import DEMO, DEMO_MEASURE, PRESENTATION_MEASURE, SIZE, TODAY  # noqa: E402
from tests.fake_cozy import FakeCozy, FakeCozyServer, generate_events  # noqa: E402


def settle(app: QtWidgets.QApplication, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()


def save(widget: QtWidgets.QWidget, path: Path) -> None:
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    app = QtWidgets.QApplication([])
    settings = Settings.at(Path(tempfile.mkdtemp()) / "settings.ini")
    settings.recompute_delay_ms = 0
    settings.receiver_database = ":memory:"  # the demo sends to an empty receiver
    window = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    window.resize(*SIZE)
    window.show()
    fake = FakeCozy()
    fake.put_docs(generate_events(1200, seed=4))
    with FakeCozyServer(fake) as server:
        dialog = window.cozy.controller.show_dialog()
        dialog.url_edit.setText(server.url)
        dialog.token_edit.setText(fake.issue_token())
        dialog.connect_button.click()
        settle(app)
        save(dialog, out / "cozy-connect.png")
        dialog.close()

        window.open_sample()
        window.indicators_view.recompute()
        settle(app)
        payloads = [r.indicator.payload() for r in window.indicators_view.preview.rows][:14]
        bad = dict(payloads[0], measureName="connection-count-weekly")
        push = window.cozy.show_push_dialog()
        push.set_payloads(payloads + [bad])
        push.force_check.setChecked(True)
        push.resize(1180, 560)
        settle(app)
        push.push_button.click()
        settle(app)
        save(push, out / "push.png")
        push.close()

    view = window.demo.demo_view()
    simulate = view.ask_simulate()
    simulate.users_spin.setValue(DEMO.users)
    simulate.days_spin.setValue(DEMO.days)
    simulate.start_edit.setDate(DEMO.start)
    simulate.seed_spin.setValue(DEMO.seed)
    simulate.run_button.click()
    view.select_measure(DEMO_MEASURE)
    settle(app)
    save(window, out / "demo.png")
    print(view.summary_label.text())

    show = window.demo.present()
    show.showNormal()
    show.resize(*SIZE)  # the full screen of a 1280×800 screen
    show.show_position(show.measures.index(PRESENTATION_MEASURE))
    settle(app, 40)
    save(show, out / "presentation.png")
    show.close()
    receiver = getattr(window, "_demo_receiver", None)
    if receiver is not None:
        receiver.close()
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
