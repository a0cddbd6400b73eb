"""The comparison report: the verdict on top, each category, the payloads side
by side, standalone HTML, and the JSON written beside it."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from dacc_gui.compare.comparison import ReceivedItem, compare, expected_from_payloads, received_from_payloads
from dacc_gui.compare.report import json_path_for, to_html, to_markdown, write_report

NOW = datetime(2021, 12, 9, 10, 30, tzinfo=timezone.utc)


def m(name, value, **groups):
    p = {"createdBy": "ecolyo", "measureName": name, "startDate": "2021-12-08", "value": value}
    for n, (k, v) in enumerate(groups.items(), start=1):
        p[f"group{n}"] = {k: v}
    return p


@pytest.fixture
def four_categories():
    matched = m("connection-count-daily", 2, device="mobile")
    missing = m("navigation-count-daily", 4, page="home")
    different = m("konnector-event-daily", 1, slug="enedis")
    unexpected = m("quiz-stars", 5, question_id="q1")
    return compare(expected_from_payloads([matched, missing, different]),
                   received_from_payloads([matched, dict(different, value=7), unexpected, "<oops>"]),
                   "the preview for run date 2021-12-09", "everything received")


def test_markdown_answers_first_then_lists_every_category(four_categories):
    text = to_markdown(four_categories, NOW)
    first = text.splitlines()[0]
    assert first == f"**{four_categories.verdict}**"
    assert first.startswith("**No: 1 missing, 2 unexpected, 1 with a different value")
    assert "| Missing | 1 |" in text and "| Unexpected | 2 |" in text and "| Different value | 1 |" in text
    assert "| Matched | 1 |" in text
    assert "## Missing (1)" in text and "### navigation-count-daily 2021-12-08 page=home" in text
    # The different pair shows both payloads.
    section = text.split("## Different value (1)")[1].split("\n## ")[0]
    assert '"value": 1' in section and '"value": 7' in section and "Differs in: value" in section
    # The unreadable post shows its body.
    assert '"<oops>"' in text and "no measure could be read from this post: not a measure object" in text
    assert "- Report written 2021-12-09 10:30:00 UTC" in text


def test_html_is_standalone_and_highlights_the_difference(four_categories):
    page = to_html(four_categories, NOW)
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r'<p class="verdict ko">No: 1 missing', page)
    assert page.index('class="verdict') < page.index("<h1>")
    # No external assets, no script.
    assert not re.search(r'<(link|script|img)\b', page) and "http" not in page.split("<body>")[1]
    assert '<span class="diff">  &quot;value&quot;: 7,</span>' in page
    assert '<span class="diff">  &quot;value&quot;: 1,</span>' in page
    assert page.count('<span class="diff">') == 2
    assert f"<title>{four_categories.verdict}" in page
    assert page.count('<div class="row">') == 4  # missing, 2 unexpected, different
    # Escaped, not injected.
    evil = compare(expected_from_payloads([m("<script>x</script>", 1)]), received_from_payloads([]))
    assert "<script>x" not in to_html(evil) and "&lt;script&gt;x" in to_html(evil)


def test_all_matched_report(four_categories):
    p = m("connection-count-daily", 2, device="mobile")
    ok = compare(expected_from_payloads([p]), received_from_payloads([p]))
    assert '<p class="verdict ok">Yes: the service sent exactly the 1 expected indicator.</p>' in to_html(ok)
    assert to_markdown(ok).startswith("**Yes: the service sent exactly the 1 expected indicator.**")


@pytest.mark.parametrize("name,kind", [("report.html", None), ("report.md", None), ("out.txt", "markdown")])
def test_write_report_puts_the_json_beside_it(tmp_path, four_categories, name, kind):
    report, data_path = write_report(four_categories, tmp_path / name, kind, NOW)
    assert data_path == tmp_path / (name.rsplit(".", 1)[0] + ".json")
    text = report.read_text("utf-8")
    head = text.split("<style>")[0]  # the HTML's title comes before its CSS
    assert four_categories.verdict in head
    data = json.loads(data_path.read_text("utf-8"))
    assert data["verdict"] == four_categories.verdict
    assert data["counts"] == four_categories.counts()
    assert len(data["expected"]) == 3 and len(data["received"]) == 4
    assert {r["category"] for r in data["rows"]} == {"matched", "missing", "unexpected", "different"}


def test_write_report_refuses_other_kinds_and_keeps_old_files(tmp_path, four_categories):
    with pytest.raises(ValueError, match="HTML .* or Markdown"):
        write_report(four_categories, tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []
    assert json_path_for("a/r.json").name == "r.data.json"


SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


@pytest.fixture
def hostile():
    """Measure names, group values, a raw body and source names an attacker chose."""
    matched = m(SCRIPT, 1, page=IMG)
    missing = m("navigation-count-daily", 2, page="[click](javascript:alert(1)) *x* `y` | z\n# not a heading")
    different = m("konnector-event-daily", 3, slug=IMG)
    unexpected = m("quiz-stars", 4, question_id="\n```\n" + SCRIPT)
    received = received_from_payloads([matched, dict(different, value=9), unexpected])
    body = "```\n" + SCRIPT + "\n````\n" + IMG  # a post that held no measure, as received
    received.append(ReceivedItem(len(received), None, body=body, problem="not JSON", status=400))
    return compare(expected_from_payloads([matched, missing, different]), received,
                   f"events {SCRIPT}.json", f"receiver {IMG}")


def _outside_code(markdown: str) -> list[str]:
    """The lines a Markdown renderer reads as text: not in a fenced code block (CommonMark's rule)."""
    out, fence = [], None
    for line in markdown.split("\n"):
        stripped = line.lstrip(" ")
        indented = len(line) - len(stripped) > 3
        if fence is None:
            opening = None if indented else re.match(r"`{3,}", stripped)
            if opening:
                fence = opening.group()
            else:
                out.append(line)
        elif not indented and re.fullmatch(r"`{%d,}\s*" % len(fence), stripped):
            fence = None
    return out


def test_markdown_keeps_data_inert_as_the_html_does(hostile):
    text = to_markdown(hostile, NOW)
    lines = _outside_code(text)
    assert len(lines) > 20
    # The report's own Markdown holds no HTML: any tag outside code came from the data.
    assert [line for line in lines if "<" in line or ">" in line] == []
    assert not [line for line in lines if re.search(r"(?<!\\)\]\(", line)]  # no link
    assert ("| &lt;script&gt;alert(1)&lt;/script&gt; | 2021-12-08 | page=&lt;img src=x onerror=\"alert(1)\"&gt; "
            "| 1 |") in text
    assert ("### navigation-count-daily 2021-12-08 page=\\[click\\](javascript:alert(1)) \\*x\\* \\`y\\` "
            "\\| z # not a heading") in lines
    assert "- Expected: events &lt;script&gt;alert(1)&lt;/script&gt;.json (3 indicators)" in lines
    # The raw body stays in its code block, whole.
    assert "`````\n" + hostile.rows[-1].received.body + "\n`````" in text


def test_reports_of_data_holding_a_lone_surrogate_are_written(tmp_path):
    odd = m("navigation-count-daily", 1, page="\ud800")
    comparison = compare(expected_from_payloads([odd]), received_from_payloads([]))
    for name in ("report.md", "report.html"):
        report, data_path = write_report(comparison, tmp_path / name, now=NOW)
        assert "page=\\ud800" in report.read_text("utf-8")
        assert json.loads(data_path.read_text("utf-8"))["expected"][0]["payload"]["group1"] == {"page": "\ud800"}
