"""Token storage: the keyring when one works, memory otherwise, and the caller is told."""

from __future__ import annotations

import pytest
from keyring.errors import PasswordDeleteError

from dacc_gui.cozy.tokens import CozyTokens, KeyringTokenStore, MemoryTokenStore, TokenForgetError, open_token_store

URL = "http://cozy.localhost:8080"
TOKENS = CozyTokens("access-secret", "refresh-secret", "cid", "csecret", "regsecret", "a:GET")


class WorkingKeyring:
    def __init__(self):
        self.saved = {}

    def get_password(self, service, user):
        return self.saved.get((service, user))

    def set_password(self, service, user, value):
        self.saved[(service, user)] = value

    def delete_password(self, service, user):
        del self.saved[(service, user)]


class BrokenKeyring:
    def get_password(self, service, user):
        raise RuntimeError("locked")

    set_password = delete_password = get_password


def test_without_a_keyring_backend_the_store_is_memory_only_and_says_so(monkeypatch):
    monkeypatch.delenv("DACC_GUI_TOKEN_STORE", raising=False)
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    store = open_token_store()
    assert not store.persistent
    assert "memory" in store.note
    store.save(URL, TOKENS)
    assert store.load(URL) == TOKENS


def test_memory_can_be_forced():
    assert isinstance(open_token_store(force_memory=True), MemoryTokenStore)


def test_a_working_keyring_keeps_the_tokens_there():
    backend = WorkingKeyring()
    store = KeyringTokenStore(backend, "test")
    store.save(URL, TOKENS)
    assert store.persistent
    assert store.load(URL) == TOKENS
    assert len(backend.saved) == 1
    store.delete(URL)
    assert store.load(URL) is None


def test_a_failing_keyring_falls_back_to_memory_without_crashing():
    store = KeyringTokenStore(BrokenKeyring(), "broken")
    store.save(URL, TOKENS)
    assert not store.persistent
    assert "failed" in store.note and "memory" in store.note
    assert store.load(URL) == TOKENS
    store.delete(URL)  # never raises
    assert store.load(URL) is None


class KeyringThatCannotForget(WorkingKeyring):
    def delete_password(self, service, user):
        raise RuntimeError("the keyring daemon went away")


def test_forgetting_what_was_never_kept_is_nothing():
    backend = WorkingKeyring()
    backend.delete_password = lambda s, u: (_ for _ in ()).throw(PasswordDeleteError("not found"))
    store = KeyringTokenStore(backend, "test")
    store.delete(URL)  # the keyring's "nothing there": nothing to say
    assert store.persistent


def test_a_keyring_that_cannot_forget_says_the_token_may_still_be_there():
    store = KeyringTokenStore(KeyringThatCannotForget(), "test.Backend")
    store.save(URL, TOKENS)
    with pytest.raises(TokenForgetError) as failed:
        store.delete(URL)
    assert str(failed.value) == ("the system keyring (test.Backend) could not forget the token (RuntimeError: the "
                                 f"keyring daemon went away): remove the “dacc-gui:cozy” entry for {URL} from the "
                                 "keyring yourself")
    assert store.load(URL) is None and not store.persistent  # memory from now on, and it says so
    assert "failed" in store.note


def test_tokens_never_show_in_their_repr():
    text = repr(TOKENS) + str(TOKENS)
    for secret in ("access-secret", "refresh-secret", "csecret", "regsecret"):
        assert secret not in text
    assert CozyTokens.from_json(TOKENS.to_json()) == TOKENS
    assert CozyTokens.from_json("not json") is None
