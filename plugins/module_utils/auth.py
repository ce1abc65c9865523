"""The ``auth`` option: its argument spec (every key falls back to a ``VDC_*`` variable) and the SSO session.

A token obtained here is revoked when the session ends; a token passed in belongs to the caller and is kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.vdc.infra.plugins.module_utils.client import (
    EngineClient,
    Opener,
    http_json,
    origin,
)
from ansible_collections.vdc.infra.plugins.module_utils.errors import AuthError, EngineError, VdcError
from ansible_collections.vdc.infra.plugins.module_utils.keepalive import KeepAliveOpener

ENV = {"url": "VDC_URL", "username": "VDC_USERNAME", "password": "VDC_PASSWORD", "token": "VDC_TOKEN",
       "ca_file": "VDC_CA_FILE", "insecure": "VDC_INSECURE"}
TOKEN_PATH = "/ovirt-engine/sso/oauth/token"
LOGOUT_PATH = "/ovirt-engine/services/sso-logout"

AUTH_SPEC: dict[str, Any] = {
    "auth": {
        "type": "dict", "default": {}, "no_log": False,
        "options": {
            "url": {"type": "str"},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "token": {"type": "str", "no_log": True},
            "ca_file": {"type": "path"},
            "insecure": {"type": "bool"},
            "headers": {"type": "dict"},
        },
    },
}


@dataclass(frozen=True)
class AuthSettings:
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    insecure: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def settings(auth: dict[str, Any] | None, environ: dict[str, str] | None = None) -> AuthSettings:
    """The ``auth`` dict completed from the environment; fails when neither gives a URL or credentials."""
    env = os.environ if environ is None else environ
    auth = auth or {}

    def pick(key: str) -> Any:
        value = auth.get(key)
        return value if value not in (None, "") else env.get(ENV[key]) or None

    url = pick("url")
    if not url:
        raise VdcError(f"auth.url is required (or set {ENV['url']}), e.g. https://engine/ovirt-engine/api")
    insecure = pick("insecure")
    token, username, password = pick("token"), pick("username"), pick("password")
    if not token and not (username and password):
        raise VdcError("auth needs a token, or a username and a password "
                       f"({ENV['token']} / {ENV['username']} and {ENV['password']})")
    return AuthSettings(url=url.rstrip("/"), username=username, password=password, token=token,
                        ca_file=pick("ca_file"), insecure=boolean(insecure) if insecure is not None else False,
                        headers=dict(auth.get("headers") or {}))


def login(s: AuthSettings, opener: Opener | None = None) -> str:
    """An SSO access token for the user (POST {origin}/ovirt-engine/sso/oauth/token)."""
    form = urlencode({"grant_type": "password", "scope": "ovirt-app-api", "username": s.username,
                      "password": s.password}).encode()
    try:
        doc = http_json("POST", origin(s.url) + TOKEN_PATH, data=form, ca_file=s.ca_file, insecure=s.insecure,
                        headers={"Accept": "application/json",
                                 "Content-Type": "application/x-www-form-urlencoded"}, opener=opener)[1]
    except EngineError as e:
        raise AuthError(e.status, "SSO authentication failed", e.detail or e.reason, "POST", TOKEN_PATH) from None
    if not isinstance(doc, dict) or not doc.get("access_token"):
        raise AuthError(200, "SSO authentication failed", str(doc)[:200], "POST", TOKEN_PATH)
    return doc["access_token"]


def logout(s: AuthSettings, token: str, opener: Opener | None = None) -> None:
    """Revoke ``token``; failures are ignored because the work itself is already done."""
    form = urlencode({"scope": "ovirt-app-api", "token": token}).encode()
    try:
        http_json("POST", origin(s.url) + LOGOUT_PATH, data=form, ca_file=s.ca_file, insecure=s.insecure,
                  headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
                  opener=opener)
    except EngineError:
        pass


class SessionProvider(Protocol):
    """Hands out clients whose token and connections outlive one module run (see :data:`SESSIONS`)."""

    def session(self, s: AuthSettings) -> Any:  # a context manager yielding an EngineClient
        ...


# Set by the collection's action plugins while a module runs inside the controller process: a token cached for
# the playbook run (revoked when it ends) and kept-alive connections replace a login and a logout per task.
SESSIONS: SessionProvider | None = None


@contextmanager
def session(s: AuthSettings, opener: Opener | None = None) -> Iterator[EngineClient]:
    """A client for the engine; the token is revoked at the end unless the caller passed it in."""
    if SESSIONS is not None and opener is None and not s.token:
        with SESSIONS.session(s) as client:
            yield client
        return
    opener = opener or KeepAliveOpener()
    token = s.token or login(s, opener)
    try:
        yield EngineClient(s.url, token, ca_file=s.ca_file, insecure=s.insecure, headers=s.headers, opener=opener)
    finally:
        if not s.token:
            logout(s, token, opener)
