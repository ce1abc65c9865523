"""One metadata-driven codec for every wire type, XML and JSON, both ways.

Documents are plain dicts keyed by member name: scalars as Python values (dates as ISO strings), structs
as dicts, references as ``{"id": ...}``, lists as lists. JSON is written as oVirt's engine writes it: integers
and booleans as strings, dates as epoch milliseconds, decimals as numbers; read back by each member's type, so
input takes a JSON number or boolean as well as its string. The presenter adds three private keys before
encoding: ``href``, ``_links`` (member name -> href of an unfollowed sub-collection) and ``_actions``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from engine_api.model.text import XML_ILLEGAL, first_illegal
from engine_api.model.types import ENUMS, STRUCTS, Member, StructType, plural

MAX_BODY = 1 << 20  # bytes accepted in one request body
MAX_DEPTH = 32  # structs and lists nested in one document (the wire model's deepest real one is under 10)
MAX_ITEMS = 10_000  # items in one list
MAX_STRING = 256 * 1024  # characters in one string value

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,19}")
_FLOAT_TEXT = re.compile(r"[+-]?([0-9]{1,300}(\.[0-9]{0,300})?|\.[0-9]{1,300})([eE][+-]?[0-9]{1,3})?")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_TRUE = {"true", "1", "t", "y", "yes"}
_FALSE = {"false", "0", "f", "n", "no"}


class CodecError(ValueError):
    """A request body that does not fit the wire model; the message names the path and the problem."""


def check_text(value: str, path: str, limit: int = MAX_STRING) -> str:
    """The one rule for text entering the engine: bounded, and nothing XML cannot carry (it would make every
    later XML read of the entity, and of its collection, malformed)."""
    if len(value) > limit:
        raise CodecError(f"{path}: a text of {len(value)} characters is over the limit of {limit}")
    bad = first_illegal(value)
    if bad:
        raise CodecError(f"{path}: character {bad[1]} at position {bad[0]} is not allowed "
                         "(control characters and lone surrogates cannot be stored)")
    return value


def xml_safe(text: str) -> str:
    """Text for an XML answer: whatever slipped past input checks becomes U+FFFD, never a broken document."""
    return XML_ILLEGAL.sub("\ufffd", text) if XML_ILLEGAL.search(text) else text


# ---------------------------------------------------------------- XML out


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "bool" or isinstance(value, bool):
        return "true" if value else "false"
    return escape(xml_safe(str(value)))


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
        head += f" href={quoteattr(xml_safe(href))}"
    ident = doc.get("id")
    if ident is not None:
        head += f" id={quoteattr(xml_safe(str(ident)))}"
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
        out.extend(f'<link href={quoteattr(xml_safe(f"{href}/{a}"))} rel="{a}"/>' for a in actions)
        out.append("</actions>")
    for name, link in (doc.get("_links") or {}).items():
        out.append(f'<link href={quoteattr(xml_safe(link))} rel="{name.replace("_", "")}"/>')
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


def _epoch_ms(value: str) -> int | str:
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    except (TypeError, ValueError, OverflowError, OSError):  # not a date we wrote: shown as it is stored
        return value


def _json_scalar(kind: str, value: Any) -> Any:
    """A scalar as the engine's JSON writes it: integers and booleans as strings (oVirt binds xs:int, xs:long,
    xs:short and xs:boolean through string adapters), dates as epoch milliseconds; decimals stay numbers."""
    if kind == "bool" or isinstance(value, bool):
        return "true" if value else "false"
    if kind == "date":
        return _epoch_ms(value)
    if kind != "float" and isinstance(value, (int, float)):
        return str(value)  # an integer, or a number held by a text member: the text XML carries too
    return value


def _json_value(m: Member, value: Any) -> Any:
    if m.kind == "struct":
        return _json_struct(STRUCTS[m.type], value)
    if m.kind == "list":
        if m.item_kind == "struct":
            t = STRUCTS[m.type]
            return {m.item_tag: [_json_struct(t, v) for v in value]}
        return {m.item_tag: [_json_scalar(m.item_kind, v) for v in value]}
    return _json_scalar(m.kind, value)


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


def _int_in(text: Any, raw: Any, path: str) -> int:
    if isinstance(text, bool):
        raise CodecError(f"{path}: expected an integer, got '{raw}'")
    if isinstance(text, float):
        if not math.isfinite(text) or not text.is_integer():
            raise CodecError(f"{path}: expected an integer, got '{raw}'")
        text = int(text)
    elif isinstance(text, str):
        if not _INT_TEXT.fullmatch(text):  # not int(): it takes '1_0', '٣' and thousands of digits
            raise CodecError(f"{path}: expected an integer, got '{_shown(raw)}'")
        text = int(text)
    elif not isinstance(text, int):
        raise CodecError(f"{path}: expected an integer, got {_kind_of(raw)}")
    if not -(2**63) <= text < 2**63:
        raise CodecError(f"{path}: {_shown(str(text))} is out of range for a 64-bit integer")
    return text


def _float_in(text: Any, raw: Any, path: str) -> float:
    if isinstance(text, str) and _FLOAT_TEXT.fullmatch(text):
        value = float(text)
    elif isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            value = float(text)
        except OverflowError:
            value = math.inf
    else:
        raise CodecError(f"{path}: expected a number, got '{_shown(raw)}'")
    if not math.isfinite(value):
        raise CodecError(f"{path}: {_shown(str(raw))} is not a finite number")
    return value


def _date_in(text: Any, raw: Any, path: str) -> str:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            if not math.isfinite(text):
                raise ValueError
            return datetime.fromtimestamp(text / 1000).astimezone().isoformat(timespec="milliseconds")
        except (ValueError, OverflowError, OSError):
            raise CodecError(f"{path}: {_shown(str(raw))} is not a time in epoch milliseconds") from None
    if not isinstance(text, str) or not _DATE.fullmatch(text) or not isinstance(_epoch_ms(text), int):
        raise CodecError(f"{path}: expected a date like 2024-01-31T12:00:00Z, got '{_shown(raw)}'")
    return text


def _kind_of(raw: Any) -> str:
    return "an object" if isinstance(raw, dict) else "a list" if isinstance(raw, list) else f"'{_shown(raw)}'"


def _shown(raw: Any) -> str:
    """A bad value as a fault repeats it: short, so that an answer never grows with the attack."""
    text = str(raw)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def _scalar_in(kind: str, raw: Any, path: str, enum_name: str = "") -> Any:
    if isinstance(raw, (dict, list)):
        raise CodecError(f"{path}: expected a value, got {_kind_of(raw)}")
    if kind == "str":
        if raw is None:
            return ""
        return check_text(raw if isinstance(raw, str) else str(raw), path)
    text = raw.strip() if isinstance(raw, str) else raw
    if kind == "enum":
        if not isinstance(text, str) or text not in ENUMS[enum_name]:
            values = ", ".join(sorted(ENUMS[enum_name])[:12])
            raise CodecError(f"{path}: '{_shown(raw)}' is not a valid {enum_name} (one of: {values})")
        return text
    if kind == "bool":
        if isinstance(text, bool):
            return text
        low = str(text).lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        raise CodecError(f"{path}: expected true or false, got '{_shown(raw)}'")
    if kind == "int":
        return _int_in(text, raw, path)
    if kind == "float":
        return _float_in(text, raw, path)
    if kind == "date":
        return _date_in(text, raw, path)
    raise CodecError(f"{path}: unsupported kind {kind}")  # pragma: no cover


def _deeper(depth: int, path: str) -> int:
    if depth >= MAX_DEPTH:
        raise CodecError(f"{path}: nested more than {MAX_DEPTH} levels deep")
    return depth + 1


def _items(count: int, path: str) -> None:
    if count > MAX_ITEMS:
        raise CodecError(f"{path}: a list of {count} items is over the limit of {MAX_ITEMS}")


def _ident_in(raw: Any, path: str) -> str:
    if isinstance(raw, (dict, list, bool)) or raw is None:
        raise CodecError(f"{path}: expected an id, got {_kind_of(raw)}")
    return check_text(str(raw), path, 255)


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
    remove_comments=True, remove_pis=True,
)


def _xml_struct_in(el: etree._Element, t: StructType, path: str, depth: int = 0) -> dict:
    depth = _deeper(depth, path)
    doc: dict[str, Any] = {}
    if "id" in el.attrib:
        if t.identified:
            doc["id"] = _ident_in(el.attrib["id"], f"{path}.id")
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
            raise CodecError(f"{path}: unknown element '{_shown(name)}'")
        doc[name] = _xml_member_in(child, m, cpath, depth)
    return doc


def _xml_text(el: etree._Element, path: str) -> str:
    if len(el):
        raise CodecError(f"{path}: expected a value, got nested elements")
    return el.text or ""


def _xml_member_in(el: etree._Element, m: Member, path: str, depth: int) -> Any:
    if m.kind == "struct":
        return _xml_struct_in(el, STRUCTS[m.type], path, depth)
    if m.kind == "list":
        depth = _deeper(depth, path)
        _items(len(el), path)
        items = []
        for i, child in enumerate(el):
            ipath = f"{path}[{i}]"
            if m.item_kind == "struct":
                items.append(_xml_struct_in(child, STRUCTS[m.type], ipath, depth))
            else:
                items.append(_scalar_in(m.item_kind, _xml_text(child, ipath), ipath, m.type))
        return items
    return _scalar_in(m.kind, _xml_text(el, path), path, m.type)


def _check_size(body: bytes) -> None:
    if len(body) > MAX_BODY:
        raise CodecError(f"request body of {len(body)} bytes is over the limit of {MAX_BODY}")


def from_xml(body: bytes, expected: str) -> dict:
    """Parse a request body whose root must be ``expected``; nothing external is ever loaded."""
    _check_size(body)
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise CodecError("document type and entity declarations are not allowed")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as e:
        raise CodecError(f"malformed XML: {_shown(e)}") from None
    if root.tag != expected:
        raise CodecError(f"expected a <{expected}> document, got <{_shown(root.tag)}>")
    return _xml_struct_in(root, STRUCTS[expected], expected)


def _json_struct_in(obj: Any, t: StructType, path: str, depth: int = 0) -> dict:
    depth = _deeper(depth, path)
    if not isinstance(obj, dict):
        raise CodecError(f"{path}: expected an object")
    doc: dict[str, Any] = {}
    for name, raw in obj.items():
        if name in ("href", "link", "actions") or raw is None:  # null means absent, as the engine's JSON says
            continue
        if name == "id" and t.identified:
            doc["id"] = _ident_in(raw, f"{path}.id")
            continue
        if name == "id" and "id" in t.members:
            doc["id"] = _scalar_in(t.members["id"].kind, raw, f"{path}.id")
            continue
        m = t.members.get(name)
        if m is None:
            raise CodecError(f"{path}: unknown member '{_shown(xml_safe(name))}'")
        doc[name] = _json_member_in(raw, m, f"{path}.{name}", depth)
    return doc


def _json_member_in(raw: Any, m: Member, path: str, depth: int) -> Any:
    if m.kind == "struct":
        return _json_struct_in(raw, STRUCTS[m.type], path, depth)
    if m.kind == "list":
        depth = _deeper(depth, path)
        if isinstance(raw, dict) and len(raw) == 1:
            (raw,) = raw.values()  # {"item_tag": [...]} wrapper
        if not isinstance(raw, list):
            raise CodecError(f"{path}: expected a list")
        _items(len(raw), path)
        if m.item_kind == "struct":
            return [_json_struct_in(v, STRUCTS[m.type], f"{path}[{i}]", depth) for i, v in enumerate(raw)]
        return [_scalar_in(m.item_kind, v, f"{path}[{i}]", m.type) for i, v in enumerate(raw)]
    return _scalar_in(m.kind, raw, path, m.type)


def _json_depth_ok(body: bytes) -> None:
    """Refuse deep nesting before parsing: the parser recurses once per level."""
    depth = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > 2 * MAX_DEPTH + 2:  # a JSON list may come in a wrapper object: two brackets a level
                raise CodecError(f"JSON nested more than {MAX_DEPTH} levels deep")
        else:
            depth -= 1


def _no_constant(name: str) -> Any:
    raise CodecError(f"{name} is not a JSON number")


def from_json(body: bytes, expected: str) -> dict:
    _check_size(body)
    _json_depth_ok(body)
    try:
        obj = json.loads(body or b"{}", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise CodecError(f"malformed JSON: {_shown(e)}") from None
    if isinstance(obj, dict) and list(obj) == [expected] and isinstance(obj[expected], dict):
        obj = obj[expected]
    return _json_struct_in(obj, STRUCTS[expected], expected)
