"""SKIL's login: `POST /login` issues a signed, expiring JWT; other SKIL paths require it."""

from __future__ import annotations

import hmac
import os
import secrets
import sys
import time
from dataclasses import dataclass, field

import jwt
from starlette.requests import Request

from ipsbench.server.errors import ClientError

USER_ENV = "IPSBENCH_SKIL_USER"
PASSWORD_ENV = "IPSBENCH_SKIL_PASSWORD"
DEFAULT_USER = "admin"


@dataclass
class SkilAuth:
    user: str
    password: str
    token_ttl_s: float = 3600.0
    # A fresh key per server start: tokens do not outlive the process that signed them.
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def from_environment(cls, token_ttl_s: float) -> SkilAuth:
        """Credentials from the environment; with no password set, one is generated and
        printed once, to the terminal that started the server (never to a log or a result)."""
        user = os.environ.get(USER_ENV) or DEFAULT_USER
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            password = secrets.token_urlsafe(12)
            print(
                f"SKIL login for this server: user {user!r}, password {password!r} "
                f"(set {USER_ENV}/{PASSWORD_ENV} to choose them)",
                file=sys.stderr,
                flush=True,
            )
        return cls(user=user, password=password, token_ttl_s=token_ttl_s)

    def login(self, user: object, password: object) -> str:
        ok_user = isinstance(user, str) and hmac.compare_digest(user.encode(), self.user.encode())
        ok_pass = isinstance(password, str) and hmac.compare_digest(
            password.encode(), self.password.encode()
        )
        if not (ok_user and ok_pass):
            raise ClientError(401, "wrong userId or password")
        now = int(time.time())
        claims = {"sub": self.user, "iat": now, "exp": now + max(1, int(self.token_ttl_s))}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def require(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ClientError(
                401, "this SKIL path needs `Authorization: Bearer <token>` from POST /login"
            )
        try:
            claims = jwt.decode(token.strip(), self._key, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            raise ClientError(401, "the token has expired; log in again") from None
        except jwt.InvalidTokenError:
            raise ClientError(401, "the token is not valid for this server; log in again") from None
        return str(claims.get("sub"))
