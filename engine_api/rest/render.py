"""Encoding of entities for responses, with a cache of each row's encoding.

A stored row's wire form depends only on its JSON text, its name, its references and where it is listed,
so the encoded bytes are cached under exactly that key (the text by its digest): a list of 1,000 unchanged
VMs is a concatenation, and a changed row misses by itself. Rows needing computed members or ``follow``
are encoded afresh.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from threading import Lock

from engine_api.model.types import plural
from engine_api.rest import codec
from engine_api.rest.present import present
from engine_api.rest.resources import Collection
from engine_api.store.repo import RawRow

_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_LOCK = Lock()
CACHE_SIZE = 20_000  # encodings kept, least recently stored dropped first


def encode(coll: Collection, base: str, item: dict | RawRow, as_json: bool) -> bytes:
    if not isinstance(item, RawRow):
        present(coll, base, item)
        return codec.to_json(coll.type, item) if as_json else codec.to_xml(coll.type, item)
    digest = hashlib.blake2b(item.text.encode(), digest_size=16).digest()
    key = (as_json, base, coll.name, item.id, item.name, item.refs, digest)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    doc = present(coll, base, item.doc())
    data = codec.to_json(coll.type, doc) if as_json else codec.to_xml(coll.type, doc)
    with _LOCK:
        _CACHE[key] = data
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return data


def encode_list(coll: Collection, base: str, items: list, as_json: bool) -> bytes:
    parts = [encode(coll, base, item, as_json) for item in items]
    if as_json:  # an empty list is {}, as oVirt's JSON leaves the key out
        return b'{"' + coll.type.encode() + b'":[' + b",".join(parts) + b"]}" if parts else b"{}"
    tag = plural(coll.type).encode()
    return b"<" + tag + b">" + b"".join(parts) + b"</" + tag + b">" if parts else b"<" + tag + b"/>"
