"""The client side of the agent protocol: used by the engine's broker, and by agents during migration."""

from __future__ import annotations

import http.client
import json
import select
import ssl
import threading
import urllib.parse


class AgentError(RuntimeError):
    """An agent refused or failed a call; ``status`` is its HTTP status (0 when it could not be reached)."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


_Key = tuple[str, int, "ssl.SSLContext | None"]
_IDLE: dict[_Key, list[http.client.HTTPSConnection]] = {}
_IDLE_LOCK = threading.Lock()
_MAX_IDLE = 8  # kept connections per agent (and TLS context)
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _dropped(conn: http.client.HTTPSConnection) -> bool:
    """An idle connection the agent closed (or that has unread bytes) cannot carry another request."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _connection(key: _Key, timeout: float) -> tuple[http.client.HTTPSConnection, bool]:
    """A kept connection to the agent when one is idle (True), else a new one (False)."""
    with _IDLE_LOCK:
        idle = _IDLE.get(key) or []
        while idle:
            conn = idle.pop()
            if not _dropped(conn):
                conn.timeout = timeout
                conn.sock.settimeout(timeout)
                return conn, True
            conn.close()
    return http.client.HTTPSConnection(key[0], key[1], timeout=timeout, context=key[2]), False


def _keep(key: _Key, conn: http.client.HTTPSConnection) -> None:
    with _IDLE_LOCK:
        idle = _IDLE.setdefault(key, [])
        if len(idle) < _MAX_IDLE:
            idle.append(conn)
            return
    conn.close()


def _exchange(key: _Key, method: str, target: str, data: bytes | None, headers: dict[str, str],
              timeout: float) -> tuple[int, str, bytes]:
    """One request over a kept connection (the TLS handshake is paid once per connection, not per call); a kept
    connection the agent closed meanwhile is replaced by a new one, the request sent again on it."""
    while True:
        conn, reused = _connection(key, timeout)
        try:
            conn.request(method, target, body=data, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except _STALE:
            conn.close()
            if reused:
                continue
            raise
        except BaseException:
            conn.close()
            raise
        if resp.will_close:
            conn.close()
        else:
            _keep(key, conn)
        return resp.status, resp.reason, body


def call(url: str, secret: str, method: str = "GET", body: dict | None = None, timeout: float = 30.0,
         context: ssl.SSLContext | None = None) -> dict:
    """One call to an agent (used by agents for migration, and by the engine's broker); ``context`` is the
    caller's mutual TLS (its certificate, the CA it trusts)."""
    data = json.dumps(body).encode() if body is not None else None
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json",
               "Accept": "application/json"}
    try:
        status, reason, raw = _exchange((parts.hostname or "", parts.port or 443, context), method, target or "/",
                                        data, headers, timeout)
    except (OSError, http.client.HTTPException) as e:
        if isinstance(e, ssl.SSLCertVerificationError):
            raise AgentError(f"the agent at {url} is not trusted: {e.verify_message} (its certificate must "
                             "come from the engine's CA and name the host's address)", 0) from None
        raise AgentError(f"no answer from the agent at {url}: {e}", 0) from None
    if not 200 <= status < 300:
        try:
            detail = json.loads(raw).get("error", f"HTTP Error {status}: {reason}")
        except (ValueError, AttributeError):
            detail = f"HTTP Error {status}: {reason}"
        raise AgentError(detail, status)
    return json.loads(raw or b"{}")
