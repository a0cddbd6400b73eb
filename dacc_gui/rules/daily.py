"""Daily indicators for one day D (rulebook section 4)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from dacc_gui.events.model import parse_event_date
from dacc_gui.rules.indicators import Indicator
from dacc_gui.rules import catalog as R
from dacc_gui.rules import event_types as T
from dacc_gui.rules.accumulate import Counter, SkipList, g
from dacc_gui.rules.timeline import FIRST_CONNECTION, Entry, Timeline

_MOBILE_UA = re.compile(r"Mobi|Android|iPhone|iPad|iPod|Tablet", re.IGNORECASE)

# event type -> (start_event, end_event, the fields whose values make params)
END_EVENTS = {
    T.CHALLENGE_END: ("start_challenge", "end_challenge", ("target",)),
    T.EXPLORATION_END: ("start_exploration", "end_exploration", ("target", "context")),
    T.ACTION_END: ("start_action", "end_action", ("target", "context")),
    T.DUEL_END: ("start_duel", "end_duel", ("target", "result")),
    T.QUIZ_END: ("start_quiz", "end_quiz", ("target", "context")),
}

_NO_START = {etype: f"{etype}: no startDate, so no event-duration" for etype in END_EVENTS}

# event type -> (page, feature); params are the non-empty parts of target:context
NAVIGATION_ACTIONS = {
    T.CONSUMPTION_CHANGE_TIMESTEP: ("consumption", "change_timestep"),
    T.CONSUMPTION_COMPARE: ("consumption", "compare"),
    T.ACTION_CHANGE: ("action", "action_change"),
    T.PROFILE_SET: ("profile", "profileTypeFinished"),
}

DUEL_LAUNCH_REASON = (
    "DuelLaunchEvent carries no start, so it yields no event-duration "
    "(the Ecolyo page lists it under event-duration)"
)


def text(value: object) -> str:
    """A field as group text: '' when missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def device(context: object) -> str:
    """mobile or desktop, from the browser the ConnectionEvent recorded."""
    if isinstance(context, str):
        if context.strip().lower() in ("mobile", "tablet") or _MOBILE_UA.search(context):
            return "mobile"
    return "desktop"


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds, rounded down."""
    return math.floor((end - start).total_seconds())


def quiz_stars(result: object) -> int | None:
    """Stars of a quiz result: an integer 0..5 given as a JSON number or one digit."""
    if isinstance(result, bool):
        return None
    if isinstance(result, int):
        stars = result
    elif isinstance(result, float) and result.is_integer():
        stars = int(result)
    elif isinstance(result, str) and len(result) == 1 and result.isdigit():
        stars = int(result)
    else:
        return None
    return stars if 0 <= stars <= 5 else None


def compute_day(day: date, entries: list[Entry], timeline: Timeline, skips: SkipList) -> list[Indicator]:
    """The daily indicators of day D from its pending events (sorted by time)."""
    start = day.isoformat()
    connections = Counter(R.CONNECTION_COUNT_DAILY, start, _device_groups)
    konnectors = Counter(R.KONNECTOR_EVENT_DAILY, start, _konnector_groups)
    pages = Counter(R.NAVIGATION_COUNT_DAILY, start, _page_groups)
    actions = Counter(R.NAVIGATION_ACTION_DAILY, start, _action_groups)
    launches = Counter(R.CHALLENGE_LAUNCH_DAILY, start, _challenge_groups)
    durations: list[Indicator] = []
    stars: list[Indicator] = []
    sessions: list[Indicator] = []
    # Half a million entries go through this loop: the names it compares with
    # are local, and a count is kept inline (no call per entry).
    CONNECTION, NAVIGATION, CHALLENGE_LAUNCH, DUEL_LAUNCH, QUIZ_END = (
        T.CONNECTION, T.NAVIGATION, T.CHALLENGE_LAUNCH, T.DUEL_LAUNCH, T.QUIZ_END)
    KONNECTOR_EVENTS = (T.KONNECTOR_CONNECT, T.KONNECTOR_REFRESH)
    # Counted by their values (a text hashes once); the groups are made at the end.
    by_device, by_konnector, by_page, by_action, by_challenge = (
        connections.counts, konnectors.counts, pages.counts, actions.counts, launches.counts)
    devices: dict[str, str] = {}  # the day's browsers: a user has few
    # The session open (section 4, Sessions): it starts at a ConnectionEvent and
    # takes every later event of the day up to the next one.
    opening: Entry | None = None
    last = opening
    session_ids: list[str] = []
    session_pages = 0

    for entry in entries:
        event = entry.event
        etype = event.type
        if etype == CONNECTION:
            if opening is not None:
                sessions.append(_session(opening, last, session_pages, session_ids, start))
            opening = last = entry
            session_ids = [entry.id]
            session_pages = 0
        elif opening is not None:
            last = entry
            session_ids.append(entry.id)
            if etype == NAVIGATION:
                session_pages += 1

        if etype == CONNECTION:
            context = event.context
            kind = devices.get(context) if type(context) is str else None
            if kind is None:
                kind = device(context)
                if type(context) is str:
                    devices[context] = kind
            by_device.setdefault(kind, []).append(entry.id)
        elif etype in KONNECTOR_EVENTS:
            slug = text(event.target)
            if not slug:
                skips.add(entry.index, entry.id, f"{etype} without target (konnector slug)")
                continue
            kind = "connection" if etype == T.KONNECTOR_CONNECT else "refresh"
            status = text(event.result) or "error"
            by_konnector.setdefault((slug, kind, status), []).append(entry.id)
        elif etype == NAVIGATION:
            page = event.target
            if type(page) is not str:
                page = text(page)
            if not page:
                skips.add(entry.index, entry.id, "NavigationEvent without target (page name)")
                continue
            by_page.setdefault(page, []).append(entry.id)
        elif etype in NAVIGATION_ACTIONS:
            page, feature = NAVIGATION_ACTIONS[etype]
            if etype == T.PROFILE_SET:
                params = "none"
            else:
                params = ":".join(p for p in (text(event.target), text(event.context)) if p) or "none"
            by_action.setdefault((page, feature, params), []).append(entry.id)
        elif etype == CHALLENGE_LAUNCH:
            challenge = text(event.target)
            if not challenge:
                skips.add(entry.index, entry.id, "ChallengeLaunchEvent without target (challenge id)")
            else:
                by_challenge.setdefault(challenge, []).append(entry.id)
            first = _first_challenge(entry, timeline)
            if first is not None:
                durations.append(first)
        elif etype == DUEL_LAUNCH:
            skips.add(entry.index, entry.id, DUEL_LAUNCH_REASON)
        elif etype in END_EVENTS:
            duration = _event_duration(entry, skips)
            if duration is not None:
                durations.append(duration)
            if etype == QUIZ_END:
                quiz = _quiz_stars(entry, start, skips)
                if quiz is not None:
                    stars.append(quiz)

    if opening is not None:
        sessions.append(_session(opening, last, session_pages, session_ids, start))
    return (
        connections.indicators() + konnectors.indicators() + pages.indicators()
        + actions.indicators() + launches.indicators() + sessions + durations + stars
    )


def _device_groups(device: str) -> tuple:
    return (g("device", device), None, None)


def _konnector_groups(key: tuple[str, str, str]) -> tuple:
    slug, kind, status = key
    return (g("slug", slug), g("event_type", kind), g("status", status))


def _page_groups(page: str) -> tuple:
    return (g("page", page), None, None)


def _action_groups(key: tuple[str, str, str]) -> tuple:
    page, feature, params = key
    return (g("page", page), g("feature", feature), g("params", params))


def _challenge_groups(challenge: str) -> tuple:
    return (g("challenge_id", challenge), None, None)


def _session(opening: Entry, last: Entry, pages: int, ids: list[str], start: str) -> Indicator:
    """One session-duration: from its ConnectionEvent to its last event."""
    kind = "first" if opening.event.result == FIRST_CONNECTION else "any"
    value = seconds_between(opening.moment, last.moment)
    groups = (g("number_pages", str(pages)), g("session_type", kind), None)
    return Indicator(R.SESSION_DURATION.measure, start, value, groups, R.SESSION_DURATION, ids)


def _event_duration(entry: Entry, skips: SkipList) -> Indicator | None:
    event = entry.event
    start_event, end_event, fields = END_EVENTS[event.type]
    if event.startDate is None:
        skips.add(entry.index, entry.id, _NO_START[event.type])
        return None
    started = parse_event_date(event.startDate)
    if started is None:
        what = "no startDate" if event.startDate in (None, "") else f"startDate {event.startDate!r} does not parse"
        skips.add(entry.index, entry.id, f"{event.type}: {what}, so no event-duration")
        return None
    value = seconds_between(started, entry.moment)
    if value < 0:
        skips.add(entry.index, entry.id, f"{event.type}: startDate is after eventDate, so no event-duration")
        return None
    params = ":".join(text(getattr(event, f)) or "none" for f in fields)
    groups = (g("start_event", start_event), g("end_event", end_event), g("params", params))
    return Indicator(R.EVENT_DURATION.measure, entry.moment.date().isoformat(), value, groups,
                     R.EVENT_DURATION, [entry.id])


def _quiz_stars(entry: Entry, start: str, skips: SkipList) -> Indicator | None:
    event = entry.event
    value = quiz_stars(event.result)
    if value is None:
        skips.add(entry.index, entry.id, f"QuizEndEvent result {event.result!r} is not 0 to 5 stars, so no quiz-stars")
        return None
    challenge, quiz = text(event.context), text(event.target)
    if not challenge or not quiz:
        missing = "context (challenge id)" if not challenge else "target (quiz id)"
        skips.add(entry.index, entry.id, f"QuizEndEvent without {missing}, so no quiz-stars")
        return None
    groups = (g("challenge_id", challenge), g("quiz_id", quiz), None)
    return Indicator(R.QUIZ_STARS.measure, start, value, groups, R.QUIZ_STARS, [entry.id])


def _first_challenge(launch: Entry, timeline: Timeline) -> Indicator | None:
    """The first_session → first_challenge duration, when this launch is the
    earliest of the whole history and a first connection precedes it."""
    if timeline.first_challenge is not launch:
        return None
    first = timeline.first_connection
    if first is None or first.moment > launch.moment:
        return None
    value = seconds_between(first.moment, launch.moment)
    params = text(launch.event.target) or "none"
    groups = (g("start_event", "first_session"), g("end_event", "first_challenge"), g("params", params))
    return Indicator(R.FIRST_CHALLENGE.measure, launch.moment.date().isoformat(), value, groups,
                     R.FIRST_CHALLENGE, [first.id, launch.id])
