"""Where Cozy tokens are kept: the system keyring when one works, else memory only.

A token is a secret: it is never written in clear to a file or a setting and
never shown in a ``repr``. When no keyring backend works (a headless machine,
a locked keyring), the store keeps tokens in memory for this run only and says
so through ``persistent`` and ``note``, so the app can tell the user.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

SERVICE = "dacc-gui:cozy"
FORCE_MEMORY_ENV = "DACC_GUI_TOKEN_STORE"  # "memory" forces the in-memory store


@dataclass
class CozyTokens:
    """What signing in to one Cozy gives: the access token and what renews it."""

    access_token: str
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    registration_access_token: str | None = None
    scope: str = ""

    def __repr__(self) -> str:
        return f"CozyTokens(client_id={self.client_id!r}, scope={self.scope!r}, <secrets redacted>)"

    __str__ = __repr__

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "CozyTokens | None":
        try:
            raw = json.loads(text)
        except (TypeError, ValueError):
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("access_token"), str):
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


class TokenForgetError(Exception):
    """The keyring failed while forgetting a token: it may still be kept there."""


class TokenStore:
    """Tokens per Cozy address."""

    persistent = False
    backend = "memory"
    note = "tokens are kept in memory only, for this run"

    def __init__(self) -> None:
        self._memory: dict[str, str] = {}

    def load(self, url: str) -> CozyTokens | None:
        text = self._memory.get(url)
        return CozyTokens.from_json(text) if text else None

    def save(self, url: str, tokens: CozyTokens) -> None:
        self._memory[url] = tokens.to_json()

    def delete(self, url: str) -> None:
        self._memory.pop(url, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(backend={self.backend!r}, persistent={self.persistent})"


class MemoryTokenStore(TokenStore):
    """Memory only: forgotten when the program ends."""

    def __init__(self, note: str | None = None) -> None:
        super().__init__()
        if note:
            self.note = note


class KeyringTokenStore(TokenStore):
    """The system keyring; falls back to memory (and says so) if it starts failing."""

    def __init__(self, keyring_module: Any, backend_name: str) -> None:
        super().__init__()
        self._keyring = keyring_module
        self.backend = backend_name
        self.persistent = True
        self.note = f"tokens are kept in the system keyring ({backend_name})"

    def _fall_back(self, exc: Exception) -> None:
        self.persistent = False
        self.note = (
            f"the system keyring failed ({type(exc).__name__}); tokens are kept in memory only, for this run"
        )

    def load(self, url: str) -> CozyTokens | None:
        if self.persistent:
            try:
                text = self._keyring.get_password(SERVICE, url)
            except Exception as exc:  # any backend failure: never crash, say so
                self._fall_back(exc)
            else:
                return CozyTokens.from_json(text) if text else None
        return super().load(url)

    def save(self, url: str, tokens: CozyTokens) -> None:
        if self.persistent:
            try:
                self._keyring.set_password(SERVICE, url, tokens.to_json())
                return
            except Exception as exc:
                self._fall_back(exc)
        super().save(url, tokens)

    def delete(self, url: str) -> None:
        """Forget the token; ``TokenForgetError`` when the keyring failed and may still hold it."""
        from keyring.errors import PasswordDeleteError  # keyring is imported only when a store needs it

        super().delete(url)
        if self.persistent:
            try:
                self._keyring.delete_password(SERVICE, url)
            except PasswordDeleteError:
                pass  # nothing stored there: nothing to forget
            except Exception as exc:  # any other backend failure: the token may still be there
                self._fall_back(exc)
                raise TokenForgetError(
                    f"the system keyring ({self.backend}) could not forget the token ({type(exc).__name__}: "
                    f"{exc}): remove the “{SERVICE}” entry for {url} from the keyring yourself"
                ) from exc


def open_token_store(force_memory: bool = False) -> TokenStore:
    """The keyring store when a real backend is available, else the memory store."""
    if force_memory or os.environ.get(FORCE_MEMORY_ENV, "").lower() == "memory":
        return MemoryTokenStore()
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        name = type(backend).__module__.removeprefix("keyring.backends.") + "." + type(backend).__name__
        usable = not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0
        if hasattr(backend, "backends") and not backend.backends:  # a chainer with nothing to chain
            usable = False
    except Exception as exc:
        return MemoryTokenStore(
            f"no system keyring ({type(exc).__name__}); tokens are kept in memory only, for this run"
        )
    if not usable:
        return MemoryTokenStore(
            f"no usable system keyring ({name}); tokens are kept in memory only, for this run"
        )
    return KeyringTokenStore(keyring, name)
