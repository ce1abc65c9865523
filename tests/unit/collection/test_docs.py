"""One declaration per option: argument specs, docs, returns and wire fields all come from the model."""

from __future__ import annotations

import copy
import importlib
import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from ansible_collections.vdc.infra.plugins.doc_fragments.engine import ModuleDocFragment
from ansible_collections.vdc.infra.plugins.module_utils.auth import AUTH_SPEC
from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError
from ansible_collections.vdc.infra.plugins.module_utils.model import Entity
from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule, ReconcileModule
from ansible_collections.vdc.infra.plugins.module_utils.module_options import DECLARED
from ansible_collections.vdc.infra.plugins.module_utils.options import (
    ModuleOptions,
    argument_spec,
    doc_options,
    opt,
    wire_fields,
)
from ansible_collections.vdc.infra.plugins.module_utils.specs import MODULE_SPECS

ROOT = Path(__file__).resolve().parents[3]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


GEN = _generator()
DERIVED = [p.stem for p in sorted(GEN.MODULES.glob("*.py"))
           if (cls := GEN.module_class(p.stem)) is not None and issubclass(cls, ReconcileModule)]
MODULES = [p.stem for p in sorted(GEN.MODULES.glob("*.py")) if p.stem != "__init__"]
FRAGMENTS = {"vdc.infra.engine": ModuleDocFragment.DOCUMENTATION, "vdc.infra.engine.wait": ModuleDocFragment.WAIT,
             "vdc.infra.engine.info": ModuleDocFragment.INFO}


def test_the_module_docs_are_current():
    stale = [str(p.relative_to(ROOT)) for p in GEN.stale()]
    assert stale == [], f"{stale} are older than the option declarations: run `make docs`"


def test_every_engine_module_declares_its_options_once():
    handwritten = [name for name in MODULES if (cls := _engine_class(name)) is not None and cls.argument_spec]
    handwritten += [name for name in MODULES
                    if re.search(r"argument_spec ?= ?\{", (GEN.MODULES / f"{name}.py").read_text())]
    assert handwritten == []
    assert set(MODULES) >= set(DECLARED)


def test_the_existing_managing_modules_are_derived():
    assert {"datacenter", "cluster", "host", "storage_domain", "network", "vnic_profile", "template", "vm", "disk",
            "nic", "event"} <= set(DERIVED)


def _spec_from_doc(options: dict[str, Any]) -> dict[str, Any]:
    """What an argument_spec must hold for ``options`` (as documented) to describe it."""
    out = {}
    for name, doc in options.items():
        spec = {k: doc[k] for k in ("type", "required", "default", "choices", "elements", "aliases") if k in doc}
        if "suboptions" in doc:
            spec["options"] = _spec_from_doc(doc["suboptions"])
        out[name] = spec
    return out


def _without_no_log(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: ({kk: (_without_no_log(vv) if kk == "options" else vv) for kk, vv in v.items() if kk != "no_log"})
            for k, v in spec.items()}


def _engine_class(name: str) -> type[EngineModule] | None:
    mod = importlib.import_module(f"ansible_collections.vdc.infra.plugins.modules.{name}")
    return next((c for _, c in inspect.getmembers(mod, inspect.isclass)
                 if c.__module__ == mod.__name__ and issubclass(c, EngineModule)), None)


def _documented(name: str) -> dict[str, Any]:
    """Every option the module's DOCUMENTATION describes, its fragments' included."""
    source = (GEN.MODULES / f"{name}.py").read_text()
    doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""\n(.*?)"""', source, re.S).group(1))
    options: dict[str, Any] = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        options.update(yaml.safe_load(FRAGMENTS[fragment])["options"])
    options.update(doc.get("options") or {})
    return options


@pytest.mark.parametrize("name", MODULES)
def test_every_module_documents_exactly_the_options_it_takes(name):
    """The documented options (the module's and its fragments') are the module's whole argument_spec."""
    cls = _engine_class(name)
    if cls is None:  # a plain AnsibleModule (it runs without pydantic) takes the specs make docs writes
        assert name in MODULE_SPECS, f"{name}: declare its options in module_utils/module_options.py"
        spec = MODULE_SPECS[name]
    else:
        spec = copy.deepcopy(AUTH_SPEC)
        for extra in cls.extra_specs:
            spec.update(extra)
        spec.update(cls.options_spec())
    assert _spec_from_doc(_documented(name)) == _without_no_log(spec)
    assert all(v.get("description") for v in _documented(name).values())


@pytest.mark.parametrize("name", DERIVED)
def test_the_documented_options_are_the_options_the_module_takes(name):
    source = (GEN.MODULES / f"{name}.py").read_text()
    doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""\n(.*?)"""', source, re.S).group(1))
    cls = GEN.module_class(name)
    spec = cls.options_spec()
    assert _spec_from_doc(doc["options"]) == _without_no_log(spec)
    assert all(v.get("description") for v in doc["options"].values())


def test_secrets_are_no_log():
    cls = GEN.module_class("host")
    assert cls.options_spec()["password"]["no_log"] is True


class Gadget(Entity):
    """A kind that exists only here: one declaration per option, and the rest follows."""

    KIND = "gadget"
    colour: Literal["red", "green"] | None = opt("Colour of the {what}.", path="look.colour")
    size: int | None = opt("Size.", ge=1)
    serial: str | None = opt("Serial number; used when creating only.", create_only=True, secret=True)
    force: bool = opt("With I(state=absent), remove it anyway.", False)
    CONTROL = Entity.CONTROL | {"force"}


def test_one_declaration_gives_the_spec_the_docs_and_the_wire_field():
    shape = ModuleOptions(aliases={"colour": ("color",)})
    spec = argument_spec(Gadget, shape)
    assert spec["colour"] == {"type": "str", "choices": ["red", "green"], "aliases": ["color"]}
    assert spec["name"] == {"type": "str", "required": True}
    assert spec["force"] == {"type": "bool", "default": False}
    assert spec["serial"] == {"type": "str", "no_log": True}
    docs = doc_options(Gadget, shape)
    assert docs["colour"]["description"] == "Colour of the gadget."
    assert docs["name"]["description"] == "Name of the gadget."
    rows = {f.name: f for f in wire_fields(Gadget, Gadget.CONTROL)}
    assert set(rows) == {"colour", "size", "serial"}
    assert rows["colour"].wire_path == "look.colour" and rows["serial"].create_only
    assert "Colour of the gadget." in str(Gadget.model_json_schema())


def test_an_option_without_a_description_is_refused():
    class Undocumented(Entity):
        KIND = "undocumented"
        colour: str | None = None

    with pytest.raises(ValueError, match="Undocumented.colour has no description"):
        doc_options(Undocumented, ModuleOptions())


def test_a_param_the_model_lacks_is_an_error_not_dropped():
    class Sloppy(ReconcileModule):  # the old pattern: an argument_spec written by hand
        kind = "cluster"
        argument_spec = {"name": {"type": "str"}, "colour": {"type": "str"}}

    with pytest.raises(VdcError, match="option 'colour' is no field of the cluster model"):
        Sloppy.model_values({"name": "c1", "colour": "red"})


def test_a_module_whose_documented_options_drifted_is_stale(tmp_path):
    """Editing a declared module's documented option by hand is undone by `make docs` (and so fails the test)."""
    source = (GEN.MODULES / "nic_info.py").read_text()
    drifted = tmp_path / "nic_info.py"
    drifted.write_text(source.replace("description: Name of the VM.", "description: The VM.\n    aliases: [machine]"))
    assert drifted.read_text() != source
    assert GEN.render(drifted) == source
