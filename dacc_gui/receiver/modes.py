"""How the receiver answers: as production does (the default), or with clear errors.

With clear errors, what production hides fails loudly: its 500s (Python's
messages) become 400 with a message that says what is wrong, and a 201 that
stores nothing becomes 422 saying what production would do. Everything else
is production's answer. The record keeps production's answer either way.
"""

from __future__ import annotations

from typing import Any

from dacc_gui.dacc.production import Answer

PRODUCTION = "production"
CLEAR_ERRORS = "clear-errors"

DROPPED_STATUS = 422


def mode_name(clear_errors: bool) -> str:
    return CLEAR_ERRORS if clear_errors else PRODUCTION


def reply(answer: Answer, clear_errors: bool) -> tuple[int, dict[str, Any]]:
    """The status and JSON body the receiver sends for production's answer."""
    if clear_errors and answer.status == 500:
        return 400, {
            "error": answer.why or answer.error,
            "production": {"status": 500, "error": answer.error},
        }
    if clear_errors and answer.dropped:
        return DROPPED_STATUS, {
            "error": f"production would answer 201 but store nothing: {answer.not_stored.detail}",
            "production": {"status": 201, "ok": True, "stored": False},
        }
    return answer.status, answer.body
