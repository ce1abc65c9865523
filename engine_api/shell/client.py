"""The shell's HTTP client: SSO login, then JSON requests with the bearer token (standard library only)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

# Status codes of the shell, as ovirt-shell numbered them (``status`` shows them; the process exits with them).
OK, SYNTAX_ERROR, COMMAND_ERROR, INTERRUPTED, UNKNOWN_ERROR = 0, 1, 2, 3, 4
COMMUNICATION_ERROR, AUTHENTICATION_ERROR, REMOTE_ERROR, NOT_FOUND = 5, 6, 10, 11


class ShellError(Exception):
    """A command that failed; ``status`` is the shell's code, ``http`` the server's status when it answered."""

    def __init__(self, message: str, status: int = COMMAND_ERROR, http: int | None = None):
        super().__init__(message)
        self.status = status
        self.http = http


class Client:
    def __init__(self, url: str, username: str, password: str, *, insecure: bool = False,
                 ca_file: str | None = None, filter_: bool = False, timeout: float = 120):
        self.url = url.rstrip("/")
        self.username = username
        self.filter = filter_
        self.timeout = timeout
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ShellError(f"'{url}' is not an http(s) URL of the API, e.g. https://engine/ovirt-engine/api",
                             SYNTAX_ERROR)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._ssl = ssl.create_default_context(cafile=ca_file)
            if insecure:
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        self.token = self._login(password)

    def _open(self, req: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._ssl) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ShellError(f"cannot reach {self._origin}: {reason}", COMMUNICATION_ERROR) from None

    def _login(self, password: str) -> str:
        form = urllib.parse.urlencode({"grant_type": "password", "scope": "ovirt-app-api",
                                       "username": self.username, "password": password}).encode()
        req = urllib.request.Request(f"{self._origin}/ovirt-engine/sso/oauth/token", data=form,
                                     headers={"Accept": "application/json"}, method="POST")
        status, body = self._open(req)
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            raise ShellError(f"the SSO answer ({status}) is not JSON", COMMUNICATION_ERROR, status) from None
        if "access_token" not in answer:
            detail = answer.get("error_description") or answer.get("error") or f"HTTP {status}"
            raise ShellError(f"login failed: {detail}", AUTHENTICATION_ERROR, status)
        return answer["access_token"]

    def request(self, method: str, path: str, params: dict[str, str] | None = None,
                body: dict | None = None) -> Any:
        """The JSON answer of ``method path`` (path relative to the API root); a fault raises ShellError."""
        query = dict(params or {})
        if self.filter:
            query.setdefault("filter", "true")
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", "Version": "4", "Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        status, raw = self._open(urllib.request.Request(url, data=data, headers=headers, method=method))
        try:
            answer = json.loads(raw) if raw.strip() else None
        except ValueError:
            answer = None
        if status >= 400:
            fault = (answer or {}).get("fault", answer) if isinstance(answer, dict) else None
            reason = (fault or {}).get("reason") or "error"
            detail = (fault or {}).get("detail") or ""
            code = NOT_FOUND if status == 404 else AUTHENTICATION_ERROR if status in (401, 403) else REMOTE_ERROR
            raise ShellError(f"status: {status}\nreason: {reason}\ndetail: {detail}", code, status)
        if raw.strip() and answer is None:
            raise ShellError(f"the answer to {method} {path} is not JSON", COMMUNICATION_ERROR, status)
        return answer

    def logout(self) -> None:
        form = urllib.parse.urlencode({"scope": "ovirt-app-api", "token": self.token}).encode()
        req = urllib.request.Request(f"{self._origin}/ovirt-engine/services/sso-logout", data=form, method="POST")
        try:
            self._open(req)
        except ShellError:
            pass
