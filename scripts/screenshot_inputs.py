"""What the README's screenshots are made from, in one place (scripts/screenshots uses it, and
tests/ui/test_readme_figures.py checks that the figures the README quotes are what the app computes).

Every picture is taken in a 1280×800 window (the presentation full screen on a 1280×800 screen),
with "today" fixed so that the bundled sample, rebased to end yesterday, is the same every time.
"""

from __future__ import annotations

from datetime import date

from dacc_gui.simulation.demo import DemoConfig

SIZE = (1280, 800)  # the window, and the virtual screen scripts/screenshots runs under
TODAY = date(2021, 12, 9)  # the sample then ends 2021-12-08; the Indicators tab's run date
DEMO = DemoConfig(users=12, days=14, start=date(2021, 11, 1), seed=0)  # the dialog's defaults
DEMO_MEASURE = "connection-count-daily"  # the chart the demo screenshot shows
PRESENTATION_MEASURE = "navigation-action-daily"  # many hidden groups: the presentation shows how they read
