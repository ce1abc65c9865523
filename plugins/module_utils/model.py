"""Desired state: one pydantic model per entity kind, in the terms users write (names, IEC sizes, flags).

Only the fields a user sets are compared later (``model_fields_set``): unset means "do not care".
Validation errors name the entity and the field (:func:`parse`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from ansible_collections.vdc.infra.plugins.module_utils import wire as w
from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError
from ansible_collections.vdc.infra.plugins.module_utils.options import AnsibleType, named, opt, option_of, wire_fields
from ansible_collections.vdc.infra.plugins.module_utils.units import parse_size
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, model_validator


def _none_if_empty(value: Any) -> Any:
    return None if value == "" else value


# The schema shows what users write (``2GiB`` or bytes), not the int the validator makes of it; so does the option.
Size = Annotated[int, BeforeValidator(parse_size, json_schema_input_type=int | str), AnsibleType("str")]
Version = Annotated[str, Field(pattern=r"^\d+\.\d+$")]
# An int that may be cleared with an explicit "" (e.g. a VLAN tag).
ClearableInt = Annotated[int | None, BeforeValidator(_none_if_empty, json_schema_input_type=int | Literal[""] | None),
                         AnsibleType("raw")]
Tristate = Literal["true", "false", "inherit"]
BiosType = Literal["i440fx_sea_bios", "q35_ovmf", "q35_sea_bios", "q35_secure_boot", "cluster_default"]
VERSION: dict[str, Any] = {"path": "version", "encode": w.version_to_wire, "decode": w.version_from_wire}


class Entity(BaseModel):
    """Common to every kind. ``CONTROL`` lists options that steer the run and are never compared.

    ``WORD`` is how messages name the kind (``VM 'web1'``); ``{what}`` in a field's documentation becomes it.
    """

    # Built at first use: a run validates a few kinds of the many, and a subclass's fields are renamed below first.
    model_config = ConfigDict(extra="forbid", defer_build=True)
    KIND: ClassVar[str] = ""
    WORD: ClassVar[str] = ""
    CONTROL: ClassVar[frozenset[str]] = frozenset({"id", "state"})

    id: str | None = opt("Id of the {what}; when given, the {what} is found by id.")
    name: str | None = opt("Name of the {what}.", min_length=1, max_length=255)
    state: Literal["present", "absent"] = opt("Whether the {what} should exist.", "present")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.KIND:
            return
        what = cls.word()
        fields = cls.__pydantic_fields__
        renamed = {k: named(f, what) for k, f in fields.items()}
        if any(renamed[k] is not fields[k] for k in fields):
            fields.update(renamed)  # before the deferred build, which takes them as they are then

    @classmethod
    def word(cls) -> str:
        return cls.WORD or cls.KIND.replace("_", " ")

    @classmethod
    def wire_fields(cls) -> tuple[w.Field, ...]:
        """The kind's field rows: every option but the control ones, with the wire field it declares."""
        return wire_fields(cls, cls.CONTROL)

    @model_validator(mode="after")
    def _named(self) -> Entity:
        if self.id is None and self.name is None:
            raise ValueError("name or id is required")
        return self

    def compared(self) -> dict[str, Any]:
        """The fields the user set, in user terms, minus control options."""
        keys = self.model_fields_set - self.CONTROL
        return {k: _plain(getattr(self, k)) for k in sorted(keys)}


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {k: _plain(getattr(value, k)) for k in sorted(value.model_fields_set) if k != "id"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Sub(BaseModel):
    """A nested struct; only the keys a user sets are compared."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- infrastructure


class Property(Sub):
    name: str = opt("Property name.", ...)
    value: str = opt("Property value.", ...)


PROPERTIES: dict[str, Any] = {"encode": w.properties_to_wire, "decode": w.properties_from_wire, "unordered": True}


def _property_map(value: Any) -> Any:
    """``{HighVmCount: "3"}`` → ``[{name: HighVmCount, value: "3"}]``."""
    return [{"name": k, "value": str(v)} for k, v in value.items()] if isinstance(value, dict) else value


# Written as a list or a mapping of names to values.
Properties = Annotated[list[Property], BeforeValidator(
    _property_map, json_schema_input_type=list[Property] | dict[str, str])]

# Parameters of scheduling units (a policy's, a cluster's): ``{"property": [...]}`` on the wire.
PARAMETERS: dict[str, Any] = {"encode": w.parameters_to_wire, "decode": w.parameters_from_wire, "unordered": True}


class DataCenter(Entity):
    KIND = "data_center"
    CONTROL = Entity.CONTROL | {"force"}
    description: str | None = opt('Description. C("") makes it empty.')
    comment: str | None = opt('Comment. C("") makes it empty.')
    local: bool | None = opt("Whether the data center uses local storage (one host, C(localfs) domains).")
    compatibility_version: Version | None = opt('Compatibility version, for example C("4.7").', **VERSION)
    quota_mode: Literal["disabled", "audit", "enabled"] | None = opt("Quota enforcement.")
    force: bool = opt("With I(state=absent), remove the data center even when it has active storage domains.",
                      False)


class Cluster(Entity):
    KIND = "cluster"
    data_center: str | None = opt("Data center of the cluster. Required to create one; cannot change later.",
                                  ref="data_center", immutable=True)
    description: str | None = opt('Description. C("") makes it empty.')
    comment: str | None = opt('Comment. C("") makes it empty.')
    cpu_type: str | None = opt("CPU type, for example C(Intel Nehalem Family) or C(Secure AMD EPYC).", path="cpu.type")
    cpu_arch: Literal["x86_64", "ppc64", "s390x", "aarch64", "undefined"] | None = opt(
        "CPU architecture; follows from I(cpu_type) when that is set.", path="cpu.architecture")
    compatibility_version: Version | None = opt('Compatibility version, for example C("4.7").', **VERSION)
    switch_type: Literal["legacy", "ovs"] | None = opt("Switch type of the cluster's hosts.")
    firewall_type: Literal["firewalld", "iptables"] | None = opt("Firewall of the cluster's hosts.")
    bios_type: BiosType | None = opt("Default chipset and firmware of the cluster's VMs.")
    ballooning: bool | None = opt("Memory ballooning.", path="ballooning_enabled")
    virt: bool | None = opt("The cluster runs VMs.", path="virt_service")
    gluster: bool | None = opt("The cluster provides Gluster storage.", path="gluster_service")
    threads_as_cores: bool | None = opt("Count host threads as cores.")
    ha_reservation: bool | None = opt("Reserve capacity for highly available VMs.")
    trusted_service: bool | None = opt("Only trusted hosts.")
    ksm: bool | None = opt("Kernel same-page merging.", path="ksm.enabled")
    fence_enabled: bool | None = opt("Fencing of non-responsive hosts.", path="fencing_policy.enabled")
    resilience_policy: Literal["do_not_migrate", "migrate", "migrate_highly_available"] | None = opt(
        "What happens to VMs when their host fails.", path="error_handling.on_error")
    memory_policy: Literal["disabled", "server", "desktop"] | None = opt(
        "Memory over-commit preset (100%, 150%, 200%).", path="memory_policy.over_commit.percent",
        encode=w.overcommit_to_wire, decode=w.overcommit_from_wire)
    migration_auto_converge: Tristate | None = opt("Auto-converge migrations.", path="migration.auto_converge")
    migration_compressed: Tristate | None = opt("Compress migrations.", path="migration.compressed")
    migration_encrypted: Tristate | None = opt("Encrypt migrations.", path="migration.encrypted")
    scheduling_policy: str | None = opt("Scheduling policy, by name (a built-in one such as C(evenly_distributed) or "
                                        "one of M(vdc.infra.scheduling_policy)).", ref="scheduling_policy")
    scheduling_policy_properties: Properties | None = opt([
        "Parameters of the scheduling policy for this cluster, compared as a set.",
        "When the policy changes and these are not given, the cluster takes the policy's own."],
        path="custom_scheduling_policy_properties", **PARAMETERS)
    # The management network is chosen once, by name inside the cluster's data center.
    network: str | None = opt("Management network, by name in the data center; used when creating the cluster only.",
                              path="management_network", encode=w.by_name, create_only=True)


class Host(Entity):
    KIND = "host"
    CONTROL = Entity.CONTROL | {"force", "activate"}
    state: Literal["present", "absent"] = opt([
        "Whether the host should exist.",
        "C(present) adds it and waits until it is C(up) (or in maintenance, see I(activate)); C(absent) moves a "
        "host that is up to maintenance first (its VMs migrate away), then removes it, as M(ovirt.ovirt.ovirt_host) "
        "does."], "present")
    cluster: str | None = opt("Cluster of the host.", ref="cluster")
    address: str | None = opt("Host name or IP address the engine reaches the host at. Required to add one.")
    description: str | None = opt("Description.")
    comment: str | None = opt("Comment.")
    password: str | None = opt("Root password used to deploy the host; sent when adding it only, never returned.",
                               secret=True, path="root_password", create_only=True)
    public_key: bool | None = opt("Deploy with the engine's SSH public key instead of a password.",
                                  path="ssh.authentication_method", encode=w.ssh_method_to_wire,
                                  decode=w.ssh_method_from_wire)
    ssh_port: int | None = opt("SSH port of the host.", path="ssh.port", ge=1, le=65535)
    spm_priority: int | None = opt("SPM priority, from -1 (never) to 10.", path="spm.priority", ge=-1, le=10)
    override_iptables: bool | None = opt("Let the engine manage the host's firewall.")
    activate: bool = opt([
        "With I(state=present), whether the host should be active, as in M(ovirt.ovirt.ovirt_host).",
        "When true, a host in C(maintenance) is activated (and waited for until C(up)).",
        "When false, a new host is added and left in C(maintenance) once installed, and the maintenance of an "
        "existing host is left alone (a host that is C(up) is not moved to maintenance either)."], True)
    force: bool = opt("With I(state=absent), remove the host even when the engine would refuse (for example a host "
                      "that does not answer and cannot reach maintenance).", False)


def _storage_keys(sub: type[BaseModel]) -> dict[str, str]:
    """User key → wire key inside ``<storage>``, as the suboptions of ``sub`` declare them."""
    out = {}
    for name, info in sub.model_fields.items():
        option = option_of(info)
        out[name] = (option.wire.get("path") if option else None) or name
    return out


class NfsStorage(Sub):
    address: str | None = opt("NFS server.")
    path: str | None = opt("Exported path.")
    version: Literal["auto", "v3", "v4", "v4_0", "v4_1", "v4_2"] | None = opt("NFS version.", path="nfs_version")
    timeout: int | None = opt("Retransmission timeout in deciseconds.", path="nfs_timeo")
    retrans: int | None = opt("Retransmissions.", path="nfs_retrans")
    mount_options: str | None = opt("Extra mount options.")


class LocalStorage(Sub):
    path: str | None = opt("Local path.")


class PosixStorage(Sub):
    path: str | None = opt("Device or path.")
    vfs_type: str | None = opt("File system type.")
    mount_options: str | None = opt("Mount options.")


class GlusterStorage(Sub):
    address: str | None = opt("Gluster server.")
    path: str | None = opt("Volume path.")
    mount_options: str | None = opt("Mount options.")


def _storage(stype: str, sub: type[Sub], doc: str) -> Any:
    encode, decode = w.storage_codec(stype, _storage_keys(sub))
    return opt(doc, path="storage", encode=encode, decode=decode, immutable=True)


STORAGE_TYPES = ("nfs", "localfs", "posixfs", "glusterfs")


class StorageDomain(Entity):
    KIND = "storage_domain"
    CONTROL = Entity.CONTROL | {"destroy", "format"}
    state: Literal["present", "absent", "maintenance", "unattached"] = opt([  # type: ignore[assignment]
        "C(present) creates the domain and, with I(data_center), attaches and activates it.",
        "C(maintenance) creates and attaches it, inactive.",
        "C(unattached) creates it, or deactivates and detaches it from its data center.",
        "C(absent) deactivates, detaches and removes it."], "present")
    data_center: str | None = opt("Data center the domain is attached to.", mapped=False)
    domain_function: Literal["data", "iso", "export"] | None = opt("What the domain holds.", path="type",
                                                                   immutable=True)
    description: str | None = opt("Description.")
    comment: str | None = opt("Comment.")
    host: str | None = opt("Host that connects to the storage when the domain is created.", ref="host",
                           create_only=True)
    nfs: NfsStorage | None = _storage("nfs", NfsStorage, "NFS storage.")
    localfs: LocalStorage | None = _storage("localfs", LocalStorage, "Local storage on the host (local data centers).")
    posixfs: PosixStorage | None = _storage("posixfs", PosixStorage, "A POSIX file system.")
    glusterfs: GlusterStorage | None = _storage("glusterfs", GlusterStorage, "A Gluster volume.")
    warning_low_space: int | None = opt("Percentage of free space below which the engine warns.",
                                        path="warning_low_space_indicator", ge=0, le=100)
    critical_space_action_blocker: int | None = opt("Free space in GiB below which the engine blocks new disks.",
                                                    ge=0)
    wipe_after_delete: bool | None = opt("Wipe disks when they are removed.")
    discard_after_delete: bool | None = opt("Discard blocks when disks are removed.")
    backup: bool | None = opt("The domain holds backups.")
    destroy: bool = opt("With I(state=absent), remove the domain without touching the storage.", False)
    format: bool = opt("With I(state=absent), format the storage.", False)

    @model_validator(mode="after")
    def _one_storage(self) -> StorageDomain:
        given = [t for t in STORAGE_TYPES if getattr(self, t) is not None]
        if len(given) > 1:
            raise ValueError(f"only one storage type may be given, got {', '.join(given)}")
        return self


CLUSTER_USAGES = ("display", "migration", "gluster", "default_route")


class NetworkCluster(Sub):
    """A network's assignment to a cluster (the kind ``cluster_network``); usages are flags in user terms."""

    name: str = opt("Cluster name.", ...)
    assigned: bool = opt("Whether the network is assigned to the cluster.", True, mapped=False)
    required: bool | None = opt("Hosts of the cluster must have it.")
    display: bool | None = opt("Carries display traffic.", path="_usage.display")
    migration: bool | None = opt("Carries migration traffic.", path="_usage.migration")
    gluster: bool | None = opt("Carries Gluster traffic.", path="_usage.gluster")
    default_route: bool | None = opt("Holds the default route.", path="_usage.default_route")


class Network(Entity):
    KIND = "network"
    CONTROL = Entity.CONTROL | {"clusters"}
    data_center: str | None = opt("Data center of the network; names are unique per data center.",
                                  ref="data_center", immutable=True)
    description: str | None = opt("Description.")
    comment: str | None = opt("Comment.")
    vlan_tag: ClearableInt = opt(['VLAN tag, 0 to 4094. C("") removes the tag (no magic C(-1)).'], ge=0, le=4094,
                                 path="vlan", encode=w.vlan_to_wire, decode=w.vlan_from_wire)
    vm_network: bool | None = opt("The network carries VM traffic.", path="usages", encode=w.vm_usage_to_wire,
                                  decode=w.vm_usage_from_wire)
    mtu: int | None = opt("MTU; 0 means the default.", ge=0, le=65520)
    clusters: list[NetworkCluster] | None = opt(["Clusters the network is assigned to. Clusters not listed are left "
                                                 "alone."])


class VnicProfile(Entity):
    KIND = "vnic_profile"
    WORD = "vNIC profile"
    network: str | None = opt("Network of the profile. Required to create one; cannot change later.", ref="network",
                              immutable=True)
    data_center: str | None = opt("Data center of the network, when network names repeat across data centers.",
                                  mapped=False)
    description: str | None = opt("Description.")
    port_mirroring: bool | None = opt("Mirror the traffic of the VM's NIC.")
    migratable: bool | None = opt("Whether a passthrough NIC may migrate.")
    pass_through: Literal["disabled", "enabled"] | None = opt("Passthrough mode.", path="pass_through.mode")
    custom_properties: list[Property] | None = opt(["Properties sent to the host's hooks, compared as a set. C([]) "
                                                    "removes them all."], **PROPERTIES)


# ---------------------------------------------------------------- compute


class Template(Entity):
    """A template; its versions share its name and are told apart by ``version_number`` or ``version_name``."""

    KIND = "template"
    vm: str | None = opt("VM the template is made from; used when creating only.", ref="vm", create_only=True)
    version_number: int | None = opt([
        "Number of the version of the template named I(name): 1 is the base template, as oVirt counts them.",
        "When neither I(version_number) nor I(version_name) is given, the base template is meant. A version that "
        "does not exist is made from I(vm) as the next version of the base template (it gets the next number)."],
        path="version.version_number", send=False, ge=1)
    version_name: str | None = opt([
        "Name of a version of the template (oVirt's sub-template name, I(version.name) of "
        "M(ovirt.ovirt.ovirt_template)); with it alone, the version is found by this name, and made from I(vm) "
        "as a new version of the base template named I(name) when no version has it."],
        path="version.version_name")
    cluster: str | None = opt("Cluster of the template; used when creating only.", ref="cluster", create_only=True)
    description: str | None = opt("Description.")
    comment: str | None = opt("Comment.")
    memory: Size | None = opt("Memory, as an IEC size such as C(2GiB).")
    cpu_cores: int | None = opt("Cores per socket.", path="cpu.topology.cores", ge=1)
    cpu_sockets: int | None = opt("Sockets.", path="cpu.topology.sockets", ge=1)

    @model_validator(mode="before")
    @classmethod
    def _base_version(cls, data: Any) -> Any:
        """No version named: the base template (version 1), so its versions, which share its name, are not
        mistaken for it."""
        if isinstance(data, dict) and data.get("version_number") is None and data.get("version_name") is None:
            return {**data, "version_number": 1}
        return data


DiskInterface = Literal["virtio", "virtio_scsi", "ide", "sata", "spapr_vscsi"]
NicInterface = Literal["virtio", "e1000", "e1000e", "rtl8139", "rtl8139_virtio", "pci_passthrough", "spapr_vlan"]


class DiskDevice(Sub):
    """What a disk declares, on its own (``vdc.infra.disk``) or inside a VM (``vms[].disks[]``)."""

    size: Size | None = opt("Size, as an IEC string such as C(20GiB) or bytes; disks can only grow.",
                            path="disk.provisioned_size", grow_only=True)
    storage_domain: str | None = opt([
        "Data domain of the disk.",
        "A different domain for an existing disk moves it there (live while its VM runs), as "
        "M(ovirt.ovirt.ovirt_disk) does; the module waits (with I(wait)) until the disk is C(ok) on its new domain."],
        path="disk.storage_domain", ref="storage_domain")
    interface: DiskInterface | None = opt("Bus (for a disk attached to a VM).")
    bootable: bool | None = opt("The VM boots from it.")
    format: Literal["cow", "raw"] | None = opt("Image format; cannot change later.", path="disk.format",
                                               immutable=True)
    sparse: bool | None = opt("Thin provisioning; cannot change later.", path="disk.sparse", immutable=True)
    shareable: bool | None = opt("May be attached to several VMs (raw only).", path="disk.shareable")
    activate: bool | None = opt("Plugged in.", path="active")
    description: str | None = opt("Description.", path="disk.description")


class NicDevice(Sub):
    """What a NIC declares, on its own (``vdc.infra.nic``) or inside a VM (``vms[].nics[]``)."""

    network: str | None = opt("Network; the profile defaults to the one named after it.", send=False)
    profile: str | None = opt("vNIC profile.", path="vnic_profile", ref="vnic_profile")
    interface: NicInterface | None = opt("Device model.")
    mac_address: str | None = opt("MAC address; allocated by the engine when not given.", path="mac.address",
                                  pattern=r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
    linked: bool | None = opt("Link state.")
    plugged: bool | None = opt("Plugged in.")


class Disk(Entity, DiskDevice):
    """A disk: floating when ``vm`` is unset, otherwise attached to that VM."""

    KIND = "disk"
    CONTROL = Entity.CONTROL | {"detach_only"}
    name: str | None = opt("Name (alias) of the disk.", min_length=1, max_length=255)
    copy_from: str | None = opt([
        "Name of a disk this one is made as a copy of (C(POST /disks/{id}/copy)) when it does not exist: a floating "
        "disk on I(storage_domain) holding the source's data, in the source's format and allocation unless "
        "I(format) or I(sparse) say otherwise; its VM must be down. Used when creating only: an existing disk of "
        "this name is left as it is, so the copy is made once."], ref="disk", create_only=True, send=False)
    vm: str | None = opt("VM the disk is attached to.", mapped=False)
    read_only: bool | None = opt("Attached read-only.")
    detach_only: bool = opt("With I(state=absent) and I(vm_name), detach the disk from the VM and keep it.", False)

    @model_validator(mode="after")
    def _copy_floating(self) -> Disk:
        if self.copy_from is not None and self.vm is not None:
            raise ValueError("copy_from makes a floating disk; attach the copy to a VM with another task")
        return self


_PLUGGED = {"plugged": True, "unplugged": False}


class Nic(Entity, NicDevice):
    KIND = "nic"
    WORD = "NIC"
    state: Literal["present", "absent", "plugged", "unplugged"] = opt(  # type: ignore[assignment]
        ["C(present) or C(absent); C(plugged) and C(unplugged) also set I(plugged)."], "present")
    name: str | None = opt("Name of the NIC, for example C(nic1).", min_length=1, max_length=255)
    vm: str | None = opt("VM of the NIC.", mapped=False)

    @model_validator(mode="before")
    @classmethod
    def _plugged_state(cls, data: Any) -> Any:
        """``state: plugged`` is ``state: present`` with ``plugged: true``, as in M(ovirt.ovirt.ovirt_nic)."""
        if isinstance(data, dict) and data.get("state") in _PLUGGED:
            data = {**data, "plugged": _PLUGGED[data["state"]], "state": "present"}
        return data


class VmDisk(DiskDevice):
    """A disk declared inside a VM (``vms[].disks[]``)."""

    id: str | None = opt("Id of an existing disk.")
    name: str | None = opt("Name (alias) of the disk.")


class VmNic(NicDevice):
    """A NIC declared inside a VM (``vms[].nics[]``)."""

    name: str = opt("Name of the NIC, for example C(nic1).", ...)


class Vm(Entity):
    KIND = "vm"
    WORD = "VM"
    CONTROL = Entity.CONTROL | {"disks", "nics", "exclusive", "force", "clone"}
    state: Literal["present", "absent", "running", "stopped", "suspended"] = opt([  # type: ignore[assignment]
        "C(present) makes sure the VM exists, whatever its status.",
        "C(running), C(stopped) and C(suspended) also bring it to C(up), C(down) or C(suspended).",
        "C(absent) stops and removes it, with its disks."], "present")
    cluster: str | None = opt("Cluster of the VM. Required to create one.", ref="cluster")
    template: str | None = opt("Template the VM is created from, C(Blank) when not given; used when creating only.",
                               ref="template", create_only=True)
    template_version: int | None = opt([
        "Version number of I(template) the VM is created from (1 is the base template); used when creating only.",
        "Without it the engine takes the base version, or the latest one with I(use_latest_template_version)."],
        path="template.version.version_number", create_only=True, ge=1)
    use_latest_template_version: bool | None = opt([
        "The VM follows the latest version of its template (oVirt's I(use_latest_template_version), as in "
        "M(ovirt.ovirt.ovirt_vm)): a new VM is created from the latest version of I(template)."])
    clone: bool = opt([
        "Create the VM's disks as full, independent copies of the template's (qemu-img convert), instead of thin "
        "qcow2 overlays on them; used when creating only."], False)
    snapshot_vm: str | None = opt([
        "VM whose snapshot I(snapshot_name) the new VM is copied from (oVirt's clone VM from snapshot): it gets "
        "that VM's configuration as it was saved with the snapshot and full copies of its disks at that point. "
        "Used when creating only, with I(snapshot_name)."], ref="vm", create_only=True, send=False)
    snapshot_name: str | None = opt("Description of the snapshot of I(snapshot_vm) the new VM is copied from, as "
                                    "M(ovirt.ovirt.ovirt_vm) names it; used when creating only.", create_only=True,
                                    send=False)
    description: str | None = opt("Description.")
    comment: str | None = opt("Comment.")
    memory: Size | None = opt("Memory, as an IEC size such as C(2GiB) or C(512MiB), or bytes.")
    memory_guaranteed: Size | None = opt("Guaranteed memory, as a size.", path="memory_policy.guaranteed")
    memory_max: Size | None = opt("Maximum memory for hot plug, as a size.", path="memory_policy.max")
    cpu_cores: int | None = opt("Cores per socket.", path="cpu.topology.cores", ge=1)
    cpu_sockets: int | None = opt("Sockets.", path="cpu.topology.sockets", ge=1)
    cpu_threads: int | None = opt("Threads per core.", path="cpu.topology.threads", ge=1)
    type: Literal["desktop", "server", "high_performance"] | None = opt("Optimisation of the VM.")
    operating_system: str | None = opt("Guest operating system type, for example C(rhel_9x64).", path="os.type")
    high_availability: bool | None = opt("Restart the VM when its host fails.", path="high_availability.enabled")
    lease: str | None = opt([
        "Storage domain holding the VM's lease (oVirt's I(lease.storage_domain)); it must be active in the VM's "
        "data center.",
        "A host runs the VM only while it holds the lease, so a highly available VM whose host stops answering "
        "is restarted elsewhere once the lease expired, without fencing the host. An empty string removes it."],
        path="lease.storage_domain", ref="storage_domain")
    stateless: bool | None = opt("Discard changes when the VM stops.")
    delete_protected: bool | None = opt("Refuse removal.")
    boot_devices: list[Literal["cdrom", "hd", "network"]] | None = opt(
        "Boot order. C([]) clears it.", path="os.boot.devices", decode=w.plain_list)
    bios_type: BiosType | None = opt("Chipset and firmware.", path="bios.type")
    custom_properties: list[Property] | None = opt("Properties for the host's hooks, compared as a set.",
                                                   **PROPERTIES)
    disks: list[VmDisk] | None = opt("Disks of the VM, found by name (or id) among the VM's disks.")
    nics: list[VmNic] | None = opt("NICs of the VM, found by name among the VM's NICs.")
    exclusive: bool = opt("Remove disks and NICs of the VM that are not declared in I(disks) and I(nics).", False)
    force: bool = opt("With I(state=absent), remove the VM even if the engine would refuse otherwise.", False)

    @model_validator(mode="after")
    def _disks_named(self) -> Vm:
        for i, d in enumerate(self.disks or []):
            if not d.name and not d.id:
                raise ValueError(f"disks[{i}]: name or id is required")
        if (self.snapshot_vm is None) != (self.snapshot_name is None):
            raise ValueError("snapshot_vm and snapshot_name go together")
        if self.snapshot_vm is not None and ({"template", "template_version"} & self.model_fields_set or self.clone):
            raise ValueError("a VM copied from a snapshot takes no template, template_version nor clone")
        if self.template_version is not None and self.template is None:
            raise ValueError("template_version needs template")
        return self


_ABOUT = ("data_center", "cluster", "host", "storage_domain", "vm", "template")


class Event(Entity):
    """An event the user records; ``origin`` plus ``custom_id`` make it idempotent."""

    KIND = "event"
    id: str | None = opt("Id of the event (for I(state=absent)).")
    description: str | None = opt("Message of the event.", create_only=True)
    severity: Literal["normal", "warning", "error", "alert"] = opt("Severity.", "normal", create_only=True)
    origin: str | None = opt("Who reports the event, for example the name of a playbook.", create_only=True)
    custom_id: int | None = opt("A number unique per I(origin).", create_only=True)
    data_center: str | None = opt("Data center the event is about.", ref="data_center", create_only=True)
    cluster: str | None = opt("Cluster the event is about.", ref="cluster", create_only=True)
    host: str | None = opt("Host the event is about.", ref="host", create_only=True)
    storage_domain: str | None = opt("Storage domain the event is about.", ref="storage_domain", create_only=True)
    vm: str | None = opt("VM the event is about.", ref="vm", create_only=True)
    template: str | None = opt("Template the event is about.", ref="template", create_only=True)

    @model_validator(mode="before")
    @classmethod
    def _name_from_ids(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name") and data.get("origin") and data.get("custom_id") is not None:
            data = {**data, "name": f"{data['origin']}/{data['custom_id']}"}
        return data


# ---------------------------------------------------------------- scheduling and affinity


def _unit_entries(default_key: str, default: Any) -> Any:
    """``[CPU, {name: Memory, position: -1}]`` → entries with every key set (so the set compares exactly)."""

    def convert(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for item in value:
            item = {"name": item} if isinstance(item, str) else item
            if isinstance(item, dict) and item.get(default_key) is None:
                item = {**item, default_key: default}
            out.append(item)
        return out

    return convert


class PolicyFilter(Sub):
    name: str = opt("Name of a filter unit, for example C(Memory) (see M(vdc.infra.scheduling_policy_unit_info)).",
                    ...)
    position: int = opt("C(-1) runs the filter first, C(1) last, C(0) anywhere.", 0, ge=-1, le=1)


class PolicyWeight(Sub):
    name: str = opt("Name of a weight unit, for example C(OptimalForEvenGuestDistribution).", ...)
    factor: int = opt("How much the unit's rank counts.", 1, ge=0)


Filters = Annotated[list[PolicyFilter], BeforeValidator(
    _unit_entries("position", 0), json_schema_input_type=list[PolicyFilter | str])]
Weights = Annotated[list[PolicyWeight], BeforeValidator(
    _unit_entries("factor", 1), json_schema_input_type=list[PolicyWeight | str])]


class SchedulingPolicy(Entity):
    KIND = "scheduling_policy"
    description: str | None = opt("Description.")
    filters: Filters | None = opt(["Filter units, each with an optional I(position); the mandatory ones always run.",
                                   "Compared as a set: units not listed are removed."], path="_filters", send=False,
                                  unordered=True)
    weights: Weights | None = opt(["Weight units with their I(factor) (1 when not given).",
                                   "Compared as a set: units not listed are removed."], path="_weights", send=False,
                                  unordered=True)
    balancer: str | None = opt("Load balancing unit, for example C(OptimalForEvenDistribution); C(None) balances "
                               "nothing.", path="_balancer", send=False)
    properties: Properties | None = opt(["Parameters of the policy's units (for example C(HighVmCount)), each checked "
                                         "against the unit's regular expression by the engine.",
                                         "Compared as a set. C([]) removes them all."], **PARAMETERS)


Rule = Literal["positive", "negative", "disabled"]


class AffinityGroup(Entity):
    KIND = "affinity_group"
    WORD = "affinity group"
    cluster: str | None = opt("Cluster of the group; names are unique per cluster.", mapped=False)
    description: str | None = opt("Description.")
    priority: float | None = opt("Priority among the cluster's groups when their rules disagree.", ge=0)
    vm_rule: Rule | None = opt("Whether the group's VMs run together (C(positive)), apart (C(negative)) or as they "
                               "like (C(disabled)).", path="vms_rule", encode=w.rule_to_wire, decode=w.rule_from_wire)
    vm_enforcing: bool | None = opt("The VM rule is hard: a VM that would break it does not start or migrate.",
                                    path="vms_rule.enforcing")
    host_rule: Rule | None = opt("Whether the group's VMs run on its I(hosts) (C(positive)), away from them "
                                 "(C(negative)) or anywhere (C(disabled)).", path="hosts_rule",
                                 encode=w.rule_to_wire, decode=w.rule_from_wire)
    host_enforcing: bool | None = opt("The host rule is hard.", path="hosts_rule.enforcing")
    vms: list[str] | None = opt("Names of the group's VMs, compared as a set. C([]) removes them all.",
                                ref="vm", encode=w.wrapped("vm"), unordered=True)
    hosts: list[str] | None = opt("Names of the group's hosts, compared as a set. C([]) removes them all.",
                                  ref="host", encode=w.wrapped("host"), unordered=True)


class AffinityLabel(Entity):
    KIND = "affinity_label"
    WORD = "affinity label"
    description: str | None = opt("Description.")
    vms: list[str] | None = opt("Names of the VMs carrying the label, compared as a set. C([]) removes them all.",
                                ref="vm", encode=w.wrapped("vm"), unordered=True)
    hosts: list[str] | None = opt("Names of the hosts carrying the label, compared as a set. C([]) removes them all.",
                                  ref="host", encode=w.wrapped("host"), unordered=True)


class Tag(Entity):
    """A tag of the engine's tree (under C(root)); the VMs and hosts carrying it are read from their C(tags)."""

    KIND = "tag"
    description: str | None = opt("Description.")
    parent: str | None = opt("Name of the parent tag; C(root), the top of the tree, when not given to a new tag.",
                             ref="tag")
    vms: list[str] | None = opt("Names of the VMs the tag is attached to, compared as a set. C([]) detaches it from "
                                "them all.", ref="vm", path="_vms", unordered=True)
    hosts: list[str] | None = opt("Names of the hosts the tag is attached to, compared as a set. C([]) detaches it "
                                  "from them all.", ref="host", path="_hosts", unordered=True)


# ---------------------------------------------------------------- users, groups, roles and permissions

INTERNAL_AUTHZ = "internal-authz"


class User(Entity):
    KIND = "user"
    name: str | None = opt("Login name of the user in its domain, for example C(alice) (not C(alice@internal-authz)).",
                           min_length=1, max_length=255)
    authz_name: str | None = opt("Authorization provider (domain) of the user; C(internal-authz), vdc's internal "
                                 "domain, when not given.", path="domain.name", immutable=True)
    namespace: str | None = opt("Namespace of the user in its domain; used when adding only.", create_only=True)
    password: str | None = opt([
        "Password of a new internal user: the account is created in the internal domain, then added to the engine "
        "(M(ovirt.ovirt.ovirt_user) can only add accounts that already exist in a directory).",
        "Used when adding the user only; never compared, returned or shown in a diff. An existing account keeps its "
        "password (change it with C(vdc-engine user password-reset))."], secret=True, create_only=True)
    first_name: str | None = opt("First name.")
    last_name: str | None = opt("Last name.")
    email: str | None = opt("E-mail address.")
    department: str | None = opt("Department.")
    description: str | None = opt("Description.")


class Group(Entity):
    KIND = "group"
    authz_name: str | None = opt("Authorization provider (domain) of the group; C(internal-authz) when not given. "
                                 "A group of the internal domain is made there on its first add.",
                                 path="domain.name", immutable=True)
    namespace: str | None = opt("Namespace of the group in its domain; used when adding only.", create_only=True)


def _permit_names(value: Any) -> Any:
    """Permit names in the engine's spelling (lower case), C(login) included, each once and sorted."""
    if not isinstance(value, list):
        return value
    return sorted({str(v).strip().lower() for v in value} | {"login"})


Permits = Annotated[list[str], BeforeValidator(_permit_names)]


class Role(Entity):
    KIND = "role"
    description: str | None = opt("Description.")
    administrative: bool | None = opt("Whether the role is administrative (it may hold administrative permits, and "
                                      "only SuperUser on System gives it); false for a new role when not given; "
                                      "cannot change later.", immutable=True)
    permits: Permits | None = opt([
        "Names of the role's permits (action groups), such as C(run_vm) or C(create_vm); the engine lists them at "
        "C(/roles/{id}/permits). C(login) is always added, as M(ovirt.ovirt.ovirt_role) does.",
        "Compared as a set: permits not listed are removed."], path="_permits", send=False, unordered=True)


PermissionObject = Literal["system", "data_center", "cluster", "host", "storage_domain", "network", "vnic_profile",
                           "template", "vm", "disk"]


class Permission(Entity):
    """A role given to a user or a group on an object (or on System); what identifies it is its name, made of
    the role, the object and the principal (as the planner finds entities by name)."""

    KIND = "permission"
    CONTROL = Entity.CONTROL | {"authz_name"}
    name: str | None = opt("Made of the role, the object and the user or group (C(UserRole on vm web1 to user "
                           "alice)); never given.")
    role: str = opt("Role given, by name, for example C(UserRole), C(ClusterAdmin) or a role of M(vdc.infra.role).",
                    "UserRole", ref="role", immutable=True)
    user: str | None = opt("Login name of the user who gets the role (see M(vdc.infra.user)). Give I(user) or "
                           "I(group).", ref="user", immutable=True)
    group: str | None = opt("Name of the group that gets the role.", ref="group", immutable=True)
    object_type: PermissionObject = opt(
        "Kind of the object the role is given on; C(system) gives it everywhere.", "vm", mapped=False)
    object_name: str | None = opt("Name of the object; not used with I(object_type=system).", mapped=False)
    authz_name: str = opt("Authorization provider (domain) of the user or group.", INTERNAL_AUTHZ)

    @model_validator(mode="before")
    @classmethod
    def _identity(cls, data: Any) -> Any:
        """The defaults made explicit (they are part of what the permission is) and the name they make."""
        if not isinstance(data, dict):
            return data
        data = {**data, "role": data.get("role") or "UserRole", "object_type": data.get("object_type") or "vm"}
        return {**data, "name": permission_name(data)}

    @model_validator(mode="after")
    def _principal(self) -> Permission:
        if (self.user is None) == (self.group is None):
            raise ValueError("give user or group (one of them)")
        if self.object_type != "system" and not self.object_name:
            raise ValueError(f"object_name is required with object_type {self.object_type}")
        return self


def permission_name(values: dict[str, Any]) -> str:
    """``UserRole on vm web1 to user alice``: how plans and messages name a permission."""
    where = "system" if values.get("object_type") == "system" else \
        f"{values.get('object_type')} {values.get('object_name')}"
    who = f"user {values['user']}" if values.get("user") else f"group {values.get('group')}"
    return f"{values.get('role')} on {where} to {who}"


# ---------------------------------------------------------------- VDSM hooks and engine configuration

LocalPath = Annotated[str, AnsibleType("path")]


def read_local(src: str, context: Any, binary: bool = False) -> Any:
    """A local file, relative to the estate's directory when the document came from files (``context["base"]``)."""
    import os

    base = (context or {}).get("base") if isinstance(context, dict) else None
    path = os.path.join(base, os.path.expanduser(src)) if base else os.path.expanduser(src)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ValueError(f"src {src}: {e.strerror or e}") from None
    if binary:
        return raw
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise ValueError(f"src {src}: not UTF-8 text") from None


class VdsmHook(Entity):
    """A hook script the engine keeps and deploys to the hosts it targets (``/ovirt-engine/api/vdc/hooks``);
    ``src`` is read into ``content``, which is compared (so the diff shows the script)."""

    KIND = "vdsm_hook"
    WORD = "VDSM hook"
    CONTROL = Entity.CONTROL | {"src"}
    name: str | None = opt("The script's file name on the hosts, such as C(50_numa); the scripts of a hook point "
                           "run in name order.", min_length=1, max_length=255)
    event: str | None = opt("The hook point, such as C(before_vm_start), C(after_vm_migrate_source) or "
                            "C(after_get_stats); with I(name) it identifies the hook.", immutable=True)
    src: LocalPath | None = opt("A local file holding the script (UTF-8 text). Mutually exclusive with I(content).")
    content: str | None = opt("The script itself; compared with the engine's copy (its sha256 is what the hosts "
                              "check). Mutually exclusive with I(src).")
    clusters: list[str] | None = opt("Names of the clusters whose hosts get the script, compared as a set.",
                                     ref="cluster", unordered=True)
    hosts: list[str] | None = opt("Names of single hosts that get the script, compared as a set.", ref="host",
                                  unordered=True)

    @model_validator(mode="after")
    def _source(self, info: ValidationInfo) -> VdsmHook:
        if self.src is not None:
            if "content" in self.model_fields_set:
                raise ValueError("give src or content, not both")
            self.content = read_local(self.src, info.context)
        return self


class EngineConfig(Entity):
    """A key of the engine's configuration at one level (``/ovirt-engine/api/vdc/engineconfig``), as
    ``vdc-engine config -s`` sets it. Every key exists: it is never created nor removed."""

    KIND = "engine_config"
    WORD = "engine configuration"
    state: Literal["present"] = opt("Always C(present): keys are set, never added or removed.", "present")
    name: str | None = opt("The key, for example C(UserDefinedVMProperties) (C(vdc-engine config -l) lists them).",
                           min_length=1, max_length=255)
    value: str | None = opt("The whole value, as C(engine-config -s) sets it.")
    version: str = opt("Cluster level of a versioned key, for example C(\"4.7\"); C(general) for the others.",
                       "general", immutable=True)

    @model_validator(mode="before")
    @classmethod
    def _general(cls, data: Any) -> Any:
        """The level is part of what the entry is, so it is always set (``general`` when not given)."""
        return {**data, "version": data.get("version") or "general"} if isinstance(data, dict) else data


class Snapshot(Entity):
    """A VM's snapshot, found by its description (as M(ovirt.ovirt.ovirt_snapshot) finds it); its name is the
    description, never given."""

    KIND = "snapshot"
    CONTROL = Entity.CONTROL | {"vm", "use_memory", "disks"}
    name: str | None = opt("The description; never given.")
    state: Literal["present", "absent", "restore"] = opt([  # type: ignore[assignment]
        "C(present) takes the snapshot unless the VM has one with this description; C(absent) removes it.",
        "C(restore) previews and commits it (the VM must be down); like M(ovirt.ovirt.ovirt_snapshot), a restore "
        "is a change on every run."], "present")
    vm: str = opt("Name of the VM whose snapshot it is.", ..., mapped=False)
    description: str = opt("Description of the snapshot; what identifies it among the VM's snapshots.", ...,
                           min_length=1)
    use_memory: bool | None = opt([
        "With C(state=present), save the RAM of a running VM with the snapshot (the engine's "
        "C(persist_memorystate)); the VM is paused while its RAM is written.",
        "With C(state=restore), restore the RAM saved with the snapshot too (the engine's C(restore_memory)): the "
        "VM's next start resumes the guest from it instead of booting.",
        "As in M(ovirt.ovirt.ovirt_snapshot); not used to find the snapshot, so a snapshot taken without it is "
        "not taken again."], mapped=False)
    disks: list[str] | None = opt("Names (or ids) of the VM's disks to take, all when not given; C([]) takes the "
                                  "configuration only. Used when taking it only.", mapped=False)

    @model_validator(mode="before")
    @classmethod
    def _description_names(cls, data: Any) -> Any:
        return {**data, "name": data.get("description")} if isinstance(data, dict) else data


class PolicyUnit(Entity):
    """A Python file of external scheduling units in the scheduler proxy's plugin format, kept by the engine
    (``/ovirt-engine/api/vdc/schedulerplugins``), which registers each unit class in it by the class's name;
    ``src`` is read into ``content``, which is compared (so the diff shows the file)."""

    KIND = "policy_unit"
    WORD = "scheduler plugin"
    CONTROL = Entity.CONTROL | {"src"}
    name: str | None = opt("The plugin's module name, such as C(max_vms) (a trailing C(.py) is dropped).",
                           min_length=1, max_length=255)
    src: LocalPath | None = opt("A local file holding the plugin (UTF-8 text). Mutually exclusive with I(content).")
    content: str | None = opt("The plugin's source itself; compared with the engine's copy. Mutually exclusive "
                              "with I(src).")

    @model_validator(mode="before")
    @classmethod
    def _module_name(cls, data: Any) -> Any:
        name = data.get("name") if isinstance(data, dict) else None
        return {**data, "name": name[:-3]} if isinstance(name, str) and name.endswith(".py") else data

    @model_validator(mode="after")
    def _source(self, info: ValidationInfo) -> PolicyUnit:
        if self.src is not None:
            if "content" in self.model_fields_set:
                raise ValueError("give src or content, not both")
            self.content = read_local(self.src, info.context)
        return self


class UiPlugin(Entity):
    """A UI plugin of the administration portal (``/ovirt-engine/api/vdc/uiplugins``): its descriptor and resources,
    compared by the engine's content digest (computed here from ``src``, so an unchanged plugin is never uploaded
    again), and its user configuration."""

    KIND = "ui_plugin"
    WORD = "UI plugin"
    CONTROL = Entity.CONTROL | {"src"}
    name: str | None = opt("Name of the plugin; taken from the descriptor in I(src) when omitted.", min_length=1,
                           max_length=255)
    src: LocalPath | None = opt("A directory holding the descriptor (one C(*.json)) and its C(resourcePath) "
                                "directory, or an archive (tar, tar.gz, zip) of the same. Needed to install; "
                                "optional to reconfigure an installed plugin.")
    digest: str | None = opt("The content digest of the descriptor and resources, computed from I(src); never given.",
                             send=False)
    config: dict[str, Any] | None = opt("The user configuration's C(config); each top-level key replaces the "
                                        "descriptor's wholesale.", path="user_config.config")
    enabled: bool | None = opt("Whether the portal loads the plugin.")
    order: int | None = opt("Load order (ascending); plugins without one load last.")

    @model_validator(mode="before")
    @classmethod
    def _bundle(cls, data: Any, info: ValidationInfo) -> Any:
        """``src`` read now (relative to the estate's directory): its name and digest, and the path it was read at."""
        if not isinstance(data, dict) or not data.get("src"):
            return data
        import os

        from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError
        from ansible_collections.vdc.infra.plugins.module_utils.uiplugin import read_src

        context = info.context
        base = context.get("base") if isinstance(context, dict) else None
        path = os.path.expanduser(str(data["src"]))
        path = os.path.abspath(os.path.join(base, path) if base else path)
        try:
            bundle = read_src(path)
        except VdcError as e:
            raise ValueError(str(e).replace(path, str(data["src"]))) from None
        if data.get("name") and data["name"] != bundle.name:
            raise ValueError(f"name '{data['name']}' differs from the descriptor's name '{bundle.name}'")
        return {**data, "name": bundle.name, "src": path, "digest": bundle.digest}


MODELS: dict[str, type[Entity]] = {m.KIND: m for m in (
    DataCenter, Cluster, Host, StorageDomain, Network, VnicProfile, Template, Vm, Disk, Nic, Event, SchedulingPolicy,
    AffinityGroup, AffinityLabel, Tag, User, Group, Role, Permission, VdsmHook, EngineConfig, Snapshot, PolicyUnit,
    UiPlugin,
)}


def parse(kind: str, values: dict[str, Any]) -> Entity:
    """Validate ``values`` as a ``kind``; a DesiredStateError names the entity and each bad field."""
    cls = MODELS[kind]
    try:
        return cls.model_validate(values)
    except ValidationError as e:
        who = values.get("name") or values.get("id") or "?"
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        raise DesiredStateError(f"{cls.word()} '{who}'", problems) from None
