"""The desired-state document of a whole estate (``schemas/estate.schema.json`` is generated from it).

Each nested model extends the per-entity model of :mod:`..model`, so an estate accepts exactly the options
the per-entity modules accept, plus its nesting (clusters inside data centers, hosts inside clusters) and
the spellings of the design's examples (``type`` for a domain's function, ``vlan`` for ``vlan_tag``,
``clusters: [c1]`` for a network, ``custom_properties`` as a mapping, a host's ``ssh`` block).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, ClassVar, Literal

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import Loc, path_text
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

ESTATE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class HostSsh(m.Sub):
    """How the engine reaches the host over SSH to deploy its agent."""

    user: Literal["root"] | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    public_key: bool | None = None
    password: str | None = Field(default=None, repr=False)


class EstateHost(m.Host):
    """A host of the enclosing cluster; ``ssh`` is another spelling of ``ssh_port``/``public_key``/``password``."""

    CONTROL = m.Host.CONTROL | {"ssh"}
    ssh: HostSsh | None = None

    @model_validator(mode="after")
    def _ssh(self) -> EstateHost:
        if self.ssh is None:
            return self
        for key, target in (("port", "ssh_port"), ("public_key", "public_key"), ("password", "password")):
            value = getattr(self.ssh, key)
            if value is None:
                continue
            if target in self.model_fields_set and getattr(self, target) != value:
                raise ValueError(f"ssh.{key} and {target} disagree; write one of them")
            setattr(self, target, value)
        return self


class EstateCluster(m.Cluster):
    """A cluster of the enclosing data center, with its hosts; ``scheduling_policy`` may also be written
    ``{name: ..., properties: {...}}`` (properties: ``scheduling_policy_properties``, a list or a mapping)."""

    CONTROL = m.Cluster.CONTROL | {"hosts"}
    hosts: list[EstateHost] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _policy(cls, data: Any) -> Any:
        policy = data.get("scheduling_policy") if isinstance(data, dict) else None
        if not isinstance(policy, dict):
            return data
        data = {**data, "scheduling_policy": policy.get("name")}
        if policy.get("properties") is not None:
            if data.get("scheduling_policy_properties") is not None:
                raise ValueError("scheduling_policy.properties and scheduling_policy_properties: write one of them")
            data["scheduling_policy_properties"] = policy["properties"]
        return data


class EstateStorageDomain(m.StorageDomain):
    """A storage domain attached to the enclosing data center; the ``master`` one is attached first."""

    CONTROL = m.StorageDomain.CONTROL | {"master", "type"}
    master: bool = False
    type: Literal["data", "iso", "export"] | None = Field(default=None, description="Same as domain_function.")

    @model_validator(mode="after")
    def _type(self) -> EstateStorageDomain:
        if self.type is not None:
            if self.domain_function is not None and self.domain_function != self.type:
                raise ValueError("type and domain_function disagree; write one of them")
            self.domain_function = self.type
        return self


def _cluster_names(value: Any) -> Any:
    """``[c1]`` → ``[{name: c1}]``."""
    return [{"name": c} if isinstance(c, str) else c for c in value] if isinstance(value, list) else value


def _property_map(value: Any) -> Any:
    """``{pincpu: "0-1"}`` → ``[{name: pincpu, value: "0-1"}]``."""
    return [{"name": k, "value": v} for k, v in value.items()] if isinstance(value, dict) else value


# Converted before validation, so an error names one spelling, not both branches of a union.
ClusterList = Annotated[list[m.NetworkCluster], BeforeValidator(
    _cluster_names, json_schema_input_type=list[m.NetworkCluster | str])]
PropertyList = Annotated[list[m.Property], BeforeValidator(
    _property_map, json_schema_input_type=list[m.Property] | dict[str, str])]


class EstateNetwork(m.Network):
    """A logical network of the enclosing data center; ``clusters`` may list cluster names."""

    CONTROL = m.Network.CONTROL | {"vlan"}
    vlan: m.ClearableInt = Field(default=None, ge=0, le=4094, description="Same as vlan_tag.")
    clusters: ClusterList | None = None

    @model_validator(mode="after")
    def _vlan(self) -> EstateNetwork:
        if "vlan" in self.model_fields_set:
            if "vlan_tag" in self.model_fields_set and self.vlan_tag != self.vlan:
                raise ValueError("vlan and vlan_tag disagree; write one of them")
            self.vlan_tag = self.vlan
        return self


class EstateVm(m.Vm):
    """A VM with its disks and NICs; ``custom_properties`` may be a mapping of names to values."""

    custom_properties: PropertyList | None = None


class EstateDataCenter(m.DataCenter):
    """A data center with its clusters (and their hosts), storage domains and logical networks.

    With ``state: absent`` and ``recursive_cleanup: true`` everything in it goes too (VMs, hosts, clusters,
    storage domains), as ``ovirt.ovirt.infra`` does on teardown.
    """

    CONTROL = m.DataCenter.CONTROL | {"clusters", "storage_domains", "networks", "recursive_cleanup"}
    clusters: list[EstateCluster] = Field(default_factory=list)
    storage_domains: list[EstateStorageDomain] = Field(default_factory=list)
    networks: list[EstateNetwork] = Field(default_factory=list)
    recursive_cleanup: bool = False


class Estate(BaseModel):
    """The desired state of a vdc estate: data centers (with clusters, hosts, storage, networks), templates, VMs,
    disks, scheduling policies, affinity groups and affinity labels, tags, users, groups, roles and permissions.

    Entities that ``apply`` creates or adopts carry the ownership marker ``vdc-estate:<estate>`` at the end
    of their ``comment``; ``prune`` deletes only marked entities of this estate that are no longer declared
    (scheduling policies, affinity groups and labels, tags, users, groups, roles and permissions have no comment, so
    they are never marked nor pruned).
    """

    model_config = ConfigDict(extra="forbid", title="vdc estate")
    SECTIONS: ClassVar[tuple[str, ...]] = ("data_centers", "templates", "vms", "disks", "scheduling_policies",
                                           "affinity_groups",
                                           "affinity_labels", "tags", "users", "groups", "roles", "permissions",
                                           "vdsm_hooks",
                                           "engine_config", "scheduling_policy_units",
                                           "ui_plugins")

    estate: str | None = Field(default=None, pattern=ESTATE_NAME,
                               description="Name of the estate: the owner written in the ownership marker.")
    data_centers: list[EstateDataCenter] = Field(default_factory=list)
    templates: list[m.Template] = Field(default_factory=list, description=(
        "Templates made from VMs (name, vm, and for a version of a template version_name or version_number); "
        "the versions of a template are made in the order they are declared, after its base."))
    vms: list[EstateVm] = Field(default_factory=list)
    disks: list[m.Disk] = Field(default_factory=list, description=(
        "Disks on their own (as vdc.infra.disk takes them): floating ones, copies of others (copy_from), or ones "
        "attached to a VM (vm); a changed storage_domain moves a disk."))
    scheduling_policy_units: list[m.PolicyUnit] = Field(default_factory=list, description=(
        "Python files of external scheduling units (name, src or content), added before the scheduling policies "
        "that name their units; a relative src is read from the estate's directory."))
    scheduling_policies: list[m.SchedulingPolicy] = Field(default_factory=list)
    affinity_groups: list[m.AffinityGroup] = Field(default_factory=list)
    affinity_labels: list[m.AffinityLabel] = Field(default_factory=list)
    tags: list[m.Tag] = Field(default_factory=list, description=(
        "Tags (name, description, parent: C(root) when not given) and the VMs and hosts they are attached to; a "
        "parent is added before the tags below it."))
    users: list[m.User] = Field(default_factory=list)
    groups: list[m.Group] = Field(default_factory=list)
    roles: list[m.Role] = Field(default_factory=list)
    permissions: list[m.Permission] = Field(default_factory=list)
    vdsm_hooks: list[m.VdsmHook] = Field(default_factory=list, description=(
        "VDSM hook scripts the engine deploys to their clusters' and hosts' hosts; a relative src is read from the "
        "estate's directory."))
    engine_config: list[m.EngineConfig] = Field(default_factory=list, description=(
        "Engine configuration keys (name, value, version), set before anything else."))
    ui_plugins: list[m.UiPlugin] = Field(default_factory=list, description=(
        "UI plugins of the administration portal (name, src: a directory or an archive, config, enabled, order), "
        "compared by content digest; a relative src is read from the estate's directory."))


def duplicates(estate: Estate) -> list[tuple[Loc, str]]:
    """Names declared twice where the engine wants them unique, as (where, message) pairs."""
    seen: dict[tuple[str | None, ...], Loc] = {}
    problems: list[tuple[Loc, str]] = []

    def check(key: tuple[str | None, ...], loc: Loc, what: str) -> None:
        if key[-1] is None:
            return
        if key in seen:
            first = path_text(seen[key])
            problems.append((loc + ("name",), f"{what} '{key[-1]}' is declared twice (first at {first})"))
        else:
            seen[key] = loc

    for i, dc in enumerate(estate.data_centers):
        check(("data_center", dc.name), ("data_centers", i), "data center")
        for j, c in enumerate(dc.clusters):
            check(("cluster", c.name), ("data_centers", i, "clusters", j), "cluster")
            for k, h in enumerate(c.hosts):
                check(("host", h.name), ("data_centers", i, "clusters", j, "hosts", k), "host")
        for j, sd in enumerate(dc.storage_domains):
            check(("storage_domain", sd.name), ("data_centers", i, "storage_domains", j), "storage domain")
        for j, net in enumerate(dc.networks):
            check(("network", dc.name or "", net.name), ("data_centers", i, "networks", j), "network")
    for i, unit in enumerate(estate.scheduling_policy_units):
        check(("policy_unit", unit.name), ("scheduling_policy_units", i), "scheduler plugin")
    for i, plugin in enumerate(estate.ui_plugins):
        check(("ui_plugin", plugin.name), ("ui_plugins", i), "UI plugin")
    for i, p in enumerate(estate.scheduling_policies):
        check(("scheduling_policy", p.name), ("scheduling_policies", i), "scheduling policy")
    for i, g in enumerate(estate.affinity_groups):
        check(("affinity_group", g.cluster or "", g.name), ("affinity_groups", i), "affinity group")
    for i, lab in enumerate(estate.affinity_labels):
        check(("affinity_label", lab.name), ("affinity_labels", i), "affinity label")
    for i, tag in enumerate(estate.tags):
        check(("tag", tag.name), ("tags", i), "tag")
    for section, kind, word in (("users", "user", "user"), ("groups", "group", "group"), ("roles", "role", "role"),
                                ("permissions", "permission", "permission")):
        for i, item in enumerate(getattr(estate, section)):
            check((kind, item.name), (section, i), word)
    for i, hook in enumerate(estate.vdsm_hooks):
        check(("vdsm_hook", hook.event or "", hook.name), ("vdsm_hooks", i), f"{hook.event} hook")
    for i, entry in enumerate(estate.engine_config):
        check(("engine_config", entry.version, entry.name), ("engine_config", i),
              f"engine configuration ({entry.version})")
    for i, t in enumerate(estate.templates):
        version = f"version {t.version_number}" if t.version_number is not None else f"version '{t.version_name}'"
        check(("template", version, t.name), ("templates", i), f"template ({version})")
    for i, d in enumerate(estate.disks):
        check(("disk", d.vm or "", d.name), ("disks", i), f"disk{' of VM ' + d.vm if d.vm else ''}")
    for i, vm in enumerate(estate.vms):
        check(("vm", vm.name), ("vms", i), "VM")
        by_kind: dict[str, set[str | None]] = defaultdict(set)
        for what, names in (("disk", [d.name for d in vm.disks or []]), ("nic", [n.name for n in vm.nics or []])):
            for j, name in enumerate(names):
                if name in by_kind[what]:
                    problems.append((("vms", i, f"{what}s", j, "name"),
                                     f"{what} '{name}' is declared twice in VM '{vm.name}'"))
                by_kind[what].add(name)
    return problems
