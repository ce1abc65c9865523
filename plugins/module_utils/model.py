"""Desired state: one pydantic model per entity kind, in the terms users write (names, IEC sizes, flags).

Only the fields a user sets are compared later (``model_fields_set``): unset means "do not care".
Validation errors name the entity and the field (:func:`parse`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.units import parse_size
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator


def _none_if_empty(value: Any) -> Any:
    return None if value == "" else value


# The schema shows what users write (``2GiB`` or bytes), not the int the validator makes of it.
Size = Annotated[int, BeforeValidator(parse_size, json_schema_input_type=int | str)]
Version = Annotated[str, Field(pattern=r"^\d+\.\d+$")]
# An int that may be cleared with an explicit "" (e.g. a VLAN tag).
ClearableInt = Annotated[int | None, BeforeValidator(_none_if_empty, json_schema_input_type=int | Literal[""] | None)]
Tristate = Literal["true", "false", "inherit"]


class Entity(BaseModel):
    """Common to every kind. ``CONTROL`` lists options that steer the run and are never compared."""

    model_config = ConfigDict(extra="forbid")
    KIND: ClassVar[str] = ""
    CONTROL: ClassVar[frozenset[str]] = frozenset({"id", "state"})

    id: str | None = None
    name: str | None = Field(default=None, min_length=1, max_length=255)
    state: Literal["present", "absent"] = "present"  # kinds with more states override it

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


class DataCenter(Entity):
    KIND = "data_center"
    CONTROL = Entity.CONTROL | {"force"}
    description: str | None = None
    comment: str | None = None
    local: bool | None = None
    compatibility_version: Version | None = None
    quota_mode: Literal["disabled", "audit", "enabled"] | None = None
    force: bool = False


class Cluster(Entity):
    KIND = "cluster"
    data_center: str | None = None
    description: str | None = None
    comment: str | None = None
    cpu_type: str | None = None
    cpu_arch: Literal["x86_64", "ppc64", "s390x", "aarch64", "undefined"] | None = None
    compatibility_version: Version | None = None
    switch_type: Literal["legacy", "ovs"] | None = None
    firewall_type: Literal["firewalld", "iptables"] | None = None
    bios_type: Literal["i440fx_sea_bios", "q35_ovmf", "q35_sea_bios", "q35_secure_boot", "cluster_default"] | None \
        = None
    ballooning: bool | None = None
    virt: bool | None = None
    gluster: bool | None = None
    threads_as_cores: bool | None = None
    ha_reservation: bool | None = None
    trusted_service: bool | None = None
    ksm: bool | None = None
    fence_enabled: bool | None = None
    resilience_policy: Literal["do_not_migrate", "migrate", "migrate_highly_available"] | None = None
    memory_policy: Literal["disabled", "server", "desktop"] | None = None
    migration_auto_converge: Tristate | None = None
    migration_compressed: Tristate | None = None
    migration_encrypted: Tristate | None = None
    network: str | None = None


class Host(Entity):
    KIND = "host"
    CONTROL = Entity.CONTROL | {"force", "activate"}
    cluster: str | None = None
    address: str | None = None
    description: str | None = None
    comment: str | None = None
    password: str | None = Field(default=None, repr=False)
    public_key: bool | None = None
    ssh_port: int | None = Field(default=None, ge=1, le=65535)
    spm_priority: int | None = Field(default=None, ge=-1, le=10)
    override_iptables: bool | None = None
    activate: bool = True
    force: bool = False


class NfsStorage(Sub):
    address: str | None = None
    path: str | None = None
    version: Literal["auto", "v3", "v4", "v4_0", "v4_1", "v4_2"] | None = None
    timeout: int | None = None
    retrans: int | None = None
    mount_options: str | None = None


class PathStorage(Sub):
    address: str | None = None
    path: str | None = None
    vfs_type: str | None = None
    mount_options: str | None = None


STORAGE_TYPES = ("nfs", "localfs", "posixfs", "glusterfs")


class StorageDomain(Entity):
    KIND = "storage_domain"
    CONTROL = Entity.CONTROL | {"destroy", "format"}
    state: Literal["present", "absent", "maintenance", "unattached"] = "present"
    data_center: str | None = None
    domain_function: Literal["data", "iso", "export"] | None = None
    description: str | None = None
    comment: str | None = None
    host: str | None = None
    nfs: NfsStorage | None = None
    localfs: PathStorage | None = None
    posixfs: PathStorage | None = None
    glusterfs: PathStorage | None = None
    warning_low_space: int | None = Field(default=None, ge=0, le=100)
    critical_space_action_blocker: int | None = Field(default=None, ge=0)
    wipe_after_delete: bool | None = None
    discard_after_delete: bool | None = None
    backup: bool | None = None
    destroy: bool = False
    format: bool = False

    @model_validator(mode="after")
    def _one_storage(self) -> StorageDomain:
        given = [t for t in STORAGE_TYPES if getattr(self, t) is not None]
        if len(given) > 1:
            raise ValueError(f"only one storage type may be given, got {', '.join(given)}")
        return self


class NetworkCluster(Sub):
    name: str
    assigned: bool = True
    required: bool | None = None
    display: bool | None = None
    migration: bool | None = None
    gluster: bool | None = None
    default_route: bool | None = None


class Network(Entity):
    KIND = "network"
    CONTROL = Entity.CONTROL | {"clusters"}
    data_center: str | None = None
    description: str | None = None
    comment: str | None = None
    vlan_tag: ClearableInt = Field(default=None, ge=0, le=4094)
    vm_network: bool | None = None
    mtu: int | None = Field(default=None, ge=0, le=65520)
    clusters: list[NetworkCluster] | None = None


class Property(Sub):
    name: str
    value: str


class VnicProfile(Entity):
    KIND = "vnic_profile"
    network: str | None = None
    data_center: str | None = None
    description: str | None = None
    port_mirroring: bool | None = None
    migratable: bool | None = None
    pass_through: Literal["disabled", "enabled"] | None = None
    custom_properties: list[Property] | None = None


# ---------------------------------------------------------------- compute


class Template(Entity):
    KIND = "template"
    vm: str | None = None
    cluster: str | None = None
    description: str | None = None
    comment: str | None = None
    memory: Size | None = None
    cpu_cores: int | None = Field(default=None, ge=1)
    cpu_sockets: int | None = Field(default=None, ge=1)


DiskInterface = Literal["virtio", "virtio_scsi", "ide", "sata", "spapr_vscsi"]
NicInterface = Literal["virtio", "e1000", "e1000e", "rtl8139", "rtl8139_virtio", "pci_passthrough", "spapr_vlan"]


class DiskDevice(Sub):
    """What a disk declares, on its own (``vdc.infra.disk``) or inside a VM (``vms[].disks[]``)."""

    size: Size | None = None
    storage_domain: str | None = None
    interface: DiskInterface | None = None
    bootable: bool | None = None
    format: Literal["cow", "raw"] | None = None
    sparse: bool | None = None
    shareable: bool | None = None
    activate: bool | None = None
    description: str | None = None


class NicDevice(Sub):
    """What a NIC declares, on its own (``vdc.infra.nic``) or inside a VM (``vms[].nics[]``)."""

    network: str | None = None
    profile: str | None = None
    interface: NicInterface | None = None
    mac_address: str | None = Field(default=None, pattern=r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
    linked: bool | None = None
    plugged: bool | None = None


class Disk(Entity, DiskDevice):
    """A disk: floating when ``vm`` is unset, otherwise attached to that VM."""

    KIND = "disk"
    CONTROL = Entity.CONTROL | {"detach_only"}
    vm: str | None = None
    read_only: bool | None = None
    detach_only: bool = False


class Nic(Entity, NicDevice):
    KIND = "nic"
    vm: str | None = None


class VmDisk(DiskDevice):
    """A disk declared inside a VM (``vms[].disks[]``)."""

    id: str | None = None
    name: str | None = None


class VmNic(NicDevice):
    """A NIC declared inside a VM (``vms[].nics[]``)."""

    name: str


class Vm(Entity):
    KIND = "vm"
    CONTROL = Entity.CONTROL | {"disks", "nics", "exclusive", "force"}
    state: Literal["present", "absent", "running", "stopped", "suspended"] = "present"
    cluster: str | None = None
    template: str | None = None
    description: str | None = None
    comment: str | None = None
    memory: Size | None = None
    memory_guaranteed: Size | None = None
    memory_max: Size | None = None
    cpu_cores: int | None = Field(default=None, ge=1)
    cpu_sockets: int | None = Field(default=None, ge=1)
    cpu_threads: int | None = Field(default=None, ge=1)
    type: Literal["desktop", "server", "high_performance"] | None = None
    operating_system: str | None = None
    high_availability: bool | None = None
    stateless: bool | None = None
    delete_protected: bool | None = None
    boot_devices: list[Literal["cdrom", "hd", "network"]] | None = None
    bios_type: Literal["i440fx_sea_bios", "q35_ovmf", "q35_sea_bios", "q35_secure_boot", "cluster_default"] | None \
        = None
    custom_properties: list[Property] | None = None
    disks: list[VmDisk] | None = None
    nics: list[VmNic] | None = None
    exclusive: bool = False
    force: bool = False

    @model_validator(mode="after")
    def _disks_named(self) -> Vm:
        for i, d in enumerate(self.disks or []):
            if not d.name and not d.id:
                raise ValueError(f"disks[{i}]: name or id is required")
        return self


class Event(Entity):
    """An event the user records; ``origin`` plus ``custom_id`` make it idempotent."""

    KIND = "event"
    description: str | None = None
    severity: Literal["normal", "warning", "error", "alert"] | None = None
    origin: str | None = None
    custom_id: int | None = None
    data_center: str | None = None
    cluster: str | None = None
    host: str | None = None
    storage_domain: str | None = None
    vm: str | None = None
    template: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_from_ids(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name") and data.get("origin") and data.get("custom_id") is not None:
            data = {**data, "name": f"{data['origin']}/{data['custom_id']}"}
        return data


MODELS: dict[str, type[Entity]] = {m.KIND: m for m in (
    DataCenter, Cluster, Host, StorageDomain, Network, VnicProfile, Template, Vm, Disk, Nic, Event,
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
        raise DesiredStateError(KINDS[kind].label(who), problems) from None
