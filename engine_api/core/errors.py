"""What a command can refuse with; the REST layer turns each into a ``<fault>`` with its HTTP status.

    Fault
    ├── BadRequest   400  input that does not fit: a missing field, a wrong value
    ├── NotAuthenticated 401
    ├── Forbidden    403  the user may not do this
    ├── NotFound     404  no such entity (or a reference to a missing one: 400 via BadRequest)
    ├── MethodNotAllowed 405  the path exists but does not take this HTTP method
    └── Conflict     409  the request is valid but the state does not allow it now
"""

from __future__ import annotations


class Fault(Exception):
    status = 500
    reason = "Operation Failed"

    def __init__(self, detail: str, reason: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if reason:
            self.reason = reason


class BadRequest(Fault):
    status = 400
    reason = "Operation Failed"


class InvalidInput(BadRequest):
    reason = "Input validation failed."


class NotAuthenticated(Fault):
    status = 401
    reason = "Unauthorized"


class Forbidden(Fault):
    status = 403
    reason = "Forbidden"


class NotFound(Fault):
    status = 404
    reason = "Not Found"


class MethodNotAllowed(Fault):
    status = 405
    reason = "Method Not Allowed"

    def __init__(self, detail: str, allow: tuple[str, ...] = ("GET",)):
        super().__init__(detail)
        self.allow = allow  # the methods the path takes: the answer's Allow header


class Conflict(Fault):
    status = 409
    reason = "Operation Failed"
