"""The base class of every vdc.infra module: argument spec merging, connection, check mode, failures.

A managing module sets ``kind``: its options are the fields of that kind's desired-state model, declared there
once (:mod:`.options`), and its ``argument_spec`` is derived from them when the module runs. A module only says
how it presents the model (``required``, ``exclude``, ``renames``, ``aliases``, ``extra``). Any other module names
its option declarations in :mod:`.module_options` with ``options_of``. :meth:`ReconcileModule.desired` maps
params to the model (pure, so tests call it without Ansible), and the one reconciler does the rest.
An info module sets ``collection`` and gets search, id, name, follow and max for free.
"""

from __future__ import annotations

import copy
import fnmatch
from typing import Any, ClassVar

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.vdc.infra.plugins.module_utils.auth import AUTH_SPEC, session, settings
from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError, EngineError, VdcError
from ansible_collections.vdc.infra.plugins.module_utils.specs import MODULE_SPECS, SPECS
from ansible_collections.vdc.infra.plugins.module_utils.waiter import WaitOptions

try:
    from ansible_collections.vdc.infra.plugins.module_utils import model
    from ansible_collections.vdc.infra.plugins.module_utils.desired import expand
    from ansible_collections.vdc.infra.plugins.module_utils.module_options import DECLARED
    from ansible_collections.vdc.infra.plugins.module_utils.options import ModuleOptions, argument_spec
    from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired
    from ansible_collections.vdc.infra.plugins.module_utils.reconciler import reconcile

    PYDANTIC_ERROR: ImportError | None = None
except ImportError as exc:  # pydantic is the one dependency beyond ansible-core
    PYDANTIC_ERROR = exc

WAIT_SPEC: dict[str, Any] = {
    "wait": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 180},
    "poll_interval": {"type": "int", "default": 3},
}
ENTITY_SPEC: dict[str, Any] = {  # every managing module; a module with more states declares its own ``state``
    "id": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
INFO_SPEC: dict[str, Any] = {
    "pattern": {"type": "str"},
    "id": {"type": "str"},
    "name": {"type": "str"},
    "follow": {"type": "list", "elements": "str", "default": []},
    "max": {"type": "int"},
}


class _AnsibleModule(AnsibleModule):
    """AnsibleModule whose failures name the entity, argument errors (a wrong type) included."""

    entity_word = ""

    def fail_json(self, msg: str, **kwargs: Any) -> None:
        name = (getattr(self, "params", None) or {}).get("name")
        label = f"{self.entity_word} '{name}'" if self.entity_word and name else None
        if label and not str(msg).startswith(label):
            msg = f"{label}: {msg}"
            kwargs.setdefault("entity", label)
        super().fail_json(msg=msg, **kwargs)


class EngineModule:
    """Owns the AnsibleModule; subclasses implement :meth:`run` and return the result dict."""

    argument_spec: ClassVar[dict[str, Any]] = {}
    options_of: ClassVar[str] = ""  # the module's option declarations: a key of module_options.DECLARED
    module_kwargs: ClassVar[dict[str, Any]] = {}
    extra_specs: ClassVar[tuple[dict[str, Any], ...]] = ()
    entity_word: ClassVar[str] = ""  # how failures name the entity, e.g. "VM"

    def __init__(self) -> None:
        spec = copy.deepcopy(AUTH_SPEC)
        for extra in self.extra_specs:
            spec.update(copy.deepcopy(extra))
        spec.update(copy.deepcopy(self.options_spec()))
        kwargs = {"supports_check_mode": True, **self.module_kwargs}
        module_class = type("Module", (_AnsibleModule,), {"entity_word": self.word()})
        self.module = module_class(argument_spec=spec, **kwargs)
        self.params = self.module.params

    @classmethod
    def options_spec(cls) -> dict[str, Any]:
        """The module's own options (the shared ones, such as ``auth``, come from ``extra_specs``)."""
        if not cls.options_of:
            return cls.argument_spec
        if PYDANTIC_ERROR is None:
            return argument_spec(DECLARED[cls.options_of], ModuleOptions(required=()))
        return MODULE_SPECS[cls.options_of]  # without pydantic: the copy make docs writes

    @classmethod
    def word(cls) -> str:
        return cls.entity_word

    def run(self, client: Any) -> dict[str, Any]:
        raise NotImplementedError

    def __call__(self) -> None:
        if PYDANTIC_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("pydantic"), exception=str(PYDANTIC_ERROR))
        try:
            self.prepare()
            with session(settings(self.params.get("auth")), ) as client:
                result = self.run(client)
        except EngineError as e:
            self._fail(e, status=e.status, reason=e.reason, detail=e.detail)
        except DesiredStateError as e:
            self._fail(e, problems=e.problems)
        except VdcError as e:
            self._fail(e)
        self.module.exit_json(**result)

    def prepare(self) -> None:
        """Validation that needs no engine; runs before connecting."""

    def _fail(self, error: VdcError, **extra: Any) -> None:
        if error.entity:
            extra["entity"] = error.entity
        # An error that already names its entity keeps its own wording.
        self.module.entity_word = "" if error.entity else self.module.entity_word
        self.module.fail_json(msg=str(error), **extra)


class ReconcileModule(EngineModule):
    """A module that declares one entity (and its children) and reconciles it."""

    kind: ClassVar[str] = ""
    extra_specs = (WAIT_SPEC, ENTITY_SPEC)
    # How the module presents its model (see options.ModuleOptions); used when it has no argument_spec of its own.
    required: ClassVar[tuple[str, ...]] = ("name",)
    exclude: ClassVar[tuple[str, ...]] = ()
    renames: ClassVar[dict[str, str]] = {}  # module option -> model field, when the names differ
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {}
    extra: ClassVar[dict[str, dict[str, Any]]] = {}  # options that are no model field, with their description

    @classmethod
    def derived(cls) -> bool:
        """Whether the options come from the model (else the module writes its own ``argument_spec``)."""
        return not cls.argument_spec

    @classmethod
    def presentation(cls) -> ModuleOptions:
        return ModuleOptions(exclude=cls.exclude, renames=cls.renames, required=cls.required, aliases=cls.aliases,
                             extra=cls.extra)

    @classmethod
    def options_spec(cls) -> dict[str, Any]:
        if not cls.derived():
            return cls.argument_spec
        if PYDANTIC_ERROR is None:
            return argument_spec(model.MODELS[cls.kind], cls.presentation())
        # Without pydantic the module cannot run, but Ansible still needs its options to report that.
        return SPECS[cls.kind]

    @classmethod
    def word(cls) -> str:
        if cls.entity_word or PYDANTIC_ERROR is not None:
            return cls.entity_word or cls.kind.replace("_", " ")
        return model.MODELS[cls.kind].word()

    @classmethod
    def model_values(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Params that belong to the model: declared (not None, nor a suboption left out), renamed, without auth
        and wait options. A param that is no model field is a mistake in the module, never silently dropped."""
        # Ansible leaves an alias in the params beside the option it fills: the option carries the value.
        aliases = {alias for names in cls.aliases.values() for alias in names}
        skip = set(AUTH_SPEC) | set(WAIT_SPEC) | set(cls.extra) | aliases
        fields = model.MODELS[cls.kind].model_fields
        values = {}
        for key, value in params.items():
            target = cls.renames.get(key, key)
            if key in skip:
                continue
            if target not in fields:
                raise VdcError(f"the module's option '{key}' is no field of the {cls.word()} model "
                               "(declare it there, or in the module's extra options)")
            if value is not None:
                values[target] = _declared(value)
        return values

    @classmethod
    def desired(cls, params: dict[str, Any]) -> list[Desired]:
        """The module's params as planner entries (pure; option-mapping tests call this)."""
        return expand(model.parse(cls.kind, cls.model_values(params)))

    def prepare(self) -> None:
        self._desired = self.desired(self.params)

    def run(self, client: Any) -> dict[str, Any]:
        wait = WaitOptions(self.params["wait"], self.params["timeout"], self.params["poll_interval"])
        result = reconcile(client, self._desired, wait, self.module.check_mode)
        result[self.kind] = result["entity"]
        if not self.module._diff:
            result.pop("diff")
        return result


def _declared(value: Any) -> Any:
    """A value without the suboptions left out: Ansible passes them as None, which means "not declared"."""
    if isinstance(value, dict):
        return {k: _declared(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_declared(v) for v in value]
    return value


class InfoModule(EngineModule):
    """Lists a collection with the engine's search; ``changed`` is always false."""

    collection: ClassVar[str] = ""
    result_key: ClassVar[str] = ""
    searchable: ClassVar[bool] = True  # False: the engine has no search on the collection; names match as globs
    extra_specs = (INFO_SPEC,)

    def query(self) -> str | None:
        parts = [self.params["pattern"]] if self.params.get("pattern") else []
        if self.params.get("name"):
            parts.append(f'name="{self.params["name"]}"')
        return " and ".join(parts) or None

    def run(self, client: Any) -> dict[str, Any]:
        follow = self.params.get("follow") or None
        if self.params.get("id"):
            doc = client.get(self.collection, self.params["id"], follow=follow)
            found = [doc] if doc else []
        elif not self.searchable:
            if self.params.get("pattern"):
                raise VdcError(f"pattern: the engine does not search {self.result_key.replace('_', ' ')}; use name")
            name = self.params.get("name")
            found = [d for d in client.list(self.collection, follow=follow)
                     if not name or fnmatch.fnmatchcase(str(d.get("name")), name)][:self.params.get("max") or None]
        else:
            found = client.list(self.collection, search=self.query(), follow=follow, max=self.params.get("max"))
        return {"changed": False, self.result_key: found}
