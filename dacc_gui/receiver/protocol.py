"""uvicorn's HTTP protocol, keeping the Authorization header exactly as sent.

uvicorn strips trailing spaces from header values (RFC 9110 leaves them out);
the real DACC's server keeps them, so ``Bearer <token> `` is a wrong token there
(spec, step 1). The value as sent goes in the ASGI scope under ``AUTHORIZATION_KEY``.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

AUTHORIZATION_KEY = "dacc.authorization"


class ExactAuthorizationProtocol(HttpToolsProtocol):
    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if name.lower() == b"authorization":
            self.scope[AUTHORIZATION_KEY] = value.decode("latin-1")  # type: ignore[literal-required]
