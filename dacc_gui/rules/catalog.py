"""The rules of the rulebook (``indicators.md``), in words, with their sources.

Each indicator points at one of these, so the app can say which values are
documented (the Ecolyo page, the DACC definitions) and which are this tool's
reading (assumed).
"""

from __future__ import annotations

from dacc_gui.rules.indicators import Rule, RuleSource

PAGE, DEFS, ASSUMED = RuleSource.ECOLYO_PAGE, RuleSource.DACC_DEFINITIONS, RuleSource.ASSUMED


def _rule(name: str, measure: str, text: str, *sources: RuleSource, assumed: str = "") -> Rule:
    return Rule(name, measure, text, tuple(sources), assumed)


CONNECTION_COUNT_DAILY = _rule(
    "connection-count-daily", "connection-count-daily",
    "Count of ConnectionEvent of the day, one indicator per device (mobile or desktop).",
    PAGE, assumed="device classification: context mobile/tablet or a user agent matching "
    "Mobi, Android, iPhone, iPad, iPod or Tablet is mobile, anything else desktop",
)
KONNECTOR_EVENT_DAILY = _rule(
    "konnector-event-daily", "konnector-event-daily",
    "Count of KonnectorConnectEvent (event_type connection) and KonnectorRefreshEvent "
    "(event_type refresh) of the day, one indicator per slug, event type and status.",
    PAGE, DEFS, assumed="a missing result counts as error",
)
NAVIGATION_COUNT_DAILY = _rule(
    "navigation-count-daily", "navigation-count-daily",
    "Count of NavigationEvent of the day, one indicator per page (the event's target).",
    PAGE,
)
NAVIGATION_ACTION_DAILY = _rule(
    "navigation-action-daily", "navigation-action-daily",
    "Count of ConsumptionChangeTimeStepEvent, ConsumptionCompareEvent, ActionChangeEvent and "
    "ProfileSetEvent of the day, one indicator per page, feature and params (target:context).",
    PAGE, assumed="page and feature names",
)
CHALLENGE_LAUNCH_DAILY = _rule(
    "challenge-launch-daily", "challenge-launch-daily",
    "Count of ChallengeLaunchEvent of the day, one indicator per challenge id.",
    PAGE,
)
SESSION_DURATION = _rule(
    "session-duration", "session-duration",
    "One indicator per session: a ConnectionEvent opens it, it holds every later event of the day "
    "up to the next ConnectionEvent; value = seconds from the connection to the session's last "
    "event; number_pages = NavigationEvents in it; session_type first for the firstConnection.",
    PAGE, DEFS, assumed="values and group values",
)
EVENT_DURATION = _rule(
    "event-duration", "event-duration",
    "One indicator per end event (challenge, exploration, action, duel, quiz) with a start: "
    "value = eventDate − startDate in seconds.",
    PAGE, DEFS, assumed="start_event/end_event names",
)
FIRST_CHALLENGE = _rule(
    "event-duration:first-challenge", "event-duration",
    "When the earliest ChallengeLaunchEvent of the whole history is processed: seconds from the "
    "firstConnection ConnectionEvent to that launch.",
    PAGE, DEFS, assumed="names first_session/first_challenge",
)
QUIZ_STARS = _rule(
    "quiz-stars", "quiz-stars",
    "One indicator per QuizEndEvent: value = its result, stars from 0 to 5.",
    PAGE, DEFS,
)
KONNECTOR_CONNECTED_DAILY = _rule(
    "konnector-connected-daily", "konnector-connected-daily",
    "Once per run: value 1 on the day before the run date, categories = the connected fluids "
    "joined with ':'.",
    PAGE, assumed="fluid order electricity, water, gas",
)
CONNECTION_COUNT_MONTHLY = _rule(
    "connection-count-monthly", "connection-count-monthly",
    "Number of distinct days of the previous month holding a ConnectionEvent (sent even when 0).",
    PAGE,
)
PROFILE_COUNT_MONTHLY = _rule(
    "profile-count-monthly", "profile-count-monthly",
    "Number of ProfileSetEvent up to the end of the previous month, sent when at least 1.",
    PAGE, assumed="period: all history up to the end of the month",
)
KONNECTOR_ATTEMPTS_MONTHLY = _rule(
    "konnector-attempts-monthly", "konnector-attempts-monthly",
    "Per konnector whose first success is not before the previous month: attempts up to and "
    "including the first success (all of them when none succeeded).",
    PAGE, assumed="group keys slug/success",
)
SUMMARY_SUBSCRIPTION_MONTHLY = _rule(
    "summary-subscription-monthly", "summary-subscription-monthly",
    "1 when subscribed to the monthly report, else 0 (subscription); plus the number of "
    "ReportFromEvent of the previous month when at least 1 (summary_viewed).",
    PAGE, assumed="event_type names",
)
FLUID_DATA_GRANULARITY_MONTHLY = _rule(
    "fluid-data-granularity-monthly", "fluid-data-granularity-monthly",
    "Per connected fluid: 1 when it has half-hour data, else 0.",
    PAGE,
)
CONSUMPTION_VARIATION_MONTHLY = _rule(
    "consumption-variation-monthly", "consumption-variation-monthly",
    "Per fluid with a consumption for the previous month and the month before: "
    "(c_M − c_prev) / c_prev × 100, rounded to 2 decimals; seniority = whole months since the "
    "first connection; fluid_usage = the profile's uses of that fluid.",
    PAGE, DEFS, assumed="values and group values",
)

ALL_RULES = (
    CONNECTION_COUNT_DAILY, KONNECTOR_EVENT_DAILY, NAVIGATION_COUNT_DAILY, NAVIGATION_ACTION_DAILY,
    CHALLENGE_LAUNCH_DAILY, SESSION_DURATION, EVENT_DURATION, FIRST_CHALLENGE, QUIZ_STARS,
    KONNECTOR_CONNECTED_DAILY, CONNECTION_COUNT_MONTHLY, PROFILE_COUNT_MONTHLY,
    KONNECTOR_ATTEMPTS_MONTHLY, SUMMARY_SUBSCRIPTION_MONTHLY, FLUID_DATA_GRANULARITY_MONTHLY,
    CONSUMPTION_VARIATION_MONTHLY,
)
