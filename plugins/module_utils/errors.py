"""What the collection can fail with. Every error names the entity it is about, so a module failure does too.

    VdcError
    ├── EngineError       the engine answered with a fault (status, reason, detail)
    │   └── AuthError     SSO refused the credentials, or the token is not valid
    ├── DesiredStateError a declaration that does not validate (names the entity and the field)
    │   └── EstateError   a desired-state document that does not validate (names file, line and path)
    ├── PlanError         a declaration that cannot be reached from the current state (e.g. an immutable field)
    └── WaitError         an entity did not reach its end state in time, or reached a failure state
"""

from __future__ import annotations


class VdcError(Exception):
    """Base of every error the collection raises on purpose."""

    def __init__(self, message: str, entity: str | None = None):
        super().__init__(message)
        self.entity = entity

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.entity}: {text}" if self.entity and not text.startswith(self.entity) else text


class EngineError(VdcError):
    """A fault from the engine: HTTP ``status`` with its ``reason`` and ``detail``."""

    def __init__(self, status: int, reason: str, detail: str, method: str = "", path: str = "",
                 entity: str | None = None):
        self.status = status
        self.reason = reason
        self.detail = detail
        self.method = method
        self.path = path
        super().__init__(self.describe(), entity)

    def describe(self) -> str:
        detail = self.detail.strip()
        if detail.startswith("[") and detail.endswith("]"):
            detail = detail[1:-1]
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.reason}: {detail} [HTTP {self.status}{where}]" if detail else \
            f"{self.reason} [HTTP {self.status}{where}]"

    def about(self, entity: str) -> EngineError:
        """The same fault, now naming the entity it happened to."""
        self.entity = entity
        return self


class AuthError(EngineError):
    """SSO refused the credentials, or the engine refused the token."""


class DesiredStateError(VdcError):
    """A declaration that does not validate; ``problems`` lists ``field: message`` pairs."""

    def __init__(self, entity: str, problems: list[str]):
        self.problems = problems
        super().__init__("invalid declaration: " + "; ".join(problems), entity)


class EstateError(DesiredStateError):
    """A desired-state document that does not validate; each problem reads ``file:line: path: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("", problems)
        self.args = ("\n".join(problems),)  # each problem names its own place: no "invalid declaration" prefix
        self.entity = None


class PlanError(VdcError):
    """A declaration that cannot be reached from the current state."""


class WaitError(VdcError):
    """An entity did not reach its end state: ``state`` is the last one seen."""

    def __init__(self, message: str, entity: str, state: str | None = None, events: list[str] | None = None):
        self.state = state
        self.events = events or []
        if self.events:
            message += " Last engine events: " + " | ".join(self.events)
        super().__init__(message, entity)
