"""DACC Inspector: preview, receive and compare the usage indicators that
Ecolyo's nightly service sends to Cozy's DACC.

Everything in this package except ``dacc_gui.ui`` is Qt-free (the core).
"""

__version__ = "0.1.0"

DEFAULT_DOCTYPE = "com.grandlyon.ecolyo.usageevent"
