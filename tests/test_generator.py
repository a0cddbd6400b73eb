"""The usage generator: determinism, realism, context consistency, rebase, the
bundled sample and the ``generate`` command."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from dacc_gui.simulation import generator
from dacc_gui.events import rebase as rebase_module
from dacc_gui.events.sample import read_sample
from dacc_gui.simulation import profiles as P
from dacc_gui.cli.main import main
from dacc_gui.events.context import FLUIDS, UserContext
from dacc_gui.events.model import KNOWN_TYPES, NAVIGATION_PAGES, UsageEvent, parse_event_date
from dacc_gui.events.eventset import Shape
from dacc_gui.events.loader import load_file

ECOLYO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
END_EVENTS = {"ChallengeEndEvent", "DuelEndEvent", "QuizEndEvent", "ExplorationEndEvent", "ActionEndEvent"}
SLUG_FLUID = {slug: fluid for fluid, slug in P.KONNECTORS.items()}


def users(n=12, days=75, start=date(2021, 11, 20)):
    return [generator.generate_user(days, start, seed) for seed in range(n)]


@pytest.fixture(scope="module")
def many():
    return users()


# --- determinism --------------------------------------------------------------

def test_same_seed_same_bytes_different_seed_different(tmp_path, capsys):
    args = ["generate", "--days", "20", "--start", "2022-01-10"]
    assert main([*args, "--seed", "7", "-o", str(tmp_path / "a.json")]) == 0
    assert main([*args, "--seed", "7", "-o", str(tmp_path / "b.json")]) == 0
    assert main([*args, "--seed", "8", "-o", str(tmp_path / "c.json")]) == 0
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.json", "b.json", "c.json"))
    assert a == b
    assert a != c


def test_population_folder_and_combined_are_deterministic(tmp_path):
    for run in ("x", "y"):
        assert main(["generate", "--days", "10", "--users", "3", "--seed", "5", "-o", str(tmp_path / run)]) == 0
        assert main(["generate", "--days", "10", "--users", "3", "--seed", "5", "--combined",
                     "-o", str(tmp_path / f"{run}.json")]) == 0
    for name in ("user-001.json", "user-002.json", "user-003.json"):
        assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes()
    assert (tmp_path / "x.json").read_bytes() == (tmp_path / "y.json").read_bytes()


def test_a_user_does_not_depend_on_the_population_size():
    alone = generator.generate_user(15, seed=3, index=1)
    among = generator.generate_population(4, 15, seed=3)[1]
    assert alone.events == among.events and alone.context == among.context


def test_users_of_a_population_differ():
    pop = generator.generate_population(3, 15, seed=3)
    assert len({json.dumps(u.events) for u in pop}) == 3


# --- realism -----------------------------------------------------------------

def test_documents_look_like_ecolyo_ones(many):
    ids = set()
    for user in many:
        for doc in user.events:
            assert re.fullmatch(r"[0-9a-f]{32}", doc["_id"])
            assert re.fullmatch(r"1-[0-9a-f]{32}", doc["_rev"])
            assert doc["type"] in KNOWN_TYPES
            assert ECOLYO_DATE.match(doc["eventDate"])
            assert doc["aggregated"] is False
            meta = doc["cozyMetadata"]
            assert meta["createdByApp"] == "ecolyo" and meta["doctypeVersion"] == 1
            assert ECOLYO_DATE.match(meta["createdAt"]) and ECOLYO_DATE.match(meta["updatedAt"])
            # createdAt is true UTC, eventDate Lyon's wall clock labelled Z.
            shift = parse_event_date(doc["eventDate"]) - parse_event_date(meta["createdAt"])
            assert timedelta(minutes=59) <= shift <= timedelta(hours=2)
            ids.add(doc["_id"])
    assert len(ids) == sum(len(u.events) for u in many)


def test_events_sorted_and_sessions_open_with_a_connection(many):
    for user in many:
        moments = [parse_event_date(d["eventDate"]) for d in user.events]
        assert moments == sorted(moments)
        by_day: dict[date, list[dict]] = {}
        for doc, moment in zip(user.events, moments):
            by_day.setdefault(moment.date(), []).append(doc)
        for docs in by_day.values():
            # Nothing before the day's first connection: every event is in a session.
            assert docs[0]["type"] == "ConnectionEvent"


def test_first_connection_on_day_one_and_only_once(many):
    start = date(2021, 11, 20)
    for user in many:
        first = user.events[0]
        assert first["type"] == "ConnectionEvent" and first["result"] == "firstConnection"
        assert first["eventDate"].startswith(start.isoformat())
        assert sum(d.get("result") == "firstConnection" for d in user.events) == 1


def test_field_values_follow_the_rulebook(many):
    devices = Counter()
    for user in many:
        for doc in user.events:
            kind = doc["type"]
            if kind == "ConnectionEvent":
                devices[_device(doc["context"])] += 1
            elif kind == "NavigationEvent":
                assert doc["target"] in NAVIGATION_PAGES
            elif kind in ("ConsumptionChangeTimeStepEvent", "ConsumptionCompareEvent"):
                assert doc["target"] in P.TIMESTEPS and doc["target"] == doc["target"].lower()
                assert doc["context"] in (*FLUIDS, "multifluid")
            elif kind.startswith("Konnector"):
                assert doc["target"] in SLUG_FLUID and doc["result"] in ("success", "error")
            elif kind == "QuizEndEvent":
                assert doc["result"] in {str(n) for n in range(6)}
            elif kind == "DuelEndEvent":
                assert doc["result"] in ("win", "loss")
            elif kind == "ReportFromEvent":
                assert (doc["context"], doc["result"]) == ("analysis", "1")
            if kind in END_EVENTS:
                assert parse_event_date(doc["startDate"]) <= parse_event_date(doc["eventDate"])
            else:
                assert "startDate" not in doc
    assert devices["mobile"] and devices["desktop"] and devices["tablet"]
    kinds = Counter(d["type"] for u in many for d in u.events)
    assert set(kinds) == KNOWN_TYPES, set(KNOWN_TYPES) - set(kinds)
    assert kinds["KonnectorRefreshEvent"] > 0
    errors = Counter((d["type"], d["result"]) for u in many for d in u.events if d["type"].startswith("Konnector"))
    assert errors[("KonnectorAttemptEvent", "error")] and errors[("KonnectorRefreshEvent", "error")]


def _device(context: str) -> str:
    if context in ("mobile", "desktop", "tablet"):
        return context
    for device, agents in P.USER_AGENTS.items():
        if context in agents:
            return device
    raise AssertionError(f"unknown browser {context!r}")


def test_challenges_run_in_order_with_their_start_dates(many):
    for user in many:
        launched: dict[str, str] = {}
        ended: set[str] = set()
        duels: dict[str, str] = {}
        actions: dict[tuple[str, str], list[str]] = {}
        for doc in user.events:
            kind, target = doc["type"], doc.get("target")
            if kind == "ChallengeLaunchEvent":
                # One challenge at a time, each launched once.
                assert target not in launched and set(launched) == ended
                launched[target] = doc["eventDate"]
            elif kind == "ChallengeEndEvent":
                assert doc["startDate"] == launched[target]
                ended.add(target)
            elif kind in ("QuizEndEvent", "ExplorationEndEvent", "ActionChangeEvent", "ActionEndEvent",
                          "DuelLaunchEvent"):
                assert doc["context"] in launched and doc["context"] not in ended
                if kind == "ActionChangeEvent":
                    actions.setdefault((target, doc["context"]), []).append(doc["eventDate"])
                if kind == "ActionEndEvent":
                    assert doc["startDate"] in actions[(target, doc["context"])]
                if kind == "DuelLaunchEvent":
                    duels[target] = doc["eventDate"]
            elif kind == "DuelEndEvent":
                assert doc["startDate"] == duels[target]


def test_konnector_connection_is_an_attempt_then_a_connect(many):
    for user in many:
        docs = user.events
        for n, doc in enumerate(docs):
            if doc["type"] == "KonnectorAttemptEvent":
                nxt = docs[n + 1]
                assert nxt["type"] == "KonnectorConnectEvent"
                assert (nxt["target"], nxt["result"]) == (doc["target"], doc["result"])


def test_context_matches_the_events(many):
    start, days = date(2021, 11, 20), 75
    for user in many:
        ctx = UserContext.parse(user.context)
        docs = user.events
        assert ctx.firstConnectionDate == docs[0]["eventDate"]
        connected = {SLUG_FLUID[d["target"]] for d in docs
                     if d["type"] == "KonnectorConnectEvent" and d["result"] == "success"}
        assert ctx.connectedFluids == [f for f in FLUIDS if f in connected]
        refreshed = {SLUG_FLUID[d["target"]] for d in docs if d["type"] == "KonnectorRefreshEvent"}
        assert refreshed <= connected
        assert set(ctx.halfHourData) == connected
        assert set(ctx.monthlyConsumption) == connected
        months = {f"{d.year:04d}-{d.month:02d}" for d in (start + timedelta(n) for n in range(days))}
        for per_month in ctx.monthlyConsumption.values():
            assert months <= set(per_month)
            assert all(v > 0 for v in per_month.values())
        assert set(ctx.fluidUsage) <= connected
        if ctx.fluidUsage:
            assert any(d["type"] == "ProfileSetEvent" for d in docs)
        reports = [parse_event_date(d["eventDate"]).date() for d in docs if d["type"] == "ReportFromEvent"]
        if not ctx.subscribedToMonthlyReport:
            assert reports == []
        # One view at most per monthly report, after the report day.
        report_days = [d for d in (start + timedelta(n) for n in range(1, days)) if d.day == ctx.monthlyAnalysisDay]
        for n, view in enumerate(reports):
            published = [d for d in report_days if d <= view]
            assert len(published) >= n + 1
        assert len(reports) <= len(report_days)


def test_aggregated_before_marks_earlier_days_only():
    before = date(2021, 11, 10)
    plain = generator.generate_user(20, seed=4)
    marked = generator.generate_user(20, seed=4, aggregated_before=before)
    assert [d["_id"] for d in plain.events] == [d["_id"] for d in marked.events]
    for doc in marked.events:
        earlier = parse_event_date(doc["eventDate"]).date() < before
        assert doc["aggregated"] is earlier
        assert doc["_rev"].startswith("2-" if earlier else "1-")
        if earlier:
            assert doc["cozyMetadata"]["updatedAt"] > doc["cozyMetadata"]["createdAt"]
    assert any(d["aggregated"] for d in marked.events) and not all(d["aggregated"] for d in marked.events)


def test_combined_file_shape(tmp_path):
    out = tmp_path / "all.json"
    assert main(["generate", "--days", "12", "--users", "3", "--combined", "--seed", "2", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert list(data) == ["events", "contexts"]
    assert set(data["contexts"]) == {"user-001", "user-002", "user-003"}
    dates = [e["eventDate"] for e in data["events"]]
    assert dates == sorted(dates)
    pop = generator.generate_population(3, 12, seed=2)
    for user in pop:
        mine = [e for e in data["events"] if e["userId"] == user.user_id]
        assert [{k: v for k, v in e.items() if k != "userId"} for e in mine] == user.events
        UserContext.parse(data["contexts"][user.user_id])
    # The loader reads it as this project's format, contexts kept aside.
    loaded = load_file(out)
    assert loaded.shape is Shape.OWN and len(loaded.events) == len(dates) and "contexts" in loaded.extra


def test_single_user_file_loads_with_its_context(tmp_path):
    out = tmp_path / "one.json"
    assert main(["generate", "--days", "9", "--seed", "1", "-o", str(out)]) == 0
    loaded = load_file(out)
    user = generator.generate_user(9, seed=1)
    assert [e.to_document() for e in loaded.events] == user.events
    assert loaded.context == UserContext.parse(user.context)
    assert loaded.flagged() == [] and loaded.rejected == []


# --- rebase ---------------------------------------------------------------------

def _event(**fields):
    return UsageEvent.from_document({"_id": fields.pop("_id", "x"), "type": "NavigationEvent", **fields})


def test_rebase_moves_the_last_day_and_keeps_times_and_styles():
    events = [
        _event(_id="a", eventDate="2021-12-01T09:00:00.000Z"),
        _event(_id="b", eventDate="2021-12-03 18:30", extra={"kept": True}),
        _event(_id="c", eventDate="2021-12-05T23:59:59+02:00"),
        _event(_id="d", eventDate="2021-12-04", type="QuizEndEvent", startDate="2021-12-03T22:00:00.000Z"),
        _event(_id="e", eventDate="08/12/2021"),
    ]
    moved = rebase_module.rebase(events, date(2022, 3, 1))
    assert [e.eventDate for e in moved] == [
        "2022-02-25T09:00:00.000Z", "2022-02-27 18:30", "2022-03-01T23:59:59+02:00", "2022-02-28", "08/12/2021",
    ]
    assert moved[3].startDate == "2022-02-27T22:00:00.000Z"
    assert moved[1].to_document() == {"_id": "b", "type": "NavigationEvent", "eventDate": "2022-02-27 18:30",
                                      "extra": {"kept": True}}
    # The originals are untouched.
    assert events[0].eventDate == "2021-12-01T09:00:00.000Z"


def test_rebase_of_generated_usage_keeps_durations(many):
    user = many[0]
    events = [UsageEvent.from_document(d) for d in user.events]
    moved = rebase_module.rebase(events, date(2030, 1, 15))
    assert rebase_module.last_day(moved) == date(2030, 1, 15)
    delta = moved[0].moment - events[0].moment
    assert delta.total_seconds() % 86400 == 0
    for old, new in zip(events, moved):
        assert new.moment - old.moment == delta
        if old.startDate is not None:
            assert parse_event_date(new.startDate) - parse_event_date(old.startDate) == delta
        assert list(new.to_document()) == list(old.to_document())


def test_rebase_without_dates_changes_nothing():
    events = [_event(eventDate="soon")]
    assert rebase_module.rebase(events, date(2022, 1, 1))[0].eventDate == "soon"
    assert rebase_module.rebase([], date(2022, 1, 1)) == []


# --- the bundled sample ---------------------------------------------------------

def test_sample_file_is_what_the_generator_makes():
    assert generator.SAMPLE_RESOURCE.read_text(encoding="utf-8") == generator.sample_text()
    assert generator.SAMPLE_RESOURCE.stat().st_size < 300_000


def test_sample_holds_the_odd_events_and_realistic_usage():
    sample = read_sample()
    assert sample.shape is Shape.OWN and sample.rejected == []
    problems = [p for _, p in sample.flagged()]
    assert len(problems) == 2
    assert any("unknown type" in p for p in problems) and any("is not a date" in p for p in problems)
    bad_quiz = [e for e in sample.events if e.type == "QuizEndEvent" and e.result == "seven"]
    assert len(bad_quiz) == 1 and bad_quiz[0].startDate
    days = {e.day for e in sample.events if e.day}
    assert max(days) - min(days) == timedelta(days=generator.SAMPLE_DAYS - 1)
    assert sample.context is not None and sample.context.connectedFluids


def test_load_sample_ending_on_a_given_day():
    sample = rebase_module.rebase_event_set(read_sample(), date(2024, 5, 20))
    assert rebase_module.last_day(sample.events) == date(2024, 5, 20)
    assert sample.context.firstConnectionDate.startswith(
        min(e.day for e in sample.events if e.day).isoformat())
    months = {m for per in sample.context.monthlyConsumption.values() for m in per}
    assert "2024-05" in months and "2024-04" in months


# --- the command ---------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--days", "0"], "--days must be at least 1"),
    (["--days", "-3"], "--days must be at least 1"),
    (["--days", "3", "--users", "0"], "--users must be at least 1"),
    (["--days", "3", "--start", "2021-02-30"], "--start '2021-02-30'"),
    (["--days", "3", "--aggregated-before", "soon"], "--aggregated-before 'soon'"),
    (["--days", "3", "--combined", "--format", "ach"], "--combined"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path, capsys, args, message):
    assert main(["generate", *args, "-o", str(tmp_path / "out.json")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()


def test_unwritable_output_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["generate", "--days", "2", "-o", str(blocker / "out.json")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["generate", "--days", "2", "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["generate", "--days", "2", "--users", "2", "-o", str(blocker)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_other_shapes_for_one_user(tmp_path):
    out = tmp_path / "ach.json"
    assert main(["generate", "--days", "4", "--format", "ach", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    docs = data["com.grandlyon.ecolyo.usageevent"]
    assert docs and all("_rev" not in d for d in docs)
    assert load_file(out).shape is Shape.ACH


# --- the rules on generated usage -----------------------------------------------

def test_rules_over_the_sample_flag_skip_and_count_what_was_generated():
    from dacc_gui.rules import simulate

    sample = read_sample()
    first = min(e.day for e in sample.events if e.day)
    last = rebase_module.last_day(sample.events) + timedelta(days=1)
    results = simulate(sample.events, sample.context, first + timedelta(days=1), last)
    taken = {i for r in results for i in r.aggregated_indices}
    flagged = {n for n, e in enumerate(sample.events) if e.problem()}
    # Every usable event is taken exactly once; the two flagged ones never.
    assert taken == set(range(len(sample.events))) - flagged and len(flagged) == 2
    skipped = [s for r in results for s in r.skipped]
    quiz = next(e for e in sample.events if e.result == "seven")
    assert any(s.event_id == quiz.id for s in skipped)
    connections = Counter()
    for result in results:
        for ind in result.indicators:
            if ind.measureName == "connection-count-daily":
                connections[ind.startDate] += ind.value
    generated = Counter(e.day.isoformat() for e in sample.events if e.type == "ConnectionEvent")
    assert connections == generated


def test_already_aggregated_days_are_left_to_later_nights():
    from dacc_gui.rules import NightlyRun

    before = date(2021, 11, 8)
    user = generator.generate_user(10, seed=6, aggregated_before=before)
    events = [UsageEvent.from_document(d) for d in user.events]
    result = NightlyRun(date(2021, 11, 11), UserContext.parse(user.context)).apply(events)
    taken_days = {events[i].day for i in result.aggregated_indices}
    assert taken_days and all(before <= d < date(2021, 11, 11) for d in taken_days)
