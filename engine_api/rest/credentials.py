"""Who is calling: the API's one way to read a request's credentials (the session cookie, an SSO bearer token,
or Basic), for the API itself and for vdc's extensions of it."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from starlette.requests import Request

from engine_api.auth.tokens import MAX_SESSION_TTL, SESSION_TTL, LoginFailed
from engine_api.core.context import User
from engine_api.core.errors import Fault, NotAuthenticated

if TYPE_CHECKING:
    from engine_api.engine import Engine

_SESSION_TTL = re.compile(r"[0-9]{1,7}")  # minutes


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def caller(engine: Engine, request: Request, prefer: str = "") -> tuple[User, str | None]:
    """The user, and the session cookie to set (when ``Prefer: persistent-auth`` starts a new session).
    Raises NotAuthenticated, or TooManyAttempts while the caller's logins are throttled."""
    auth = engine.auth
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    session = request.cookies.get("JSESSIONID")
    if session and "new-auth" not in prefer and (user := auth.resolve(session)):
        return user, None
    user = None
    if scheme.lower() == "bearer" and value:
        user = auth.resolve(value.strip())
        if user is None:
            raise NotAuthenticated("the access token is not valid or has expired")
    elif scheme.lower() == "basic" and value:
        try:
            name, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise NotAuthenticated("malformed Basic credentials") from None
        try:
            user = auth.authenticate(name, password, client_address(request))
        except LoginFailed as e:
            raise NotAuthenticated(str(e)) from None
    if user is None:
        raise NotAuthenticated("authentication is required")
    if "persistent-auth" in prefer:
        ttl = SESSION_TTL
        if minutes := request.headers.get("session-ttl", "").strip():
            if not _SESSION_TTL.fullmatch(minutes) or not 0 < int(minutes) * 60.0 <= MAX_SESSION_TTL:
                raise Fault(f"Session-TTL must be a number of minutes from 1 to {int(MAX_SESSION_TTL // 60)}, "
                            f"got '{minutes[:40]}'", "Invalid value")
            ttl = int(minutes) * 60.0
        token, _ = auth.issue(user, "session", ttl)
        return user, token
    return user, None
