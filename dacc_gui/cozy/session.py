"""The app's Cozy state as plain data: the connection, and a document read from a Cozy.

No widgets here (and no Qt): the connect dialog, "Open from Cozy" and
saving back build on these.

- ``CozyConnection``: the instance, how we signed in (a pasted token or
  OAuth), where the token is kept (the system keyring or memory only), when
  it expires if it says so, and a ``CozyClient`` for a worker thread.
- ``CozySource``: what a document read from a Cozy remembers: the instance,
  the doctype, each document as last read or written (what edits are
  compared with on save), and the save session (one backup file).
- ``apply_results``: after a write, the new revisions set on the events,
  the fields changed on the server meanwhile merged in (said by ``Applied``),
  and the "edited" marks cleared for the events the Cozy now holds as shown.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cozy.client import CozyClient, RetryPolicy, StaticToken, TokenSource
from dacc_gui.cozy.oauth import OAuthToken
from dacc_gui.cozy.sync import EDITABLE, Outcome, SaveReport, SaveSession, WriteResult, apply_written
from dacc_gui.cozy.tokens import CozyTokens, TokenStore
from dacc_gui.events.edits import EventStore
from dacc_gui.events.model import UsageEvent

TOKEN, OAUTH = "token", "oauth"


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def token_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT (Cozy tokens are JWTs), or None when it says nothing."""
    pieces = token.split(".")
    if len(pieces) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(pieces[1] + "=" * (-len(pieces[1]) % 4)))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        return datetime.fromtimestamp(float(exp), timezone.utc) if exp is not None else None
    except (ValueError, TypeError, OverflowError, OSError):
        return None


@dataclass
class CozyConnection:
    """One signed-in Cozy instance."""

    url: str
    kind: str  # TOKEN or OAUTH
    tokens: CozyTokens
    store: TokenStore
    note: str = ""  # a warning found when connecting (e.g. the token cannot read usage events)
    source: TokenSource | None = None

    def __post_init__(self) -> None:
        if self.source is None:
            # One token source for the connection: an OAuth refresh is kept for the next call.
            self.source = (OAuthToken(self.url, self.tokens, self.store) if self.kind == OAUTH
                           else StaticToken(self.tokens.access_token))

    def __repr__(self) -> str:
        return f"CozyConnection({self.url!r}, {self.kind})"

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def kept(self) -> str:
        return self.store.note

    @property
    def persistent(self) -> bool:
        return bool(self.store.persistent)

    def current_tokens(self) -> CozyTokens:
        return self.source.tokens if isinstance(self.source, OAuthToken) else self.tokens

    def expiry(self) -> datetime | None:
        return token_expiry(self.current_tokens().access_token)

    def expiry_text(self, now: datetime | None = None) -> str:
        expires = self.expiry()
        renew = " (renewed automatically with the refresh token)" if self.kind == OAUTH else ""
        if expires is None:
            return "token expiry: not stated by the token" + renew
        now = now or datetime.now(timezone.utc)
        local = expires.astimezone().strftime("%Y-%m-%d %H:%M")
        if expires <= now:
            return f"token expired on {local}" + (renew or ": paste a new one")
        left = expires - now
        span = f"{left.days} day{'s' if left.days != 1 else ''}" if left.days else \
            f"{max(1, left.seconds // 3600)} h"
        return f"token expires on {local} (in {span}){renew}"

    def how(self) -> str:
        return "signed in with the browser (OAuth)" if self.kind == OAUTH else "pasted token"

    def client(self, retry: RetryPolicy | None = None, timeout: float = 30.0) -> CozyClient:
        """A new client for one piece of work (each worker thread its own)."""
        return CozyClient(self.url, self.source, retry=retry, timeout=timeout)


@dataclass
class CozySource:
    """A document read from a Cozy: where to write it back, and what it was."""

    url: str
    doctype: str = DEFAULT_DOCTYPE
    originals: dict[str, dict[str, Any]] = field(default_factory=dict)
    session: SaveSession = field(default_factory=SaveSession)
    database_missing: bool = False

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def backup_path(self) -> Path | None:
        return self.session.backup_path


def writable(events: list[UsageEvent], originals: dict[str, dict[str, Any]]) -> tuple[list[UsageEvent], int]:
    """The events that exist on the Cozy (they can be written back) and how many do not (added here)."""
    ok = [e for e in events if e.id and e.id in originals]
    return ok, len(events) - len(ok)


def _merge_server_fields(event: UsageEvent, original: dict[str, Any] | None, written: dict[str, Any]) -> list[str]:
    """Fields someone else changed on the server (written differs from the
    original read) come into the event; the user's own edits stay. Returns
    the names of the fields that came in."""
    if original is None:
        return []
    fresh = UsageEvent.from_document(written)
    extra = event.__pydantic_extra__ if event.__pydantic_extra__ is not None else {}
    merged = []
    for key, value in written.items():
        if key in ("_id", "_rev") or key in EDITABLE or original.get(key) == value:
            continue
        name = {"_id": "id", "_rev": "rev"}.get(key, key)
        if name in type(event).model_fields:
            setattr(event, name, getattr(fresh, name))
        else:
            extra[key] = value
        merged.append(key)
    return merged


@dataclass
class Applied:
    """What a write changed in the events: the rows touched, and the fields
    of each event that took the server's values (someone else's changes)."""

    rows: list[int] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)  # event id -> fields


def apply_results(report: SaveReport, source: CozySource, store: EventStore) -> Applied:
    """After a write: the new revisions on the events (in place, so undo keeps
    working on them), fields changed on the server meanwhile merged in, and
    the ``eventDate``/``aggregated`` marks cleared on the events written or
    found unchanged. The merged fields are not a command: the caller decides
    what becomes of the undo history (see ``Applied.merged``)."""
    before = {r.doc_id: source.originals.get(r.doc_id) for r in report.results}
    revs = apply_written(report, source.originals)
    settled = {r.doc_id for r in report.results if r.outcome in (Outcome.WRITTEN, Outcome.UNCHANGED)}
    by_id = {r.doc_id: r for r in report.results}
    applied = Applied()
    done_events = []
    for n, event in enumerate(store.events):
        if event.id not in settled:
            continue
        result: WriteResult = by_id[event.id]
        if event.id in revs:
            if result.document is not None:
                merged = _merge_server_fields(event, before.get(event.id), result.document)
                if merged:
                    applied.merged[event.id] = merged
            event.rev = revs[event.id]
        applied.rows.append(n)
        done_events.append(event)
    store.unmark(done_events, EDITABLE)
    if applied.rows:
        store.changed_outside_commands()
    return applied


def merged_note(applied: Applied) -> str:
    """What the user is told when server changes came into the events."""
    if not applied.merged:
        return ""
    fields = sorted({f for names in applied.merged.values() for f in names})
    n = len(applied.merged)
    return (f"{n:,} event{'s' if n != 1 else ''} took changes made on the Cozy meanwhile "
            f"({', '.join(fields)}): the undo history was cleared, since undoing an earlier edit would "
            "now undo those changes too.")


def has_unsaved_marks(store: EventStore) -> bool:
    """Edits still not saved anywhere: marks left, or the user context edited."""
    return store.context_edited or store.has_marks


__all__ = [
    "OAUTH", "TOKEN", "Applied", "CozyConnection", "CozySource", "apply_results", "has_unsaved_marks", "host_of",
    "merged_note",
    "token_expiry", "writable",
]
