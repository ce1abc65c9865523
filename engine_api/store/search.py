"""The oVirt search language of ``GET /vms?search=...``: parse it, then compile it to SQL.

Grammar: ``[Type:] [ref.]field <op> value {and|or ...} [sortby field [asc|desc]] [page N]`` with the
operators ``= != < > <= >=``, parentheses, ``and`` binding tighter than ``or`` and case-insensitive
keywords. A value is a bare token (up to whitespace or ``)``) or double-quoted (no escapes); ``*`` in it
is a wildcard. Error positions are 0-based offsets into the query text.

The module knows no schema: :func:`to_sql` asks a ``resolve(field, ref)`` callback for a column
expression. SQL is its only evaluation: a search runs where the rows are, never over rows read into memory.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, and_, func, literal, not_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

OPERATORS = ("=", "!=", "<", ">", "<=", ">=")
KINDS = ("str", "int", "bool", "date")
MAX_LENGTH = 8192  # characters in one query
MAX_TERMS = 200  # conditions in one query (a database bounds the depth of an expression tree; SQLite's is 1000)
MAX_NESTING = 16  # parentheses inside one another

_CONNECTORS = {"and", "or", "sortby", "page"}  # keywords that can follow a condition
_KEYWORDS = _CONNECTORS | {"asc", "desc"}
_PREFIX = re.compile(r"\s*[A-Za-z_]\w*\s*:")  # "Vms:" in front of the query
_FIELD = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?")
_OP_RUN = re.compile(r"[=!<>~:^%&|]+")  # what is read as an operator; invalid runs are reported
_TOKEN = re.compile(r"\"[^\"]*\"?|[^\s()]+|\S")
_BARE_VALUE = re.compile(r"[^\s)]+")
_INT = re.compile(r"[+-]?\d+")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


class SearchError(ValueError):
    """A search query that cannot be parsed or applied; the message names the problem."""


@dataclass(frozen=True)
class Term:
    field: str  # lower-cased
    op: str
    value: str
    ref: str | None = None  # lower-cased cross reference ("clusters" in "Clusters.name=x")


@dataclass(frozen=True)
class And:
    items: tuple[Where, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Where, ...]


Where = Term | And | Or


@dataclass(frozen=True)
class Query:
    where: Where | None  # None: everything
    sort_by: str | None  # lower-cased field name as written, e.g. "name" or "clusters.name"
    descending: bool
    page: int | None


@dataclass
class Resolved:
    """A field's column expression with the kind that drives comparison.

    "int" wants a numeric expression; "date" a Date/DateTime, epoch-seconds numeric or ISO-string expression.
    """

    expr: Any
    kind: str = "str"
    order: tuple[str, ...] = ()  # an ordered enum's values, lowest first: < > <= >= compare by position
    # A field of many values (a VM's tags): ``each(cond)`` is "some value satisfies cond", cond being built on
    # ``expr``; "!=" is then "no value equals".
    each: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}, expected one of {', '.join(KINDS)}")


def _ordered(where: Term, resolved: Resolved) -> list[str] | None:
    """The values an order comparison on an ordered enum admits (``severity>normal``: warning, error, alert);
    None when the term is not one."""
    if not resolved.order or where.op not in ("<", ">", "<=", ">="):
        return None
    value = where.value.strip('"').lower()
    if value not in resolved.order:
        raise SearchError(f"{value!r} is not a value of {_name(where.field, where.ref)!r} "
                          f"(one of: {', '.join(resolved.order)})")
    at = resolved.order.index(value)
    return [v for i, v in enumerate(resolved.order) if _CMP[where.op](i, at)]


def unknown_field(field: str, ref: str | None, known: Iterable[str]) -> SearchError:
    """The error a resolver raises for a field it does not know."""
    return SearchError(f"unknown field {_name(field, ref)!r} (known: {', '.join(sorted(known))})")


# --- parsing -----------------------------------------------------------------------------------------------


def parse(text: str) -> Query:
    """Parse a search query; a blank one (or just a type prefix) means everything.

    A query is bounded in length, conditions and nesting, so that neither this parser nor the database
    runs out of stack on it."""
    if len(text) > MAX_LENGTH:
        raise SearchError(f"the query is {len(text)} characters long, over the limit of {MAX_LENGTH}")
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        prefix = _PREFIX.match(text)
        self.pos = prefix.end() if prefix else 0
        self.terms = 0
        self.nesting = 0

    def skip(self) -> int:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos

    def at_end(self) -> bool:
        return self.skip() >= len(self.text)

    def token(self, pos: int) -> str:
        m = _TOKEN.match(self.text, pos)
        return m.group() if m else ""

    def keyword(self) -> str | None:
        """The keyword at the cursor, lower-cased, without consuming it; ``page=3`` is a term, not one."""
        word = self.token(self.skip()).lower()
        if word not in _KEYWORDS or _OP_RUN.match(self.text[self.pos + len(word) :].lstrip()):
            return None
        return word

    def take_keyword(self) -> str:
        word = self.token(self.skip()).lower()
        self.pos += len(word)
        return word

    def unexpected(self) -> SearchError:
        return SearchError(f"unexpected token {self.token(self.skip())!r} at position {self.pos}")

    def query(self) -> Query:
        where = None
        if not self.at_end() and self.keyword() not in ("sortby", "page"):
            where = self.or_expr()
        sort_by, descending, page = None, False, None
        if self.keyword() == "sortby":
            self.take_keyword()
            field = _FIELD.match(self.text, self.skip())
            if not field:
                raise SearchError(f"missing field after 'sortby' at position {self.pos}")
            sort_by, self.pos = field.group().lower(), field.end()
            if self.keyword() in ("asc", "desc"):
                descending = self.take_keyword() == "desc"
        if self.keyword() == "page":
            self.take_keyword()
            number = self.token(self.skip())
            if not number.isdigit() or int(number) < 1:
                raise SearchError(f"page needs a number of 1 or more, got {number!r} at position {self.pos}")
            page = int(number)
            self.pos += len(number)
        if not self.at_end():
            error = self.unexpected()
            raise SearchError(f"{error} (expected and, or, sortby, page or the end)")
        return Query(where, sort_by, descending, page)

    def or_expr(self) -> Where:
        items = [self.and_expr()]
        while self.keyword() == "or":
            self.take_keyword()
            items.append(self.and_expr())
        return _combine(Or, items)

    def and_expr(self) -> Where:
        items = [self.atom()]
        while self.keyword() == "and":
            self.take_keyword()
            items.append(self.atom())
        return _combine(And, items)

    def atom(self) -> Where:
        if self.at_end():
            raise SearchError(f"missing condition at the end of the query (position {self.pos})")
        if self.text[self.pos] != "(":
            return self.term()
        opening = self.pos
        if self.nesting >= MAX_NESTING:
            raise SearchError(f"parentheses nested more than {MAX_NESTING} deep at position {opening}")
        self.pos += 1
        self.nesting += 1
        inner = self.or_expr()
        self.nesting -= 1
        if self.at_end():
            raise SearchError(f"missing ')' for the '(' at position {opening}")
        if self.text[self.pos] != ")":
            raise self.unexpected()
        self.pos += 1
        return inner

    def term(self) -> Term:
        start = self.pos
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise SearchError(f"more than {MAX_TERMS} conditions (at position {start}); split the search")
        field = _FIELD.match(self.text, start)
        if field:
            self.pos = field.end()
            op = _OP_RUN.match(self.text, self.skip())
            if op:
                if op.group() not in OPERATORS:
                    raise SearchError(
                        f"unknown operator {op.group()!r} at position {self.pos} (use {', '.join(OPERATORS)})"
                    )
                self.pos = op.end()
                ref, _, name = field.group().lower().rpartition(".")
                return Term(name, op.group(), self.value(field.group(), op.group()), ref or None)
        word = self.token(start)
        self.pos = start
        if field and field.group().lower() in _KEYWORDS or word == ")":
            raise self.unexpected()
        if field or word.startswith('"') or not _OP_RUN.search(word):
            raise SearchError(
                f"search term {word!r} at position {start} has no field and operator; write e.g. name={word}"
            )
        raise self.unexpected()

    def value(self, field: str, op: str) -> str:
        op_end = self.pos
        after_space = self.skip() > op_end
        if self.at_end() or self.text[self.pos] == ")" or (after_space and self.keyword() in _CONNECTORS):
            raise SearchError(f"missing value after {op!r} for field {field!r} at position {op_end}")
        if self.text[self.pos] == '"':
            close = self.text.find('"', self.pos + 1)
            if close < 0:
                raise SearchError(f"unclosed quote at position {self.pos}")
            value, self.pos = self.text[self.pos + 1 : close], close + 1
            return value
        bare = _BARE_VALUE.match(self.text, self.pos)
        assert bare  # not at the end, not at whitespace or ")"
        self.pos = bare.end()
        return bare.group()


def _combine(cls: type[And] | type[Or], items: list[Where]) -> Where:
    if len(items) == 1:
        return items[0]
    flat: list[Where] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


# --- applying ----------------------------------------------------------------------------------------------


def to_sql(
    where: Where | None, resolve: Callable[[str, str | None], Any], case_sensitive: bool = False
) -> ColumnElement[bool] | None:
    """Compile a condition to a SQLAlchemy expression; ``resolve`` raises SearchError for unknown fields."""
    if where is None:
        return None
    if isinstance(where, And | Or):
        parts = [p for p in (to_sql(item, resolve, case_sensitive) for item in where.items) if p is not None]
        return and_(*parts) if isinstance(where, And) else or_(*parts)
    target = resolve(where.field, where.ref)
    resolved = target if isinstance(target, Resolved) else Resolved(target)
    if (admitted := _ordered(where, resolved)) is not None:
        return func.lower(resolved.expr).in_(admitted)
    operand = _operand(where, resolved.kind)
    op = "=" if where.op == "!=" else where.op  # "!=" is built as NULL or not "="
    expr = resolved.expr
    if resolved.kind == "str":
        if not case_sensitive:
            expr, operand = func.lower(expr), operand.lower()
        if "*" not in operand:
            cond = _CMP[op](expr, operand)
        elif case_sensitive:
            cond = _CaseSensitiveLike(expr, literal(_like_pattern(operand)), literal(_glob_pattern(operand)))
        else:
            cond = expr.like(_like_pattern(operand), escape="/")
    elif resolved.kind == "date":
        lo, hi = operand
        day = hi is not None
        cond = _date_cond(op, expr, _sql_date(expr, lo, day), _sql_date(expr, hi, day), and_)
    else:
        cond = _CMP[op](expr, operand)
    if resolved.each is not None:
        return not_(resolved.each(cond)) if where.op == "!=" else resolved.each(cond)
    return or_(resolved.expr.is_(None), not_(cond)) if where.op == "!=" else cond


def _name(field: str, ref: str | None) -> str:
    return f"{ref}.{field}" if ref else field


def _operand(term: Term, kind: str) -> Any:
    """The term's value checked and converted for the field's kind; a date is a day [lo, hi) or (lo, None)."""
    name, value = _name(term.field, term.ref), term.value
    if term.op not in OPERATORS:
        raise SearchError(f"unknown operator {term.op!r} for field {name!r}")
    if kind == "str":
        if "*" in value and term.op not in ("=", "!="):
            raise SearchError(f"wildcard '*' only works with = and != (field {name!r})")
        return value
    if kind == "int":
        if not _INT.fullmatch(value):
            raise SearchError(f"field {name!r} needs a number, got {value!r}")
        if abs(number := int(value)) >= 1 << 63:
            raise SearchError(f"field {name!r} needs a number, got {value!r} which is out of range")
        return number
    if kind == "bool":
        if term.op not in ("=", "!="):
            raise SearchError(f"field {name!r} only supports = and !=")
        if value.lower() not in ("true", "false"):
            raise SearchError(f"field {name!r} needs true or false, got {value!r}")
        return value.lower() == "true"
    try:
        if _DATE_ONLY.fullmatch(value):
            lo = datetime.combine(date.fromisoformat(value), datetime.min.time())
            return lo, lo + timedelta(days=1)
        return _naive_utc(datetime.fromisoformat(value)), None
    except ValueError:
        raise SearchError(f"field {name!r} needs a date like 2024-01-31[T08:00], got {value!r}") from None


def _date_cond(op: str, x: Any, lo: Any, hi: Any, both: Callable[[Any, Any], Any]) -> Any:
    """Compare with a point in time, or with a whole day [lo, hi) when the value was a date."""
    if hi is None:
        return _CMP[op](x, lo)
    if op == "=":
        return both(x >= lo, x < hi)
    return {"<": x < lo, ">=": x >= lo, ">": x >= hi, "<=": x < hi}[op]


def _sql_date(expr: Any, when: datetime | None, day: bool) -> Any:
    """A bound for a date expression: a datetime, epoch seconds, or an ISO string (a bare date for days)."""
    if when is None or isinstance(expr.type, Date | DateTime):
        return when
    if isinstance(expr.type, Integer | Numeric | Float):  # Float is no Numeric in SQLAlchemy 2.1
        return when.replace(tzinfo=UTC).timestamp()
    return when.date().isoformat() if day else when.isoformat()


def _naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _like_pattern(value: str) -> str:
    """``*`` wildcards as a LIKE pattern with escape character ``/``."""
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_").replace("*", "%")


def _glob_pattern(value: str) -> str:
    """``*`` wildcards as an SQLite GLOB pattern (``?`` and ``[`` bracketed to be literal)."""
    return "".join(f"[{c}]" if c in "?[" else c for c in value)


class _CaseSensitiveLike(FunctionElement[bool]):
    """``expr LIKE like_pattern``, kept case-sensitive on SQLite by rendering ``expr GLOB glob_pattern``."""

    type = Boolean()
    inherit_cache = True
    name = "case_sensitive_like"


@compiles(_CaseSensitiveLike)
def _compile_like(element: _CaseSensitiveLike, compiler: Any, **kw: Any) -> str:
    expr, like, _ = element.clauses
    return f"({compiler.process(expr, **kw)} LIKE {compiler.process(like, **kw)} ESCAPE '/')"


@compiles(_CaseSensitiveLike, "sqlite")
def _compile_glob(element: _CaseSensitiveLike, compiler: Any, **kw: Any) -> str:
    expr, _, glob = element.clauses
    return f"({compiler.process(expr, **kw)} GLOB {compiler.process(glob, **kw)})"
