"""The engine client: JSON over HTTP, nothing compiled, nothing beyond the standard library.

Paths are relative to the API URL (``vms``, ``vms/<id>/nics``) or absolute hrefs as the engine writes them
(``/ovirt-engine/api/vms/<id>``). Every fault the engine answers with becomes an
:class:`~.errors.EngineError` carrying the HTTP status, the fault's reason and its detail.
"""

from __future__ import annotations

import builtins
import json
import ssl
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible_collections.vdc.infra.plugins.module_utils.errors import AuthError, EngineError
from ansible_collections.vdc.infra.plugins.module_utils.typed import api_relative, decode_answer

JSON = "application/json"
# Keys of a list answer that are not the list itself.
_ENVELOPE = frozenset({"href", "link", "actions", "id"})

Opener = Callable[..., Any]


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL: where SSO lives and what absolute hrefs are relative to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _fault(status: int, raw: bytes, fallback: str, method: str, path: str) -> EngineError:
    """Turn an error answer into an EngineError; the body is a fault, an action with a fault, or not JSON."""
    reason, detail = fallback or "Error", ""
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        doc = {}
        detail = raw.decode("utf-8", "replace").strip()[:500]
    if isinstance(doc, dict):
        fault: dict[str, Any] = doc["fault"] if isinstance(doc.get("fault"), dict) else doc
        reason = str(fault.get("reason") or fault.get("error_code") or fault.get("error") or reason)
        detail = str(fault.get("detail") or fault.get("error_description") or fault.get("error") or detail)
    cls = AuthError if status == 401 else EngineError
    return cls(status, reason, detail, method, path)


def tls_context(ca_file: str | None, validate: bool) -> ssl.SSLContext:
    """The TLS context ``open_url`` would verify the engine with: ``ca_file`` (else the system's CAs) and the
    host name, or nothing at all when ``validate`` is false (``insecure``)."""
    context = ssl.create_default_context(cafile=ca_file)
    if not validate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def http_json(method: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
              ca_file: str | None = None, insecure: bool = False, timeout: int = 60,
              opener: Opener | None = None) -> tuple[int, Any]:
    """One request; returns (status, decoded JSON or None). Raises EngineError for 4xx/5xx answers.

    Without ``opener``, the request goes through ``open_url`` on a connection of its own."""
    path = urlsplit(url).path
    if opener is None:
        opener = ContextReusingOpener()
    try:
        resp = opener(url, method=method, data=data, headers=headers or {}, validate_certs=not insecure,
                      ca_path=ca_file, timeout=timeout, follow_redirects="none")
        status = getattr(resp, "status", None) or resp.getcode()
        raw = resp.read()
    except HTTPError as e:
        raise _fault(e.code, e.read() if e.fp else b"", str(e.reason), method, path) from None
    except URLError as e:
        raise EngineError(0, "Cannot reach the engine", str(e.reason), method, url) from None
    except OSError as e:
        raise EngineError(0, "Cannot reach the engine", str(e), method, url) from None
    if not raw:
        return status, None
    try:
        return status, json.loads(raw)
    except ValueError:
        raise EngineError(status, "The engine did not answer with JSON", raw[:200].decode("utf-8", "replace"),
                          method, path) from None


class ContextReusingOpener:
    """``open_url``'s machinery (``urls.Request``) with one TLS context per client.

    ``open_url`` builds a fresh SSL context on every call, plain HTTP included; that costs ~50 ms, more than
    most engine requests. Same keyword arguments as ``open_url``, so it is a drop-in opener. Ansible's ``urls``
    (~25 ms to import) is imported at the first call: the kept-alive opener needs it only through a proxy.
    """

    def __init__(self) -> None:
        self._contexts: dict[tuple[bool, str | None], Any] = {}

    def __call__(self, url: str, *, method: str, data: bytes | None, headers: dict[str, str], validate_certs: bool,
                 ca_path: str | None, timeout: int, follow_redirects: str) -> Any:
        from ansible.module_utils.urls import Request

        key = (validate_certs, ca_path)
        if key not in self._contexts:
            self._contexts[key] = tls_context(ca_path, validate_certs)
        return Request().open(method, url, data=data, headers=headers, timeout=timeout,
                              validate_certs=validate_certs, ca_path=ca_path, follow_redirects=follow_redirects,
                              context=self._contexts[key])


def items(doc: Any) -> list[dict]:
    """The entities of a list answer such as ``{"vm": [...]}``; an empty list answers ``{}``."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        return []
    for key, value in doc.items():
        if key not in _ENVELOPE and isinstance(value, list):
            return value
    return []


class EngineClient:
    """Calls to one engine with one token. ``opener`` works like ``open_url``; tests pass a fake."""

    def __init__(self, url: str, token: str, *, ca_file: str | None = None, insecure: bool = False,
                 headers: dict[str, str] | None = None, timeout: int = 60, opener: Opener | None = None):
        self.url = url.rstrip("/")
        self.api_path = urlsplit(self.url).path
        self.token = token
        self.ca_file = ca_file
        self.insecure = insecure
        self.timeout = timeout
        self.opener = opener or ContextReusingOpener()
        self.headers = {"Accept": JSON, "Content-Type": JSON, "Version": "4", "Authorization": f"Bearer {token}"}
        self.headers.update(headers or {})

    # ------------------------------------------------------------ plumbing

    def _url(self, path: str, params: dict[str, Any] | None) -> str:
        if path.startswith("/"):
            url = origin(self.url) + path
        else:
            url = f"{self.url}/{path}" if path else self.url
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None and v != []}
        return f"{url}?{urlencode(sorted(query.items()))}" if query else url

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, timeout: int | None = None) -> Any:
        """The answer with its integers and booleans read back by type (the engine writes them as strings)."""
        data = json.dumps(body).encode() if body is not None else None
        answer = http_json(method, self._url(path, params), data=data, headers={**self.headers, **(headers or {})},
                           ca_file=self.ca_file, insecure=self.insecure, timeout=timeout or self.timeout,
                           opener=self.opener)[1]
        return decode_answer(answer, api_relative(path, self.api_path))

    # ------------------------------------------------------------ reads

    def system(self) -> dict:
        """The API root: product version, special objects, summary."""
        return self.request("GET", "") or {}

    def get(self, path: str, ident: str | None = None, follow: list[str] | None = None) -> dict | None:
        """One entity, or None when the engine answers 404."""
        try:
            return self.request("GET", f"{path}/{ident}" if ident else path, params={"follow": follow})
        except EngineError as e:
            if e.status == 404:
                return None
            raise

    def list(self, path: str, search: str | None = None, follow: list[str] | None = None,
             max: int | None = None) -> list[dict]:
        return items(self.request("GET", path, params={"search": search, "follow": follow, "max": max}))

    def search(self, path: str, query: str, follow: builtins.list[str] | None = None) -> builtins.list[dict]:
        return self.list(path, search=query, follow=follow)

    def follow(self, href: str) -> Any:
        """What an href points at: an entity, or the list of a sub-collection link."""
        doc = self.request("GET", href)
        return doc if isinstance(doc, dict) and "id" in doc else items(doc)

    # ------------------------------------------------------------ writes

    def add(self, path: str, body: dict, params: dict[str, Any] | None = None, wait: int = 0) -> dict:
        """With ``wait`` (seconds), the engine answers once the storage work the add started (a new disk's
        volume, a template's copies) ended, as oVirt does for ``Expect: 201-created``: no polling."""
        if not wait:
            return self.request("POST", path, body, params) or {}
        return self.request("POST", path, body, params, {"Expect": "201-created"}, max(wait, self.timeout)) or {}

    def upload(self, path: str, data: bytes, content_type: str) -> dict:
        """POST raw bytes (an archive) to ``path``; the engine answers with JSON."""
        headers = dict(self.headers, **{"Content-Type": content_type})
        return http_json("POST", self._url(path, None), data=data, headers=headers, ca_file=self.ca_file,
                         insecure=self.insecure, timeout=self.timeout, opener=self.opener)[1] or {}

    def update(self, path: str, ident: str, body: dict, params: dict[str, Any] | None = None) -> dict:
        return self.request("PUT", f"{path}/{ident}", body, params) or {}

    def remove(self, path: str, ident: str, params: dict[str, Any] | None = None) -> None:
        self.request("DELETE", f"{path}/{ident}", None, params)

    def action(self, path: str, ident: str, name: str, body: dict | None = None) -> dict:
        return self.request("POST", f"{path}/{ident}/{name}", body or {}) or {}


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
