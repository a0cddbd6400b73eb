"""The DACC side of things: measure definitions, the checks of a measure, aggregation math, payload files.

Shared by the receiver, the comparison, the charts and the CLI."""
