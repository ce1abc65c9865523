"""The client side of the agent protocol: used by the engine's broker, and by agents during migration."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request


class AgentError(RuntimeError):
    """An agent refused or failed a call; ``status`` is its HTTP status (0 when it could not be reached)."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def call(url: str, secret: str, method: str = "GET", body: dict | None = None, timeout: float = 30.0,
         context: ssl.SSLContext | None = None) -> dict:
    """One call to an agent (used by agents for migration, and by the engine's broker); ``context`` is the
    caller's mutual TLS (its certificate, the CA it trusts)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {secret}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            detail = json.loads(e.read()).get("error", str(e))
        except ValueError:
            detail = str(e)
        raise AgentError(detail, e.code) from None
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise AgentError(f"the agent at {url} is not trusted: {reason.verify_message} (its certificate must "
                             "come from the engine's CA and name the host's address)", 0) from None
        raise AgentError(f"no answer from the agent at {url}: {reason}", 0) from None
