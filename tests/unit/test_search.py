"""The search language: parsing, and compiling to SQL run on a real database (SQLite, and PostgreSQL when
available)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from engine_api.store.search import (
    And,
    Or,
    Query,
    Resolved,
    SearchError,
    Term,
    parse,
    to_sql,
    unknown_field,
)

# --- parse -------------------------------------------------------------------------------------------------


def where(text: str) -> Any:
    return parse(text).where


def test_blank_query_means_everything() -> None:
    assert parse("") == Query(None, None, False, None)
    assert parse("   ") == Query(None, None, False, None)
    assert parse("Vms:") == Query(None, None, False, None)


def test_simple_terms_and_operators() -> None:
    assert where("name=web1") == Term("name", "=", "web1", None)
    for op in ("=", "!=", "<", ">", "<=", ">="):
        assert where(f"memory{op}1024") == Term("memory", op, "1024")
        assert where(f"memory {op} 1024") == Term("memory", op, "1024")


def test_values() -> None:
    assert where('name="my vm"') == Term("name", "=", "my vm")
    assert where('name="my * vm*"') == Term("name", "=", "my * vm*")
    assert where('name=""') == Term("name", "=", "")
    assert where("name=web*") == Term("name", "=", "web*")  # as it arrives from ?search=name%3Dweb*
    assert where("name=*web*") == Term("name", "=", "*web*")
    assert where("temp>-5") == Term("temp", ">", "-5")
    assert where("name=a:b.c/d") == Term("name", "=", "a:b.c/d")
    assert where("name=Web1") == Term("name", "=", "Web1")  # values keep their case


def test_field_names_are_lower_cased_and_take_cross_references() -> None:
    assert where("NAME=x") == Term("name", "=", "x")
    assert where("Clusters.name=prod") == Term("name", "=", "prod", "clusters")
    assert where("Storage.Name=data1") == Term("name", "=", "data1", "storage")
    assert where("vm.name=x") == Term("name", "=", "x", "vm")
    assert where("host.name=x") == Term("name", "=", "x", "host")


def test_type_prefix_is_ignored() -> None:
    assert parse("Vms: name=x") == parse("name=x")
    assert parse("Hosts:status=up") == parse("status=up")


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (Term(f, "=", "1") for f in "abc")
    assert where("a=1 or b=1 and c=1") == Or((a, And((b, c))))
    assert where("a=1 and b=1 or c=1") == Or((And((a, b)), c))
    assert where("a=1 and b=1 and c=1") == And((a, b, c))
    assert where("a=1 or b=1 or c=1") == Or((a, b, c))


def test_parentheses() -> None:
    a, b, c = (Term(f, "=", "1") for f in "abc")
    assert where("(a=1 or b=1) and c=1") == And((Or((a, b)), c))
    assert where("((a=1))") == a
    assert where("a=1 and (b=1 and c=1)") == And((a, b, c))
    assert where("(a=1)and(b=1)") == And((a, b))


def test_keywords_are_case_insensitive() -> None:
    a, b, c = (Term(f, "=", "1") for f in "abc")
    assert parse("a=1 AND b=1 Or c=1 SORTBY Name DESC PAGE 3") == Query(Or((And((a, b)), c)), "name", True, 3)


def test_sortby_and_page() -> None:
    assert parse("name=x sortby name desc page 2") == Query(Term("name", "=", "x"), "name", True, 2)
    assert parse("sortby name") == Query(None, "name", False, None)
    assert parse("sortby name asc") == Query(None, "name", False, None)
    assert parse("sortby Clusters.name") == Query(None, "clusters.name", False, None)
    assert parse("page 1") == Query(None, None, False, 1)
    assert parse("Vms: status=up page 10") == Query(Term("status", "=", "up"), None, False, 10)


def test_keywords_as_field_names_and_values() -> None:
    assert where("page=3") == Term("page", "=", "3")
    assert where("name=and") == Term("name", "=", "and")
    assert where("name=page") == Term("name", "=", "page")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name=", "missing value after '=' for field 'name' at position 5"),
        ("name= and status=up", "missing value after '=' for field 'name'"),
        ("(name=)", "missing value after '='"),
        ("name>=", "missing value after '>='"),
        ('name="my vm', "unclosed quote at position 5"),
        ("name~x", "unknown operator '~' at position 4"),
        ("name == x", "unknown operator '=='"),
        ("name=<x", "unknown operator '=<'"),
        ("web1", "search term 'web1' at position 0 has no field and operator"),
        ("name=x or web1", "search term 'web1' at position 10"),
        ('"my vm"', "search term '\"my vm\"' at position 0 has no field and operator"),
        ("*web*", "search term '*web*'"),
        ("page x", "page needs a number of 1 or more, got 'x'"),
        ("page 0", "page needs a number of 1 or more, got '0'"),
        ("page", "page needs a number of 1 or more, got ''"),
        ("sortby", "missing field after 'sortby'"),
        ("name=a status=b", "unexpected token 'status=b' at position 7"),
        ("name=a)", "unexpected token ')' at position 6"),
        ("(name=a", "missing ')' for the '(' at position 0"),
        ("()", "unexpected token ')' at position 1"),
        ("name=a and", "missing condition"),
        ("name=a and or b=1", "unexpected token 'or' at position 11"),
        ("page 2 sortby name", "unexpected token 'sortby'"),
        ("sortby name page 2 x=1", "unexpected token 'x=1'"),
        ("1x=2", "unexpected token '1x=2' at position 0"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(SearchError) as info:
        parse(text)
    assert message in str(info.value)


# --- to_sql ---------------------------------------------------------------------------------------------

metadata = sa.MetaData()
vms = sa.Table(
    "search_probe",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64)),
    sa.Column("doc", sa.JSON, nullable=False),
)

ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "web1", "doc": {"status": "up", "memory": 1024, "cluster": {"name": "Default"},
                                      "stateless": False, "created": "2024-01-15T10:00:00+00:00"}},
    {"id": 2, "name": "Web2", "doc": {"status": "down", "memory": 2048, "cluster": {"name": "prod"},
                                      "stateless": True, "created": "2024-02-01T00:00:00+00:00"}},
    {"id": 3, "name": "db_1", "doc": {"status": "up", "memory": 4096, "cluster": {"name": "prod"},
                                      "comment": "50% off", "created": "2023-12-31T23:59:59+00:00"}},
    {"id": 4, "name": "my vm", "doc": {"memory": 512, "comment": "5 off"}},
    {"id": 5, "name": None, "doc": {"status": "UP", "cluster": {"name": "PROD"}}},
]  # fmt: skip

KINDS = {"name": "str", "status": "str", "comment": "str", "clusters.name": "str",
         "memory": "int", "stateless": "bool", "created": "date"}  # fmt: skip
JSON_PATHS = {"clusters.name": ("cluster", "name")}


def key(field: str, ref: str | None) -> str:
    name = f"{ref}.{field}" if ref else field
    if name not in KINDS:
        raise unknown_field(field, ref, KINDS)
    return name


def resolve(field: str, ref: str | None) -> Any:
    name = key(field, ref)
    if name == "name":
        return vms.c.name
    path = vms.c.doc[JSON_PATHS.get(name, name)]
    kind = KINDS[name]
    if kind == "int":  # memory sizes do not fit a 32-bit INTEGER on PostgreSQL
        return Resolved(sa.cast(path.as_string(), sa.BigInteger), "int")
    if kind == "bool":
        return Resolved(path.as_boolean(), "bool")
    return Resolved(path.as_string(), kind)


# query, ids matched case-insensitively, ids matched case-sensitively (if different)
CASES: list[tuple[str, set[int], set[int] | None]] = [
    ("", {1, 2, 3, 4, 5}, None),
    ("Vms: name=web1 sortby name desc page 1", {1}, None),
    ("name=WEB1", {1}, set()),
    ("name=web*", {1, 2}, {1}),
    ("name=Web*", {1, 2}, {2}),
    ("name=*1", {1, 3}, None),
    ("name=*B*", {1, 2, 3}, set()),
    ('name="my vm"', {4}, None),
    ('name="MY *"', {4}, set()),
    ("name=*", {1, 2, 3, 4}, None),  # NULL never matches =
    ("name=d_*", set(), None),  # "_" is literal, not LIKE's any-character
    ("name=db_*", {3}, None),
    ('comment="50%*"', {3}, None),
    ('comment="5%*"', set(), None),  # "%" is literal too
    ("name!=web*", {3, 4, 5}, {2, 3, 4, 5}),  # NULL matches !=
    ("name!=web1", {2, 3, 4, 5}, None),
    ("status=up", {1, 3, 5}, {1, 3}),
    ("status!=up", {2, 4}, {2, 4, 5}),
    ("name>m", {1, 2, 4}, {1, 4}),
    ("name<=db_1", {3}, {2, 3}),  # "W" sorts before "d"
    ("memory=2048", {2}, None),
    ("memory!=2048", {1, 3, 4, 5}, None),
    ("memory>1024", {2, 3}, None),
    ("memory>=1024", {1, 2, 3}, None),
    ("memory<1024", {4}, None),
    ("memory<=512", {4}, None),
    ("memory>99999999999", set(), None),
    ("status=up and memory>1024", {3}, None),
    ("status=down or memory<1000", {2, 4}, None),
    ("status=up or status=down and memory>4000", {1, 3, 5}, {1, 3}),
    ("(status=up or status=down) and memory>1500", {2, 3}, None),
    ("Clusters.name=prod", {2, 3, 5}, {2, 3}),
    ("clusters.name!=prod", {1, 4}, {1, 4, 5}),
    ("stateless=true", {2}, None),
    ("stateless=FALSE", {1}, None),
    ("stateless!=true", {1, 3, 4, 5}, None),
    ("created=2024-01-15", {1}, None),  # a date is the whole day
    ("created!=2024-01-15", {2, 3, 4, 5}, None),
    ("created>2024-01-15", {2}, None),
    ("created>=2024-01-15", {1, 2}, None),
    ("created<2024-01-15", {3}, None),
    ("created<=2024-01-15", {1, 3}, None),
    ("created<2024-01-01", {3}, None),
    ("created>=2024-01-15T10:00", {1, 2}, None),
    ("created<2024-01-15T10:00", {3}, None),
]


CASE_IDS = [text or "blank" for text, _, _ in CASES]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(vms.insert(), ROWS)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def select_ids(engine: sa.Engine, text: str, case_sensitive: bool = False) -> set[int]:
    query = sa.select(vms.c.id)
    condition = to_sql(parse(text).where, resolve, case_sensitive)
    if condition is not None:
        query = query.where(condition)
    with engine.connect() as conn:
        return set(conn.scalars(query))


@pytest.mark.parametrize(("text", "expected", "expected_cs"), CASES, ids=CASE_IDS)
def test_to_sql(engine: sa.Engine, text: str, expected: set[int], expected_cs: set[int] | None) -> None:
    assert select_ids(engine, text) == expected
    assert select_ids(engine, text, case_sensitive=True) == (expected if expected_cs is None else expected_cs)


def test_cached_statements_use_the_new_values(engine: sa.Engine) -> None:
    # the case-sensitive wildcard is a custom construct: its values must not stick in the statement cache
    assert select_ids(engine, "name=Web*", case_sensitive=True) == {2}
    assert select_ids(engine, "name=web*", case_sensitive=True) == {1}
    assert select_ids(engine, "name!=w*", case_sensitive=True) == {2, 3, 4, 5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo=1", "unknown field 'foo' (known: clusters.name, comment, created, memory, name"),
        ("Hosts.name=x", "unknown field 'hosts.name'"),
        ("memory=abc", "field 'memory' needs a number, got 'abc'"),
        ("memory=1.5", "field 'memory' needs a number, got '1.5'"),
        ("memory>10*", "field 'memory' needs a number"),
        ("memory>99999999999999999999", "out of range"),
        ("stateless=maybe", "field 'stateless' needs true or false, got 'maybe'"),
        ("stateless>true", "field 'stateless' only supports = and !="),
        ("created>yesterday", "field 'created' needs a date"),
        ("name>web*", "wildcard '*' only works with = and !="),
        ("status=up or memory=x", "field 'memory' needs a number"),
    ],
)
def test_apply_errors(text: str, message: str) -> None:
    condition = parse(text).where
    with pytest.raises(SearchError) as info:
        to_sql(condition, resolve)
    assert message in str(info.value)


def test_to_sql_without_condition_is_none() -> None:
    assert to_sql(None, resolve) is None


def test_plain_columns_and_values_are_strings() -> None:
    # a resolver may return a bare column; it is compared as a string
    condition = to_sql(where("name=web*"), lambda field, ref: vms.c.name)
    assert condition is not None
    sql = str(condition.compile(dialect=sqlite.dialect()))
    assert sql == "lower(search_probe.name) LIKE ? ESCAPE '/'"


def test_resolved_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown field kind 'float'"):
        Resolved(vms.c.name, "float")


TYPED = sa.Table(
    "typed_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64)),
    sa.Column("memory", sa.Float),
    sa.Column("stateless", sa.Boolean),
    sa.Column("created", sa.DateTime),
)
TYPED_KINDS = {"name": "str", "memory": "int", "stateless": "bool", "created": "date"}


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("name=web*", "Web2", True),
        ("name=web*", None, False),
        ("name!=web*", None, True),
        ("memory>1000", 1024, True),
        ("memory>1000", 999.5, False),
        ("stateless=true", True, True),
        ("stateless!=true", False, True),
        ("stateless!=true", None, True),
        ("created=2024-01-15", datetime(2024, 1, 15, 23, 59), True),
        ("created=2024-01-15", datetime(2024, 1, 16), False),
        ("created>2024-01-15T09:00Z", datetime(2024, 1, 15, 9), False),
        ("created>2024-01-15T09:00+01:00", datetime(2024, 1, 15, 9), True),
    ],
)
def test_typed_columns(engine: sa.Engine, text: str, value: Any, expected: bool) -> None:
    """A value held by a column of its kind's SQL type (a date in UTC without a zone), compared in the database."""
    field = text.split("!")[0].split("=")[0].split(">")[0]
    TYPED.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(TYPED.insert(), [{"id": 1, field: value}])
            condition = to_sql(where(text), lambda f, ref: Resolved(TYPED.c[f], TYPED_KINDS[f]))
            assert set(conn.scalars(sa.select(TYPED.c.id).where(condition))) == ({1} if expected else set())
    finally:
        TYPED.drop(engine)


def test_date_columns_and_epoch_seconds() -> None:
    engine = sa.create_engine("sqlite://")
    columns = [sa.Column("id", sa.Integer), sa.Column("at", sa.DateTime), sa.Column("ts", sa.Float)]
    table = sa.Table("dated", sa.MetaData(), *columns)
    table.create(engine)
    moments = {1: datetime(2024, 1, 14, 12), 2: datetime(2024, 1, 15, 0, 30), 3: datetime(2024, 1, 16)}
    with engine.begin() as conn:
        rows = [{"id": i, "at": at, "ts": at.replace(tzinfo=UTC).timestamp()} for i, at in moments.items()]
        conn.execute(table.insert(), rows)

    def ids(text: str, column: sa.Column[Any]) -> set[int]:
        condition = to_sql(where(text), lambda field, ref: Resolved(column, "date"))
        with engine.connect() as conn:
            return set(conn.scalars(sa.select(table.c.id).where(condition)))

    for column in (table.c.at, table.c.ts):
        assert ids("at=2024-01-15", column) == {2}
        assert ids("at>2024-01-15", column) == {3}
        assert ids("at<=2024-01-15", column) == {1, 2}
        assert ids("at>2024-01-14T12:00", column) == {2, 3}
    engine.dispose()
