"""Date arguments of the command line."""

from __future__ import annotations

import argparse
from datetime import date


def iso_date(text: str) -> date:
    """argparse type: a ``YYYY-MM-DD`` date, with a clear message otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None
