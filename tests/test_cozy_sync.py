"""Writing edits back: the 5,000-event round trip, conflicts, expired tokens, a server down,
a partial failure, bulk writes, backups. Each case loses nothing."""

from __future__ import annotations

import json
import random
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from dacc_gui.cozy import sync
from dacc_gui.cozy.client import CozyClient, RetryPolicy
from dacc_gui.cozy.events import pull_events
from dacc_gui.cozy.sync import (
    CHANGED_ON_BOTH_SIDES,
    CHANGED_ON_SERVER,
    NO_REV_TO_COMPARE,
    BackupError,
    Change,
    Outcome,
    SaveSession,
    apply_written,
    changes_from_edits,
    reload_and_reapply,
    save_events,
    write_changes,
)
from dacc_gui.events.model import rewrite_event_date
from dacc_gui.events.loader import load_file
from tests.fake_cozy import USAGE_DOCTYPE, generate_events

FAST = RetryPolicy(attempts=3, backoff=0.001)


@pytest.fixture
def fake(cozy_server):
    fake = cozy_server.fake
    fake.databases.clear()
    fake.requests.clear()
    fake.clear_faults()
    return fake


@pytest.fixture
def session(tmp_path):
    return SaveSession(tmp_path / "backups")


def client_for(fake, token=None, **kwargs):
    kwargs.setdefault("retry", FAST)
    return CozyClient(fake.url, token or fake.issue_token(), **kwargs)


def shift(events, picks, days=1):
    """The picked events with their date moved, written in their own style."""
    out = []
    for n, event in enumerate(events):
        if n in picks:
            event = event.copy_with(eventDate=rewrite_event_date(event.eventDate, event.moment + timedelta(days=days)))
        out.append(event)
    return out


def without_rev(doc):
    return {k: v for k, v in doc.items() if k != "_rev"}


def test_round_trip_of_5000_events_changes_exactly_the_edited_ones(fake, session):
    fake.put_docs(generate_events(5000, seed=7))
    with client_for(fake) as client:
        before = pull_events(client)
        picks = set(random.Random(1).sample(range(5000), 300))
        edited = shift(before.event_set.events, picks)
        report = save_events(client, edited, session=session)
        after = {d["_id"]: d for d in pull_events(client).documents}
    assert report.counts()["written"] == 300 and report.counts()["unchanged"] == 4700
    assert report.all_good
    originals = before.originals()
    changed = {edited[n].id for n in picks}
    edited_by_id = {e.id: e for e in edited}
    for doc_id, old in originals.items():
        new = after[doc_id]
        if doc_id in changed:
            assert new["_rev"] != old["_rev"]
            expected = dict(old, eventDate=edited_by_id[doc_id].eventDate)
            assert without_rev(new) == without_rev(expected)
            assert list(new) == list(old)  # key order kept too
        else:
            assert new == old  # not touched at all, same revision
    assert fake.count("PUT") == 300


def test_the_app_path_writes_edits_against_the_documents_read_and_keeps_the_new_rev(fake, session):
    fake.put_docs(generate_events(50, seed=8))
    with client_for(fake) as client:
        pulled = pull_events(client)
        events = pulled.event_set.events
        edited = [events[3].copy_with(aggregated=not events[3].aggregated), events[4], events[5]]
        edited = shift(edited, {2})
        changes = changes_from_edits(edited, pulled.documents)
        assert [c.doc_id for c in changes] == [events[3].id, events[5].id]
        report = write_changes(client, changes, session=session)
    assert [r.outcome for r in report.results] == [Outcome.WRITTEN, Outcome.WRITTEN]
    for result in report.results:
        assert fake.doc(result.doc_id) == result.document
        assert result.rev == fake.doc(result.doc_id)["_rev"]
    assert "aggregated" in report.results[0].document
    # After the write the app keeps the new revs; editing again is no conflict.
    originals = pulled.originals()
    revs = apply_written(report, originals)
    again = [e.copy_with(rev=revs[e.id]) for e in edited if e.id in revs]
    again = shift(again, {0, 1})
    with client_for(fake) as client:
        second = write_changes(client, changes_from_edits(again, originals), session=session)
    assert [r.outcome for r in second.results] == [Outcome.WRITTEN, Outcome.WRITTEN]


def test_a_document_changed_on_the_server_is_a_conflict_never_overwritten(fake, session):
    fake.put_docs(generate_events(10, seed=9))
    with client_for(fake) as client:
        events = pull_events(client).event_set.events
        edited = shift(events, {0, 1})
        theirs = fake.touch(events[0].id, eventDate="2030-01-01T00:00:00.000Z", note="theirs")
        report = save_events(client, edited, session=session)
        by_id = {r.doc_id: r for r in report.results}
        conflict = by_id[events[0].id]
        assert conflict.outcome is Outcome.CONFLICT and conflict.message == CHANGED_ON_SERVER
        assert fake.doc(events[0].id) == theirs  # untouched
        assert conflict.server_document == theirs
        assert by_id[events[1].id].outcome is Outcome.WRITTEN
        # Reload and re-apply: the edit lands on their version, their other change kept.
        fresh = reload_and_reapply(client, conflict.change)
        assert isinstance(fresh, Change)
        again = write_changes(client, [fresh], session=session).results[0]
    assert again.outcome is Outcome.WRITTEN
    final = fake.doc(events[0].id)
    assert final["eventDate"] == edited[0].eventDate and final["note"] == "theirs"


def ach_export(fake, tmp_path):
    """The server's documents as ACH exports them (no _rev), and their events."""
    docs = [without_rev(d) for d in fake.docs().values()]
    path = tmp_path / "ach.json"
    path.write_text(json.dumps({USAGE_DOCTYPE: docs}))
    events = load_file(path).events
    assert not any(e.rev for e in events)
    return {d["_id"]: d for d in docs}, events


def test_an_export_without_rev_gets_the_current_rev_read_first(fake, session, tmp_path):
    fake.put_docs(generate_events(20, seed=10))
    base, events = ach_export(fake, tmp_path)
    with client_for(fake) as client:
        report = save_events(client, shift(events, {2, 3}), session=session, base=base)
    assert report.counts()["written"] == 2 and report.counts()["unchanged"] == 18
    assert fake.count("POST", "_all_docs") == 1


def test_an_export_without_rev_writes_only_the_fields_edited_since_its_base(fake, session, tmp_path):
    fake.put_docs(generate_events(20, seed=30))
    base, events = ach_export(fake, tmp_path)
    edited = shift(events, {0, 1, 2})
    # After the export, the nightly service marks two events aggregated, one of them edited here.
    marked = [e.id for n, e in enumerate(events) if n in (1, 5)]
    assert not events[1].aggregated and not events[5].aggregated
    for doc_id in marked:
        fake.touch(doc_id, aggregated=True)
    before = fake.docs()
    with client_for(fake) as client:
        report = save_events(client, edited, session=session, base=base)
    assert report.counts() == {"written": 3, "unchanged": 17, "conflict": 0, "missing": 0, "failed": 0}
    assert report.notes[0].startswith("3 events merged: only the fields edited since the base are written")
    after = fake.docs()
    for n, event in enumerate(events):
        expected = dict(before[event.id], eventDate=edited[n].eventDate)
        if n in (0, 1, 2):
            assert without_rev(after[event.id]) == without_rev(expected)
            assert after[event.id]["_rev"] != before[event.id]["_rev"]
        else:
            assert after[event.id] == before[event.id]
    assert all(after[doc_id]["aggregated"] is True for doc_id in marked)


def test_a_field_edited_since_the_base_and_changed_on_the_server_is_a_conflict(fake, session, tmp_path):
    fake.put_docs(generate_events(5, seed=23))
    base, events = ach_export(fake, tmp_path)
    edited = shift(events, {0, 1})
    theirs = fake.touch(events[0].id, eventDate="2030-01-01T00:00:00.000Z", note="theirs")
    fake.touch(events[1].id, eventDate=edited[1].eventDate)  # the same edit, made there too
    with client_for(fake) as client:
        report = save_events(client, edited, session=session, base=base)
        [conflict] = report.of(Outcome.CONFLICT)
        assert conflict.doc_id == events[0].id and conflict.message == (
            f"{CHANGED_ON_BOTH_SIDES}: eventDate is {edited[0].eventDate!r} here, "
            f"'2030-01-01T00:00:00.000Z' on the server, was {events[0].eventDate!r}")
        assert conflict.server_document == theirs
        assert fake.doc(events[0].id) == theirs  # not written
        assert report.counts()["unchanged"] == 4
        # Re-applied on the user's word: the edit lands, their other change stays.
        fresh = reload_and_reapply(client, conflict.change)
        again = write_changes(client, [fresh], session=session).results[0]
    assert again.outcome is Outcome.WRITTEN
    assert without_rev(fake.doc(events[0].id)) == without_rev(dict(theirs, eventDate=edited[0].eventDate))


def test_without_rev_nor_base_a_difference_is_a_conflict_never_a_guess(fake, session, tmp_path):
    fake.put_docs(generate_events(10, seed=24))
    _, events = ach_export(fake, tmp_path)
    fake.touch(events[3].id, aggregated=not events[3].aggregated)
    before = fake.docs()
    with client_for(fake) as client:
        report = save_events(client, shift(events, {0}), session=session)
    conflicts = {r.doc_id: r.message for r in report.of(Outcome.CONFLICT)}
    assert conflicts == {events[0].id: f"{NO_REV_TO_COMPARE}: eventDate differs",
                         events[3].id: f"{NO_REV_TO_COMPARE}: aggregated differs"}
    assert report.counts()["unchanged"] == 8 and report.counts()["written"] == 0
    assert "each is a conflict" in report.notes[0]
    assert fake.docs() == before and fake.count("PUT") == 0


def test_an_expired_token_fails_the_save_without_writing_and_keeps_the_edits(fake, session):
    fake.put_docs(generate_events(10, seed=11))
    with client_for(fake) as client:
        pulled = pull_events(client)
        changes = changes_from_edits(shift(pulled.event_set.events, {1, 2, 3}), pulled.documents)
        fake.expire_tokens()
        report = write_changes(client, changes, session=session)
    assert [r.outcome for r in report.results] == [Outcome.FAILED] * 3
    assert "expired" in report.results[0].message
    assert all(r.change is changes[n] for n, r in enumerate(report.results))
    assert fake.docs() == {d["_id"]: d for d in pulled.documents}


def test_a_server_down_fails_every_write_and_loses_nothing(fake, session):
    fake.put_docs(generate_events(10, seed=12))
    with client_for(fake) as client:
        pulled = pull_events(client)
    changes = changes_from_edits(shift(pulled.event_set.events, {0, 5}), pulled.documents)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with CozyClient(f"http://127.0.0.1:{port}", "t", retry=FAST) as down:
        report = write_changes(down, changes, session=session)
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.FAILED]
    assert "refused" in report.results[0].message
    assert [r.change.target()["eventDate"] for r in report.results] == [c.target()["eventDate"] for c in changes]


def test_a_partial_failure_writes_the_rest_and_a_second_save_finishes(fake, session):
    fake.put_docs(generate_events(30, seed=13))
    with client_for(fake) as client:
        events = pull_events(client).event_set.events
        edited = shift(events, set(range(10)))
        fake.break_path(f"/data/{USAGE_DOCTYPE}/{events[4].id}", method="PUT")
        first = save_events(client, edited, session=session)
        assert first.counts()["written"] == 9 and first.counts()["failed"] == 1
        failed = first.of(Outcome.FAILED)[0]
        assert failed.doc_id == events[4].id and "500" in failed.message
        assert fake.count("PUT", events[4].id) == FAST.attempts
        fake.clear_faults()
        second = save_events(client, edited, session=session)
    assert second.counts()["written"] == 1 and second.counts()["unchanged"] == 29


def test_a_write_whose_answer_was_lost_is_not_a_conflict_on_retry(fake, session):
    fake.put_docs(generate_events(5, seed=14))
    with client_for(fake, timeout=1.0) as client:
        pulled = pull_events(client)
        changes = changes_from_edits(shift(pulled.event_set.events, {0}), pulled.documents)
        fake.delay_next(1, 2.5, method="PUT", after=True)  # written, then the answer is late
        report = write_changes(client, changes, session=session)
    result = report.results[0]
    assert result.outcome is Outcome.WRITTEN and result.message == "already on the server"
    assert fake.doc(result.doc_id)["eventDate"] == changes[0].target()["eventDate"]


def test_bulk_writes_in_one_request_and_falls_back_without_post_permission(fake, session):
    fake.put_docs(generate_events(40, seed=15))
    with client_for(fake) as client:
        pulled = pull_events(client)
        edited = shift(pulled.event_set.events, set(range(0, 40, 4)))
        report = write_changes(client, changes_from_edits(edited, pulled.documents), session=session, bulk=True)
    assert report.counts()["written"] == 10
    assert fake.count("POST", "_bulk_docs") == 1 and fake.count("PUT") == 0
    scoped = fake.issue_token([f"{USAGE_DOCTYPE}:GET,PUT"])
    with client_for(fake, scoped) as client:
        pulled = pull_events(client)
        edited = shift(pulled.event_set.events, {1, 2})
        report = write_changes(client, changes_from_edits(edited, pulled.documents), session=session, bulk=True)
    assert report.counts()["written"] == 2 and fake.count("PUT") == 2
    assert "one by one" in report.notes[0]


def test_the_backup_holds_the_documents_before_the_change_and_grows_in_a_session(fake, session):
    fake.put_docs(generate_events(20, seed=16))
    with client_for(fake) as client:
        pulled = pull_events(client)
        events = pulled.event_set.events
        first = save_events(client, shift(events, {0, 1}), session=session)
        path = first.backup_path
        saved = json.loads(path.read_text())[USAGE_DOCTYPE]
        originals = pulled.originals()
        assert saved == [without_rev(originals[events[n].id]) for n in (0, 1)]
        second = save_events(client, shift(events, {5}), session=session)
    assert second.backup_path == path
    assert [d["_id"] for d in json.loads(path.read_text())[USAGE_DOCTYPE]] == [events[n].id for n in (0, 1, 5)]
    # The backup is an ACH export this project reads back (and ``save`` would restore).
    assert [e.id for e in load_file(path).events] == [events[n].id for n in (0, 1, 5)]


def test_no_write_happens_when_the_backup_cannot_be_written(fake, tmp_path):
    fake.put_docs(generate_events(5, seed=17))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with client_for(fake) as client:
        events = pull_events(client).event_set.events
        with pytest.raises(BackupError, match="nothing was written"):
            save_events(client, shift(events, {0}), session=SaveSession(blocker))
    assert fake.count("PUT") == 0


class _OneSecond(datetime):
    """Every save happens in the same second."""

    @classmethod
    def now(cls, tz=None):
        return cls(2022, 3, 4, 5, 6, 7)


def test_saves_in_the_same_second_keep_their_own_backups_and_replace_no_file(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(sync, "datetime", _OneSecond)
    fake.put_docs(generate_events(6, seed=19))
    backups = tmp_path / "backups"
    backups.mkdir()
    taken = backups / f"cozy-backup-{urlsplit(fake.url).hostname}-20220304-050607.json"
    taken.write_text("a file that was there before")
    with client_for(fake) as client:
        pulled = pull_events(client)
        events, originals = pulled.event_set.events, pulled.originals()
        first = save_events(client, shift(events, {0, 1}), session=SaveSession(backups))
        second = save_events(client, shift(events, {0, 1, 2}), session=SaveSession(backups))
    assert taken.read_text() == "a file that was there before"
    assert len({taken, first.backup_path, second.backup_path}) == 3
    assert first.backup_path.parent == second.backup_path.parent == backups
    assert json.loads(first.backup_path.read_text())[USAGE_DOCTYPE] == [
        without_rev(originals[events[n].id]) for n in (0, 1)]
    assert json.loads(second.backup_path.read_text())[USAGE_DOCTYPE] == [without_rev(originals[events[2].id])]


def test_a_session_whose_backup_failed_backs_up_again_before_writing(fake, tmp_path):
    fake.put_docs(generate_events(5, seed=20))
    backups = tmp_path / "backups"
    backups.write_text("")  # a file where the folder should be
    session = SaveSession(backups)
    with client_for(fake) as client:
        pulled = pull_events(client)
        edited = shift(pulled.event_set.events, {0})
        with pytest.raises(BackupError):
            save_events(client, edited, session=session)
        backups.unlink()
        report = save_events(client, edited, session=session)
    assert report.counts()["written"] == 1
    saved = json.loads(report.backup_path.read_text())[USAGE_DOCTYPE]
    assert saved == [without_rev(pulled.originals()[edited[0].id])]


def test_a_document_deleted_on_the_server_is_reported_missing(fake, session):
    fake.put_docs(generate_events(5, seed=18))
    with client_for(fake) as client:
        pulled = pull_events(client)
        changes = changes_from_edits(shift(pulled.event_set.events, {2}), pulled.documents)
        fake.delete(changes[0].doc_id)
        report = write_changes(client, changes, session=session)
    assert report.results[0].outcome is Outcome.MISSING
