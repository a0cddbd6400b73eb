"""Production's aggregation, as its cron (``flask compute-all-aggregations``) runs it.

A pass, per definition, takes the raw measures production stored since the
definition's last pass, groups them per (createdBy, startDate, group1..3),
and merges each group into the stored aggregate (``dacc.figures.merged``),
or saves a new one, every figure rounded to 2 decimals. A pass runs only when
the definition's ``executionFrequency`` (day, week, month = 30 days) has
passed since its last pass, unless forced; a group whose sum reaches 10^10
makes the whole pass of that definition fail (nothing aggregated for it).
``/aggregate`` reads only what the passes saved, threshold applied.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from dacc_gui.dacc.aggregate import Query, value_of
from dacc_gui.dacc.figures import Figures, NumericOverflow, merged, of_values
from dacc_gui.dacc.measures import MeasureCatalog, MeasureDefinition
from dacc_gui.receiver.records import Kind
from dacc_gui.receiver.store import Store

# The DACC's periods; a definition without one runs daily, as the DACC's default.
FREQUENCY_DAYS = {"day": 1, "week": 7, "month": 30}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def frequency(definition: MeasureDefinition) -> timedelta:
    """Open case: an executionFrequency other than day, week or month counts as a day."""
    return timedelta(days=FREQUENCY_DAYS.get(definition.executionFrequency or "day", 1))


@dataclass
class PassOutcome:
    """What one definition's pass did (or why it did not run)."""

    measure_name: str
    ran: bool
    ok: bool = True
    raw_rows: int = 0
    groups: int = 0
    note: str = ""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "measureName": self.measure_name, "ran": self.ran, "ok": self.ok,
            "rawRows": self.raw_rows, "groups": self.groups, "note": self.note, "error": self.error,
        }


def _figures_text(figures: Figures) -> str:
    return json.dumps({k: str(v) if isinstance(v, Decimal) else v for k, v in figures.__dict__.items()})


def _figures_of(text: str) -> Figures:
    data = json.loads(text)
    return Figures(**{
        k: v if k in ("count", "count_not_zero") or v is None else Decimal(v) for k, v in data.items()
    })


class ProductionAggregation:
    """The aggregation passes over a store, and ``/aggregate`` over what they saved."""

    def __init__(self, store: Store, catalog: MeasureCatalog, clock: Clock = utc_now):
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self._lock = threading.Lock()  # one pass at a time (button, schedule, control API)

    # -- the passes --------------------------------------------------------------
    def run(self, force: bool = True, measure: str | None = None) -> list[PassOutcome]:
        """A pass over every definition (or one), as the cron runs it; ``force`` skips the
        executionFrequency check."""
        with self._lock, self.store.pass_lock():  # and one across the processes sharing a database
            definitions = [d for d in self.catalog.definitions if measure in (None, d.name)]
            return [self._run_one(d, force) for d in definitions]

    def _last_ok(self, name: str) -> tuple[datetime, int] | None:
        rows = self.store.read(
            "SELECT ran_at, through_id FROM aggregation_passes WHERE measure_name = ? AND ok = 1 "
            "ORDER BY id DESC LIMIT 1", (name,),
        )
        if not rows:
            return None
        return datetime.fromisoformat(rows[0][0].replace("Z", "+00:00")), rows[0][1]

    def _run_one(self, definition: MeasureDefinition, force: bool) -> PassOutcome:
        name = definition.name
        last = self._last_ok(name)
        after = last[1] if last else 0
        through = self.store.read(
            "SELECT max(id) FROM records WHERE measure_name = ? AND kind = ? AND stored = 1 AND id > ?",
            (name, Kind.MEASURE, after),
        )[0][0]
        if through is None:  # the DACC's "No new measure": no pass recorded
            return PassOutcome(name, ran=False, note="no new measure since the last pass")
        now = self.clock()
        if not force and last is not None and now - last[0] < frequency(definition):
            return PassOutcome(
                name, ran=False,
                note=f"too close to the last pass ({_iso(last[0])}; executionFrequency "
                     f"{definition.executionFrequency or 'day'})",
            )
        rows = self.store.read(
            "SELECT created_by, start_ts, g1, g2, g3, value FROM records WHERE measure_name = ? "
            "AND kind = ? AND stored = 1 AND id > ? AND id <= ?",
            (name, Kind.MEASURE, after, through),
        )
        new: dict[tuple, list[Decimal]] = {}
        for created_by, start_ts, g1, g2, g3, value in rows:
            new.setdefault((created_by, start_ts, g1, g2, g3), []).append(value_of(value))
        try:
            saved = self._merge(definition, new, through)
        except NumericOverflow as exc:
            error = (
                f"(psycopg2.errors.NumericValueOutOfRange) numeric field overflow: {exc} in a group "
                f"of {name}; the whole pass of {name} fails, nothing aggregated"
            )
            with self.store.transaction() as cur:
                self._record_pass(cur, name, now, force, ok=False, through=None, raw=len(rows), groups=0, error=error)
            return PassOutcome(name, ran=True, ok=False, raw_rows=len(rows), error=error)
        with self.store.transaction() as cur:  # the pass and what it saved, together or not at all
            pass_id = self._record_pass(cur, name, now, force, ok=True, through=through, raw=len(rows), groups=len(saved))
            cur.executemany(
                "INSERT INTO aggregates (key, measure_name, created_by, start_ts, g1, g2, g3, figures, "
                "first_pass, last_pass) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE "
                "SET figures = excluded.figures, last_pass = excluded.last_pass",
                [(_key(name, k), name, *k, _figures_text(f), pass_id, pass_id) for k, f in saved.items()],
            )
        return PassOutcome(name, ran=True, raw_rows=len(rows), groups=len(saved))

    def _merge(self, definition: MeasureDefinition, new: dict[tuple, list[Decimal]], through: int) -> dict:
        """Every touched group's figures to save, rounded; NumericOverflow fails them all."""
        out = {}
        for key, values in new.items():
            fresh = of_values(values, definition.withQuartiles)
            stored = self.store.read("SELECT figures FROM aggregates WHERE key = ?", (_key(definition.name, key),))
            if not stored:
                out[key] = fresh.rounded()
                continue
            everything = self._raw_values(definition.name, key, through) if definition.withQuartiles else None
            out[key] = merged(_figures_of(stored[0][0]), fresh, everything).rounded()
        return out

    def _raw_values(self, name: str, key: tuple, through: int) -> list[Decimal]:
        created_by, start_ts, g1, g2, g3 = key
        rows = self.store.read(
            "SELECT value FROM records WHERE measure_name = ? AND kind = ? AND stored = 1 AND id <= ? "
            "AND start_ts = ? AND created_by IS ? AND g1 IS ? AND g2 IS ? AND g3 IS ?",
            (name, Kind.MEASURE, through, start_ts, created_by, g1, g2, g3),
        )
        return [value_of(v) for (v,) in rows]

    @staticmethod
    def _record_pass(cur, name, now, force, ok, through, raw, groups, error=None) -> int:
        cur.execute(
            "INSERT INTO aggregation_passes (measure_name, ran_at, forced, ok, through_id, raw_rows, "
            "groups, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",  # PostgreSQL has no lastrowid
            (name, _iso(now), int(force), int(ok), through, raw, groups, error),
        )
        return cur.fetchone()[0]

    # -- what production shows -----------------------------------------------------
    def query(self, query: Query, include_hidden: bool = False) -> list[dict[str, Any]]:
        """``/aggregate``'s rows: saved aggregates in the range, ``count >= threshold``,
        ordered by startDate; with ``include_hidden`` the others too, marked hidden."""
        definition = self.catalog.get(query.measure_name)
        sql = (
            "SELECT created_by, start_ts, g1, g2, g3, figures FROM aggregates WHERE measure_name = ? "
            "AND start_ts >= ? AND start_ts < ?"
        )
        params: list[Any] = [query.measure_name, query.start, query.end]
        if query.created_by is not None:
            sql += " AND created_by = ?"
            params.append(query.created_by)
        out = []
        for created_by, start_ts, g1, g2, g3, text in self.store.read(sql + " ORDER BY start_ts, first_pass, key", params):
            figures = _figures_of(text)
            hidden = figures.count < definition.aggregationThreshold
            if hidden and not include_hidden:
                continue
            item: dict[str, Any] = {"measureName": query.measure_name}
            if created_by is not None:
                item["createdBy"] = created_by
            item["startDate"] = datetime.fromisoformat(start_ts).isoformat()
            for n, group in ((1, g1), (2, g2), (3, g3)):
                if group is not None:
                    item[f"group{n}"] = json.loads(group)
            item.update(figures.to_json())
            if include_hidden:
                item["hidden"] = hidden
            out.append(item)
        return out

    def last_pass_at(self) -> str | None:
        """When the last pass ran (any definition, failed ones included), or None."""
        return self.store.read("SELECT max(ran_at) FROM aggregation_passes")[0][0]

    def status(self) -> dict[str, Any]:
        """Per definition: its last pass, when it is due next, and the pending raw measures."""
        definitions = []
        for d in self.catalog.definitions:
            last = self.store.read(
                "SELECT ran_at, ok, error, groups, raw_rows FROM aggregation_passes WHERE measure_name = ? "
                "ORDER BY id DESC LIMIT 1", (d.name,),
            )
            ok = self._last_ok(d.name)
            pending = self.store.read(
                "SELECT count(*) FROM records WHERE measure_name = ? AND kind = ? AND stored = 1 AND id > ?",
                (d.name, Kind.MEASURE, ok[1] if ok else 0),
            )[0][0]
            entry: dict[str, Any] = {
                "measureName": d.name,
                "executionFrequency": d.executionFrequency or "day",
                "lastPassAt": last[0][0] if last else None,
                "lastPassOk": bool(last[0][1]) if last else None,
                "lastPassError": last[0][2] if last else None,
                "pendingRawMeasures": pending,
                "nextDueAt": _iso(ok[0] + frequency(d)) if ok else None,
            }
            definitions.append(entry)
        return {"lastPassAt": self.last_pass_at(), "definitions": definitions}


def _key(name: str, key: tuple) -> str:
    return json.dumps([name, *key], ensure_ascii=False)
