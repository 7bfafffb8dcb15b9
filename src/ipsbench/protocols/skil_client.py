"""A small SKIL REST client: login (re-login on 401), deployment API, model state.

Credentials come from the environment (`IPSBENCH_SKIL_USER`, `IPSBENCH_SKIL_PASSWORD`), never
from the command line, code or results.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import requests

from ipsbench.errors import UserError

USER_ENV = "IPSBENCH_SKIL_USER"
PASSWORD_ENV = "IPSBENCH_SKIL_PASSWORD"


def slug(name: str) -> str:
    """SKIL's slugs: the name lower-cased with `_` and spaces removed."""
    return re.sub(r"[_ ]", "", name.lower())


def credentials_from_environment() -> tuple[str, str]:
    user = os.environ.get(USER_ENV) or "admin"
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        raise UserError(f"set {PASSWORD_ENV} (and {USER_ENV}, default admin) to log in to SKIL")
    return user, password


class SkilClient:
    def __init__(self, url: str, user: str, password: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._user, self._password = user, password
        self._timeout = timeout_s
        self._session = requests.Session()
        self._token: str | None = None

    def login(self) -> None:
        answer = self._send(
            "POST", "/login", json={"userId": self._user, "password": self._password}, auth=False
        )
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise UserError(f"SKIL at {self.url} answered /login without a token")
        self._token = token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call with the bearer token; logs in first, and again once on a 401."""
        if self._token is None:
            self.login()
        try:
            return self._send(method, path, **kwargs)
        except _Unauthorised:
            self.login()
            return self._send(method, path, **kwargs)

    def _send(self, method: str, path: str, auth: bool = True, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if auth and self._token else {}
        try:
            response = self._session.request(
                method, self.url + path, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise UserError(f"cannot reach SKIL at {self.url}: {type(exc).__name__}") from None
        if response.status_code == 401:
            if not auth:
                raise UserError(
                    f"SKIL at {self.url} refused the login (check {USER_ENV}/{PASSWORD_ENV})"
                )
            raise _Unauthorised()
        if response.status_code >= 400:
            raise UserError(
                f"SKIL {method} {path} answered {response.status_code}: {_error_text(response)}"
            )
        try:
            return response.json()
        except ValueError:
            raise UserError(f"SKIL {method} {path} answered something that is not JSON") from None

    # The deployment API
    def upload(self, path: Path) -> str:
        with path.open("rb") as f:
            answer = self.request("POST", "/api/upload/model", files={"file": (path.name, f)})
        try:
            return answer["fileUploadResponseList"][0]["path"]
        except (KeyError, IndexError, TypeError):
            raise UserError("SKIL's upload answer names no stored path") from None

    def deployment(self, name: str) -> dict[str, Any]:
        """The deployment called `name`, created if there is none."""
        for d in self.request("GET", "/deployments"):
            if d.get("name") == name or d.get("deploymentSlug") == slug(name):
                return d
        return self.request("POST", "/deployment", json={"name": name})

    def models(self, deployment_id: str) -> list[dict[str, Any]]:
        return self.request("GET", f"/deployment/{deployment_id}/models")

    def model(self, deployment_id: str, model_id: str) -> dict[str, Any]:
        return self.request("GET", f"/deployment/{deployment_id}/model/{model_id}")


class _Unauthorised(Exception):
    pass


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and "error" in body:
            return str(body["error"])[:300]
    except ValueError:
        pass
    return response.text[:300] or response.reason
