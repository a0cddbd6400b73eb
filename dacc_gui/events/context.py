"""The user context: what the rules need beyond events (rulebook section 6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dacc_gui.events.model import parse_event_date

# Ecolyo's fluid order: konnector-connected-daily joins fluids in this order.
FLUIDS = ("electricity", "water", "gas")
# Order of a fluid's uses in consumption-variation-monthly's fluid_usage.
FLUID_USES = ("heating", "hot_water", "cooking")


class ContextError(ValueError):
    """A user context that cannot be read; the message says which field."""


class UserContext(BaseModel):
    """Consent, profile and consumption facts of one user."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    daccConsent: bool = True
    monthlyAnalysisDay: int = Field(default=3, ge=1, le=31)
    firstConnectionDate: str | None = None
    subscribedToMonthlyReport: bool = False
    connectedFluids: list[str] = Field(default_factory=list)
    halfHourData: dict[str, bool] = Field(default_factory=dict)
    monthlyConsumption: dict[str, dict[str, float]] = Field(default_factory=dict)
    fluidUsage: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("firstConnectionDate")
    @classmethod
    def _date_parses(cls, value: str | None) -> str | None:
        if value is not None and parse_event_date(value) is None:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
        return value

    @field_validator("connectedFluids")
    @classmethod
    def _known_fluids(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in FLUIDS]
        if unknown:
            raise ValueError(f"unknown fluid(s) {unknown}; expected some of {list(FLUIDS)}")
        return value

    @classmethod
    def parse(cls, data: Any, where: str = "context") -> "UserContext":
        """Read a context object, with a message naming the bad field."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ContextError(f"{where}: expected a JSON object, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ContextError(f"{where}.{loc}: {first['msg']}") from None

    def to_json(self) -> dict[str, Any]:
        # Every field is a JSON value already; pydantic's "json" mode would
        # also encode keys as UTF-8, and a lone surrogate the file escaped
        # (an extra field's "\\ud800") would raise there.
        return self.model_dump(mode="python")

    def ordered_fluids(self) -> list[str]:
        """Connected fluids in Ecolyo's order, each once."""
        return [f for f in FLUIDS if f in self.connectedFluids]

    def first_connection(self) -> datetime | None:
        return parse_event_date(self.firstConnectionDate) if self.firstConnectionDate else None


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when end is before start)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)
