"""The one exception long work raises when the user cancels it.

Loading, simulating nights, reading a Cozy and sending indicators all check a
``cancelled()`` callback and raise this, so the app's task runner has one
thing to catch.
"""


class Cancelled(Exception):
    """The user cancelled a long piece of work."""
