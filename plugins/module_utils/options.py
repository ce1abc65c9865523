"""Each option declared once, on the desired-state model; everything else is derived from that declaration.

A model field says its type (and so the module option's type, choices, elements and suboptions), its default,
its constraints and, through :func:`opt`, its documentation and the wire field it maps to. From it come:

- :func:`argument_spec`: a module's ``argument_spec``, at run time;
- :func:`doc_options`: the ``options`` of its ``DOCUMENTATION`` (written into the module file by ``make docs``);
- :func:`wire_fields`: the Field rows of its kind (how the option reads and writes the wire);
- the estate's JSON schema (pydantic's, with the same descriptions).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from ansible_collections.vdc.infra.plugins.module_utils.wire import Field as WireField
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

Spec = dict[str, Any]


@dataclass(frozen=True)
class AnsibleType:
    """Overrides the option type derived from the annotation (a size is written as a string, ``2GiB``)."""

    name: str


@dataclass(frozen=True)
class Option:
    """What a model field declares beyond its type: documentation and the wire field it maps to."""

    doc: str | tuple[str, ...]
    secret: bool = False  # no_log; masked in diffs
    mapped: bool = True  # False: compared, but without a wire field of its own (the kind's hooks give its facts)
    wire: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments of wire.Field
    aliases: tuple[str, ...] = ()  # other names the module option takes


_WIRE_KEYS = frozenset(f.name for f in dataclasses.fields(WireField)) - {"name"}


def opt(doc: str | list[str], default: Any = None, *, secret: bool = False, mapped: bool = True,
        aliases: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """A model field with its documentation and its wire field.

    ``doc`` is a line or a list of paragraphs (``{what}`` names the kind). The keywords of
    :class:`~.wire.Field` (``path`` when it differs from the name, ``ref`` for a reference to another kind,
    ``encode``/``decode``, ``immutable``, ``create_only``...) describe the wire field; the others go to
    pydantic (``ge``, ``pattern``...). ``default=...`` makes the option required.
    """
    wire = {k: kwargs.pop(k) for k in list(kwargs) if k in _WIRE_KEYS}
    text = doc if isinstance(doc, str) else tuple(doc)
    info: FieldInfo = Field(default=default, description=_flat(text), repr=not secret, **kwargs)
    info.metadata.append(Option(text, secret=secret, mapped=mapped, wire=wire, aliases=tuple(aliases)))
    return info


def _flat(doc: str | tuple[str, ...]) -> str:
    return doc if isinstance(doc, str) else " ".join(doc)


def option_of(info: FieldInfo) -> Option | None:
    return next((m for m in info.metadata if isinstance(m, Option)), None)


def named(info: FieldInfo, what: str) -> FieldInfo:
    """``info`` with ``{what}`` in its documentation replaced (the base fields name, id and state)."""
    option = option_of(info)
    if not (info.description and "{what}" in info.description):
        return info
    copy = FieldInfo.merge_field_infos(info)
    copy.description = info.description.format(what=what)
    if option is not None:
        doc = option.doc.format(what=what) if isinstance(option.doc, str) else tuple(
            line.format(what=what) for line in option.doc)
        copy.metadata = [m for m in copy.metadata if m is not option] + [
            Option(doc, option.secret, option.mapped, option.wire, option.aliases)]
    return copy


# ---------------------------------------------------------------- types


def _without_none(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007
    return tp


def type_spec(tp: Any, metadata: Iterable[Any] = ()) -> Spec:
    """The Ansible type of an annotation: ``type``, and ``choices``, ``elements`` or ``options`` as it has them."""
    marker = next((m for m in metadata if isinstance(m, AnsibleType)), None)
    if marker is not None:
        return {"type": marker.name}
    tp = _without_none(tp)
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        return type_spec(base, extra)
    if origin is Literal:
        return {"type": "str", "choices": [str(v) for v in get_args(tp)]}
    if origin is list:
        element = type_spec(get_args(tp)[0])
        out: Spec = {"type": "list", "elements": element["type"]}
        out.update({k: v for k, v in element.items() if k in ("choices", "options")})
        return out
    if origin is dict:
        return {"type": "dict"}
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {"type": "dict", "options": model_spec(tp)}
    simple = {str: "str", bool: "bool", int: "int", float: "float"}
    return {"type": simple.get(tp, "raw")}


def option_spec(info: FieldInfo) -> Spec:
    """One option of ``argument_spec``."""
    spec = type_spec(info.annotation, info.metadata)
    if info.is_required():
        spec["required"] = True
    elif info.default is not None and info.default_factory is None:
        spec["default"] = info.default
    option = option_of(info)
    if option is not None and option.secret:
        spec["no_log"] = True
    if option is not None and option.aliases:
        spec["aliases"] = list(option.aliases)
    return spec


def model_spec(model: type[BaseModel], exclude: Iterable[str] = ()) -> dict[str, Spec]:
    """Every field of ``model`` as an option (suboptions of a nested model included)."""
    skip = set(exclude)
    return {name: option_spec(info) for name, info in model.model_fields.items() if name not in skip}


@dataclass(frozen=True)
class ModuleOptions:
    """How a module presents its model: which fields it leaves out, renames, requires, aliases, and extra options
    that are not model fields (a host's longer wait ``timeout``), each with its spec and ``description``."""

    exclude: tuple[str, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)  # option name -> model field
    required: tuple[str, ...] = ("name",)
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def option_name(self, field_name: str) -> str:
        return {v: k for k, v in self.renames.items()}.get(field_name, field_name)


def argument_spec(model: type[BaseModel], shape: ModuleOptions) -> dict[str, Spec]:
    """A module's ``argument_spec``: its model's fields as ``shape`` presents them."""
    out: dict[str, Spec] = {}
    for name, info in model.model_fields.items():
        if name in shape.exclude:
            continue
        key = shape.option_name(name)
        spec = option_spec(info)
        if key in shape.required:
            spec["required"] = True
            spec.pop("default", None)
        if key in shape.aliases:
            spec["aliases"] = list(shape.aliases[key])
        out[key] = spec
    for key, extra in shape.extra.items():
        out[key] = {k: v for k, v in extra.items() if k != "description"}
    return out


# ---------------------------------------------------------------- documentation


def _doc_text(info: FieldInfo) -> str | list[str]:
    option = option_of(info)
    if option is not None:
        return option.doc if isinstance(option.doc, str) else list(option.doc)
    if not info.description:
        raise ValueError("has no description: declare it with opt()")
    return info.description


def _doc_entry(info: FieldInfo, spec: Spec) -> dict[str, Any]:
    entry: dict[str, Any] = {"description": _doc_text(info)}
    for key in ("type", "required", "default", "choices", "elements", "aliases"):
        if key in spec:
            entry[key] = spec[key]
    sub = _submodel(info.annotation)
    if sub is not None:
        entry["suboptions"] = _doc_model(sub, spec["options"])
    return entry


def _submodel(tp: Any) -> type[BaseModel] | None:
    tp = _without_none(tp)
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) is list:
        tp = _without_none(get_args(tp)[0])
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _doc_model(model: type[BaseModel], specs: dict[str, Spec]) -> dict[str, Any]:
    out = {}
    for name, spec in specs.items():
        try:
            out[name] = _doc_entry(model.model_fields[name], spec)
        except ValueError as e:
            raise ValueError(f"{model.__name__}.{name} {e}") from None
    return out


def doc_options(model: type[BaseModel], shape: ModuleOptions) -> dict[str, Any]:
    """The ``options`` of a module's ``DOCUMENTATION``, from the same declarations as :func:`argument_spec`."""
    specs = argument_spec(model, shape)
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in shape.exclude:
            continue
        key = shape.option_name(name)
        try:
            out[key] = _doc_entry(info, specs[key])
        except ValueError as e:
            raise ValueError(f"{model.__name__}.{name} {e}") from None
    for key, extra in shape.extra.items():
        out[key] = {"description": extra["description"], **{k: v for k, v in extra.items() if k != "description"}}
    return out


# ---------------------------------------------------------------- the wire


def wire_fields(model: type[BaseModel], control: Iterable[str] = ()) -> tuple[WireField, ...]:
    """The kind's field rows: every mapped field of ``model`` but ``id``, ``name``, ``state`` and ``control``."""
    skip = {"id", "name", "state", *control}
    rows = []
    for name, info in model.model_fields.items():
        option = option_of(info)
        if name in skip or (option is not None and not option.mapped):
            continue
        rows.append(WireField(name, **(dict(option.wire) if option else {})))
    return tuple(rows)


def secret_fields(models: Iterable[type[BaseModel]]) -> frozenset[str]:
    """Names of the fields declared secret, masked in every diff."""
    return frozenset(name for model in models for name, info in model.model_fields.items()
                     if (option_of(info) or Option("")).secret)
