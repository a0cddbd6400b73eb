"""The app's settings: one typed module over ``QSettings``.

Each option is declared once with its type and default. User preferences
(``run/...``, ``receiver/...``) are kept apart from window state
(``window/...``). ``VERSION`` is stored with the settings; ``upgrade`` turns
the settings of an older version into this one's.

    settings = Settings()                  # the user's settings
    settings = Settings.at(path)           # an ini file (tests)
    settings.recent_files                  # typed, default when absent
    settings.ignore_monthly_protection = True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

VERSION = 1
ORGANIZATION = "dacc-gui"
APPLICATION = "DACC Inspector"
MAX_RECENT = 10

T = TypeVar("T")

# The Ecolyo page's local-test command, run in an Ecolyo checkout.
DEFAULT_SERVICE_COMMAND = (
    "yarn run cozy-konnector-dev -m ./manifest.webapp ./build/services/aggregatorUsageEvents/ecolyo.js"
)


@dataclass(frozen=True)
class Option(Generic[T]):
    """One setting: its key, its type and its default."""

    key: str
    kind: type
    default: T

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __get__(self, obj: "Settings | None", objtype: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        return obj.get(self)

    def __set__(self, obj: "Settings", value: T) -> None:
        obj.set(self, value)


class Settings:
    """Typed access to the stored settings."""

    # Window state (restored on start).
    geometry = Option("window/geometry", bytes, b"")
    window_state = Option("window/state", bytes, b"")
    events_header = Option("window/eventsHeader", bytes, b"")
    # Files.
    recent_files = Option("files/recent", list, [])
    last_directory = Option("files/lastDirectory", str, "")
    reopen_last_file = Option("files/reopenLastOnStart", bool, False)
    # Run options of the indicators preview.
    ignore_monthly_protection = Option("run/ignoreMonthlyDateProtection", bool, False)
    simulate_range = Option("run/simulateRange", bool, False)
    range_nights = Option("run/rangeNights", int, 7)
    recompute_delay_ms = Option("run/recomputeDelayMs", int, 400)
    # The built-in DACC receiver (see ui/receiver/controller.py).
    receiver_port = Option("receiver/port", int, 8081)  # the Ecolyo page's local server port
    receiver_autostart = Option("receiver/startWithApp", bool, True)
    receiver_database = Option("receiver/database", str, "")  # "": the user data dir; ":memory:"
    # False: answer as production does (its 500s, its 201s that store nothing); True: clear errors.
    receiver_clear_errors = Option("receiver/clearErrors", bool, False)
    receiver_shared_url = Option("receiver/sharedUrl", str, "")  # a team's receiver last used ("": built-in)
    # "Run Ecolyo's service" (part 2 of the app: Compare).
    ecolyo_folder = Option("service/ecolyoFolder", str, "")
    service_command = Option("service/command", str, DEFAULT_SERVICE_COMMAND)
    # --- Cozy sign-in, push and the population demo (part 2) ---
    # The instance and how we signed in; the token itself is in the keyring
    # (or memory), never here.
    cozy_url = Option("cozy/url", str, "")
    cozy_auth = Option("cozy/auth", str, "")  # "token" or "oauth"
    push_doctype = Option("cozy/pushDoctype", str, "cc.cozycloud.dacc.dev")
    demo_users = Option("demo/users", int, 12)
    demo_days = Option("demo/days", int, 14)
    demo_start = Option("demo/start", str, "2021-11-01")
    demo_seed = Option("demo/seed", int, 0)
    demo_clear_receiver = Option("demo/clearReceiver", bool, False)  # the receiver panel owns Clear

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings(ORGANIZATION, APPLICATION)
        self.upgrade()

    @classmethod
    def at(cls, path: str | Path) -> "Settings":
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @classmethod
    def options(cls) -> list[Option]:
        return [v for v in vars(cls).values() if isinstance(v, Option)]

    # --- typed get/set -----------------------------------------------------------
    def get(self, option: Option[T]) -> T:
        raw = self.q.value(option.key)
        if raw is None:
            return _copy(option.default)
        try:
            return _decode(option.kind, raw)
        except (TypeError, ValueError):
            return _copy(option.default)  # a damaged value: its default, not a crash

    def set(self, option: Option[T], value: T) -> None:
        self.q.setValue(option.key, _encode(option.kind, value))

    def reset(self, option: Option) -> None:
        self.q.remove(option.key)

    def sync(self) -> None:
        self.q.sync()

    # --- helpers -------------------------------------------------------------------
    def add_recent_file(self, path: str | Path) -> list[str]:
        path = str(Path(path).resolve())
        files = [f for f in self.recent_files if f != path]
        files.insert(0, path)
        self.recent_files = files[:MAX_RECENT]
        self.last_directory = str(Path(path).parent)
        return self.recent_files

    def remove_recent_file(self, path: str) -> None:
        self.recent_files = [f for f in self.recent_files if f != path]

    # --- versions --------------------------------------------------------------------
    def upgrade(self) -> None:
        """Bring settings written by an older version up to this one."""
        stored = self.q.value("version")
        try:
            stored = int(stored) if stored is not None else None
        except (TypeError, ValueError):
            stored = None
        # First start (nothing stored): nothing to upgrade.
        for version in range(stored or VERSION, VERSION):
            hook = getattr(self, f"_upgrade_from_{version}", None)
            if hook is not None:
                hook()
        self.q.setValue("version", VERSION)


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _encode(kind: type, value: Any) -> Any:
    if kind is list:
        return json.dumps(list(value))  # a JSON string survives every QSettings backend
    if kind is bytes:
        return QByteArray(bytes(value))
    if kind is bool:
        return bool(value)
    return kind(value)


def _decode(kind: type, raw: Any) -> Any:
    if kind is list:
        value = json.loads(raw) if isinstance(raw, str) else list(raw)
        if not isinstance(value, list):
            raise ValueError("not a list")
        return value
    if kind is bytes:
        return bytes(raw.data()) if isinstance(raw, QByteArray) else bytes(raw)
    if kind is bool:
        if isinstance(raw, str):
            return raw.strip().lower() in ("true", "1", "yes")
        return bool(raw)
    return kind(raw)
