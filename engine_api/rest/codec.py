"""One metadata-driven codec for every wire type, XML and JSON, both ways.

Documents are plain dicts keyed by member name: scalars as Python values (dates as ISO strings), structs
as dicts, references as ``{"id": ...}``, lists as lists. The presenter adds three private keys before
encoding: ``href``, ``_links`` (member name -> href of an unfollowed sub-collection) and ``_actions``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from engine_api.model.types import ENUMS, STRUCTS, Member, StructType, plural

MAX_BODY = 1 << 20  # bytes accepted in one request body

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_TRUE = {"true", "1", "t", "y", "yes"}
_FALSE = {"false", "0", "f", "n", "no"}


class CodecError(ValueError):
    """A request body that does not fit the wire model; the message names the path and the problem."""


# ---------------------------------------------------------------- XML out


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "bool" or isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_value(out: list[str], tag: str, m: Member, value: Any) -> None:
    kind = m.kind
    if kind == "struct":
        _xml_struct(out, tag, STRUCTS[m.type], value)
    elif kind == "list":
        out.append(f"<{tag}>")
        if m.item_kind == "struct":
            t = STRUCTS[m.type]
            for item in value:
                _xml_struct(out, m.item_tag, t, item)
        else:
            it = m.item_tag
            for item in value:
                out.append(f"<{it}>{_scalar_text(m.item_kind, item)}</{it}>")
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_scalar_text(kind, value)}</{tag}>")


def _xml_struct(out: list[str], tag: str, t: StructType, doc: dict) -> None:
    head = f"<{tag}"
    href = doc.get("href")
    if href is not None:
        head += f" href={quoteattr(href)}"
    ident = doc.get("id")
    if ident is not None:
        head += f" id={quoteattr(str(ident))}"
    start = len(out)
    members = t.members
    for name, value in doc.items():
        if value is None or name in ("id", "href") or name[0] == "_":
            continue
        m = members.get(name)
        if m is not None:
            _xml_value(out, name, m, value)
    actions = doc.get("_actions")
    if actions:
        out.append("<actions>")
        out.extend(f'<link href="{href}/{a}" rel="{a}"/>' for a in actions)
        out.append("</actions>")
    for name, link in (doc.get("_links") or {}).items():
        out.append(f'<link href="{link}" rel="{name.replace("_", "")}"/>')
    if len(out) == start:
        out.append(head + "/>")  # a struct with only attributes must be self-closed
    else:
        out.insert(start, head + ">")
        out.append(f"</{tag}>")


def to_xml(type_name: str, doc: dict, tag: str | None = None) -> bytes:
    out: list[str] = []
    _xml_struct(out, tag or type_name, STRUCTS[type_name], doc)
    return "".join(out).encode()


def list_to_xml(type_name: str, docs: list[dict]) -> bytes:
    t = STRUCTS[type_name]
    out: list[str] = []
    for doc in docs:
        _xml_struct(out, type_name, t, doc)
    tag = plural(type_name)
    return (f"<{tag}>" + "".join(out) + f"</{tag}>").encode() if out else f"<{tag}/>".encode()


# ---------------------------------------------------------------- JSON out


def _epoch_ms(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp() * 1000)


def _json_value(m: Member, value: Any) -> Any:
    if m.kind == "struct":
        return _json_struct(STRUCTS[m.type], value)
    if m.kind == "list":
        if m.item_kind == "struct":
            t = STRUCTS[m.type]
            return {m.item_tag: [_json_struct(t, v) for v in value]}
        if m.item_kind == "date":
            return {m.item_tag: [_epoch_ms(v) for v in value]}
        return {m.item_tag: list(value)}
    if m.kind == "date":
        return _epoch_ms(value)
    return value


def _json_struct(t: StructType, doc: dict) -> dict:
    out: dict[str, Any] = {}
    members = t.members
    for name, value in doc.items():
        if value is None or name[0] == "_":
            continue
        if name == "href" or (name == "id" and t.identified):
            out[name] = str(value)
            continue
        m = members.get(name)
        if m is not None:
            out[name] = _json_value(m, value)
    href = doc.get("href")
    if doc.get("_actions"):
        out["actions"] = {"link": [{"href": f"{href}/{a}", "rel": a} for a in doc["_actions"]]}
    if doc.get("_links"):
        out["link"] = [{"href": h, "rel": n.replace("_", "")} for n, h in doc["_links"].items()]
    return out


def to_json(type_name: str, doc: dict) -> bytes:
    return json.dumps(_json_struct(STRUCTS[type_name], doc), separators=(",", ":")).encode()


def list_to_json(type_name: str, docs: list[dict]) -> bytes:
    t = STRUCTS[type_name]
    return json.dumps({type_name: [_json_struct(t, d) for d in docs]}, separators=(",", ":")).encode()


# ---------------------------------------------------------------- input


def _scalar_in(kind: str, raw: Any, path: str, enum_name: str = "") -> Any:
    if kind == "str":
        if isinstance(raw, (dict, list)):
            raise CodecError(f"{path}: expected a string")
        return str(raw) if raw is not None else ""
    text = raw.strip() if isinstance(raw, str) else raw
    if kind == "enum":
        if text not in ENUMS[enum_name]:
            values = ", ".join(sorted(ENUMS[enum_name])[:12])
            raise CodecError(f"{path}: '{raw}' is not a valid {enum_name} (one of: {values})")
        return text
    if kind == "bool":
        if isinstance(text, bool):
            return text
        low = str(text).lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        raise CodecError(f"{path}: expected true or false, got '{raw}'")
    if kind == "int":
        if isinstance(text, bool):
            raise CodecError(f"{path}: expected an integer, got '{raw}'")
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise CodecError(f"{path}: expected an integer, got '{raw}'") from None
        if not -(2**63) <= value < 2**63:
            raise CodecError(f"{path}: {value} is out of range for a 64-bit integer")
        return value
    if kind == "float":
        try:
            return float(text)
        except (TypeError, ValueError):
            raise CodecError(f"{path}: expected a number, got '{raw}'") from None
    if kind == "date":
        if isinstance(text, int):
            return datetime.fromtimestamp(text / 1000).astimezone().isoformat(timespec="milliseconds")
        if not isinstance(text, str) or not _DATE.match(text):
            raise CodecError(f"{path}: expected a date like 2024-01-31T12:00:00Z, got '{raw}'")
        return text
    raise CodecError(f"{path}: unsupported kind {kind}")  # pragma: no cover


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
    remove_comments=True, remove_pis=True,
)


def _xml_struct_in(el: etree._Element, t: StructType, path: str) -> dict:
    doc: dict[str, Any] = {}
    if "id" in el.attrib:
        if t.identified:
            doc["id"] = el.attrib["id"]
        elif "id" in t.members:
            doc["id"] = _scalar_in(t.members["id"].kind, el.attrib["id"], f"{path}.id")
    for child in el:
        if not isinstance(child.tag, str):
            raise CodecError(f"{path}: entity references are not allowed")
        name = child.tag
        if name in ("link", "actions"):
            continue
        m = t.members.get(name)
        cpath = f"{path}.{name}"
        if m is None:
            raise CodecError(f"{path}: unknown element '{name}'")
        doc[name] = _xml_member_in(child, m, cpath)
    return doc


def _xml_text(el: etree._Element, path: str) -> str:
    if len(el):
        raise CodecError(f"{path}: expected a value, got nested elements")
    return el.text or ""


def _xml_member_in(el: etree._Element, m: Member, path: str) -> Any:
    if m.kind == "struct":
        return _xml_struct_in(el, STRUCTS[m.type], path)
    if m.kind == "list":
        items = []
        for i, child in enumerate(el):
            ipath = f"{path}[{i}]"
            if m.item_kind == "struct":
                items.append(_xml_struct_in(child, STRUCTS[m.type], ipath))
            else:
                items.append(_scalar_in(m.item_kind, _xml_text(child, ipath), ipath, m.type))
        return items
    return _scalar_in(m.kind, _xml_text(el, path), path, m.type)


def from_xml(body: bytes, expected: str) -> dict:
    """Parse a request body whose root must be ``expected``; nothing external is ever loaded."""
    if len(body) > MAX_BODY:
        raise CodecError(f"request body of {len(body)} bytes is over the limit of {MAX_BODY}")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise CodecError("document type and entity declarations are not allowed")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as e:
        raise CodecError(f"malformed XML: {e}") from None
    if root.tag != expected:
        raise CodecError(f"expected a <{expected}> document, got <{root.tag}>")
    return _xml_struct_in(root, STRUCTS[expected], expected)


def _json_struct_in(obj: Any, t: StructType, path: str) -> dict:
    if not isinstance(obj, dict):
        raise CodecError(f"{path}: expected an object")
    doc: dict[str, Any] = {}
    for name, raw in obj.items():
        if name in ("href", "link", "actions") or raw is None:  # null means absent, as the engine's JSON says
            continue
        if name == "id" and t.identified:
            doc["id"] = str(raw)
            continue
        if name == "id" and "id" in t.members:
            doc["id"] = _scalar_in(t.members["id"].kind, raw, f"{path}.id")
            continue
        m = t.members.get(name)
        if m is None:
            raise CodecError(f"{path}: unknown member '{name}'")
        doc[name] = _json_member_in(raw, m, f"{path}.{name}")
    return doc


def _json_member_in(raw: Any, m: Member, path: str) -> Any:
    if m.kind == "struct":
        return _json_struct_in(raw, STRUCTS[m.type], path)
    if m.kind == "list":
        if isinstance(raw, dict) and len(raw) == 1:
            (raw,) = raw.values()  # {"item_tag": [...]} wrapper
        if not isinstance(raw, list):
            raise CodecError(f"{path}: expected a list")
        if m.item_kind == "struct":
            return [_json_struct_in(v, STRUCTS[m.type], f"{path}[{i}]") for i, v in enumerate(raw)]
        return [_scalar_in(m.item_kind, v, f"{path}[{i}]", m.type) for i, v in enumerate(raw)]
    if isinstance(raw, (dict, list)):
        raise CodecError(f"{path}: expected a value, got {'an object' if isinstance(raw, dict) else 'a list'}")
    return _scalar_in(m.kind, raw, path, m.type)


def from_json(body: bytes, expected: str) -> dict:
    if len(body) > MAX_BODY:
        raise CodecError(f"request body of {len(body)} bytes is over the limit of {MAX_BODY}")
    try:
        obj = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise CodecError(f"malformed JSON: {e}") from None
    if isinstance(obj, dict) and list(obj) == [expected] and isinstance(obj[expected], dict):
        obj = obj[expected]
    return _json_struct_in(obj, STRUCTS[expected], expected)
