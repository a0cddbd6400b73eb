"""The Cozy connection: sign in, read usage events, write edits back, push to the dev DACC.

Qt-free and synchronous, so the desktop app can run each call in a worker
thread with its progress and cancel callbacks. Per-item outcomes (a document
written, an indicator rejected) are data, never exceptions; exceptions are
kept for what stops a whole call (no token, server unreachable).
"""

from dacc_gui.cozy.client import (
    CozyAuthError,
    CozyClient,
    CozyError,
    CozyHTTPError,
    CozyUnreachable,
    RetryPolicy,
    StaticToken,
)

__all__ = [
    "CozyAuthError",
    "CozyClient",
    "CozyError",
    "CozyHTTPError",
    "CozyUnreachable",
    "RetryPolicy",
    "StaticToken",
]
