"""oVirt's permits (action groups), its built-in roles with their well-known ids, and the Everyone group.

These are facts of oVirt 4.x: the permit ids, names and types of ``ActionGroup``, and the roles seeded by the
engine's database scripts in their final state. Built-in roles are read-only (``mutable=false`` on the wire).
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM_ID = "aaa00000-0000-0000-0000-123456789aaa"  # the System object permissions are given on
EVERYONE_ID = "eee00000-0000-0000-0000-123456789eee"  # the built-in group every user belongs to
INTERNAL_AUTHZ = "internal-authz"
INTERNAL_PROFILE = "internal"
LOGIN = 1300
MANIPULATE_USERS = 500
MANIPULATE_ROLES = 501
MANIPULATE_PERMISSIONS = 502
ADD_USERS_AND_GROUPS_FROM_DIRECTORY = 503


@dataclass(frozen=True)
class Permit:
    id: int
    name: str  # lower-case ActionGroup name, as REST shows it
    admin: bool  # RoleType ADMIN
    viewing_children: bool = True


_A = True
_U = False
_TABLE: list[tuple[int, str, bool]] = [
    (1, "create_vm", _U), (2, "delete_vm", _U), (3, "edit_vm_properties", _U), (5, "change_vm_cd", _U),
    (6, "migrate_vm", _U), (7, "connect_to_vm", _U), (8, "import_export_vm", _A), (9, "configure_vm_network", _U),
    (10, "configure_vm_storage", _U), (11, "move_vm", _U), (12, "manipulate_vm_snapshots", _U),
    (13, "reconnect_to_vm", _U), (14, "change_vm_custom_properties", _A), (15, "edit_admin_vm_properties", _A),
    (16, "create_instance", _U), (17, "reboot_vm", _U), (18, "stop_vm", _U), (19, "shut_down_vm", _U),
    (21, "hibernate_vm", _U), (22, "run_vm", _U), (23, "reset_vm", _U), (1664, "connect_to_serial_console", _U),
    (100, "create_host", _A), (101, "edit_host_configuration", _A), (102, "delete_host", _A),
    (103, "manipulate_host", _A), (104, "configure_host_network", _A),
    (200, "create_template", _U), (201, "edit_template_properties", _U), (202, "delete_template", _U),
    (203, "copy_template", _U), (204, "configure_template_network", _U), (205, "edit_admin_template_properties", _A),
    (300, "create_vm_pool", _U), (301, "edit_vm_pool_configuration", _U), (302, "delete_vm_pool", _U),
    (303, "vm_pool_basic_operations", _U),
    (400, "create_cluster", _A), (401, "edit_cluster_configuration", _A), (402, "delete_cluster", _A),
    (403, "configure_cluster_network", _A), (404, "assign_cluster_network", _A),
    (500, "manipulate_users", _A), (501, "manipulate_roles", _A), (502, "manipulate_permissions", _U),
    (503, "add_users_and_groups_from_directory", _U), (504, "edit_profile", _U),
    (600, "create_storage_domain", _A), (601, "edit_storage_domain_configuration", _A),
    (602, "delete_storage_domain", _A), (603, "manipulate_storage_domain", _A),
    (700, "create_storage_pool", _A), (701, "delete_storage_pool", _A), (702, "edit_storage_pool_configuration", _A),
    (703, "configure_storage_pool_network", _A), (704, "create_storage_pool_network", _A),
    (705, "delete_storage_pool_network", _A),
    (800, "configure_engine", _A), (900, "configure_quota", _A), (901, "consume_quota", _U),
    (1000, "create_gluster_volume", _A), (1001, "manipulate_gluster_volume", _A), (1002, "delete_gluster_volume", _A),
    (1003, "manipulate_gluster_hook", _A), (1004, "manipulate_gluster_service", _A),
    (1100, "create_disk", _U), (1101, "attach_disk", _U), (1102, "edit_disk_properties", _U),
    (1103, "configure_disk_storage", _U), (1104, "delete_disk", _U), (1105, "configure_scsi_generic_io", _A),
    (1106, "access_image_storage", _U), (1107, "disk_live_storage_migration", _U), (1108, "sparsify_disk", _U),
    (1109, "reduce_disk", _A), (1110, "backup_disk", _A),
    (1203, "configure_network_vnic_profile", _A), (1204, "create_network_vnic_profile", _A),
    (1205, "delete_network_vnic_profile", _A),
    (1300, "login", _U), (1301, "tag_management", _A), (1302, "bookmark_management", _A),
    (1303, "event_notification_management", _A), (1304, "audit_log_management", _A),
    (1400, "inject_external_events", _A), (1500, "inject_external_tasks", _A),
    (1550, "manipulate_affinity_groups", _A),
    (1560, "configure_storage_disk_profile", _A), (1561, "create_storage_disk_profile", _A),
    (1562, "delete_storage_disk_profile", _A), (1563, "attach_disk_profile", _U),
    (1660, "create_mac_pool", _A), (1661, "edit_mac_pool", _A), (1662, "delete_mac_pool", _A),
    (1663, "configure_mac_pool", _A),
    (1665, "delete_cpu_profile", _A), (1666, "update_cpu_profile", _A), (1667, "create_cpu_profile", _A),
    (1668, "assign_cpu_profile", _U),
]
_NO_CHILDREN = {1, 16, 200, 300, 1100, 1106} | set(range(1300, 1501))

PERMITS: dict[int, Permit] = {i: Permit(i, n, a, i not in _NO_CHILDREN) for i, n, a in _TABLE}
PERMITS_BY_NAME: dict[str, Permit] = {p.name: p for p in PERMITS.values()}
assert len(PERMITS) == 99


def _r(*spans: int | tuple[int, int]) -> frozenset[int]:
    out: set[int] = set()
    for s in spans:
        if isinstance(s, tuple):
            out |= {i for i in PERMITS if s[0] <= i <= s[1]}
        else:
            out.add(s)
    return frozenset(out)


@dataclass(frozen=True)
class BuiltinRole:
    id: str
    name: str
    admin: bool
    viewing_children: bool
    app_mode: int
    permits: frozenset[int]


_SUPER = frozenset(PERMITS) - {16, 504}
_DCA = _SUPER - _r(13, 500, 501, (600, 603), 800, (1000, 1004), 1106, 1400, 1500, (1560, 1562), (1660, 1662), 1664)
_CA = _DCA - _r((200, 205), 404, (700, 705), 900, 901, 1105, (1203, 1205))
_UVM = _r(1, 2, 3, 5, 7, 9, 10, 12, (17, 19), (21, 23), 502, 503, (1100, 1102), 1104, (1108, 1110), 1300, 1664, 1668)

BUILTIN_ROLES: list[BuiltinRole] = [
    BuiltinRole("00000000-0000-0000-0000-000000000001", "SuperUser", True, True, 255, _SUPER),
    BuiltinRole("def00002-0000-0000-0000-def000000002", "DataCenterAdmin", True, True, 1, _DCA),
    BuiltinRole("def00001-0000-0000-0000-def000000001", "ClusterAdmin", True, True, 255, _CA),
    BuiltinRole("def00003-0000-0000-0000-def000000003", "StorageAdmin", True, True, 1,
                _r((600, 603), (1100, 1104), (1106, 1110), (1300, 1304), (1560, 1563))),
    BuiltinRole("def00004-0000-0000-0000-def000000004", "HostAdmin", True, True, 255,
                _r((100, 104), (600, 603), (1300, 1304), (1560, 1563))),
    BuiltinRole("def00005-0000-0000-0000-def000000005", "NetworkAdmin", True, True, 255,
                _r(9, 104, 204, 403, 404, (703, 705), (1203, 1205), (1300, 1304))),
    BuiltinRole("def00007-0000-0000-0000-def000000007", "VmPoolAdmin", True, True, 1,
                _r(1, (300, 303), (1300, 1304), 1668)),
    BuiltinRole("def00008-0000-0000-0000-def000000008", "TemplateAdmin", True, True, 1,
                _r((200, 205), 502, 503, 1106, (1300, 1304))),
    BuiltinRole("def0000b-0000-0000-0000-def00000000b", "GlusterAdmin", True, True, 2,
                _r((100, 104), (400, 404), (1000, 1004), (1300, 1304))),
    BuiltinRole("def0000c-0000-0000-0000-def00000000c", "ReadOnlyAdmin", True, True, 1, _r(1300)),
    BuiltinRole("def00011-0000-0000-0000-def000000013", "TagManager", True, False, 255, _r(1300, 1301, 1304)),
    BuiltinRole("def00011-0000-0000-0000-def000000014", "BookmarkManager", True, False, 255, _r(1300, 1302, 1304)),
    BuiltinRole("def00011-0000-0000-0000-def000000015", "EventNotificationManager", True, False, 255,
                _r(1300, 1303, 1304)),
    BuiltinRole("def00011-0000-0000-0000-def000000016", "AuditLogManager", True, False, 255, _r(1300, 1304)),
    BuiltinRole("def00013-0000-0000-0000-def000000013", "MacPoolAdmin", True, True, 1, _r(1300, (1660, 1663))),
    BuiltinRole("def00030-0000-0000-0000-def000000011", "VmImporterExporter", True, True, 1, _r(8, 1300, 1563, 1668)),
    BuiltinRole("def00016-0000-0000-0000-def000000016", "CpuProfileCreator", True, False, 1, _r((1665, 1668))),
    BuiltinRole("00000000-0000-0000-0001-000000000001", "UserRole", False, True, 1,
                _r(5, 7, 17, 18, 19, 21, 22, 23, 303, 1106, 1300)),
    BuiltinRole("00000000-0000-0000-0001-000000000002", "PowerUserRole", False, False, 1,
                _r(1, 200, 1100, 1106, 1300, 1563, (1665, 1668))),
    BuiltinRole("def00006-0000-0000-0000-def000000006", "UserVmManager", False, True, 1, _UVM),
    BuiltinRole("def00006-0000-0000-0000-def000000011", "UserVmRunTimeManager", False, False, 1, _UVM - {12, 1664}),
    BuiltinRole("def00012-0000-0000-0000-def000000012", "UserInstanceManager", False, False, 1, _UVM - {1, 9, 1668}),
    BuiltinRole("def00011-0000-0000-0000-def000000011", "InstanceCreator", False, False, 1, _r(16, 1100, 1300)),
    BuiltinRole("def00009-0000-0000-0000-def000000009", "UserTemplateBasedVm", False, False, 1, _r(1, 1668)),
    BuiltinRole("def0000a-0000-0000-0000-def00000000d", "VmCreator", False, False, 1, _r(1, 1100, 1300, 1668)),
    BuiltinRole("def0000a-0000-0000-0000-def00000000c", "DiskCreator", False, False, 1, _r(1100, 1300)),
    BuiltinRole("def0000a-0000-0000-0000-def00000000e", "TemplateCreator", False, False, 1, _r(200, 1300)),
    BuiltinRole("def0000a-0000-0000-0000-def00000000b", "DiskOperator", False, True, 1,
                _r(502, 503, (1100, 1102), 1104, (1108, 1110), 1300)),
    BuiltinRole("def0000a-0000-0000-0000-def00000000f", "TemplateOwner", False, True, 1,
                _r((201, 204), 502, 503, 1300)),
    BuiltinRole("def0000a-0000-0000-0000-def00000000a", "QuotaConsumer", False, False, 1, _r(901)),
    BuiltinRole("def0000a-0000-0000-0000-def000000010", "VnicProfileUser", False, True, 1, _r(9, 204, 1300)),
    BuiltinRole("def00020-0000-0000-0000-abc000000010", "DiskProfileUser", False, False, 1, _r(1563)),
    BuiltinRole("def00017-0000-0000-0000-def000000017", "CpuProfileOperator", False, False, 1, _r(1668)),
    BuiltinRole("def00014-0000-0000-0000-def000000014", "MacPoolUser", False, True, 1, _r(1300, 1663)),
    BuiltinRole("def00021-0000-0000-0000-def000000015", "UserProfileEditor", False, False, 255, _r(504)),
    BuiltinRole("def0000c-0000-0000-0000-def000000000", "ExternalEventsCreator", False, False, 255, _r(1400)),
    BuiltinRole("def0000d-0000-0000-0000-def000000000", "ExternalTasksCreator", False, False, 255, _r(1500)),
]
ROLES_BY_NAME: dict[str, BuiltinRole] = {r.name: r for r in BUILTIN_ROLES}
SUPER_USER = ROLES_BY_NAME["SuperUser"]
assert len(SUPER_USER.permits) == 97


def role_doc(role: BuiltinRole) -> dict:
    """The stored document of a built-in role."""
    return {"description": "", "administrative": role.admin, "mutable": False, "permits": sorted(role.permits),
            "_viewing_children": role.viewing_children, "_app_mode": role.app_mode}


# Permissions Everyone holds on a new engine: (role, object type, object id)
EVERYONE_PERMISSIONS = [
    ("UserTemplateBasedVm", "template", "00000000-0000-0000-0000-000000000000"),  # the Blank template
    ("UserProfileEditor", "system", SYSTEM_ID),
]
