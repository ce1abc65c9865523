"""The API describing itself: RSDL (``?rsdl``), the XML schema (``?schema``), ``model.json`` and OpenAPI 3.1.

Every document is generated from the same two sources and nothing else: the wire model
(:mod:`engine_api.model.types`, read from ``wire_model.json``) for the types, and the collection tree the
engine serves (:data:`engine_api.rest.root.ROOT`) for the paths, methods, actions and parameters. So a
collection vdc does not serve is in none of them, and each operation lists the query parameters it honours
(:mod:`engine_api.rest.options`). Documents are built once per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from engine_api.core.version import PRODUCT_VERSION
from engine_api.model.types import ENUM_ORDER, ENUMS, STRUCTS, Member, plural, singular
from engine_api.rest import options
from engine_api.rest.resources import API, Collection
from engine_api.rest.root import ROOT

DOCUMENTS = ("model.json", "openapi.json")
XSD_NAME = "ovirt-engine-api-schema.xsd"
XS = "http://www.w3.org/2001/XMLSchema"

# the model.json name, the XSD type and the OpenAPI schema of each scalar kind
PRIMITIVES = {"str": "string", "int": "integer", "bool": "boolean", "float": "decimal", "date": "date"}
_XSD_SCALARS = {"str": "xs:string", "int": "xs:long", "bool": "xs:boolean", "float": "xs:decimal",
                "date": "xs:dateTime"}
# Query parameters: model.json type of each (all booleans besides these).
_PARAM_TYPES = {"search": "string", "max": "integer", "from": "integer", "follow": "string", "host": "string",
                "correlation_id": "string"}
_PARAM_DOCS = {
    "search": "a query in the search language, e.g. name=web* and status=up",
    "max": "the most items to return",
    "case_sensitive": "compare the search's values case-sensitively",
    "follow": "members to embed instead of linking, comma-separated dotted paths",
    "from": "only events with a higher index",
}


def snake(name: str) -> str:
    """``VmStatus`` -> ``vm_status``: oVirt's model names are words joined by underscores."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    return "".join(w.capitalize() for w in name.split("_"))


# ---------------------------------------------------------------- the served tree


@dataclass(frozen=True)
class Node:
    """A collection at one place of the tree, with the names its services have in the description."""

    coll: Collection
    segments: tuple[str, ...]  # URL segments from the root, ids as "{vm:id}"
    member: str  # the collection's member name, e.g. "disk_attachments"
    service: str  # the collection's service, e.g. "vm_disk_attachments"
    entity_service: str  # the service of one of its items, e.g. "vm_disk_attachment"
    id_param: str  # the entity's id in OpenAPI paths, e.g. "vm_id"

    @property
    def path(self) -> str:
        return "/".join(self.segments)

    @property
    def entity_segments(self) -> tuple[str, ...]:
        return (*self.segments, "{" + self.coll.type + ":id}")

    def operations(self) -> list[tuple[str, str, bool]]:
        """(operation, HTTP method, on an entity) of every operation the collection serves."""
        ops = [("list", "GET", False)]
        if self.coll.add is not None:
            ops.append(("add", "POST", False))
        ops.append(("get", "GET", True))
        if self.coll.update is not None:
            ops.append(("update", "PUT", True))
        if self.coll.remove is not None:
            ops.append(("remove", "DELETE", True))
        ops.extend((name, "POST", True) for name in sorted(self.coll.actions))
        return ops


def _member_name(segment: str, coll: Collection, parent_type: str | None) -> str:
    if parent_type is not None and (m := STRUCTS[parent_type].by_rel.get(segment)) is not None:
        return m.name
    for guess in (plural(coll.type), coll.type + "s", coll.type):
        if guess.replace("_", "") == segment:
            return guess
    return segment


def walk(root: dict[str, Collection] | None = None) -> list[Node]:
    """Every collection the engine serves, parents before their sub-collections, in a stable order."""
    if root is None:
        root = ROOT
    out: list[Node] = []

    def visit(segment: str, coll: Collection, parent: Node | None) -> None:
        member = _member_name(segment, coll, parent.coll.type if parent else None)
        prefix = f"{parent.entity_service}_" if parent else ""
        entity = singular(member) if parent else coll.type
        ids = {n.id_param for n in out}
        id_param = f"{coll.type}_id"
        while id_param in ids and parent is not None and id_param in _ancestor_ids(parent, out):
            id_param = "sub_" + id_param
        segments = (*parent.entity_segments, segment) if parent else (segment,)
        node = Node(coll, segments, member, prefix + member, prefix + entity, id_param)
        out.append(node)
        for name in sorted(coll.subs):
            visit(name, coll.subs[name], node)

    for name in sorted(root):
        visit(name, root[name], None)
    return out


def _ancestor_ids(node: Node, nodes: list[Node]) -> set[str]:
    by_segments = {n.segments: n for n in nodes}
    found = {node.id_param}
    segs = node.segments
    while len(segs) > 2:
        segs = segs[:-2]
        if segs in by_segments:
            found.add(by_segments[segs].id_param)
    return found


# ---------------------------------------------------------------- model.json (oVirt's format)


def model_type(m: Member) -> str:
    def one(kind: str, type_name: str) -> str:
        if kind in PRIMITIVES:
            return PRIMITIVES[kind]
        return snake(type_name) if kind == "enum" else type_name

    if m.kind == "list":
        return one(m.item_kind, m.type) + "[]"
    return one(m.kind, m.type)


def _param(name: str, type_: str, *, in_: bool = False, out: bool = False, doc: str = "") -> dict:
    return {"name": name, "in": in_, "out": out, "type": type_, "doc": doc}


def _query_params(node: Node, op: str) -> list[dict]:
    return [_param(n, _PARAM_TYPES.get(n, "boolean"), in_=True, doc=_PARAM_DOCS.get(n, ""))
            for n in sorted(options.honoured(node.coll, op))]


def _model_services(nodes: list[Node]) -> list[dict]:
    by_parent: dict[tuple[str, ...], list[Node]] = {}
    for n in nodes:
        by_parent.setdefault(n.segments[:-1], []).append(n)

    def locators(parent: tuple[str, ...]) -> list[dict]:
        return [{"name": n.member, "service": n.service, "parameters": []} for n in by_parent.get(parent, [])]

    services = [{"name": "system", "doc": "The root of the API.",
                 "methods": [{"name": "get", "parameters": [_param("api", "api", out=True)]}],
                 "locators": locators(())}]
    for n in nodes:
        t = n.coll.type
        methods = [{"name": "list", "parameters": [_param(n.member, f"{t}[]", out=True), *_query_params(n, "list")]}]
        if n.coll.add is not None:
            methods.append({"name": "add", "parameters": [_param(t, t, in_=True, out=True),
                                                          *_query_params(n, "add")]})
        services.append({"name": n.service, "doc": f"The {n.member.replace('_', ' ')} at /{n.path}.",
                         "methods": methods,
                         "locators": [{"name": singular(n.member), "service": n.entity_service,
                                       "parameters": [_param("id", "string", in_=True)]}]})
        emethods = [{"name": "get", "parameters": [_param(t, t, out=True), *_query_params(n, "get")]}]
        if n.coll.update is not None:
            emethods.append({"name": "update", "parameters": [_param(t, t, in_=True, out=True),
                                                              *_query_params(n, "update")]})
        if n.coll.remove is not None:
            emethods.append({"name": "remove", "parameters": _query_params(n, "remove")})
        for action in sorted(n.coll.actions):
            emethods.append({"name": action, "parameters": [_param("action", "action", in_=True, out=True),
                                                            *_query_params(n, action)]})
        services.append({"name": n.entity_service, "doc": f"One {t.replace('_', ' ')} at /{n.path}/{{id}}.",
                         "methods": emethods, "locators": locators(n.entity_segments)})
    return services


@cache
def model_json() -> bytes:
    types: list[dict[str, Any]] = [{"kind": "primitive", "name": p, "doc": ""} for p in PRIMITIVES.values()]
    for name in sorted(ENUMS):
        types.append({"kind": "enum", "name": snake(name), "doc": "",
                      "values": [{"name": v, "doc": ""} for v in enum_values(name)]})
    for name in sorted(STRUCTS):
        t = STRUCTS[name]
        ident = [{"name": "id", "type": "string", "doc": ""}] if t.identified and "id" not in t.members else []
        types.append({
            "kind": "struct", "name": name, "doc": "",
            "attributes": ident + [{"name": m.name, "type": model_type(m), "doc": ""}
                                   for m in t.members.values() if not m.link],
            "links": [{"name": m.name, "type": model_type(m), "doc": ""} for m in t.links],
        })
    doc = {"root": "system", "types": types, "services": _model_services(walk()), "documents": []}
    return json.dumps(doc, indent=2).encode()


def enum_values(name: str) -> list[str]:
    return list(ENUM_ORDER.get(name) or sorted(ENUMS[name]))


# ---------------------------------------------------------------- RSDL


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _rsdl_link(links: etree._Element, href: str, rel: str, method: str, node: Node, op: str,
               body: str | None, response: str | None) -> None:
    link = _sub(links, "link", href=href, rel=rel)
    _sub(link, "description", f"{op} ({method} /{href})")
    request = _sub(link, "request")
    _sub(request, "http_method", method)
    headers = _sub(request, "headers")
    if body:
        header = _sub(headers, "header", required="true")
        _sub(header, "name", "Content-Type")
        _sub(header, "value", "application/xml|json")
    header = _sub(headers, "header", required="false")
    _sub(header, "name", "Correlation-Id")
    _sub(header, "value", "any string")
    params = sorted(options.honoured(node.coll, op))
    if params:
        pset = _sub(_sub(request, "url"), "parameters_set")
        for name in params:
            kind = _PARAM_TYPES.get(name, "boolean")
            xs = {"string": "xs:string", "integer": "xs:int"}.get(kind, "xs:boolean")
            p = _sub(pset, "parameter", required="false", type=xs, context="query")
            _sub(p, "name", name)
            _sub(p, "value", _PARAM_DOCS.get(name, "true|false" if kind == "boolean" else name))
    if body:
        _sub(_sub(request, "body"), "type", camel(body))
    if response:
        _sub(_sub(link, "response"), "type", response)
    if op == "list" and options.searchable(node.coll):
        _sub(_sub(link, "link_capabilities"), "searchable", "true")


@cache
def rsdl_xml() -> bytes:
    major, minor, build = PRODUCT_VERSION
    root = etree.Element("rsdl", href="?rsdl", rel="rsdl")
    _sub(root, "description", "The oVirt REST API v4 as the vdc engine serves it, generated from its wire model.")
    _sub(root, "version", major=str(major), minor=str(minor), build=str(build), revision="0")
    schema = _sub(root, "schema", href="?schema", rel="schema")
    _sub(schema, "name", XSD_NAME)
    _sub(schema, "description", "API entities schema.")
    general = _sub(root, "general", rel="*")
    _sub(general, "description", "General options of every request.")
    links = _sub(root, "links")
    entries = []
    for n in walk():
        t = n.coll.type
        for op, method, on_entity in n.operations():
            href = "/".join(n.entity_segments if on_entity else n.segments)
            if op not in ("list", "add", "get", "update", "remove"):
                href += "/" + op
            rel = {"list": "get", "remove": "delete"}.get(op, op)
            body = t if op in ("add", "update") else None if op in ("list", "get", "remove") else "action"
            response = (camel(plural(t)) if op == "list" else camel(t) if op in ("add", "get", "update")
                        else "Action" if body == "action" else None)
            entries.append((href, rel, method, n, op, body, response))
    for href, rel, method, n, op, body, response in sorted(entries, key=lambda e: (e[0], e[1])):
        _rsdl_link(links, href, rel, method, n, op, body, response)
    return etree.tostring(root, pretty_print=True)


def _element_json(el: etree._Element) -> Any:
    """An RSDL element as the engine's JSON writes a JAXB object: attributes and children as keys."""
    out: dict[str, Any] = {str(k): v for k, v in el.attrib.items()}
    groups: dict[str, list] = {}
    for child in el:
        groups.setdefault(child.tag, []).append(_element_json(child))
    if not groups and not el.attrib:
        return el.text or ""
    if el.text and el.text.strip():
        out["value"] = el.text
    for tag, items in groups.items():
        out[tag] = items if tag in ("link", "header", "parameter") else items[0]
    return out


@cache
def rsdl_json() -> bytes:
    return json.dumps(_element_json(etree.fromstring(rsdl_xml())), indent=2).encode()


# ---------------------------------------------------------------- XML schema


def _xsd_type(kind: str, type_name: str) -> str:
    if kind in _XSD_SCALARS:
        return _XSD_SCALARS[kind]
    return type_name if kind == "enum" else type_name  # enums are CamelCase, structs snake_case: never equal


@cache
def xsd() -> bytes:
    """An XSD of every wire type: each struct's members in any order (the engine writes them in no fixed
    order), ``id``/``href`` attributes, links and actions; each enum its values; each root element."""
    q = f"{{{XS}}}"
    root = etree.Element(q + "schema", nsmap={"xs": XS}, elementFormDefault="qualified")

    def el(parent: etree._Element, tag: str, **attrib: str) -> etree._Element:
        return etree.SubElement(parent, q + tag, attrib)

    link = el(root, "complexType", name="_link")
    el(link, "attribute", name="href", type="xs:string")
    el(link, "attribute", name="rel", type="xs:string")
    actions = el(root, "complexType", name="_actions")
    el(el(actions, "sequence"), "element", name="link", type="_link", minOccurs="0", maxOccurs="unbounded")
    for name in sorted(ENUMS):
        restriction = el(el(root, "simpleType", name=name), "restriction", base="xs:string")
        for v in enum_values(name):
            el(restriction, "enumeration", value=v)
    for name in sorted(STRUCTS):
        t = STRUCTS[name]
        ct = el(root, "complexType", name=name)
        choice = el(ct, "choice", minOccurs="0", maxOccurs="unbounded")
        el(choice, "element", name="link", type="_link")
        el(choice, "element", name="actions", type="_actions")
        for m in t.members.values():
            if m.name == "id":
                continue
            if m.kind == "list":
                wrapper = el(el(choice, "element", name=m.name), "complexType")
                item = el(el(wrapper, "sequence"), "element", name=m.item_tag,
                          type=_xsd_type(m.item_kind, m.type), minOccurs="0", maxOccurs="unbounded")
                del item  # the wrapper holds any number of items
            else:
                el(choice, "element", name=m.name, type=_xsd_type(m.kind, m.type))
        id_type = _XSD_SCALARS[t.members["id"].kind] if "id" in t.members else "xs:string"
        el(ct, "attribute", name="id", type=id_type)
        el(ct, "attribute", name="href", type="xs:string")
        el(ct, "attribute", name="rel", type="xs:string")
        el(root, "element", name=name, type=name)
        lt = el(root, "complexType", name=name + "_list")
        el(el(lt, "sequence"), "element", name=name, type=name, minOccurs="0", maxOccurs="unbounded")
        if plural(name) not in STRUCTS:
            el(root, "element", name=plural(name), type=name + "_list")
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


# ---------------------------------------------------------------- OpenAPI 3.1


def _schema_of(kind: str, type_name: str) -> dict[str, Any]:
    """A member's JSON Schema as the engine's JSON renders it (and reads it: numbers and booleans also as such)."""
    if kind == "str":
        return {"type": "string"}
    if kind == "int":
        return {"type": ["string", "integer"], "pattern": "^[+-]?[0-9]+$", "format": "int64"}
    if kind == "bool":
        return {"type": ["string", "boolean"], "enum": ["true", "false", True, False]}
    if kind == "float":
        return {"type": ["number", "string"]}
    if kind == "date":
        return {"type": ["integer", "string"], "description": "milliseconds since the epoch (ISO 8601 on input too)"}
    return {"$ref": f"#/components/schemas/{type_name}"}


def _struct_schema(name: str) -> dict[str, Any]:
    props: dict[str, Any] = {"href": {"type": "string"}}
    for m in STRUCTS[name].members.values():
        if m.kind == "list":
            items = _schema_of(m.item_kind, m.type)
            props[m.name] = {"type": "object", "properties": {m.item_tag: {"type": "array", "items": items}}}
        else:
            props[m.name] = _schema_of(m.kind, m.type)
    if STRUCTS[name].identified:
        props["id"] = {"type": "string"}
    props["link"] = {"type": "array", "items": {"$ref": "#/components/schemas/_link"}}
    props["actions"] = {"type": "object", "properties": {"link": props["link"]}}
    return {"type": "object", "properties": props}


def _media(schema: dict) -> dict:
    return {"application/json": {"schema": schema}, "application/xml": {"schema": schema}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _responses(code: str, schema: dict | None, what: str) -> dict:
    out: dict[str, Any] = {code: {"description": what}}
    if schema is not None:
        out[code]["content"] = _media(schema)
    out["default"] = {"description": "a fault: reason and detail", "content": _media(_ref("fault"))}
    return out


def _openapi_params(n: Node, op: str, path_params: list[dict]) -> list[dict]:
    params = list(path_params)
    for name in sorted(options.honoured(n.coll, op)):
        kind = _PARAM_TYPES.get(name, "boolean")
        params.append({"name": name, "in": "query", "required": False, "description": _PARAM_DOCS.get(name, ""),
                       "schema": {"type": kind if kind != "integer" else "integer"}})
    return params


@cache
def openapi_json() -> bytes:
    schemas: dict[str, Any] = {"_link": {"type": "object", "properties": {"href": {"type": "string"},
                                                                           "rel": {"type": "string"}}}}
    for name in sorted(ENUMS):
        schemas[name] = {"type": "string", "enum": enum_values(name)}
    for name in sorted(STRUCTS):
        schemas[name] = _struct_schema(name)
    paths: dict[str, dict] = {}
    ids: dict[tuple[str, ...], str] = {}
    for n in walk():
        t = n.coll.type
        ids[n.entity_segments] = n.id_param

        def url(segments: tuple[str, ...]) -> tuple[str, list[dict]]:
            parts, params = [], []
            for i, s in enumerate(segments):
                if s.startswith("{"):
                    pid = ids[segments[: i + 1]]
                    parts.append("{" + pid + "}")
                    params.append({"name": pid, "in": "path", "required": True, "schema": {"type": "string"}})
                else:
                    parts.append(s)
            return "/" + "/".join(parts), params

        cpath, cparams = url(n.segments)
        epath, eparams = url(n.entity_segments)
        listed = {"type": "object", "properties": {t: {"type": "array", "items": _ref(t)}}}
        paths[cpath] = {"get": {"operationId": f"{n.service}_list", "summary": f"list the {n.member}",
                                "parameters": _openapi_params(n, "list", cparams),
                                "responses": _responses("200", listed, f"the {n.member} (an empty one is {{}})")}}
        if n.coll.add is not None:
            paths[cpath]["post"] = {"operationId": f"{n.service}_add", "summary": f"add to the {n.member}",
                                    "parameters": _openapi_params(n, "add", cparams),
                                    "requestBody": {"required": True, "content": _media(_ref(t))},
                                    "responses": _responses("201", _ref(t), "the new item")}
        paths[epath] = {"get": {"operationId": f"{n.entity_service}_get", "summary": f"get a {t}",
                                "parameters": _openapi_params(n, "get", eparams),
                                "responses": _responses("200", _ref(t), f"the {t}")}}
        if n.coll.update is not None:
            paths[epath]["put"] = {"operationId": f"{n.entity_service}_update", "summary": f"update a {t}",
                                   "parameters": _openapi_params(n, "update", eparams),
                                   "requestBody": {"required": True, "content": _media(_ref(t))},
                                   "responses": _responses("200", _ref(t), f"the updated {t}")}
        if n.coll.remove is not None:
            paths[epath]["delete"] = {"operationId": f"{n.entity_service}_remove", "summary": f"remove a {t}",
                                      "parameters": _openapi_params(n, "remove", eparams),
                                      "responses": _responses("200", _ref("action"), "removed")}
        for action in sorted(n.coll.actions):
            paths[f"{epath}/{action}"] = {"post": {
                "operationId": f"{n.entity_service}_{action}", "summary": f"{action} a {t}",
                "parameters": _openapi_params(n, action, eparams),
                "requestBody": {"required": False, "content": _media(_ref("action"))},
                "responses": _responses("200", _ref("action"), "the action, with its status")}}
    major, minor, build = PRODUCT_VERSION
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "vdc engine: the oVirt REST API v4", "version": f"{major}.{minor}.{build}",
                 "description": "Generated from the engine's wire model and the collections it serves. "
                                "JSON renders integers and booleans as strings and dates as epoch milliseconds, "
                                "as oVirt's engine does."},
        "servers": [{"url": API}],
        "security": [{"bearer": []}, {"basic": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "a token from POST /ovirt-engine/sso/oauth/token"},
            "basic": {"type": "http", "scheme": "basic"}}},
    }
    return json.dumps(doc, indent=2).encode()


# ---------------------------------------------------------------- answers


def answer(name: str, as_json: bool) -> tuple[int, bytes, dict[str, str]]:
    """The response (status, body, headers) for ``?rsdl``, ``?schema``, ``model.json`` or ``openapi.json``."""
    if name == "rsdl":
        return 200, rsdl_json() if as_json else rsdl_xml(), {}
    if name == "schema":
        return 200, xsd(), {"Content-Type": "application/octet-stream",
                            "Content-Disposition": f"attachment; filename = {XSD_NAME}"}
    body = model_json() if name == "model.json" else openapi_json()
    return 200, body, {"Content-Type": "application/json"}


def paths() -> Iterator[tuple[str, str, str]]:
    """(HTTP method, path template, operation) of every operation the engine serves, for coverage reports."""
    for n in walk():
        for op, method, on_entity in n.operations():
            segs = n.entity_segments if on_entity else n.segments
            suffix = f"/{op}" if op not in ("list", "add", "get", "update", "remove") else ""
            yield method, "/" + "/".join(segs) + suffix, op
