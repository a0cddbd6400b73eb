"""The event types as plain strings, for the rules' hot loops.

Reading ``EventType.CONNECTION`` goes through the enum's descriptor on every
lookup, a cost that a million events multiply; these are the same strings.
"""

from dacc_gui.events.model import EventType

CONNECTION = EventType.CONNECTION.value
NAVIGATION = EventType.NAVIGATION.value
KONNECTOR_CONNECT = EventType.KONNECTOR_CONNECT.value
KONNECTOR_REFRESH = EventType.KONNECTOR_REFRESH.value
KONNECTOR_ATTEMPT = EventType.KONNECTOR_ATTEMPT.value
CONSUMPTION_COMPARE = EventType.CONSUMPTION_COMPARE.value
CONSUMPTION_CHANGE_TIMESTEP = EventType.CONSUMPTION_CHANGE_TIMESTEP.value
CHALLENGE_LAUNCH = EventType.CHALLENGE_LAUNCH.value
CHALLENGE_END = EventType.CHALLENGE_END.value
DUEL_LAUNCH = EventType.DUEL_LAUNCH.value
DUEL_END = EventType.DUEL_END.value
QUIZ_END = EventType.QUIZ_END.value
EXPLORATION_END = EventType.EXPLORATION_END.value
ACTION_CHANGE = EventType.ACTION_CHANGE.value
ACTION_END = EventType.ACTION_END.value
PROFILE_SET = EventType.PROFILE_SET.value
REPORT_FROM = EventType.REPORT_FROM.value
