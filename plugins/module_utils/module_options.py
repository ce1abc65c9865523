"""The options of the modules that are no view of one desired-state model (info, estate and file modules).

Each option is declared once here, with :func:`~.options.opt` as on the model: its type (and so choices and
elements), default, whether it is required (``opt(doc, ...)``), aliases, and its documentation. The module's
``argument_spec`` is derived from it when the module runs (:meth:`.module.EngineModule.options_spec`), and the
``options`` of its ``DOCUMENTATION`` are written by ``make docs``. A module names its declaration with
``options_of``; one that runs without pydantic (``engine_service``) reads the copy ``make docs`` writes into
``specs.MODULE_SPECS``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ansible_collections.vdc.infra.plugins.module_utils.options import AnsibleType, opt
from pydantic import BaseModel

Path = Annotated[str, AnsibleType("path")]  # a local file, expanded by Ansible
Objects = Literal["system", "data_center", "cluster", "host", "storage_domain", "network", "vnic_profile", "template",
                  "vm", "disk"]


class AffinityGroupInfo(BaseModel):
    cluster: str = opt("Name of the cluster.", ...)
    name: str | None = opt("Only the groups with this name (a glob such as C(db-*) is allowed).")


class Apply(BaseModel):
    state: dict[str, Any] | None = opt([
        "The desired-state document itself, as a dict with C(data_centers), C(vms) and optionally C(estate).",
        "Mutually exclusive with I(src)."])
    src: Path | None = opt([
        "A YAML file holding the document, or a directory whose C(.yml)/C(.yaml) files are merged (by file name "
        "order; lists are concatenated, a data center named in several files is one data center).",
        "Read on the host the module runs on (usually the controller, with C(delegate_to) or C(localhost))."])
    estate: str | None = opt([
        "Name of the estate, written in the ownership marker. Defaults to the document's C(estate) key, else "
        "C(default)."])
    prune: bool = opt([
        "Delete entities marked as owned by this estate that the document no longer declares (VMs first, data "
        "centers last). Entities without the marker are never touched."], False)
    only: list[str] = opt([
        "Limit the run to some kinds (C(data_centers), C(clusters), C(hosts), C(storage_domains), C(networks), "
        "C(vms), C(disks), C(nics), C(scheduling_policies), C(affinity_groups), C(affinity_labels), or the singular "
        "forms) or names (an entity, and the disks and NICs of a VM of that name). Pruning is limited the same "
        "way."], [])
    parallel: int = opt(["How many independent steps run at the same time (each waits for its own end state)."], 8)


class Auth(BaseModel):
    state: Literal["present", "absent"] = opt("Log in or log out.", "present")


class EngineService(BaseModel):
    state: Literal["started", "stopped", "restarted"] = opt(
        "C(started) keeps it running, C(restarted) restarts it, C(stopped) ends it (SIGTERM, then SIGKILL).",
        "started")
    argv: list[str] | None = opt("The command, for example C([/srv/vdc/bin/python, -m, engine_api, serve, --listen, "
                                 "127.0.0.1:8443]).")
    pid_file: Path = opt("Where the pid is kept.", ...)
    log_file: Path | None = opt("Where the output goes (appended). Defaults to I(pid_file) with C(.log) instead of "
                                "C(.pid).")
    environment: dict[str, Any] = opt("Extra environment variables, for example C(VDC_ADMIN_PASSWORD). Values are "
                                      "not logged.", {}, secret=True)
    chdir: Path | None = opt("Working directory of the process.")
    ready_url: str | None = opt("A URL that answers (any HTTP status) once the process is ready.")
    timeout: int = opt("Seconds to wait for I(ready_url) (and for the process to end when stopping).", 60)


class Export(BaseModel):
    dest: Path = opt("The YAML file to write (on the host the module runs on).", ...)
    estate: str | None = opt([
        "Export only what this estate owns (the entities whose comment ends with C(vdc-estate:<estate>)), and "
        "write C(estate) in the document."])


class HostHookInfo(BaseModel):
    host: str = opt("Name or id of the host.", ...)


class NicInfo(BaseModel):
    vm: str = opt("Name of the VM.", ...)
    name: str | None = opt("Only the NIC with this name (a glob such as C(nic*) is allowed).")


class PermissionInfo(BaseModel):
    user_name: str | None = opt("Login name of a user, for example C(alice).", aliases=("user",))
    group_name: str | None = opt("Name of a group.", aliases=("group",))
    object_type: Objects | None = opt("Kind of the object whose permissions to list (C(system) for those given on "
                                      "System).")
    object_name: str | None = opt("Name of the object, with I(object_type).")


class PlacementInfo(BaseModel):
    vm: str | None = opt("Name of the VM.")
    id: str | None = opt("Id of the VM; when given, the VM is found by id.")


class PolicyUnit(BaseModel):
    name: str = opt("The plugin's module name, such as C(max_vms) (a trailing C(.py) is dropped).", ...)
    src: Path | None = opt("A local file holding the plugin. Mutually exclusive with I(content).")
    content: str | None = opt("The plugin's source itself. Mutually exclusive with I(src).")
    state: Literal["present", "absent"] = opt("Whether the plugin (and its units) should exist.", "present")


class UiPlugin(BaseModel):
    name: str | None = opt("Name of the plugin; taken from the descriptor in I(src) when omitted.")
    src: Path | None = opt([
        "A directory holding the descriptor (one C(*.json)) and its C(resourcePath) directory, or an archive (tar, "
        "tar.gz, zip) of the same. Needed to install; optional to reconfigure an installed plugin."])
    config: dict[str, Any] | None = opt("The user configuration's C(config); each top-level key replaces the "
                                        "descriptor's wholesale.")
    enabled: bool | None = opt("Whether the portal loads the plugin.")
    order: int | None = opt("Load order (ascending); plugins without one load last.")
    state: Literal["present", "absent"] = opt("Whether the plugin should be installed.", "present")


DECLARED: dict[str, type[BaseModel]] = {
    "affinity_group_info": AffinityGroupInfo, "apply": Apply, "auth": Auth, "engine_service": EngineService,
    "export": Export, "host_hook_info": HostHookInfo, "nic_info": NicInfo, "permission_info": PermissionInfo,
    "placement_info": PlacementInfo, "policy_unit": PolicyUnit, "ui_plugin": UiPlugin,
}
