"""Monthly indicators (rulebook section 5): month M is the calendar month
before the run date's, and every monthly indicator's startDate is the run
date itself, as the Ecolyo page's sample output shows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dacc_gui.events.context import FLUID_USES, FLUIDS, UserContext, months_between
from dacc_gui.rules.indicators import Indicator
from dacc_gui.rules import catalog as R
from dacc_gui.rules.accumulate import g
from dacc_gui.rules.timeline import Timeline

SUCCESS = "success"


def month_before(day: date) -> tuple[date, date]:
    """First and last day of the calendar month before ``day``'s month."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def round2(value: float) -> float:
    """Rounded to 2 decimals, halves away from zero, as a person would."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def compute_month(run_date: date, context: UserContext, timeline: Timeline, notes: list[str]) -> list[Indicator]:
    start, end = month_before(run_date)
    stamp = run_date.isoformat()
    out: list[Indicator] = []

    def add(rule, value, groups=(None, None, None), ids=()):
        out.append(Indicator(rule.measure, stamp, value, groups, rule, list(ids)))

    # connection-count-monthly: distinct days of M with a connection, even 0.
    connections = timeline.between(timeline.connections, start, end)
    add(R.CONNECTION_COUNT_MONTHLY, len({c.day for c in connections}), ids=[c.id for c in connections])

    # profile-count-monthly: profile completions up to the end of M, when >= 1.
    profiles = timeline.between(timeline.profiles, None, end)
    if profiles:
        add(R.PROFILE_COUNT_MONTHLY, len(profiles), ids=[p.id for p in profiles])

    # konnector-attempts-monthly
    for slug, attempts in timeline.attempts.items():
        upto = [a for a in attempts if a.day <= end]
        if not upto:
            continue
        first_success = next((n for n, a in enumerate(upto) if a.event.result == SUCCESS), None)
        if first_success is not None and upto[first_success].day < start:
            continue  # connected before M: the indicator no longer goes up
        counted = upto if first_success is None else upto[: first_success + 1]
        success = "false" if first_success is None else "true"
        add(R.KONNECTOR_ATTEMPTS_MONTHLY, len(counted), (g("slug", slug), g("success", success), None),
            [a.id for a in counted])
    for entry in timeline.attempts_without_slug:
        if entry.day <= end:
            notes.append(f"KonnectorAttemptEvent {entry.id} has no target (konnector slug): not counted")

    # summary-subscription-monthly
    add(R.SUMMARY_SUBSCRIPTION_MONTHLY, 1 if context.subscribedToMonthlyReport else 0,
        (g("event_type", "subscription"), None, None))
    viewed = timeline.between(timeline.reports, start, end)
    if viewed:
        add(R.SUMMARY_SUBSCRIPTION_MONTHLY, len(viewed), (g("event_type", "summary_viewed"), None, None),
            [v.id for v in viewed])

    # fluid-data-granularity-monthly
    for fluid in context.ordered_fluids():
        value = 1 if context.halfHourData.get(fluid) else 0
        add(R.FLUID_DATA_GRANULARITY_MONTHLY, value, (g("fluid_type", fluid), g("granularity", "half_hour"), None))

    # consumption-variation-monthly
    this_month = month_key(start)
    prev_month = month_key(month_before(start)[0])
    seniority = _seniority(run_date, context, timeline)
    fluids = [f for f in FLUIDS if f in context.monthlyConsumption]
    fluids += sorted(f for f in context.monthlyConsumption if f not in FLUIDS)
    for fluid in fluids:
        months = context.monthlyConsumption[fluid]
        if this_month not in months or prev_month not in months:
            continue
        current, previous = months[this_month], months[prev_month]
        if previous == 0:
            notes.append(
                f"consumption-variation-monthly for {fluid} not sent: the consumption of "
                f"{prev_month} is 0, so the variation has no value"
            )
            continue
        value = round2((current - previous) / previous * 100)
        uses = [u for u in FLUID_USES if u in context.fluidUsage.get(fluid, [])]
        usage = ":".join(uses) or "unknown"
        add(R.CONSUMPTION_VARIATION_MONTHLY, value,
            (g("fluid_type", fluid), g("seniority", seniority), g("fluid_usage", usage)))
    return out


def _seniority(run_date: date, context: UserContext, timeline: Timeline) -> str:
    first = context.first_connection()
    if first is None and timeline.first_connection is not None:
        first = timeline.first_connection.moment
    if first is None:
        # Open case: no first connection known; the rulebook gives no value.
        return "unknown"
    return str(months_between(first.date(), run_date))
