"""A comparison as a report a tester can attach to a release: Markdown, HTML, JSON.

The first line answers "did the service send exactly what it should have?";
then the counts, then every row that is not matched with its two payloads
side by side, then the matched ones in a compact table. The HTML is one
standalone file (inline CSS, no script, no external asset). The JSON holds
both sides and the classification, for scripts; ``write_report`` writes it
beside the Markdown or HTML file.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dacc_gui.compare.comparison import CATEGORY_HELP, ORDER, Category, Comparison, Row
from dacc_gui.common.atomic import write_atomic
from dacc_gui.dacc.groups import groups_text

TITLE = "DACC comparison: expected against received"


def value_text(item: Any) -> str:
    if item is None or item.payload is None:
        return ""
    return json.dumps(item.payload.get("value"), ensure_ascii=False)


def pretty(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2)


def received_text(row: Row) -> str:
    """The received side as shown: the payload, or the raw body when it held none."""
    if row.received is None:
        return ""
    if row.received.payload is None:
        return row.received.body
    return pretty(row.received.payload)


def where_received(row: Row) -> str:
    rec = row.received
    if rec is None:
        return ""
    return f"record {rec.record_id} at {rec.received_at} ({rec.status})" if rec.record_id is not None \
        else f"received #{rec.index + 1}"


def row_title(row: Row) -> str:
    """``measure startDate groups``, or what a post without a measure was."""
    p = row.payload
    if p is None:
        return "a post with no readable measure"
    return " ".join(x for x in (str(p.get("measureName")), str(p.get("startDate", "")), groups_text(p)) if x)


def provenance(item: Any, sources: bool = True) -> str:
    """Where an expected payload comes from: its night, its rule (and who says so), its events."""
    parts = []
    if item.run_date:
        parts.append(f"from the run of {item.run_date}")
    if item.rule:
        parts.append(f"rule {item.rule}" + (f" ({item.rule_source})" if item.rule_source and sources else ""))
    if item.event_ids:
        parts.append(f"{len(item.event_ids)} event{'s' if len(item.event_ids) != 1 else ''}")
    return ", ".join(parts)


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- Markdown ---------------------------------------------------------------------------------

# Markdown punctuation that would make data into emphasis, code, links or table cells.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _md(text: Any) -> str:
    """Data as Markdown text: inert, as ``_esc`` makes it in HTML. Markdown passes
    raw HTML through, so ``<``, ``>`` and ``&`` become entities; its own
    punctuation is backslash-escaped; a line break would end the line it is on."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
    return escaped.replace("\r", " ").replace("\n", " ")


def _fence(text: str, info: str = "") -> list[str]:
    """``text`` in a code block whose fence no line of it can close (data may hold backticks)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


def to_markdown(comparison: Comparison, now: datetime | None = None) -> str:
    c = comparison
    counts = c.counts()
    lines = [f"**{c.verdict}**", "", f"# {TITLE}", ""]
    lines += [f"- Expected: {_md(c.expected_from or 'given payloads')} ({len(c.expected)} indicators)",
              f"- Received: {_md(c.received_from or 'given payloads')} ({len(c.received)} posts)",
              f"- Report written {_stamp(now)}", ""]
    lines += ["| Category | Count | Meaning |", "|---|---:|---|"]
    lines += [f"| {cat.label} | {counts[cat.value]} | {CATEGORY_HELP[cat]} |" for cat in ORDER]
    lines.append("")
    for cat in ORDER:
        rows = c.of(cat)
        if not rows or cat is Category.MATCHED:
            continue
        lines += [f"## {cat.label} ({len(rows)})", ""]
        for row in rows:
            lines += _md_row(row)
    matched = c.of(Category.MATCHED)
    if matched:
        lines += [f"## {Category.MATCHED.label} ({len(matched)})", "",
                  "| Measure | startDate | Groups | Value | Run date | Received | Warnings |",
                  "|---|---|---|---:|---|---|---|"]
        for row in matched:
            p = row.payload or {}
            lines.append("| " + " | ".join(_md(x) for x in (
                str(p.get("measureName")), str(p.get("startDate")), groups_text(p), value_text(row.expected),
                row.expected.run_date if row.expected else "", where_received(row), "; ".join(row.warnings),
            )) + " |")
        lines.append("")
    return "\n".join(lines)


def _facts(row: Row) -> list[tuple[str, str]]:
    """What a report says about a row before its payloads, as (label, text), in every format."""
    facts = []
    if row.expected is not None and (row.expected.run_date or row.expected.rule):
        facts.append(("Expected", provenance(row.expected)))
    if row.received is not None:
        facts.append(("Received", where_received(row)))
    if row.differences:
        facts.append(("Differs in", ", ".join(row.differences)))
    return facts + [("Warning", w) for w in row.warnings]


def _md_row(row: Row) -> list[str]:
    out = [f"### {_md(row_title(row))}", ""]
    out += [f"- {label}: {_md(text)}" for label, text in _facts(row)]
    out.append("")
    if row.expected is not None:
        out += ["Expected:", *_fence(pretty(row.expected.payload), "json")]
    if row.received is not None:
        out += ["Received:", *_fence(received_text(row), "json" if row.received.payload is not None else "")]
    out.append("")
    return out


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em; color: #222; }
.verdict { font-size: 1.3em; font-weight: bold; padding: .6em .8em; border-radius: 4px; }
.verdict.ok { background: #dff3df; border: 1px solid #7cbf7c; }
.verdict.ko { background: #fbe0e0; border: 1px solid #d98080; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; }
.pair { display: flex; gap: 1em; }
.pair > div { flex: 1; min-width: 0; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .5em; overflow-x: auto; margin: .2em 0; }
.diff { background: #ffe08a; }
.row { border-top: 1px solid #ddd; padding-top: .5em; margin-top: 1em; }
.missing h3 { color: #a61b1b; } .unexpected h3 { color: #8a4b00; } .different h3 { color: #6b3fa0; }
.warn { color: #8a4b00; }
.meta { color: #555; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def highlighted_lines(text: str, differing: set[str] | list[str]) -> list[tuple[str, bool]]:
    """The lines of a pretty payload, each with whether it holds a differing top-level field."""
    differing = set(differing)
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        # Top-level fields are indented by two spaces in ``pretty``.
        name = stripped.split('":', 1)[0].lstrip('"') if line.startswith('  "') and not line.startswith('   ') \
            else None
        out.append((line, name in differing))
    return out


def _pre(text: str, differing: set[str]) -> str:
    """A pretty payload with the lines of differing fields highlighted."""
    lines = [f'<span class="diff">{_esc(line)}</span>' if hit else _esc(line)
             for line, hit in highlighted_lines(text, differing)]
    return "<pre>" + "\n".join(lines) + "</pre>"


def to_html(comparison: Comparison, now: datetime | None = None) -> str:
    c = comparison
    counts = c.counts()
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(c.verdict)} — {_esc(TITLE)}</title>", f"<style>{_CSS}</style></head><body>",
        f'<p class="verdict {"ok" if c.ok else "ko"}">{_esc(c.verdict)}</p>',
        f"<h1>{_esc(TITLE)}</h1>",
        '<ul class="meta">',
        f"<li>Expected: {_esc(c.expected_from or 'given payloads')} ({len(c.expected)} indicators)</li>",
        f"<li>Received: {_esc(c.received_from or 'given payloads')} ({len(c.received)} posts)</li>",
        f"<li>Report written {_esc(_stamp(now))}</li></ul>",
        "<table><tr><th>Category</th><th>Count</th><th>Meaning</th></tr>",
    ]
    parts += [f'<tr><td>{_esc(cat.label)}</td><td class="num">{counts[cat.value]}</td>'
              f"<td>{_esc(CATEGORY_HELP[cat])}</td></tr>" for cat in ORDER]
    parts.append("</table>")
    for cat in ORDER:
        rows = c.of(cat)
        if not rows or cat is Category.MATCHED:
            continue
        parts.append(f'<section class="{cat.value}"><h2>{_esc(cat.label)} ({len(rows)})</h2>')
        parts += [_html_row(row) for row in rows]
        parts.append("</section>")
    matched = c.of(Category.MATCHED)
    if matched:
        parts.append(f"<h2>{_esc(Category.MATCHED.label)} ({len(matched)})</h2><table>"
                     "<tr><th>Measure</th><th>startDate</th><th>Groups</th><th>Value</th><th>Run date</th>"
                     "<th>Received</th><th>Warnings</th></tr>")
        for row in matched:
            p = row.payload or {}
            parts.append(
                f"<tr><td>{_esc(p.get('measureName'))}</td><td>{_esc(p.get('startDate'))}</td>"
                f"<td>{_esc(groups_text(p))}</td><td class=\"num\">{_esc(value_text(row.expected))}</td>"
                f"<td>{_esc(row.expected.run_date if row.expected else '')}</td><td>{_esc(where_received(row))}</td>"
                f"<td class=\"warn\">{_esc('; '.join(row.warnings))}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_row(row: Row) -> str:
    differing = set(row.differences)
    out = [f'<div class="row"><h3>{_esc(row_title(row))}</h3><ul>']
    for label, text in _facts(row):
        attribute = ' class="warn"' if label == "Warning" else ""
        out.append(f"<li{attribute}>{label}: {_esc(text)}</li>")
    out.append('</ul><div class="pair">')
    out.append("<div><b>Expected</b>" + (_pre(pretty(row.expected.payload), differing) if row.expected
                                         else "<p>(not expected)</p>") + "</div>")
    out.append("<div><b>Received</b>" + (_pre(received_text(row), differing) if row.received
                                         else "<p>(not received)</p>") + "</div>")
    out.append("</div></div>")
    return "\n".join(out)


# --- JSON and files --------------------------------------------------------------------------------

def to_json_text(comparison: Comparison, now: datetime | None = None) -> str:
    data = {"title": TITLE, "writtenAt": _stamp(now), **comparison.to_json()}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def json_path_for(path: str | Path) -> Path:
    """Where the JSON goes beside a report: ``report.html`` -> ``report.json``."""
    path = Path(path)
    return path.with_suffix(".json") if path.suffix.lower() != ".json" else path.with_name(path.stem + ".data.json")


def write_report(comparison: Comparison, path: str | Path, kind: str | None = None,
                 now: datetime | None = None) -> tuple[Path, Path]:
    """Write the report (``html`` or ``md``, else from the suffix) and its JSON beside it."""
    path = Path(path)
    kind = (kind or path.suffix.lstrip(".")).lower()
    if kind in ("markdown", "md"):
        text = to_markdown(comparison, now)
    elif kind in ("html", "htm"):
        text = to_html(comparison, now)
    else:
        raise ValueError(f"{path.name}: a report is written as HTML (.html) or Markdown (.md), not {kind!r}")
    json_path = json_path_for(path)
    # A lone surrogate of the data has no UTF-8 form: written as its escape
    # (in the JSON, the same value).
    write_atomic(path, text.encode("utf-8", "backslashreplace"))
    write_atomic(json_path, to_json_text(comparison, now).encode("utf-8", "backslashreplace"))
    return path, json_path
