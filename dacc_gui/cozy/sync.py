"""Writing edited usage events back to the Cozy, losing nothing.

Only ``eventDate`` and ``aggregated`` are edited by this project; the document
written is the one read with those fields changed, every other field intact.
Each write carries the ``_rev`` the edit was made on, so a document changed on
the server since then answers 409: that event stays a conflict ("changed on
the server since it was read"), never overwritten; ``reload_and_reapply``
gives the same edit on the server's current document, to write if the user
wants.

An export without ``_rev`` (ACH strips it) says nothing of the version it was
made from: a field that differs from the server's may be the user's edit or a
change made on the server since the export (Ecolyo marking events
aggregated). Given the export as it was before editing (``base``), ``save``
writes only the fields edited since, onto the server's current document with
its current ``_rev``; a field also changed on the server, to another value, is
a conflict. Without a base such a difference is a conflict too, never
written on a guess (``reload_and_reapply`` writes the file's values if the
user says so).

Before the first write of a ``SaveSession``, the documents about to change are
exported to a backup file (ACH shape, ``_rev`` stripped, so that
``dacc-gui save BACKUP --reapply-conflicts`` puts them back); later writes of
the session add to that same file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cozy.client import CozyClient, CozyError, CozyHTTPError, CozyUnreachable, error_text
from dacc_gui.events.model import UsageEvent
from dacc_gui.common import jsontext
from dacc_gui.common.atomic import write_atomic
from dacc_gui.common.cancel import Cancelled

Progress = Callable[[int, int], None]
EDITABLE = ("eventDate", "aggregated")
KEYS_PER_READ = 500
DOCS_PER_BULK = 500
CHANGED_ON_SERVER = "changed on the server since it was read"
CHANGED_ON_BOTH_SIDES = "edited here and changed on the server since the base"
NO_REV_TO_COMPARE = "no _rev nor base to tell an edit here from a change on the server"


class Outcome(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    MISSING = "missing"  # no longer on the server
    FAILED = "failed"


class BackupError(CozyError):
    """The backup could not be written: nothing was written to the Cozy."""


def _value(doc: dict[str, Any], name: str) -> Any:
    # An absent ``aggregated`` means false, as Ecolyo reads it.
    return doc.get(name, False) if name == "aggregated" else doc.get(name)


def edits_between(original: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The editable fields whose value differs, with the edited values."""
    return {name: _value(edited, name) for name in EDITABLE if _value(edited, name) != _value(original, name)}


def _without_rev(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_rev"}


def _as_stored(doc: Any) -> Any:
    """A document from ``GET /data/:doctype/:id`` as stored: the stack adds ``_type`` to what it
    answers (and CouchDB refuses that member in ``_bulk_docs``)."""
    return {k: v for k, v in doc.items() if k != "_type"} if isinstance(doc, dict) else doc


@dataclass
class Change:
    """One event to write: the document the edit applies to, and the edit."""

    doc_id: str
    base: dict[str, Any]  # as read (from the server or an export), ``_rev`` if known
    edits: dict[str, Any]

    @property
    def rev(self) -> str | None:
        return self.base.get("_rev")

    def target(self) -> dict[str, Any]:
        """The base document with the edit applied, key order kept."""
        doc = dict(self.base)
        doc.update(self.edits)
        return doc


@dataclass
class WriteResult:
    """What happened to one event; data, never an exception."""

    doc_id: str
    outcome: Outcome
    message: str = ""
    rev: str | None = None  # the new revision when written
    document: dict[str, Any] | None = None  # as written, with its new ``_rev``
    server_document: dict[str, Any] | None = None  # the server's version, on a conflict
    change: Change | None = None  # to reload and re-apply, on a conflict or failure

    def describe(self) -> str:
        return f"{self.doc_id}: {self.outcome.value}" + (f" ({self.message})" if self.message else "")


@dataclass
class SaveReport:
    results: list[WriteResult] = field(default_factory=list)
    backup_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def of(self, outcome: Outcome) -> list[WriteResult]:
        return [r for r in self.results if r.outcome is outcome]

    def counts(self) -> dict[str, int]:
        return {o.value: len(self.of(o)) for o in Outcome}

    @property
    def all_good(self) -> bool:
        return all(r.outcome in (Outcome.WRITTEN, Outcome.UNCHANGED) for r in self.results)

    def summary(self) -> str:
        c = self.counts()
        text = (f"written {c['written']}, unchanged {c['unchanged']}, conflicts {c['conflict']}, "
                f"failed {c['failed']}")
        return text + (f", missing on the server {c['missing']}" if c["missing"] else "")


# --- backup ------------------------------------------------------------------

def default_backup_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("dacc-gui") / "backups"


class SaveSession:
    """Writes to one Cozy during one sitting: one backup file, grown before each write."""

    def __init__(self, backup_dir: str | Path | None = None) -> None:
        self.backup_dir = Path(backup_dir) if backup_dir is not None else default_backup_dir()
        self.backup_path: Path | None = None
        self._saved: dict[str, dict[str, Any]] = {}
        self._doctype = DEFAULT_DOCTYPE

    def back_up(self, url: str, doctype: str, docs: list[dict[str, Any]]) -> Path:
        """Add the documents (as they are before the write) to the session's backup."""
        new = [d for d in docs if d.get("_id") not in self._saved]
        if self.backup_path is not None and not new:
            return self.backup_path
        saved = dict(self._saved)
        for doc in new:
            saved[doc["_id"]] = _without_rev(doc)
        doctype = self._doctype if self.backup_path is not None else doctype
        text = jsontext.dumps({doctype: list(saved.values())}, indent=2) + "\n"
        path = self.backup_path
        try:
            if path is None:
                self.backup_dir.mkdir(parents=True, exist_ok=True)
                host = (urlsplit(url).hostname or "cozy").replace(":", "_")
                path = _new_file(self.backup_dir, f"cozy-backup-{host}-{datetime.now():%Y%m%d-%H%M%S}")
            write_atomic(path, text)
        except OSError as exc:
            if path is not None and self.backup_path is None:
                path.unlink(missing_ok=True)  # the name reserved for this session's first backup
            raise BackupError(
                f"cannot write the backup {path or self.backup_dir} ({exc.strerror or exc}); nothing was written"
            ) from None
        # Only once written: a retry after a failure backs up again.
        self.backup_path, self._saved, self._doctype = path, saved, doctype
        return path


def _new_file(folder: Path, stem: str) -> Path:
    """A new, empty ``stem.json`` (``stem-2.json``... when taken): two saves in
    the same second get two backups, and no existing file is ever replaced."""
    path, n = folder / f"{stem}.json", 1
    while True:
        try:
            with open(path, "x"):  # exclusive creation: fails on a name taken, even by another process
                return path
        except FileExistsError:
            n += 1
            path = folder / f"{stem}-{n}.json"


# --- deciding what to write ------------------------------------------------------

def changes_from_edits(
    edited: list[UsageEvent],
    originals: dict[str, dict[str, Any]] | list[dict[str, Any]],
) -> list[Change]:
    """For the app: the edited events whose ``eventDate`` or ``aggregated`` differ from the documents read.

    An event with no original among ``originals`` is compared with nothing:
    its editable fields are written onto the server's current document.
    """
    if isinstance(originals, list):
        originals = {d["_id"]: d for d in originals if isinstance(d, dict) and isinstance(d.get("_id"), str)}
    out = []
    for event in edited:
        if not event.id:
            continue
        doc = event.to_document()
        original = originals.get(event.id)
        if original is None:
            out.append(Change(event.id, {"_id": event.id}, {n: _value(doc, n) for n in EDITABLE}))
            continue
        edits = edits_between(original, doc)
        if edits:
            base = dict(original)
            if event.rev and event.rev != original.get("_rev"):
                base["_rev"] = event.rev  # written since it was read: the app kept the new rev
            out.append(Change(event.id, base, edits))
    return out


def read_current(
    client: CozyClient,
    doctype: str,
    ids: list[str],
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, dict[str, Any]]:
    """The server's current documents for these ids (absent ones left out)."""
    current: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), KEYS_PER_READ):
        keys = ids[start:start + KEYS_PER_READ]
        try:
            answer = client.json("POST", f"/data/{doctype}/_all_docs", params={"include_docs": "true"},
                                 json={"keys": keys}, cancelled=cancelled)
        except CozyHTTPError as exc:
            if exc.status == 404:
                return current  # no database: none of them exists
            raise
        for row in answer.get("rows") or []:
            doc = row.get("doc") if isinstance(row, dict) else None
            if isinstance(doc, dict) and isinstance(doc.get("_id"), str):
                current[doc["_id"]] = doc
    return current


@dataclass
class SavePlan:
    """What ``save`` would do: the changes to write, and the rest already decided."""

    changes: list[Change]
    decided: list[WriteResult]  # unchanged, missing on the server, without an id, conflicts found on reading
    notes: list[str] = field(default_factory=list)


def plan_save(
    client: CozyClient,
    events: list[UsageEvent],
    doctype: str = DEFAULT_DOCTYPE,
    cancelled: Callable[[], bool] | None = None,
    base: dict[str, dict[str, Any]] | None = None,
) -> SavePlan:
    """Compare each event with the server's current document.

    - With its document in ``base`` (the export before editing): the fields
      edited since the base are written onto the server's current document
      and ``_rev``; one the server changed too, to another value, is a conflict.
    - Else with a ``_rev``: the fields that differ from the server's are
      written with the event's own ``_rev`` (a version older than the
      server's answers 409: a conflict, not an overwrite).
    - Else: a field that differs cannot be told from a change made on the
      server: a conflict, nothing written.
    """
    base = base or {}
    decided: list[WriteResult] = []
    with_id = []
    for n, event in enumerate(events):
        if event.id:
            with_id.append(event)
        else:
            decided.append(WriteResult(f"#{n}", Outcome.FAILED, "the event has no _id: cannot be written back"))
    current = read_current(client, doctype, [e.id for e in with_id], cancelled)
    changes = []
    merged = unknown = 0
    for event in with_id:
        server = current.get(event.id)
        if server is None:
            decided.append(WriteResult(event.id, Outcome.MISSING, "no longer exists on the server"))
            continue
        doc = event.to_document()
        original = base.get(event.id)
        if original is not None:
            result = _merge(event.id, original, doc, server)
            if isinstance(result, Change):
                merged += 1
                changes.append(result)
            else:
                decided.append(result)
            continue
        edits = edits_between(server, doc)
        if not edits:
            decided.append(WriteResult(event.id, Outcome.UNCHANGED))
        elif event.rev:
            changes.append(Change(event.id, dict(server, _rev=event.rev), edits))
        else:
            unknown += 1
            decided.append(WriteResult(event.id, Outcome.CONFLICT, f"{NO_REV_TO_COMPARE}: {_differ(edits)}",
                                       server_document=server, change=Change(event.id, dict(server), edits)))
    notes = []
    if merged:
        notes.append(f"{_events(merged)} merged: only the fields edited since the base are written, onto the "
                     "server's current version (what the server changed since is kept)")
    if unknown:
        notes.append(f"{_events(unknown)} without _rev differ from the server: with no base to compare with, "
                     "an edit here cannot be told from a change made on the server since the export: each is a conflict")
    return SavePlan(changes, decided, notes)


def _merge(doc_id: str, original: dict[str, Any], edited: dict[str, Any],
           server: dict[str, Any]) -> Change | WriteResult:
    """Three-way, field by field: the edits since ``original``, onto ``server``."""
    mine = edits_between(original, edited)
    todo = {name: value for name, value in mine.items() if _value(server, name) != value}
    if not todo:  # nothing edited, or the server holds the edit already
        return WriteResult(doc_id, Outcome.UNCHANGED)
    clashes = [name for name in todo if _value(server, name) != _value(original, name)]
    if clashes:
        what = "; ".join(f"{name} is {todo[name]!r} here, {_value(server, name)!r} on the server, "
                         f"was {_value(original, name)!r}" for name in clashes)
        return WriteResult(doc_id, Outcome.CONFLICT, f"{CHANGED_ON_BOTH_SIDES}: {what}",
                           server_document=server, change=Change(doc_id, dict(server), mine))
    return Change(doc_id, dict(server), todo)


def _differ(edits: dict[str, Any]) -> str:
    return " and ".join(edits) + (" differ" if len(edits) > 1 else " differs")


def _events(count: int) -> str:
    return f"{count} event{'s' if count != 1 else ''}"


# --- writing ---------------------------------------------------------------------

def write_changes(
    client: CozyClient,
    changes: list[Change],
    doctype: str = DEFAULT_DOCTYPE,
    *,
    session: SaveSession | None = None,
    bulk: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SaveReport:
    """Write each change; one result per change, in order.

    ``bulk`` uses ``_bulk_docs`` (it needs POST on the whole doctype; without
    it the writes go one by one). Only a backup failure raises (before any
    write); a refused token or a server that stays down ends the run with the
    remaining changes reported failed, their edits intact in ``change``.
    """
    session = session or SaveSession()
    report = SaveReport()
    results: dict[int, WriteResult] = {}
    todo = list(enumerate(changes))

    # Events from an export without ``_rev``: read their current document first.
    unrevved = [c.doc_id for _, c in todo if not c.rev]
    if unrevved:
        try:
            current = read_current(client, doctype, unrevved, cancelled)
        except (CozyError, Cancelled) as exc:
            return _all_failed(changes, _why(exc), report)
        ready = []
        for n, change in todo:
            if change.rev:
                ready.append((n, change))
            elif change.doc_id in current:
                ready.append((n, Change(change.doc_id, current[change.doc_id], change.edits)))
            else:
                results[n] = WriteResult(change.doc_id, Outcome.MISSING, "no longer exists on the server",
                                         change=change)
        todo = ready

    if todo:
        report.backup_path = session.back_up(client.url, doctype, [c.base for _, c in todo])

    total, done = len(changes), len(results)
    if progress is not None:
        progress(done, total)
    stop: str | None = None
    if bulk and todo:
        remaining = []
        for start in range(0, len(todo), DOCS_PER_BULK):
            chunk = todo[start:start + DOCS_PER_BULK]
            if stop is not None:
                remaining.extend(chunk)
                continue
            try:
                answers = _bulk(client, doctype, [c for _, c in chunk], cancelled)
            except _BulkRefused as exc:
                report.notes.append(str(exc))
                remaining.extend(todo[start:])
                break
            except (CozyError, Cancelled) as exc:
                stop = _why(exc)
                remaining.extend(chunk)
                continue
            for (n, change), answer in zip(chunk, answers):
                results[n] = answer
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        todo = remaining

    for n, change in todo:
        if stop is None:
            try:
                results[n] = _put(client, doctype, change, cancelled)
            except (CozyError, Cancelled) as exc:
                # A refused token or a server that stays down: the rest would fare no better.
                stop = _why(exc)
        if stop is not None and n not in results:
            results[n] = WriteResult(change.doc_id, Outcome.FAILED, f"not written: {stop}", change=change)
        done += 1
        if progress is not None:
            progress(done, total)
    report.results = [results[n] for n in range(len(changes))]
    return report


def _why(exc: BaseException) -> str:
    return "cancelled" if isinstance(exc, Cancelled) else str(exc)


def _all_failed(changes: list[Change], why: str, report: SaveReport) -> SaveReport:
    report.results = [WriteResult(c.doc_id, Outcome.FAILED, f"not written: {why}", change=c) for c in changes]
    return report


def _put(client: CozyClient, doctype: str, change: Change, cancelled: Callable[[], bool] | None) -> WriteResult:
    target = change.target()
    response = client.request("PUT", f"/data/{doctype}/{change.doc_id}", json=target, cancelled=cancelled)
    status = response.status_code
    if status in (200, 201):
        body = response.json()
        rev = body.get("rev")
        written = dict(target, _rev=rev)
        return WriteResult(change.doc_id, Outcome.WRITTEN, rev=rev, document=written)
    if status == 409:
        return _conflict(client, doctype, change, cancelled)
    if status == 404:
        return WriteResult(change.doc_id, Outcome.MISSING, "no longer exists on the server", change=change)
    if status >= 500:
        return WriteResult(change.doc_id, Outcome.FAILED,
                           f"not written: the server answered {status} ({error_text(response)}) "
                           f"after {client.retry.attempts} tries", change=change)
    return WriteResult(change.doc_id, Outcome.FAILED,
                       f"not written: the server answered {status}: {error_text(response)}", change=change)


def _conflict(client: CozyClient, doctype: str, change: Change,
              cancelled: Callable[[], bool] | None) -> WriteResult:
    """A 409: unless the server already holds exactly this edit (a retried
    write whose first try landed), it is a conflict to show, not to resolve."""
    try:
        current = _as_stored(client.json("GET", f"/data/{doctype}/{change.doc_id}", cancelled=cancelled))
    except CozyHTTPError as exc:
        if exc.status == 404:
            # CouchDB answers 409, not 404, to a _rev for a document that is gone.
            return WriteResult(change.doc_id, Outcome.MISSING, "no longer exists on the server", change=change)
        current = None
    except CozyUnreachable:
        current = None
    if isinstance(current, dict) and _without_rev(current) == _without_rev(change.target()):
        return WriteResult(change.doc_id, Outcome.WRITTEN, "already on the server",
                           rev=current.get("_rev"), document=current)
    return WriteResult(change.doc_id, Outcome.CONFLICT, CHANGED_ON_SERVER,
                       server_document=current if isinstance(current, dict) else None, change=change)


class _BulkRefused(Exception):
    pass


def _bulk(client: CozyClient, doctype: str, chunk: list[Change],
          cancelled: Callable[[], bool] | None) -> list[WriteResult]:
    targets = [c.target() for c in chunk]
    response = client.request("POST", f"/data/{doctype}/_bulk_docs", json={"docs": targets}, cancelled=cancelled)
    if response.status_code == 403:
        raise _BulkRefused("_bulk_docs is not permitted for this token (it needs POST on the whole doctype): "
                           "written one by one")
    if response.status_code >= 500:
        raise CozyUnreachable(f"{client.url}: _bulk_docs answered {response.status_code} ({error_text(response)})")
    if response.status_code not in (200, 201):
        raise _BulkRefused(f"_bulk_docs answered {response.status_code} ({error_text(response)}): "
                           "written one by one")
    answers = response.json()
    by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
    out = []
    for change, target in zip(chunk, targets):
        answer = by_id.get(change.doc_id, {})
        if answer.get("ok") or (answer.get("rev") and not answer.get("error")):
            out.append(WriteResult(change.doc_id, Outcome.WRITTEN, rev=answer["rev"],
                                   document=dict(target, _rev=answer["rev"])))
        elif answer.get("error") == "conflict":
            out.append(_conflict(client, doctype, change, cancelled))
        else:
            reason = answer.get("reason") or answer.get("error") or "no answer for this document"
            out.append(WriteResult(change.doc_id, Outcome.FAILED, f"not written: {reason}", change=change))
    return out


def reload_and_reapply(
    client: CozyClient,
    change: Change,
    doctype: str = DEFAULT_DOCTYPE,
) -> Change | WriteResult:
    """The same edit on the server's current document (a new ``Change`` to
    write), or a ``MISSING`` result when the document is gone."""
    try:
        current = _as_stored(client.json("GET", f"/data/{doctype}/{change.doc_id}"))
    except CozyHTTPError as exc:
        if exc.status == 404:
            return WriteResult(change.doc_id, Outcome.MISSING, "no longer exists on the server", change=change)
        raise
    return Change(change.doc_id, current, dict(change.edits))


def apply_written(report: SaveReport, originals: dict[str, dict[str, Any]]) -> dict[str, str]:
    """For the app, after a write: each document written becomes the new
    original (so the next save compares with it and carries its new ``_rev``);
    returns ``{id: new rev}`` to set on the events (``event.copy_with(rev=...)``)."""
    revs = {}
    for result in report.results:
        if result.outcome is Outcome.WRITTEN and result.document is not None and result.rev:
            originals[result.doc_id] = result.document
            revs[result.doc_id] = result.rev
    return revs


def save_events(
    client: CozyClient,
    events: list[UsageEvent],
    doctype: str = DEFAULT_DOCTYPE,
    *,
    session: SaveSession | None = None,
    bulk: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    base: dict[str, dict[str, Any]] | None = None,
) -> SaveReport:
    """``dacc-gui save``: write the events whose ``eventDate`` or ``aggregated``
    were edited (see ``plan_save``; ``base``: the documents before editing, by
    id); one result per event, in order.

    Raises ``CozyError`` only when the server's documents cannot be read to
    compare with (nothing is written then), ``BackupError`` when the backup
    cannot be written (idem)."""
    plan = plan_save(client, events, doctype, cancelled, base)
    report = write_changes(client, plan.changes, doctype, session=session, bulk=bulk,
                           progress=progress, cancelled=cancelled)
    report.notes[:0] = plan.notes
    position = {e.id: n for n, e in enumerate(events) if e.id}
    merged = plan.decided + report.results
    merged.sort(key=lambda r: position.get(r.doc_id, int(r.doc_id[1:]) if r.doc_id[1:].isdigit() else 0))
    report.results = merged
    return report
