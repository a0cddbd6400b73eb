"""The Indicators tab's preview as data: its rows and checks, its exports (the
compute command's JSON, CSV), and the per-measure split the charts draw."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from dacc_gui.events.context import UserContext
from dacc_gui.events.loader import load_file
from dacc_gui.rules.preview import CSV_FIELDS, compute_preview, dumps_json, group_text
from tests.conftest import DATA
from tests.helpers import ev, golden_payloads, payload_multiset

CASE = DATA / "golden" / "01-one-day.json"
CASE_RUN = date(2021, 12, 9)


def test_the_preview_of_a_golden_night_is_its_hand_computed_indicators():
    events = load_file(CASE)
    preview = compute_preview(events.events, events.context, CASE_RUN)
    assert payload_multiset([row.indicator.payload() for row in preview.rows]) == \
        payload_multiset(golden_payloads("01-one-day"))
    assert all(row.run is preview.results[0] and row.validation.level == "ok" for row in preview.rows)
    assert preview.aggregated_indices() == list(range(9))  # e1..e9
    assert not preview.consent_blocked and preview.monthly_held_back  # the 9th is not the analysis day
    assert preview.skipped() == [] and preview.notes() == []
    # The compute command's output, to the byte as dumps_json writes it.
    text = dumps_json(preview)
    assert text.endswith("}\n") and text.startswith('{\n  "runs": [\n')
    runs = json.loads(text)["runs"]
    assert [r["runDate"] for r in runs] == ["2021-12-09"]
    assert payload_multiset(runs[0]["indicators"]) == payload_multiset(golden_payloads("01-one-day"))
    assert runs[0]["aggregated"] == [f"e{n}" for n in range(1, 10)] and runs[0]["skipped"] == []


def test_csv_has_one_line_per_indicator_with_its_check_and_source():
    events = [ev("NavigationEvent", "2022-03-09T07:00", target="faq"),
              ev("NavigationEvent", "2022-03-09T08:00", target="faq"),
              ev("ConnectionEvent", "2022-03-09T06:00", context="mobile")]
    preview = compute_preview(events, UserContext(), date(2022, 3, 10), date(2022, 3, 11))
    rows = list(csv.reader(io.StringIO(preview.to_csv())))
    assert rows[0] == list(CSV_FIELDS) == ["runDate", "measureName", "startDate", "value", "group1", "group2",
                                           "group3", "validation", "messages", "ruleSource", "events"]
    assert rows[1:] == [
        ["2022-03-10", "connection-count-daily", "2022-03-09", "1", "device=mobile", "", "", "ok", "",
         "Ecolyo page (assumed: device classification: context mobile/tablet or a user agent matching Mobi, "
         "Android, iPhone, iPad, iPod or Tablet is mobile, anything else desktop)", "1"],
        ["2022-03-10", "navigation-count-daily", "2022-03-09", "2", "page=faq", "", "", "ok", "", "Ecolyo page", "2"],
        ["2022-03-10", "session-duration", "2022-03-09", "7200", "number_pages=2", "session_type=any", "", "ok", "",
         "Ecolyo page + DACC definitions (assumed: values and group values)", "3"],
    ]
    assert [r.run_date for r in preview.results] == [date(2022, 3, 10), date(2022, 3, 11)]


def test_csv_writes_each_group_in_its_own_column():
    preview = compute_preview([ev("QuizEndEvent", "2022-03-09T07:00", target="Q", context="C", result="3",
                                  startDate="2022-03-09T06:59:00.000Z")], UserContext(), date(2022, 3, 10))
    lines = {r[1]: r for r in csv.reader(io.StringIO(preview.to_csv()))}
    assert lines["quiz-stars"][3:8] == ["3", "challenge_id=C", "quiz_id=Q", "", "ok"]
    assert lines["event-duration"][3:7] == ["60", "start_event=start_quiz", "end_event=end_quiz", "params=Q:C"]


def test_the_charts_get_each_measure_with_its_nights():
    events = [ev("NavigationEvent", "2022-03-09T07:00", target="faq"),
              ev("NavigationEvent", "2022-03-10T07:00", target="options"),
              ev("ConnectionEvent", "2022-03-10T06:00", context="desktop")]
    preview = compute_preview(events, UserContext(), date(2022, 3, 10), date(2022, 3, 11))
    split = preview.by_measure
    assert sorted(split) == ["connection-count-daily", "navigation-count-daily", "session-duration"]
    pages = split["navigation-count-daily"]
    assert [(run.run_date, [i.payload()["group1"]["page"] for i in run.indicators]) for run in pages] == [
        (date(2022, 3, 10), ["faq"]), (date(2022, 3, 11), ["options"])]
    assert [run.run_date for run in split["connection-count-daily"]] == [date(2022, 3, 11)]


def test_group_text():
    assert group_text({"device": "mobile"}) == "device=mobile"
    assert group_text({"a": "1", "b": "2"}) == "a=1, b=2"
    assert group_text(None) == ""
    # a group that is no object (never one of the rulebook's) shows what it holds
    assert group_text("device") == "device" and group_text([1]) == "[1]" and group_text({"d": None}) == "d=null"
