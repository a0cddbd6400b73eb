"""Synthetic Ecolyo usage: the events of one user (or a population) over N days,
with a matching user context, and the bundled sample built from them.

A generated user opens sessions (a ``ConnectionEvent`` each, the very first
one on day 1 with result ``firstConnection``), walks the app's pages, changes
timesteps and compares consumption, connects konnectors (an attempt, then a
connection, sometimes failing) and refreshes them, plays Ecolyo's challenges
(launch, quiz, exploration, action, duel, end), completes their profile and
reads the monthly report. Dates are written the way Ecolyo writes them: local
wall-clock time labelled as UTC (``2021-12-08T09:00:00.000Z``); the
``cozyMetadata`` beside them holds true UTC times, as a Cozy would.

Everything is drawn from ``random.Random`` seeded from the arguments: the same
seed and arguments give the same bytes. Shapes written:

- one user: this project's format ``{"events": [...], "context": {...}}``
  (or another shape of ``dacc_gui.events.eventset.Shape``);
- a population, one file per user: ``<folder>/user-001.json``... each in the
  format above;
- a population in one file: ``{"events": [...], "contexts": {userId: context}}``,
  every event carrying a ``userId`` field, events of all users sorted by date.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Sequence

from dacc_gui.simulation import profiles as P
from dacc_gui.events.context import FLUID_USES, FLUIDS, UserContext
from dacc_gui.events.model import (
    EventType as T,
    UsageEvent,
    format_event_date,
    parse_event_date,
)
from dacc_gui.events.eventset import EventSet, Shape
from dacc_gui.events.loader import from_json
from dacc_gui.events.saver import dumps

DEFAULT_START = date(2021, 11, 1)
DEFAULT_SEED = 0

# The bundled sample: four weeks of one user, plus three odd events.
SAMPLE_START = date(2021, 11, 15)
SAMPLE_DAYS = 28
SAMPLE_SEED = 335
SAMPLE_RESOURCE = Path(__file__).parents[1] / "events" / "sample.json"

# Sessions start in the app's waking hours and stop well before midnight, so
# that a session never spans two days.
_FIRST_START = time(6, 30)
_LAST_START = time(22, 15)
_DAY_END = time(23, 55)


@dataclass
class GeneratedUser:
    """The events (as documents, in date order) and context of one user."""

    user_id: str
    events: list[dict[str, Any]]
    context: dict[str, Any]

    def event_set(self, source: str = "") -> EventSet:
        return EventSet(
            events=[UsageEvent.from_document(d) for d in self.events],
            context=UserContext.parse(self.context),
            shape=Shape.OWN,
            source=source,
        )


def user_id_for(index: int, users: int = 1) -> str:
    return f"user-{index + 1:0{max(3, len(str(users)))}d}"


def user_rng(seed: int, index: int) -> random.Random:
    # A string seed is hashed with SHA-512 by random: stable across runs and
    # platforms, unlike hash(). Each user has its own stream, so user 1 of a
    # population is the same whatever the population's size.
    return random.Random(f"dacc-gui generate {seed} {index}")


def generate_user(
    days: int,
    start: date = DEFAULT_START,
    seed: int = DEFAULT_SEED,
    index: int = 0,
    users: int = 1,
    aggregated_before: date | None = None,
) -> GeneratedUser:
    """One user's usage over ``days`` days from ``start`` (day 1)."""
    if days <= 0:
        raise ValueError(f"days must be at least 1, got {days}")
    sim = _UserSimulation(user_rng(seed, index), start, days)
    sim.run()
    if aggregated_before is not None:
        sim.mark_aggregated(aggregated_before)
    return GeneratedUser(user_id_for(index, users), sim.docs, sim.context())


def generate_population(
    users: int,
    days: int,
    start: date = DEFAULT_START,
    seed: int = DEFAULT_SEED,
    aggregated_before: date | None = None,
) -> list[GeneratedUser]:
    if users <= 0:
        raise ValueError(f"users must be at least 1, got {users}")
    return [generate_user(days, start, seed, i, users, aggregated_before) for i in range(users)]


def combined(population: Sequence[GeneratedUser]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every user's events in one date-sorted list, each with a ``userId``
    field, and the ``contexts`` map userId → context."""
    streams = [[{**doc, "userId": u.user_id} for doc in u.events] for u in population]
    # All dates share Ecolyo's fixed-width style: text order is time order;
    # heapq.merge is stable, so equal times keep the users' order.
    events = list(heapq.merge(*streams, key=lambda d: d["eventDate"]))
    contexts = {u.user_id: UserContext.parse(u.context).to_json() for u in population}
    return events, contexts


def combined_event_set(population: Sequence[GeneratedUser], source: str = "") -> EventSet:
    events, contexts = combined(population)
    return EventSet(
        events=[UsageEvent.from_document(d) for d in events],
        context=None,
        shape=Shape.OWN,
        extra={"events": None, "contexts": contexts},
        source=source,
    )


# --- the bundled sample -------------------------------------------------------

def build_sample() -> EventSet:
    """Four weeks of one user (fixed seed), plus three events the rules must
    flag or skip: an unknown type, a date that does not parse, a quiz whose
    result is not a number of stars."""
    user = generate_user(SAMPLE_DAYS, SAMPLE_START, SAMPLE_SEED)
    docs = [dict(d) for d in user.events]
    rng = random.Random(f"dacc-gui sample {SAMPLE_SEED}")
    odd = _OddEvents(rng, docs)
    odd.insert("unknown type", lambda at: {"type": "ThemeSwitchEvent", "target": "dark"})
    # A hand edit that wrote the time the French way: "T10h12" is no time.
    odd.insert("bad date", lambda at: {"type": T.NAVIGATION.value, "target": "faq"},
               event_date=lambda at: f"{at:%Y-%m-%d}T{at:%H}h{at:%M}")
    odd.insert("quiz result", lambda at: {
        "type": T.QUIZ_END.value, "target": P.quiz_id(1), "context": P.challenge_id(1),
        "result": "seven", "startDate": format_event_date(at - timedelta(minutes=3)),
    })
    return from_json({"events": docs, "context": user.context}, name="sample")


def sample_text() -> str:
    """The bundled sample file's exact text."""
    return dumps(build_sample())


class _OddEvents:
    """Inserts hand-made events between two events of one session."""

    def __init__(self, rng: random.Random, docs: list[dict[str, Any]]) -> None:
        self.rng, self.docs = rng, docs

    def insert(self, what: str, fields, event_date=None) -> None:
        for _ in range(1000):
            n = self.rng.randrange(1, len(self.docs) - 1)
            before, after = self.docs[n], self.docs[n + 1]
            t0, t1 = parse_event_date(before.get("eventDate")), parse_event_date(after.get("eventDate"))
            # Same day, room between the two, and not splitting a session start.
            if t0 and t1 and t0.date() == t1.date() and (t1 - t0).total_seconds() >= 4 \
                    and after["type"] != T.CONNECTION.value:
                break
        else:  # pragma: no cover - a 28-day user always has such a gap
            raise RuntimeError(f"no place for the {what} event")
        at = t0 + (t1 - t0) / 2
        doc: dict[str, Any] = {"_id": _hex(self.rng), "_rev": "1-" + _hex(self.rng)}
        body = fields(at)
        doc["type"] = body.pop("type")
        for key in ("target", "context", "result"):
            if key in body:
                doc[key] = body.pop(key)
        doc["eventDate"] = event_date(at) if event_date else format_event_date(at)
        doc.update(body)
        doc["aggregated"] = False
        doc["cozyMetadata"] = _cozy_metadata(self.rng, at)
        self.docs.insert(n + 1, doc)


# --- one user's simulation ------------------------------------------------------

def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


@functools.lru_cache(maxsize=None)
def _summer(year: int) -> tuple[datetime, datetime]:
    return (datetime.combine(_last_sunday(year, 3), time(2)),
            datetime.combine(_last_sunday(year, 10), time(3)))


def _utc(local: datetime) -> datetime:
    """Lyon's wall clock to UTC (EU summer time: last Sunday of March to last
    Sunday of October), for the cozyMetadata times a Cozy writes."""
    begin, end = _summer(local.year)
    return local - timedelta(hours=2 if begin <= local < end else 1)


def _cozy_metadata(rng: random.Random, local: datetime) -> dict[str, Any]:
    created = format_event_date(_utc(local) + timedelta(milliseconds=rng.randint(3, 60)))
    return {
        "doctypeVersion": 1,
        "metadataVersion": 1,
        "createdAt": created,
        "createdByApp": "ecolyo",
        "createdByAppVersion": P.APP_VERSION,
        "updatedAt": created,
        "updatedByApps": [{"date": created, "slug": "ecolyo", "version": P.APP_VERSION}],
    }


@dataclass
class _Challenge:
    number: int
    launched: datetime
    quiz_done: bool = False
    exploration_started: datetime | None = None
    exploration_done: bool = False
    action: str | None = None
    action_started: datetime | None = None
    action_days: int = 1
    action_done: bool = False
    duel_launched: datetime | None = None
    duel_days: int = 3

    @property
    def id(self) -> str:
        return P.challenge_id(self.number)


@dataclass
class _Konnector:
    fluid: str
    tries: int = 0
    connected: bool = False
    given_up: bool = False


@dataclass
class _Profile:
    """The traits of one generated user, drawn once."""

    devices: list[str]
    device_weights: list[int]
    keyword_context: bool  # writes "mobile"/"desktop" instead of a user agent
    user_agents: dict[str, str]
    active_rate: float  # chance of opening the app on a given day
    extra_session_rate: float  # chance of one more session that day
    wanted_fluids: list[str]
    subscribed: bool
    consent: bool
    monthly_day: int
    half_hour: bool
    scale: float
    uses: dict[str, list[str]]
    profile_on_day_one: bool
    challenge_player: float  # how keen on challenges


class _UserSimulation:
    def __init__(self, rng: random.Random, start: date, days: int) -> None:
        self.rng = rng
        self.start, self.days = start, days
        self.p = self._draw_profile()
        self.docs: list[dict[str, Any]] = []
        self.konnectors = {f: _Konnector(f) for f in self.p.wanted_fluids}
        self.challenge: _Challenge | None = None
        self.next_challenge = 1
        self.challenge_rest_until: date = start
        self.profile_sets = 0
        self.report_pending = False
        self.first_connection: str | None = None
        self.t = datetime.combine(start, _FIRST_START)
        self.day = start

    # --- traits ---------------------------------------------------------------
    def _draw_profile(self) -> _Profile:
        r = self.rng
        main = r.choices(P.DEVICES, weights=(6, 1, 3))[0]
        devices = [main]
        if r.random() < 0.45:
            devices.append(r.choice([d for d in P.DEVICES if d != main]))
        wanted = [f for f in FLUIDS if r.random() < {"electricity": 0.9, "water": 0.6, "gas": 0.45}[f]]
        if not wanted:
            wanted = [r.choice(FLUIDS)]
        r.shuffle(wanted)  # the order the user connects them in
        uses = {}
        for fluid in FLUIDS:
            chosen = [u for u in P.FLUID_USE_CHOICES[fluid] if r.random() < 0.5]
            if chosen:
                uses[fluid] = [u for u in FLUID_USES if u in chosen]
        return _Profile(
            devices=devices,
            device_weights=[4, 1][: len(devices)],
            keyword_context=r.random() < 0.1,
            user_agents={d: r.choice(P.USER_AGENTS[d]) for d in P.DEVICES},
            active_rate=r.uniform(0.35, 0.9),
            extra_session_rate=r.uniform(0.1, 0.45),
            wanted_fluids=wanted,
            subscribed=r.random() < 0.6,
            consent=r.random() < 0.95,
            monthly_day=3 if r.random() < 0.85 else r.randint(1, 28),
            half_hour=r.random() < 0.8,
            scale=r.uniform(0.55, 1.8),
            uses=uses,
            profile_on_day_one=r.random() < 0.6,
            challenge_player=r.uniform(0.2, 1.0),
        )

    # --- the period -------------------------------------------------------------
    def run(self) -> None:
        for offset in range(self.days):
            self.day = self.start + timedelta(days=offset)
            if self.p.subscribed and self.day.day == self.p.monthly_day and offset > 0:
                self.report_pending = True
            first_day = offset == 0
            if not first_day and self.rng.random() >= self.p.active_rate:
                continue
            self.t = datetime.combine(self.day, _FIRST_START)
            sessions = 0
            while sessions == 0 or self.rng.random() < self.p.extra_session_rate:
                if not self._start_session(first=first_day and sessions == 0):
                    break
                sessions += 1
                self._session_body(onboarding=first_day and sessions == 1)

    def _start_session(self, first: bool) -> bool:
        gap = self.rng.randint(20 * 60, 6 * 3600) if self.t.time() > _FIRST_START else self.rng.randint(0, 12 * 3600)
        at = self.t + timedelta(seconds=gap, milliseconds=self.rng.randint(0, 999))
        if at.date() != self.day or at.time() > _LAST_START:
            if not first:
                return False
            at = datetime.combine(self.day, _LAST_START) - timedelta(seconds=self.rng.randint(0, 3600))
        self.t = at
        device = self.rng.choices(self.p.devices, weights=self.p.device_weights)[0]
        browser = device if self.p.keyword_context else self.p.user_agents[device]
        result = None
        if first:
            result = "firstConnection"
        doc = self._emit(T.CONNECTION, context=browser, result=result)
        if first:
            self.first_connection = doc["eventDate"]
        return True

    def _session_body(self, onboarding: bool) -> None:
        if onboarding:
            self._navigate("consumption")
            for fluid in self.p.wanted_fluids[: self.rng.randint(1, len(self.p.wanted_fluids))]:
                self._connect(fluid, retry=True)
            if self.p.profile_on_day_one:
                self._navigate("options")
                self._emit(T.PROFILE_SET, pause=(60, 240))
                self.profile_sets += 1
        steps = self.rng.randint(1, 7)
        for _ in range(steps):
            if self.t.time() > _LAST_START:
                break
            self._step()

    def _step(self) -> None:
        r = self.rng
        if r.random() < 0.45:
            fluids = self.p.wanted_fluids
            fluid = r.choice(fluids + ([P.MULTIFLUID] if len(fluids) > 1 else []))
            self._fluid_page(fluid)
            return
        page = r.choices(P.NAV_PAGES, weights=P.NAV_WEIGHTS)[0]
        self._navigate(page)
        if page == "consumption":
            self._consumption_actions(P.MULTIFLUID)
        elif page == "challenges":
            self._challenges()
        elif page == "analysis" and self.report_pending:
            self._emit(T.REPORT_FROM, context="analysis", result="1", pause=(2, 20))
            self.report_pending = False
        elif page == "options" and (self.profile_sets == 0 and r.random() < 0.4 or r.random() < 0.04):
            self._emit(T.PROFILE_SET, pause=(60, 300))
            self.profile_sets += 1

    def _fluid_page(self, fluid: str) -> None:
        self._navigate(P.FLUID_PAGES.get(fluid, P.MULTIFLUID))
        if fluid == P.MULTIFLUID:
            self._consumption_actions(fluid)
            return
        konnector = self.konnectors[fluid]
        if not konnector.connected:
            if not konnector.given_up:
                self._connect(fluid, retry=self.rng.random() < 0.5)
            return
        self._consumption_actions(fluid)
        if self.rng.random() < 0.12:
            result = "success" if self.rng.random() < 0.85 else "error"
            self._emit(T.KONNECTOR_REFRESH, target=P.KONNECTORS[fluid], result=result, pause=(5, 90))

    def _consumption_actions(self, fluid: str) -> None:
        r = self.rng
        for _ in range(r.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]):
            if r.random() < 0.8:
                self._emit(T.CONSUMPTION_CHANGE_TIMESTEP, target=r.choice(P.TIMESTEPS), context=fluid, pause=(3, 60))
            else:
                self._emit(T.CONSUMPTION_COMPARE, target=r.choice(P.TIMESTEPS[1:]), context=fluid, pause=(3, 60))

    def _connect(self, fluid: str, retry: bool) -> None:
        """Konnector connection tries: an attempt, then the connection's outcome."""
        konnector = self.konnectors[fluid]
        slug = P.KONNECTORS[fluid]
        while not konnector.connected and not konnector.given_up:
            konnector.tries += 1
            ok = self.rng.random() < P.CONNECT_SUCCESS[fluid]
            result = "success" if ok else "error"
            self._emit(T.KONNECTOR_ATTEMPT, target=slug, result=result, pause=(10, 60))
            self._emit(T.KONNECTOR_CONNECT, target=slug, result=result, pause=(15, 120))
            konnector.connected = ok
            if not ok and konnector.tries >= 4:
                konnector.given_up = True
            if not retry or self.rng.random() < 0.4:
                break

    def _challenges(self) -> None:
        r = self.rng
        c = self.challenge
        if c is None:
            if (self.day >= self.challenge_rest_until and self.next_challenge <= P.CHALLENGE_COUNT
                    and r.random() < self.p.challenge_player):
                doc = self._emit(T.CHALLENGE_LAUNCH, target=P.challenge_id(self.next_challenge), pause=(5, 40))
                self.challenge = _Challenge(self.next_challenge, parse_event_date(doc["eventDate"]),
                                            action_days=r.randint(1, 4), duel_days=r.randint(2, 6))
                self.next_challenge += 1
            return
        todo = []
        if not c.quiz_done:
            todo.append(self._quiz)
        if not c.exploration_done:
            todo.append(self._exploration)
        if not c.action_done and (c.action is None or self.day >= c.action_started.date() + timedelta(c.action_days)
                                  or r.random() < 0.15):
            todo.append(self._action)
        if not todo:
            todo.append(self._duel)
        r.choice(todo)(c)

    def _quiz(self, c: _Challenge) -> None:
        started = self._pause(5, 30)
        stars = self.rng.choices(P.QUIZ_STARS, weights=P.QUIZ_WEIGHTS)[0]
        self._emit(T.QUIZ_END, target=P.quiz_id(c.number), context=c.id, result=stars,
                   start=started, pause=(60, 300))
        c.quiz_done = True

    def _exploration(self, c: _Challenge) -> None:
        if c.exploration_started is None:
            c.exploration_started = self._pause(5, 30)
            if self.rng.random() < 0.5:
                return  # finished on a later visit
        self._emit(T.EXPLORATION_END, target=P.exploration_id(c.number), context=c.id,
                   start=c.exploration_started, pause=(20, 180))
        c.exploration_done = True

    def _action(self, c: _Challenge) -> None:
        if c.action is not None and self.day >= c.action_started.date() + timedelta(c.action_days):
            self._emit(T.ACTION_END, target=c.action, context=c.id, start=c.action_started, pause=(5, 60))
            c.action_done = True
            return
        c.action = P.ecogesture_id(self.rng.randint(1, P.ECOGESTURE_COUNT))
        doc = self._emit(T.ACTION_CHANGE, target=c.action, context=c.id, pause=(10, 90))
        c.action_started = parse_event_date(doc["eventDate"])

    def _duel(self, c: _Challenge) -> None:
        if c.duel_launched is None:
            doc = self._emit(T.DUEL_LAUNCH, target=P.duel_id(c.number), context=c.id, pause=(5, 40))
            c.duel_launched = parse_event_date(doc["eventDate"])
            return
        if self.day < c.duel_launched.date() + timedelta(c.duel_days):
            return
        result = "win" if self.rng.random() < 0.6 else "loss"
        self._emit(T.DUEL_END, target=P.duel_id(c.number), result=result, start=c.duel_launched, pause=(3, 30))
        self._emit(T.CHALLENGE_END, target=c.id, start=c.launched, pause=(3, 20))
        self.challenge = None
        self.challenge_rest_until = self.day + timedelta(days=self.rng.randint(0, 3))

    # --- writing events ---------------------------------------------------------
    def _navigate(self, page: str) -> None:
        self._emit(T.NAVIGATION, target=page, pause=(2, 45))

    def _pause(self, low: int, high: int) -> datetime:
        """Move the clock on (never past the end of the day) and return it."""
        moved = self.t + timedelta(seconds=self.rng.randint(low, high), milliseconds=self.rng.randint(0, 999))
        limit = datetime.combine(self.day, _DAY_END)
        # Near midnight, events bunch up a second apart rather than spill over.
        self.t = moved if moved < limit else self.t + timedelta(seconds=1)
        return self.t

    def _emit(self, kind: T, target: str | None = None, context: str | None = None,
              result: str | None = None, start: datetime | None = None,
              pause: tuple[int, int] | None = None) -> dict[str, Any]:
        if pause is not None:
            self._pause(*pause)
        # Ecolyo's UsageEventService writes the fields in this order.
        doc: dict[str, Any] = {"_id": _hex(self.rng), "_rev": "1-" + _hex(self.rng), "type": kind.value}
        if target is not None:
            doc["target"] = target
        if context is not None:
            doc["context"] = context
        if result is not None:
            doc["result"] = result
        doc["eventDate"] = format_event_date(self.t)
        if start is not None:
            doc["startDate"] = format_event_date(start)
        doc["aggregated"] = False
        doc["cozyMetadata"] = _cozy_metadata(self.rng, self.t)
        self.docs.append(doc)
        return doc

    def mark_aggregated(self, before: date) -> None:
        """Events of days before ``before`` as a nightly run left them: flag
        set, a second revision, updated by the service the next night."""
        for doc in self.docs:
            moment = parse_event_date(doc["eventDate"])
            if moment.date() >= before:
                continue
            doc["_rev"] = "2-" + _hex(self.rng)
            doc["aggregated"] = True
            run = datetime.combine(moment.date() + timedelta(days=1), time(1)) + timedelta(
                seconds=self.rng.randint(0, 300), milliseconds=self.rng.randint(0, 999))
            updated = format_event_date(_utc(run))
            meta = doc["cozyMetadata"]
            meta["updatedAt"] = updated
            meta["updatedByApps"] = [{"date": updated, "slug": "ecolyo", "version": P.APP_VERSION}]

    # --- context ------------------------------------------------------------------
    def context(self) -> dict[str, Any]:
        """The user's context at the end of the period, consistent with the events."""
        connected = [f for f in FLUIDS if f in self.konnectors and self.konnectors[f].connected]
        last = self.start + timedelta(days=self.days - 1)
        # Konnectors fetch history: consumption is known from the month
        # before the first day, so the first monthly run has a variation.
        months = []
        n = self.start.year * 12 + self.start.month - 2
        while n <= last.year * 12 + last.month - 1:
            months.append((n // 12, n % 12 + 1))
            n += 1
        consumption = {}
        for fluid in connected:
            base, swing = P.CONSUMPTION[fluid]
            per_month = {}
            for year, month in months:
                # Winter peaks in January; each month a little noise.
                season = 1 + swing * _winter(month)
                value = base * self.p.scale * season * self.rng.uniform(0.9, 1.1)
                per_month[f"{year:04d}-{month:02d}"] = round(value, 2)
            consumption[fluid] = per_month
        context = {
            "daccConsent": self.p.consent,
            "monthlyAnalysisDay": self.p.monthly_day,
            "firstConnectionDate": self.first_connection,
            "subscribedToMonthlyReport": self.p.subscribed,
            "connectedFluids": connected,
            "halfHourData": {f: (f == "electricity" and self.p.half_hour) for f in connected},
            "monthlyConsumption": consumption,
            # Uses are known once the profile has been completed.
            "fluidUsage": {f: u for f, u in self.p.uses.items() if f in connected} if self.profile_sets else {},
        }
        return UserContext.parse(context).to_json()


def _winter(month: int) -> float:
    """1 in January, -1 in July."""
    return math.cos(2 * math.pi * (month - 1) / 12)


if __name__ == "__main__":  # python -m dacc_gui.simulation.generator: rewrite the bundled sample
    SAMPLE_RESOURCE.write_text(sample_text(), encoding="utf-8")
    print(f"wrote {SAMPLE_RESOURCE}")
