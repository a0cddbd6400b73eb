"""The figures the README quotes are what the app computes from the inputs the screenshots are made of.

The README states the demo's inputs and what came out (indicators, groups
published and hidden, the measures shown); ``scripts/screenshot_inputs.py``
holds the inputs ``scripts/screenshots`` uses. This runs the demo in the app
as the screenshot script does and compares.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def screenshot_inputs():
    spec = importlib.util.spec_from_file_location("screenshot_inputs", ROOT / "scripts" / "screenshot_inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def number(text: str) -> int:
    return int(text.replace(",", ""))


DEMO_SENTENCE = re.compile(
    r"(?P<users>\d+) users × (?P<days>\d+) days from (?P<start>\d{4}-\d{2}-\d{2}) \(seed (?P<seed>\d+)\), sent to an\s+"
    r"empty receiver: (?P<indicators>[\d,]+) indicators, (?P<published>[\d,]+) aggregate groups published and\s+"
    r"(?P<hidden>[\d,]+) hidden;\s+the chart shows (?P<measure>[a-z-]+) \((?P<m_published>\d+) groups published,\s+"
    r"(?P<m_hidden>\d+) hidden\), the\s+presentation (?P<shown>[a-z-]+) \((?P<s_published>\d+) groups published,\s+"
    r"(?P<s_hidden>\d+) hidden")


def test_the_readme_states_the_inputs_the_screenshots_use():
    inputs = screenshot_inputs()
    quoted = DEMO_SENTENCE.search(README)
    assert quoted, "the README's sentence on the demo screenshots has changed: update this test with it"
    demo = inputs.DEMO
    assert (number(quoted["users"]), number(quoted["days"]), date.fromisoformat(quoted["start"]),
            number(quoted["seed"])) == (demo.users, demo.days, demo.start, demo.seed)
    assert (quoted["measure"], quoted["shown"]) == (inputs.DEMO_MEASURE, inputs.PRESENTATION_MEASURE)
    assert f"in a {inputs.SIZE[0]}×{inputs.SIZE[1]} window" in README
    today = inputs.TODAY
    assert f"rebased to end {date.fromordinal(today.toordinal() - 1)}, run date\n{today}" in README


def test_the_demo_figures_the_readme_quotes_are_the_apps(receiving_window, qtbot):
    inputs = screenshot_inputs()
    quoted = DEMO_SENTENCE.search(README)
    window = receiving_window
    dialog = window.demo.ask_simulate()
    demo = inputs.DEMO
    dialog.users_spin.setValue(demo.users)
    dialog.days_spin.setValue(demo.days)
    dialog.start_edit.setDate(demo.start)
    dialog.seed_spin.setValue(demo.seed)
    dialog.run_button.click()
    view = window.demo.view
    result = view.result
    assert result is not None and result.config == demo
    published, hidden = result.counts()
    assert (result.indicators, published, hidden) == (
        number(quoted["indicators"]), number(quoted["published"]), number(quoted["hidden"]))

    def groups(measure):
        rows = result.aggregates[measure]
        n_hidden = sum(1 for r in rows if r.get("hidden"))
        return len(rows) - n_hidden, n_hidden

    assert groups(quoted["measure"]) == (number(quoted["m_published"]), number(quoted["m_hidden"]))
    assert groups(quoted["shown"]) == (number(quoted["s_published"]), number(quoted["s_hidden"]))
    # What the screenshot shows: the summary line with these figures, the chart of that measure.
    view.select_measure(inputs.DEMO_MEASURE)
    assert view.current_measure() == quoted["measure"]
    summary = view.summary_label.text()
    assert f"{quoted['indicators']} indicators" in summary
    assert f"{quoted['published']} aggregate groups published, {quoted['hidden']} hidden" in summary
    show = window.demo.present()
    qtbot.addWidget(show)
    show.show_position(show.measures.index(inputs.PRESENTATION_MEASURE))
    assert f"{quoted['s_published']} groups published; {quoted['s_hidden']} greyed" in show.caption.text()
    show.close()
