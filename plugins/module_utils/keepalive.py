"""An opener that keeps HTTP(S) connections to the engine open between requests.

``open_url`` (urllib) opens a connection per request and closes it: a TCP connect, and for HTTPS a TLS handshake,
on every call. :class:`KeepAliveOpener` takes the same keyword arguments and answers the same way (an object with
``status``, ``getcode()`` and ``read()``; ``HTTPError`` for an answer of 300 or more, since redirects are not
followed; ``URLError`` when the engine cannot be reached), but sends requests over pooled ``http.client``
connections, one pool per origin and certificate settings. It is thread-safe: a connection serves one request at a
time. A kept connection that the server has closed meanwhile is replaced once, transparently. When a proxy applies
to the URL, the request goes through urllib as before.
"""

from __future__ import annotations

import http.client
import io
import threading
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from ansible_collections.vdc.infra.plugins.module_utils.client import ContextReusingOpener, tls_context

# Errors of a kept connection that the server closed while it was idle: the request did not reach it.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class Answer:
    """A response already read: what ``http_json`` uses of ``open_url``'s answer."""

    def __init__(self, status: int, body: bytes, headers: http.client.HTTPMessage):
        self.status = status
        self.headers = headers
        self._body = body

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self._body


class KeepAliveOpener(ContextReusingOpener):
    """Drop-in for ``open_url`` that reuses connections (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._idle: dict[tuple, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, *, method: str, data: bytes | None, headers: dict[str, str], validate_certs: bool,
                 ca_path: str | None, timeout: int, follow_redirects: str) -> Any:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _proxied(parts.scheme, parts.hostname or ""):
            return super().__call__(url, method=method, data=data, headers=headers, validate_certs=validate_certs,
                                    ca_path=ca_path, timeout=timeout, follow_redirects=follow_redirects)
        key = (parts.scheme, parts.netloc, validate_certs, ca_path)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        while True:
            conn, kept = self._take(key, timeout)
            try:
                conn.request(method, target, body=data, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
            except _STALE as e:
                conn.close()
                if kept:
                    continue  # an idle connection the server had closed: once more on a new one
                raise URLError(e) from None
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise URLError(e) from None
            if resp.will_close:
                conn.close()
            else:
                self._give_back(key, conn)
            if resp.status >= 300:
                raise HTTPError(url, resp.status, resp.reason, resp.headers, io.BytesIO(body))
            return Answer(resp.status, body, resp.headers)

    def _take(self, key: tuple, timeout: int) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                conn = idle.pop()
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                return conn, True
        scheme, netloc, validate_certs, ca_path = key
        if scheme == "https":
            context_key = (validate_certs, ca_path)
            if context_key not in self._contexts:
                self._contexts[context_key] = tls_context(ca_path, validate_certs)
            return http.client.HTTPSConnection(netloc, timeout=timeout, context=self._contexts[context_key]), False
        return http.client.HTTPConnection(netloc, timeout=timeout), False

    def _give_back(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _proxied(scheme: str, host: str) -> bool:
    return scheme in getproxies() and not proxy_bypass(host)
