"""How every collection is listed, events included: the request's ``search`` (its condition, ``sortby`` and
``page``) and ``max`` as one SQL condition, order, limit and offset over the collection's rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from engine_api.core.errors import BadRequest
from engine_api.core.params import MAX_INT, flag
from engine_api.store import search

DEFAULT_PAGE = 100  # items on a page of ``search=... page N`` without ``max``
MAX_OFFSET = (1 << 63) - 1  # the largest offset a database takes


@dataclass(frozen=True)
class Listing:
    where: ColumnElement[bool] | None  # the search condition (None: every row)
    order: list[Any] | None  # None: the collection's own order
    limit: int | None
    offset: int | None


def listing(params: dict[str, str], resolve: Callable[[str, str | None], search.Resolved], limit: int | None,
            tiebreak: Sequence[Any] = (),
            rewrite: Callable[[search.Where | None], search.Where | None] | None = None) -> Listing:
    """The listing a request asks for; ``resolve`` maps a search field to its column expression, ``tiebreak``
    orders rows that sort equal (a unique column), ``limit`` is the request's ``max`` (None: all)."""
    text = params.get("search")
    if not text:
        return Listing(None, None, limit, None)
    try:
        q = search.parse(text)
        cond = search.to_sql(rewrite(q.where) if rewrite else q.where, resolve, flag(params, "case_sensitive"))
        order = None
        if q.sort_by:
            ref, _, name = q.sort_by.rpartition(".")
            expr = resolve(name, ref or None).expr
            order = [expr.desc() if q.descending else expr.asc(), *tiebreak]
    except search.SearchError as e:
        raise BadRequest(f"search '{text}': {e}", "Invalid search query") from None
    offset = None
    if q.page:
        per_page = limit if limit is not None else DEFAULT_PAGE
        if q.page > MAX_INT or (q.page - 1) * per_page > MAX_OFFSET:
            raise BadRequest(f"search '{text}': page {q.page} is out of range", "Invalid search query")
        offset = (q.page - 1) * per_page
        limit = per_page
    return Listing(cond, order, limit, offset)
